package probe_test

import (
	"crypto/x509"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/probe"
)

// TestHTTPConditions runs Gatus users' conditions, as written in their
// configurations, against a real server: each response that passes the
// status check is judged by every condition, and the first that fails is
// the check's error with the value it saw.
func TestHTTPConditions(t *testing.T) {
	srv, _ := NewTarget(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Version", "2.4.1")
		switch r.URL.Path {
		case "/health":
			fmt.Fprint(w, `{"status":"UP","checks":[{"name":"db","status":"UP"}],"data":[1,2,3]}`)
		case "/degraded":
			fmt.Fprint(w, `{"status":"DOWN","checks":[{"name":"db","status":"DOWN"}],"data":[]}`)
		case "/text":
			fmt.Fprint(w, "pong")
		}
	}))
	for _, tt := range []struct {
		name       string
		path       string
		conditions []string
		wantUp     bool
		wantError  string
	}{
		{name: "gatus README example holds", path: "/health", wantUp: true,
			conditions: []string{"[STATUS] == 200", "[BODY].status == UP", "[RESPONSE_TIME] < 300"}},
		{name: "nested path and array index", path: "/health", wantUp: true,
			conditions: []string{"[BODY].checks[0].status == UP", "len([BODY].data) == 3", "has([BODY].errors) == false"}},
		{name: "status any and pattern", path: "/health", wantUp: true,
			conditions: []string{"[STATUS] == any(200, 201)", "[BODY].status == pat(U*)", "[IP] == 127.0.0.1", "[CONNECTED] == true"}},
		{name: "response header", path: "/health", wantUp: true,
			conditions: []string{"[HEADER].Content-Type == pat(*json*)", "[HEADER].x-version == 2.4.1"}},
		{name: "plain body", path: "/text", wantUp: true, conditions: []string{"[BODY] == pong"}},
		{name: "first failing condition is reported with the value seen", path: "/degraded",
			conditions: []string{"[STATUS] == 200", "[BODY].status == UP", "len([BODY].data) > 0"},
			wantError:  `condition [BODY].status == UP failed: [BODY].status = "DOWN"`},
		{name: "array length at its boundary", path: "/health", conditions: []string{"len([BODY].data) > 3"},
			wantError: "condition len([BODY].data) > 3 failed"},
		{name: "missing key", path: "/health", conditions: []string{"[BODY].nope == 1"}, wantError: "[BODY].nope"},
		{name: "json path into a text body", path: "/text", conditions: []string{"[BODY].status == UP"}, wantError: "failed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := MustCheck(t, probe.New(probe.Config{}), probe.HTTPRequest(probe.HTTP{URL: srv.URL + tt.path, Conditions: tt.conditions}, 5000, 0))
			if tt.wantUp {
				if got.Status != probe.StatusUp {
					t.Fatalf("got %q %q %q, want up", got.Status, got.ErrorClass, got.Error)
				}
				return
			}
			if got.Status != probe.StatusDown || got.ErrorClass != probe.ClassCondition || !strings.Contains(got.Error, tt.wantError) {
				t.Fatalf("got %q %q %q, want down %q containing %q", got.Status, got.ErrorClass, got.Error, probe.ClassCondition, tt.wantError)
			}
			if len(got.Details) < 2 || got.Details[len(got.Details)-2].Name != "failed condition" {
				t.Errorf("details %v lack the failed condition", got.Details)
			}
		})
	}
}

// TestHTTPConditionsValidated: conditions are parsed when the monitor is
// saved; a bad one is named by its index with the position at fault.
func TestHTTPConditionsValidated(t *testing.T) {
	h := probe.HTTP{URL: "https://example.org", Conditions: []string{"[STATUS] == 200", "[BODY].status === UP"}}
	err := h.Validate()
	if err == nil || !strings.Contains(err.Error(), "check.conditions[1]") || !strings.Contains(err.Error(), "position") {
		t.Fatalf("Validate() = %v, want check.conditions[1] with a position", err)
	}
	many := make([]string, probe.MaxConditions+1)
	for i := range many {
		many[i] = "[STATUS] == 200"
	}
	h = probe.HTTP{URL: "https://example.org", Conditions: many}
	if err := h.Validate(); err == nil || !strings.Contains(err.Error(), "check.conditions") {
		t.Fatalf("Validate() with %d conditions = %v", len(many), err)
	}
	h.Conditions = many[:probe.MaxConditions]
	if err := h.Validate(); err != nil {
		t.Fatalf("Validate() with %d conditions = %v", probe.MaxConditions, err)
	}
}

// TestHTTPConditionCertificateExpiration: [CERTIFICATE_EXPIRATION] reads
// the certificate's time left, in Go durations as Gatus users write it.
func TestHTTPConditionCertificateExpiration(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(srv.Close)
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	p := probe.New(probe.Config{RootCAs: roots})
	expiry := srv.Certificate().NotAfter
	p.Now = func() time.Time { return expiry.Add(-72 * time.Hour) }
	for cond, up := range map[string]bool{"[CERTIFICATE_EXPIRATION] > 48h": true, "[CERTIFICATE_EXPIRATION] > 96h": false} {
		got := MustCheck(t, p, probe.HTTPRequest(probe.HTTP{URL: srv.URL, Conditions: []string{cond}}, 5000, 0))
		if (got.Status == probe.StatusUp) != up {
			t.Errorf("%s: got %q %q, want up=%v", cond, got.Status, got.Error, up)
		}
	}
}
