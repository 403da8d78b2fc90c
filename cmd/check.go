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
	conditions    []string
	json          bool
}

func newCheckCmd() *cobra.Command {
	f := &checkFlags{}
	cmd := &cobra.Command{
		Use:   "check URL",
		Short: "Check a target once, as a worker would, and print what the probe saw",
		Long: `Check a target once with the same probe the workers run and print the status,
error class, resolved IP, timing phases, certificate expiry and the kind's own
evidence. The URL's scheme names the kind: http:// and https:// (the HTTP flags
apply), tcp://host:port, dns://name?type=MX, icmp://host, tls://host:443,
domain://example.org (each kind's settings as query parameters).

Private addresses are allowed: this runs on the operator's own machine.
Exits non-zero when the check is down (up and degraded count as success).`,
		Example: `  betterstack check https://example.com
  betterstack check https://example.com/health --expect 200 --keyword '"ok"' --timeout 5s
  betterstack check https://example.com/health --condition '[BODY].status == UP' --condition '[RESPONSE_TIME] < 500'
  betterstack check tcp://db.internal:5432
  betterstack check 'dns://example.org?type=MX&expect=10%20mail.example.org'
  betterstack check icmp://192.0.2.1
  betterstack check tls://example.org:443
  betterstack check domain://example.org
  betterstack check http://10.0.0.5:8080 --method POST --header "Content-Type: application/json" --body '{}' --json`,
		Args:         cobra.ExactArgs(1),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			req, target, err := f.request(cmd, args[0])
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
				err = writeCheckResult(out, req.Check.Kind, target, res, time.Now())
			}
			if err != nil {
				return err
			}
			if res.Status == probe.StatusDown {
				// Go's TLS errors begin "tls: ": do not say the class twice.
				return fmt.Errorf("check failed: %s: %s", res.ErrorClass, strings.TrimPrefix(res.Error, string(res.ErrorClass)+": "))
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
	fl.StringArrayVar(&f.conditions, "condition", nil, `condition on the response in Gatus's language, e.g. '[BODY].status == UP' (repeatable)`)
	fl.BoolVar(&f.json, "json", false, "print the result as JSON")
	return cmd
}

// request builds the probe request for target, a URL whose scheme names the
// kind (http, https, tcp, dns, ...), naming the flag or setting at fault.
// The HTTP flags apply to http and https URLs only.
func (f *checkFlags) request(cmd *cobra.Command, target string) (probe.Request, string, error) {
	u, err := url.Parse(target)
	if err != nil {
		return probe.Request{}, "", fmt.Errorf("URL %q: %w", target, err)
	}
	kind, ok := probe.KindForScheme(u.Scheme)
	switch {
	case !ok || kind.FromURL == nil:
		return probe.Request{}, "", fmt.Errorf("URL %q: the scheme must name a check kind: %s", target, strings.Join(checkSchemes(), ", "))
	case f.timeout < time.Millisecond:
		return probe.Request{}, "", fmt.Errorf("--timeout %s: must be at least 1ms", f.timeout)
	case f.degradedAfter < 0:
		return probe.Request{}, "", fmt.Errorf("--degraded-after %s: must not be negative", f.degradedAfter)
	}
	var c probe.Check
	if kind.Name == "http" {
		c, err = f.httpCheck(target)
	} else {
		for _, name := range httpFlags {
			if cmd.Flags().Changed(name) {
				return probe.Request{}, "", fmt.Errorf("--%s: applies to http and https URLs only, not %s", name, u.Scheme)
			}
		}
		c, err = kind.FromURL(u)
	}
	if err != nil {
		return probe.Request{}, "", fmt.Errorf("URL %q: %w", target, err)
	}
	if err := c.Validate(); err != nil {
		return probe.Request{}, "", fmt.Errorf("invalid check: %w", err)
	}
	spec, err := probe.SpecOf(kind.Name, c)
	if err != nil {
		return probe.Request{}, "", err
	}
	return probe.Request{Check: spec, TimeoutMS: int(f.timeout.Milliseconds()),
		DegradedAfterMS: int(f.degradedAfter.Milliseconds())}, c.Target(), nil
}

// httpFlags are the flags only an HTTP check reads.
var httpFlags = []string{"method", "header", "body", "expect", "keyword", "keyword-absent", "no-follow", "condition"}

// checkSchemes lists the URL schemes `check` understands.
func checkSchemes() []string {
	var out []string
	for _, k := range probe.Kinds() {
		if k.FromURL != nil {
			for _, s := range k.Schemes {
				out = append(out, s+"://")
			}
		}
	}
	return out
}

// httpCheck builds HTTP settings from the flags.
func (f *checkFlags) httpCheck(rawURL string) (*probe.HTTP, error) {
	if f.keywordAbsent && f.keyword == "" {
		return nil, errors.New("--keyword-absent needs --keyword")
	}
	if err := probe.ValidateExpectedStatus(f.expect); err != nil {
		return nil, fmt.Errorf("--expect: %w", err)
	}
	headers := map[string]string{}
	for _, h := range f.headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("--header %q: want \"Name: value\"", h)
		}
		headers[strings.TrimSpace(name)] = strings.TrimSpace(value)
	}
	// The kind's defaults first, as a monitor's: a certificate 9 days from
	// expiry is degraded here exactly when it is on a monitor's page.
	k, err := probe.LookupKind("http")
	if err != nil {
		return nil, err
	}
	h, ok := k.New().(*probe.HTTP)
	if !ok {
		return nil, errors.New("the http kind's settings are not probe.HTTP")
	}
	h.URL, h.Method, h.Headers, h.Body, h.ExpectedStatus = rawURL, f.method, headers, f.body, f.expect
	h.Keyword, h.KeywordAbsent, h.FollowRedirects, h.Conditions = f.keyword, f.keywordAbsent, !f.noFollow, f.conditions
	return h, nil
}

