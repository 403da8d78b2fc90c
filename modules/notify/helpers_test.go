package notify_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/notify"
)

// evilName is a monitor name that would format, link, ping or run script
// wherever it is not escaped.
const evilName = "<script>alert(1)</script> & @everyone *bold*"

// telegramToken is a syntactically valid bot token.
const telegramToken = "123456789:AAH-abcdefghijklmnopqrstuvwxyz01234"

var started = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// NewEvent returns a realistic event of type typ about incident 42 of
// monitor 7; a test event carries no incident.
func NewEvent(typ string) notify.Event {
	e := notify.Event{
		Type:       typ,
		Key:        "event-99-channel-3",
		OccurredAt: started.Add(10 * time.Minute),
		Incident: notify.Incident{
			ID: 42, Kind: "down", Status: "open", StartedAt: started,
			Cause:   notify.Cause{ErrorClass: "http_status", Message: "unexpected status 503", StatusCode: 503},
			Regions: []string{"eu-west", "us-east"},
		},
		Monitor: notify.Monitor{ID: 7, Name: "API", URL: "https://api.example.com/health", Target: "https://api.example.com/health"},
		Link:    "https://status.example.com/incidents/42",
	}
	switch typ {
	case notify.EventAcknowledged:
		at := started.Add(5 * time.Minute)
		e.Incident.Status, e.Incident.AcknowledgedAt, e.Actor = "acknowledged", &at, "alice"
		e.Comment = "looking into it"
	case notify.EventResolved:
		at := started.Add(10 * time.Minute)
		e.Incident.Status, e.Incident.ResolvedAt = "resolved", &at
	case notify.EventTest:
		e.Incident = notify.Incident{}
		e.Link = ""
	}
	return e
}

// NewEvilEvent is an opened event whose user-controlled text is hostile.
func NewEvilEvent() notify.Event {
	e := NewEvent(notify.EventOpened)
	e.Monitor.Name = evilName
	e.Incident.Cause.Message = evilName
	return e
}

// allEventTypes lists every event type.
var allEventTypes = []string{notify.EventOpened, notify.EventAcknowledged, notify.EventResolved, notify.EventReminder, notify.EventTest}

// request is what a receiver saw.
type request struct {
	Method   string
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte
}

// receiver is an httptest server that records requests and answers with
// a fixed status and body.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	requests []request
}

// NewReceiver starts a receiver answering status and body (and the given
// headers) to every request.
func NewReceiver(t testing.TB, status int, body string, header ...string) *receiver {
	t.Helper()
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("receiver: read body: %v", err)
		}
		rc.mu.Lock()
		rc.requests = append(rc.requests, request{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), b})
		rc.mu.Unlock()
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(rc.Close)
	return rc
}

// Requests returns the requests received so far.
func (rc *receiver) Requests() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.requests...)
}

// MustOne returns the only request received, failing otherwise.
func (rc *receiver) MustOne(t testing.TB) request {
	t.Helper()
	reqs := rc.Requests()
	if len(reqs) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(reqs))
	}
	return reqs[0]
}

// NewTransport is the transport of tests that talk to 127.0.0.1.
func NewTransport() notify.Transport {
	return notify.NewTransport(true, 5*time.Second)
}

// MustParse parses a channel config, failing the test on error.
func MustParse(t testing.TB, typ string, config any) notify.Channel {
	t.Helper()
	raw, err := json.Marshal(config)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := notify.Parse(typ, raw)
	if err != nil {
		t.Fatalf("Parse(%s, %s): %v", typ, raw, err)
	}
	return ch
}

// MustSend sends e and fails the test on error.
func MustSend(t testing.TB, ch notify.Channel, e notify.Event) {
	t.Helper()
	if err := ch.Send(t.Context(), NewTransport(), e); err != nil {
		t.Fatalf("Send(%s): %v", e.Type, err)
	}
}

// MustJSON decodes a request body into a generic value.
func MustJSON(t testing.TB, body []byte) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, body)
	}
	return v
}

// strs returns every string value anywhere in v (decoded JSON).
func strs(v any) []string {
	var out []string
	switch v := v.(type) {
	case string:
		out = append(out, v)
	case []any:
		for _, x := range v {
			out = append(out, strs(x)...)
		}
	case map[string]any:
		for _, x := range v {
			out = append(out, strs(x)...)
		}
	}
	return out
}

// anyContains reports whether any of ss contains sub.
func anyContains(ss []string, sub string) bool {
	for _, s := range ss {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// path walks decoded JSON by object keys and array indexes.
func path(v any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

// wantFieldError checks that err is a validation error naming field.
func wantFieldError(t testing.TB, err error, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want a validation error on %s", field)
	}
	e := apperr.As(err)
	if e == nil || e.Kind != apperr.Invalid {
		t.Fatalf("got %v (kind %s), want a validation error", err, apperr.KindOf(err))
	}
	if _, ok := e.Fields[field]; !ok {
		t.Fatalf("error names %v, want %s", e.Fields, field)
	}
}
