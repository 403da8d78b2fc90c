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

// TestHTTPCertificateExpiryThresholds: an https monitor is degraded or
// down by its certificate's days left, as a tls monitor would be, so one
// monitor alerts on both the service and its certificate.
func TestHTTPCertificateExpiryThresholds(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(srv.Close)
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	expiry := srv.Certificate().NotAfter
	day := 24 * time.Hour
	for _, tt := range []struct {
		name              string
		left              time.Duration
		degraded, down    int
		want              probe.Status
		wantClass         probe.ErrorClass
		wantError, detail string
	}{
		{name: "more days left than the degraded threshold", left: 14 * day, degraded: 14, want: probe.StatusUp, detail: "14 days left"},
		{name: "a second under the degraded threshold", left: 14*day - time.Second, degraded: 14, want: probe.StatusDegraded,
			wantClass: probe.ClassCertExpiry, wantError: "certificate expires in 13 days"},
		{name: "under the down threshold", left: 2 * day, degraded: 14, down: 3, want: probe.StatusDown,
			wantClass: probe.ClassCertExpiry, wantError: "down under 3 days"},
		{name: "thresholds off", left: time.Hour, want: probe.StatusUp, detail: "0 days left"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := probe.New(probe.Config{RootCAs: roots})
			p.Now = func() time.Time { return expiry.Add(-tt.left) }
			got := MustCheck(t, p, probe.HTTPRequest(probe.HTTP{URL: srv.URL, CertDegradedDays: tt.degraded, CertDownDays: tt.down}, 5000, 0))
			if got.Status != tt.want || got.ErrorClass != tt.wantClass || !strings.Contains(got.Error, tt.wantError) {
				t.Fatalf("got %q %q %q, want %q %q containing %q", got.Status, got.ErrorClass, got.Error, tt.want, tt.wantClass, tt.wantError)
			}
			if tt.detail != "" && (len(got.Details) == 0 || !strings.Contains(got.Details[0].Value, tt.detail)) {
				t.Errorf("details %v, want the expiry with %q", got.Details, tt.detail)
			}
		})
	}
}

// TestHTTPValidateCertThresholds pins the thresholds' bounds.
func TestHTTPValidateCertThresholds(t *testing.T) {
	for _, tt := range []struct {
		name           string
		degraded, down int
		wantField      string
	}{
		{name: "defaults", degraded: 14},
		{name: "down equal to degraded", degraded: 7, down: 7},
		{name: "down above degraded", degraded: 7, down: 8, wantField: "check.cert_down_days"},
		{name: "down without degraded", down: 5},
		{name: "negative degraded", degraded: -1, wantField: "check.cert_degraded_days"},
		{name: "ten years", degraded: 3650},
		{name: "over ten years", degraded: 3651, wantField: "check.cert_degraded_days"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := probe.HTTP{URL: "https://example.org", CertDegradedDays: tt.degraded, CertDownDays: tt.down}
			err := h.Validate()
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantField) {
				t.Fatalf("Validate() = %v, want an error naming %s", err, tt.wantField)
			}
		})
	}
}

// TestHTTPTargetHidesSecrets: what lists, pages and notifications show of
// an HTTP monitor carries no password and no secret query value.
func TestHTTPTargetHidesSecrets(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:hunter2@example.org/x":               "https://user:redacted@example.org/x",
		"https://user@example.org/x":                       "https://user@example.org/x",
		"https://example.org/h?api_key=abc&page=2":         "https://example.org/h?api_key=redacted&page=2",
		"https://example.org/h?Token=abc":                  "https://example.org/h?Token=redacted",
		"https://example.org/h?X-Amz-Signature=abc&v=1":    "https://example.org/h?X-Amz-Signature=redacted&v=1",
		"https://example.org/health?verbose=1":             "https://example.org/health?verbose=1",
		"http://example.org:8080/a/b":                      "http://example.org:8080/a/b",
		"https://u:p@example.org/?password=x&session_id=y": "https://u:redacted@example.org/?password=redacted&session_id=redacted",
	} {
		h := probe.HTTP{URL: in}
		if got := h.Target(); got != want {
			t.Errorf("Target(%q) = %q, want %q", in, got, want)
		}
		if strings.Contains(h.Target(), "hunter2") || strings.Contains(h.Target(), "abc") {
			t.Errorf("Target(%q) = %q still shows a secret", in, h.Target())
		}
	}
}

// TestHTTPRedirectToAnotherHostDropsHeaders: a monitor's headers (an API
// key, say) go to its own host only, unless it says otherwise; a redirect
// on the same host keeps them.
func TestHTTPRedirectToAnotherHostDropsHeaders(t *testing.T) {
	seen := make(chan string, 4)
	other := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		seen <- r.Header.Get("X-Api-Key") + "|" + r.Header.Get("User-Agent")
	}))
	t.Cleanup(other.Close)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			// Another host: "localhost" is not "127.0.0.1" to the client.
			http.Redirect(w, r, strings.Replace(other.URL, "127.0.0.1", "localhost", 1)+"/landing", http.StatusFound)
		case "/here":
			http.Redirect(w, r, "/landing", http.StatusFound)
		default:
			seen <- r.Header.Get("X-Api-Key") + "|" + r.Header.Get("User-Agent")
		}
	}))
	t.Cleanup(origin.Close)
	p := probe.New(probe.Config{})
	for _, tt := range []struct {
		name string
		path string
		keep bool
		want string
	}{
		{name: "other host gets no headers", path: "/away", want: "|" + probe.DefaultUserAgent},
		{name: "other host gets them when asked", path: "/away", keep: true, want: "k-123|" + probe.DefaultUserAgent},
		{name: "same host keeps them", path: "/here", want: "k-123|" + probe.DefaultUserAgent},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := MustCheck(t, p, probe.HTTPRequest(probe.HTTP{URL: origin.URL + tt.path, FollowRedirects: true,
				Headers: map[string]string{"X-Api-Key": "k-123"}, KeepHeadersOnRedirect: tt.keep}, 5000, 0))
			if got.Status != probe.StatusUp {
				t.Fatalf("got %q %q", got.Status, got.Error)
			}
			if h := <-seen; h != tt.want {
				t.Errorf("the landing host saw %q, want %q", h, tt.want)
			}
		})
	}
}

// TestHostsRefuseInvisibleCharacters: a host with a bidirectional override
// or a zero-width character reads as another name; it is refused.
func TestHostsRefuseInvisibleCharacters(t *testing.T) {
	for _, host := range []string{"exa\u202Eelpmam.com", "exam\u200Bple.com", "\uFEFFexample.com", "ex\u2066ample.com"} {
		h := probe.HTTP{URL: "https://" + host + "/"}
		if err := h.Validate(); err == nil || !strings.Contains(err.Error(), "check.url") || !strings.Contains(err.Error(), "invisible") {
			t.Errorf("http %q: Validate() = %v", host, err)
		}
		c := probe.TCP{Host: host, Port: 443}
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "check.host") {
			t.Errorf("tcp %q: Validate() = %v", host, err)
		}
		for _, kind := range []string{"icmp", "tls"} {
			_, err := probe.Parse(probe.Spec{Kind: kind, Config: []byte(fmt.Sprintf(`{"host":%q}`, host))})
			if err == nil || !strings.Contains(err.Error(), "check.host") {
				t.Errorf("%s %q: Parse() = %v", kind, host, err)
			}
		}
	}
	ok := probe.HTTP{URL: "https://bücher.example/"} // letters of any script are fine
	if err := ok.Validate(); err != nil {
		t.Errorf("an IDN host is refused: %v", err)
	}
}
