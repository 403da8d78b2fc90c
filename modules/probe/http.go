package probe

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"

	"golang.org/x/net/http/httpguts"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/probe/condition"
)

// Limits of an HTTP check's settings.
const (
	MaxURLLen         = 2048
	MaxHeaders        = 50
	MaxHeaderBytes    = 8 << 10
	MaxRequestBody    = 64 << 10
	MaxKeywordLen     = 1024
	MaxExpectedStatus = 20
)

// HTTPMethods lists the methods an HTTP check may use.
var HTTPMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// HTTP is the settings of the http kind: one request to an http or https
// URL, judged by status code and keyword.
type HTTP struct {
	URL             string            `json:"url"`
	Method          string            `json:"method"`
	Headers         map[string]string `json:"headers"`
	Body            string            `json:"body"`
	ExpectedStatus  []string          `json:"expected_status"` // codes ("200") or classes ("2xx"); empty = 2xx and 3xx
	Keyword         string            `json:"keyword"`
	KeywordAbsent   bool              `json:"keyword_absent"`
	FollowRedirects bool              `json:"follow_redirects"`
	// KeepHeadersOnRedirect sends the headers to the host a redirect
	// names too; by default they go only to the URL's own host.
	KeepHeadersOnRedirect bool `json:"keep_headers_on_redirect,omitempty"`
	// Certificate expiry of an https target, as the tls kind judges it:
	// degraded when fewer than CertDegradedDays days are left (0: off),
	// down when fewer than CertDownDays (0: only once expired, which
	// certificate verification already fails).
	CertDegradedDays int `json:"cert_degraded_days"`
	CertDownDays     int `json:"cert_down_days"`
	// Conditions are checked on every response that passed the status
	// and keyword checks, in Gatus's condition language (package
	// condition): "[BODY].status == UP", "[RESPONSE_TIME] < 500".
	Conditions []string `json:"conditions,omitempty"`

	parsed []*condition.Condition // Conditions, parsed by Validate
}

// MaxConditions is how many conditions an HTTP check may have.
const MaxConditions = 20

// ClassCondition is the class of a check whose response failed one of its
// conditions; the error names the condition and the value seen.
const ClassCondition ErrorClass = "condition"

var _ Check = (*HTTP)(nil)

// NewHTTP returns HTTP settings with their defaults: GET, 2xx or 3xx
// expected, redirects followed.
func NewHTTP() *HTTP {
	return &HTTP{Method: "GET", Headers: map[string]string{}, ExpectedStatus: []string{"2xx", "3xx"}, FollowRedirects: true,
		CertDegradedDays: 14}
}

var httpKind = Kind{
	Name: "http", Title: "HTTP(S)", Scheduled: true,
	New: func() Check { return NewHTTP() },
	Fields: []Field{
		{Name: "url", Label: "URL", Type: FieldText, Required: true, Placeholder: "https://example.org/health"},
		{Name: "method", Label: "Method", Type: FieldSelect, Options: HTTPMethods},
		{Name: "headers", Label: "Headers", Type: FieldMap, Secret: true, Help: "One per line, as Name: value."},
		{Name: "body", Label: "Request body", Type: FieldTextarea},
		{Name: "expected_status", Label: "Expected status", Type: FieldList, Help: "Codes or classes, one per line: 200, 2xx."},
		{Name: "keyword", Label: "Keyword", Type: FieldText, Help: "Text that must appear in the body."},
		{Name: "keyword_absent", Label: "Keyword must be absent", Type: FieldBool},
		{Name: "follow_redirects", Label: "Follow redirects", Type: FieldBool},
		{Name: "keep_headers_on_redirect", Label: "Send the headers to other hosts on redirects", Type: FieldBool,
			Help: "Off: a redirect to another host gets none of the headers above (they may carry credentials)."},
		{Name: "cert_degraded_days", Label: "Certificate: degraded under (days)", Type: FieldNumber,
			Help: "For https: degraded when the certificate expires within this many days; 0 turns it off."},
		{Name: "cert_down_days", Label: "Certificate: down under (days)", Type: FieldNumber,
			Help: "For https: down when the certificate expires within this many days; 0 means only once expired."},
		{Name: "conditions", Label: "Conditions", Type: FieldList, Placeholder: "[BODY].status == UP",
			Help: "One per line, in Gatus's language: [STATUS], [BODY].a.b[0], [RESPONSE_TIME], [CERTIFICATE_EXPIRATION], [IP], [HEADER].Name; == != < <= > >=; len(), has(), pat(), any()."},
	},
	Schemes: []string{"http", "https"},
	FromURL: func(u *url.URL) (Check, error) {
		h := NewHTTP()
		h.URL = u.String()
		return h, nil
	},
}

