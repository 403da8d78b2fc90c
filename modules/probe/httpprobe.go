package probe

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"sort"
	"strings"
	"time"

	"github.com/betterstack/betterstack/modules/probe/condition"
)

// Evidence limits for Result.ResponseHeaders.
const (
	maxEvidenceHeaders     = 50
	maxEvidenceHeaderBytes = 512
)

// Run checks an http or https URL. It makes one request on a fresh
// connection, follows redirects if asked, reads the body up to
// MaxBodyBytes and judges status code and keyword.
func (req *HTTP) Run(ctx context.Context, env *Env) Result {
	var res Result
	// Validate first: net/http would reject a bad method or header only
	// when sending, and that error would read as a connection failure.
	if err := req.validateRequest(); err != nil {
		return internalError(err)
	}
	expected, err := parseExpected(req.ExpectedStatus)
	if err != nil {
		return internalError(err)
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if req.Body != "" {
		body = strings.NewReader(req.Body)
	}

	t := &tracer{stage: stageConnecting}
	if req.KeepHeadersOnRedirect {
		ctx = context.WithValue(ctx, keepHeadersKey{}, true)
	}
	hreq, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, t.clientTrace()), method, req.URL, body)
	if err != nil {
		return internalError(err)
	}
	for k, v := range req.Headers {
		if strings.EqualFold(k, "Host") {
			hreq.Host = v
			continue
		}
		hreq.Header.Set(k, v)
	}
	if hreq.Header.Get("User-Agent") == "" {
		hreq.Header.Set("User-Agent", env.Config.UserAgent)
	}

	client := env.HTTPNoFollow
	if req.FollowRedirects {
		client = env.HTTPFollow
	}
	start := time.Now()
	resp, err := client.Do(hreq)
	if err != nil {
		if resp != nil { // a redirect policy error comes with the last response, body closed
			res.StatusCode = resp.StatusCode
			res.ResponseHeaders = evidenceHeaders(resp.Header)
		}
		elapsed := time.Since(start)
		res.LatencyMS = ms(elapsed)
		t.finish(&res, time.Time{})
		res.Status = StatusDown
		res.ErrorClass, res.Error = classify(ctx, err, t, elapsed)
		return res
	}
	defer resp.Body.Close()

	res.StatusCode = resp.StatusCode
	res.ResponseHeaders = evidenceHeaders(resp.Header)
	t.setStage(stageReading)
	scan := bodyScan{keyword: []byte(req.Keyword), keepAll: req.readsBody()}
	readErr := scan.scan(resp.Body, env.Config.MaxBodyBytes)
	bodyDone := time.Now()
	res.LatencyMS = ms(bodyDone.Sub(start))
	res.BodyExcerpt = sanitizeExcerpt(scan.excerpt)
	t.finish(&res, bodyDone)

	res.Status = StatusDown
	switch {
	case readErr != nil:
		res.ErrorClass, res.Error = classify(ctx, readErr, t, bodyDone.Sub(start))
	case !statusExpected(resp.StatusCode, expected):
		res.ErrorClass = ClassHTTPStatus
		res.Error = oneLine(fmt.Sprintf("status %d, expected %s", resp.StatusCode, describeExpected(req.ExpectedStatus)))
	case req.Keyword != "" && scan.found == req.KeywordAbsent:
		res.ErrorClass = ClassKeyword
		res.Error = oneLine(keywordMessage(req, scan))
	default:
		res.Status = StatusUp
		req.judgeCertificate(&res, env.Now())
		req.judgeConditions(&res, resp, scan.all, env.Now())
	}
	return res
}

// readsBody reports whether a condition reads the body, which is then kept
// whole (up to MaxBodyBytes) instead of streamed past.
func (req *HTTP) readsBody() bool {
	for _, c := range req.parsed {
		for _, ph := range c.Placeholders() {
			if ph == condition.Body {
				return true
			}
		}
	}
	return false
}

// judgeConditions fails a response that passed the other checks but not
// one of the conditions, naming the condition and the value it saw.
func (req *HTTP) judgeConditions(res *Result, resp *http.Response, body []byte, now time.Time) {
	if len(req.parsed) == 0 || res.Status == StatusDown {
		return
	}
	v := condition.Values{Status: resp.StatusCode, Body: body, ResponseTimeMS: res.LatencyMS, IP: res.ResolvedIP,
		Connected: true, Header: resp.Header}
	if res.CertExpiry != nil {
		left := res.CertExpiry.Sub(now)
		v.CertExpiration = &left
	}
	failed, seen := condition.EvalAll(req.parsed, v)
	if failed == nil {
		return
	}
	res.Status, res.ErrorClass = StatusDown, ClassCondition
	res.Error = oneLine(fmt.Sprintf("condition %s failed: %s", failed, seen))
	res.Details = append(res.Details, Detail{Name: "failed condition", Value: oneLineN(failed.String(), 300)},
		Detail{Name: "value seen", Value: oneLineN(seen, 300)})
}

// judgeCertificate applies the certificate expiry thresholds to an https
// check that passed, and shows the expiry among the details.
func (req *HTTP) judgeCertificate(res *Result, now time.Time) {
	if res.CertExpiry == nil {
		return
	}
	res.Details = append(res.Details, Detail{Name: "certificate expires",
		Value: res.CertExpiry.UTC().Format("2006-01-02") + " (" + expiryCount(expiryDaysLeft(*res.CertExpiry, now), "day") + " left)"})
	if req.CertDegradedDays == 0 && req.CertDownDays == 0 {
		return
	}
	status, class, msg := CertExpiryVerdict(*res.CertExpiry, now, req.CertDegradedDays, req.CertDownDays)
	if status != StatusUp {
		res.Status, res.ErrorClass, res.Error = status, class, msg
	}
}

func keywordMessage(req *HTTP, scan bodyScan) string {
	var msg string
	if req.KeywordAbsent {
		msg = fmt.Sprintf("keyword %q found but must be absent", req.Keyword)
	} else {
		msg = fmt.Sprintf("keyword %q not found", req.Keyword)
	}
	if scan.capped {
		msg += fmt.Sprintf(" in the first %d bytes of the body", scan.read)
	}
	return msg
}

func internalError(err error) Result {
	return Result{Status: StatusDown, ErrorClass: ClassInternal, Error: oneLine(err.Error())}
}

// evidenceHeaders keeps the first value of each response header, at most
// maxEvidenceHeaders of them (alphabetically first when there are more),
// each value cut to maxEvidenceHeaderBytes. Set-Cookie is redacted: the
// evidence is stored and shown, session tokens must not be.
func evidenceHeaders(h http.Header) map[string]string {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string]string, min(len(h), maxEvidenceHeaders))
	add := func(k string) {
		v := ""
		if vs := h[k]; len(vs) > 0 {
			v = vs[0]
		}
		if k == "Set-Cookie" {
			v = "[redacted]"
		}
		out[k] = oneLineN(v, maxEvidenceHeaderBytes)
	}
	if len(h) <= maxEvidenceHeaders {
		for k := range h {
			add(k)
		}
		return out
	}
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys[:maxEvidenceHeaders] {
		add(k)
	}
	return out
}
