package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/betterstack/betterstack/modules/probe"
)

// checkFlags are the flags of `betterstack check`.
type checkFlags struct {
	method        string
	headers       []string
	body          string
	timeout       time.Duration
	expect        []string
	keyword       string
	keywordAbsent bool
	noFollow      bool
	degradedAfter time.Duration
	json          bool
}

func newCheckCmd() *cobra.Command {
	f := &checkFlags{}
	cmd := &cobra.Command{
		Use:   "check URL",
		Short: "Check a URL once, as a worker would, and print what the probe saw",
		Long: `Check a URL once with the same probe the workers run and print the status,
error class, resolved IP, timing phases and certificate expiry.

Private addresses are allowed: this runs on the operator's own machine.
Exits non-zero when the check is down (up and degraded count as success).`,
		Example: `  betterstack check https://example.com
  betterstack check https://example.com/health --expect 200 --keyword '"ok"' --timeout 5s
  betterstack check http://10.0.0.5:8080 --method POST --header "Content-Type: application/json" --body '{}' --json`,
		Args:         cobra.ExactArgs(1),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := f.request(args[0])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			res := probe.New(probe.Config{}).Check(ctx, req)
			out := cmd.OutOrStdout()
			if f.json {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false) // body excerpts are read by people here
				err = enc.Encode(res)
			} else {
				err = writeCheckResult(out, req.URL, res, time.Now())
			}
			if err != nil {
				return err
			}
			if res.Status == probe.StatusDown {
				return fmt.Errorf("check failed: %s: %s", res.ErrorClass, res.Error)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.method, "method", "GET", "HTTP method")
	fl.StringArrayVar(&f.headers, "header", nil, `request header "Name: value" (repeatable)`)
	fl.StringVar(&f.body, "body", "", "request body")
	fl.DurationVar(&f.timeout, "timeout", 10*time.Second, "give up after this long")
	fl.StringArrayVar(&f.expect, "expect", nil, "expected status code (200) or class (2xx), repeatable (default 2xx and 3xx)")
	fl.StringVar(&f.keyword, "keyword", "", "text the body must contain (case-sensitive)")
	fl.BoolVar(&f.keywordAbsent, "keyword-absent", false, "fail when the body contains --keyword instead")
	fl.BoolVar(&f.noFollow, "no-follow", false, "do not follow redirects; judge the 3xx response itself")
	fl.DurationVar(&f.degradedAfter, "degraded-after", 0, "report degraded when slower than this (0 = never)")
	fl.BoolVar(&f.json, "json", false, "print the result as JSON")
	return cmd
}

// request validates the flags and builds the probe request, naming the flag
// at fault.
func (f *checkFlags) request(rawURL string) (probe.Request, error) {
	u, err := url.Parse(rawURL)
	switch {
	case err != nil:
		return probe.Request{}, fmt.Errorf("URL %q: %w", rawURL, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return probe.Request{}, fmt.Errorf("URL %q: scheme must be http or https", rawURL)
	case u.Host == "":
		return probe.Request{}, fmt.Errorf("URL %q: no host", rawURL)
	case f.timeout < time.Millisecond:
		return probe.Request{}, fmt.Errorf("--timeout %s: must be at least 1ms", f.timeout)
	case f.degradedAfter < 0:
		return probe.Request{}, fmt.Errorf("--degraded-after %s: must not be negative", f.degradedAfter)
	case f.keywordAbsent && f.keyword == "":
		return probe.Request{}, errors.New("--keyword-absent needs --keyword")
	}
	if err := probe.ValidateExpectedStatus(f.expect); err != nil {
		return probe.Request{}, fmt.Errorf("--expect: %w", err)
	}
	var headers map[string]string
	for _, h := range f.headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return probe.Request{}, fmt.Errorf("--header %q: want \"Name: value\"", h)
		}
		if headers == nil {
			headers = make(map[string]string, len(f.headers))
		}
		headers[strings.TrimSpace(name)] = strings.TrimSpace(value)
	}
	req := probe.Request{
		URL:             rawURL,
		Method:          f.method,
		Headers:         headers,
		Body:            f.body,
		TimeoutMS:       int(f.timeout.Milliseconds()),
		ExpectedStatus:  f.expect,
		Keyword:         f.keyword,
		KeywordAbsent:   f.keywordAbsent,
		FollowRedirects: !f.noFollow,
		DegradedAfterMS: int(f.degradedAfter.Milliseconds()),
	}
	// Catches what the checks above leave to the probe: method and header
	// syntax.
	if err := req.Validate(); err != nil {
		return probe.Request{}, fmt.Errorf("invalid check: %w", err)
	}
	return req, nil
}

// writeCheckResult prints res as an aligned block; now dates the
// certificate's days left.
func writeCheckResult(w io.Writer, rawURL string, res probe.Result, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	line := func(label, format string, args ...any) {
		fmt.Fprintf(tw, "%s\t"+format+"\n", append([]any{label}, args...)...)
	}
	line("URL", "%s", rawURL)
	line("Status", "%s", res.Status)
	if res.StatusCode != 0 {
		line("Status code", "%d", res.StatusCode)
	}
	if res.ErrorClass != probe.ClassNone {
		line("Error", "%s: %s", res.ErrorClass, res.Error)
	}
	if res.ResolvedIP != "" {
		line("Resolved IP", "%s", res.ResolvedIP)
	}
	line("DNS", "%.1f ms", res.Phases.DNSMS)
	line("Connect", "%.1f ms", res.Phases.ConnectMS)
	line("TLS", "%.1f ms", res.Phases.TLSMS)
	line("TTFB", "%.1f ms", res.Phases.TTFBMS)
	line("Transfer", "%.1f ms", res.Phases.TransferMS)
	line("Total", "%.1f ms", res.LatencyMS)
	if res.CertExpiry != nil {
		days := int(math.Floor(res.CertExpiry.Sub(now).Hours() / 24))
		date := res.CertExpiry.UTC().Format("2006-01-02")
		if days >= 0 {
			line("Certificate", "expires %s (%d days left)", date, days)
		} else {
			line("Certificate", "expired %s (%d days ago)", date, -days)
		}
	}
	return tw.Flush()
}