// HTTPRequest is the Request of an HTTP check with h's settings as given
// (no defaults applied), bounded by timeoutMS (0: DefaultTimeout) and
// degraded above degradedAfterMS (0: never).
func HTTPRequest(h HTTP, timeoutMS, degradedAfterMS int) Request {
	spec, err := SpecOf("http", &h)
	if err != nil { // an HTTP value always encodes
		panic(err)
	}
	return Request{Check: spec, TimeoutMS: timeoutMS, DegradedAfterMS: degradedAfterMS}
}

// Target is the URL with its secrets hidden (see RedactURL): it is what
// lists, pages, reports and notifications show.
func (h *HTTP) Target() string { return RedactURL(h.URL) }

// secretParam matches query parameter names that usually carry a secret.
var secretParam = regexp.MustCompile(`(?i)(token|key|secret|passw|pwd|auth|sig|session|credential)`)

// RedactURL hides what a URL carries as credentials: the password of
// user:password@ and the values of query parameters whose names say they
// hold a secret (token, api_key, signature, ...). Only the monitor's edit
// form and its owner's API read show the URL as written.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "redacted")
	}
	if u.RawQuery != "" {
		q := u.Query()
		changed := false
		for name := range q {
			if secretParam.MatchString(name) {
				q[name] = []string{"redacted"}
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
	}
	return u.String()
}

// Validate checks every setting and names each one that is wrong. An empty
// method means GET and an empty expected_status means 2xx or 3xx.
func (h *HTTP) Validate() error {
	h.Method = strings.ToUpper(strings.TrimSpace(h.Method))
	if h.Method == "" {
		h.Method = "GET"
	}
	if len(h.ExpectedStatus) == 0 {
		h.ExpectedStatus = []string{"2xx", "3xx"}
	}
	h.URL = strings.TrimSpace(h.URL)
	for i, s := range h.ExpectedStatus {
		h.ExpectedStatus[i] = strings.ToLower(strings.TrimSpace(s))
	}
	if h.Headers == nil {
		h.Headers = map[string]string{}
	}
	f := apperr.Fields{}
	if msg := validateURL(h.URL); msg != "" {
		f.Add("check.url", msg)
	}
	if !slices.Contains(HTTPMethods, h.Method) {
		f.Add("check.method", "must be one of "+strings.Join(HTTPMethods, ", "))
	}
	validateHeaders(h.Headers, f)
	if len(h.Body) > MaxRequestBody {
		f.Add("check.body", "must be at most 64 KiB")
	}
	if len(h.ExpectedStatus) > MaxExpectedStatus {
		f.Add("check.expected_status", `must list at most 20 codes or classes like "200" or "2xx"`)
	}
	for _, s := range h.ExpectedStatus {
		if _, ok := parseStatusEntry(s); !ok {
			f.Add("check.expected_status", fmt.Sprintf(`%q is not a status code (100-599) or class like "2xx"`, s))
		}
	}
	if len(h.Keyword) > MaxKeywordLen {
		f.Add("check.keyword", "must be at most 1024 characters")
	}
	if h.KeywordAbsent && h.Keyword == "" {
		f.Add("check.keyword_absent", "needs a keyword")
	}
	h.parsed = h.parsed[:0]
	if len(h.Conditions) > MaxConditions {
		f.Add("check.conditions", fmt.Sprintf("must list at most %d conditions", MaxConditions))
	}
	for i, text := range h.Conditions {
		c, err := condition.Parse(text)
		if err != nil {
			f.Add(fmt.Sprintf("check.conditions[%d]", i), fmt.Sprintf("%q: %v", text, err))
			continue
		}
		h.parsed = append(h.parsed, c)
	}
	if h.CertDegradedDays < 0 || h.CertDegradedDays > maxExpiryDays {
		f.Add("check.cert_degraded_days", fmt.Sprintf("must be between 0 and %d", maxExpiryDays))
	}
	switch {
	case h.CertDownDays < 0 || h.CertDownDays > maxExpiryDays:
		f.Add("check.cert_down_days", fmt.Sprintf("must be between 0 and %d", maxExpiryDays))
	case h.CertDegradedDays > 0 && h.CertDownDays > h.CertDegradedDays:
		f.Add("check.cert_down_days", "must not be more than cert_degraded_days")
	}
	return f.Err()
}

func validateURL(raw string) string {
	if raw == "" {
		return "is required"
	}
	if len(raw) > MaxURLLen {
		return "must be at most 2048 characters"
	}
	if strings.IndexFunc(raw, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return "must not contain spaces or control characters"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "is not a valid URL"
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "must start with http:// or https://"
	}
	if u.Hostname() == "" {
		return "must include a host"
	}
	if strings.ContainsFunc(u.Hostname(), invisible) {
		return "has a host that " + invisibleMessage
	}
	if p := u.Port(); p != "" {
		var n int
		if _, err := fmt.Sscanf(p, "%d", &n); err != nil || n < 1 || n > 65535 {
			return "has an invalid port"
		}
	}
	return ""
}

// invisible reports format characters: bidirectional overrides and
// isolates, zero-width spaces and joiners, the byte-order mark. In a host
// they make one name look like another ("exa\u202Eelpmam.com").
func invisible(r rune) bool { return unicode.Is(unicode.Cf, r) }

// invisibleMessage says why a host with such a character is refused.
const invisibleMessage = "must not contain invisible or direction-changing characters (such as U+202E or U+200B)"

func validateHeaders(h map[string]string, f apperr.Fields) {
	if len(h) > MaxHeaders {
		f.Add("check.headers", fmt.Sprintf("must have at most %d entries", MaxHeaders))
		return
	}
	size := 0
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := h[k]
		size += len(k) + len(v)
		if !httpguts.ValidHeaderFieldName(k) {
			f.Add("check.headers", fmt.Sprintf("%q is not a valid header name", k))
		}
		if !httpguts.ValidHeaderFieldValue(v) {
			f.Add("check.headers", fmt.Sprintf("the value of %q contains invalid characters", k))
		}
	}
	if size > MaxHeaderBytes {
		f.Add("check.headers", "must be at most 8 KiB in total")
	}
}

// validateRequest reports the first field that would make the request
// itself unsendable, named by its JSON key. Run checks it first: net/http
// would reject a bad method or header only when sending, and that error
// would read as a connection failure.
func (h *HTTP) validateRequest() error {
	u, err := url.Parse(h.URL)
	switch {
	case err != nil:
		return fmt.Errorf("url: %w", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("url: scheme must be http or https, got %q", u.Scheme)
	case u.Host == "":
		return fmt.Errorf("url: %q has no host", h.URL)
	case h.Method != "" && !isToken(h.Method):
		return fmt.Errorf("method: %q is not a valid HTTP method", h.Method)
	}
	for k, v := range h.Headers {
		if !isToken(k) || strings.ContainsAny(v, "\r\n\x00") {
			return fmt.Errorf("headers: invalid header %q", k)
		}
	}
	if err := ValidateExpectedStatus(h.ExpectedStatus); err != nil {
		return fmt.Errorf("expected_status: %w", err)
	}
	return nil
}