// writeCheckResult prints res as an aligned block; now dates the
// certificate's days left.
func writeCheckResult(w io.Writer, kind, target string, res probe.Result, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	line := func(label, format string, args ...any) {
		fmt.Fprintf(tw, "%s\t"+format+"\n", append([]any{label}, args...)...)
	}
	if kind == "http" {
		line("URL", "%s", target)
	} else {
		line("Check", "%s %s", kind, target)
	}
	line("Status", "%s", res.Status)
	if res.StatusCode != 0 {
		line("Status code", "%d", res.StatusCode)
	}
	if res.ErrorClass != probe.ClassNone {
		// Go's TLS errors begin "tls: ": do not say the class twice.
		line("Error", "%s: %s", res.ErrorClass, strings.TrimPrefix(res.Error, string(res.ErrorClass)+": "))
	}
	if res.ResolvedIP != "" {
		line("Resolved IP", "%s", res.ResolvedIP)
	}
	// An HTTP check has every phase; other kinds show the ones they have.
	for _, ph := range []struct {
		label string
		ms    float64
	}{{"DNS", res.Phases.DNSMS}, {"Connect", res.Phases.ConnectMS}, {"TLS", res.Phases.TLSMS},
		{"TTFB", res.Phases.TTFBMS}, {"Transfer", res.Phases.TransferMS}} {
		if kind == "http" || ph.ms > 0 {
			line(ph.label, "%.1f ms", ph.ms)
		}
	}
	line("Total", "%.1f ms", res.LatencyMS)
	saidExpiry := false // a kind that names the expiry among its details says it once
	for _, d := range res.Details {
		line(capitalize(d.Name), "%s", d.Value)
		saidExpiry = saidExpiry || strings.Contains(d.Name, "expires")
	}
	if res.CertExpiry != nil && !saidExpiry {
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

// capitalize upper-cases the first letter of a detail's name for a label.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
