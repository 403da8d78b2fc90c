package probe_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/probe"
)

// rdapReply is what the test RDAP server answers for one domain.
type rdapReply struct {
	status int // 0 means 200
	body   string
}

// NewRDAPServer serves RDAP domain lookups from replies on 127.0.0.1 and
// counts the lookups it answers. An unknown domain is a 404 with an RDAP
// error body; a request without the RDAP Accept header is a 406.
func NewRDAPServer(t testing.TB, replies map[string]rdapReply) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var lookups atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lookups.Add(1)
		if r.Header.Get("Accept") != "application/rdap+json" {
			w.WriteHeader(http.StatusNotAcceptable)
			return
		}
		name, ok := strings.CutPrefix(r.URL.Path, "/domain/")
		reply, known := replies[name]
		if !ok || !known {
			w.Header().Set("Content-Type", "application/rdap+json")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"errorCode":404,"title":"Not Found"}`)
			return
		}
		w.Header().Set("Content-Type", "application/rdap+json")
		if reply.status != 0 {
			w.WriteHeader(reply.status)
		}
		fmt.Fprint(w, reply.body)
	}))
	t.Cleanup(srv.Close)
	return srv, &lookups
}

// rdapDomainJSON is an RDAP domain object as registries send them, with
// an expiration event at expires and a registrar entity.
func rdapDomainJSON(name string, expires time.Time) string {
	return `{
  "objectClassName": "domain",
  "ldhName": "` + strings.ToUpper(name) + `",
  "status": ["client transfer prohibited"],
  "events": [
    {"eventAction": "registration", "eventDate": "2001-04-27T17:12:36Z"},
    {"eventAction": "expiration", "eventDate": "` + expires.UTC().Format(time.RFC3339) + `"},
    {"eventAction": "last update of RDAP database", "eventDate": "2026-11-24T10:00:00.123Z"}
  ],
  "entities": [
    {"objectClassName": "entity", "roles": ["registrant"],
     "vcardArray": ["vcard", [["version", {}, "text", "4.0"], ["fn", {}, "text", "Someone Else"]]]},
    {"objectClassName": "entity", "handle": "292", "roles": ["registrar"],
     "vcardArray": ["vcard", [["version", {}, "text", "4.0"], ["fn", {}, "text", "Example Registrar, Inc."]]]}
  ]
}`
}

// rdapClock is a movable clock for Env.Now.
type rdapClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *rdapClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *rdapClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestDomainKindRun(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	srv, _ := NewRDAPServer(t, map[string]rdapReply{
		"far.org":     {body: rdapDomainJSON("far.org", now.Add(200*day))},
		"soon.org":    {body: rdapDomainJSON("soon.org", now.Add(20*day+time.Hour))},
		"close.org":   {body: rdapDomainJSON("close.org", now.Add(3*day+time.Hour))},
		"gone.org":    {body: rdapDomainJSON("gone.org", now.Add(-2*day-time.Hour))},
		"plain.org":   {body: `{"events":[{"eventAction":"expiration","eventDate":"2027-03-01T00:00:00.5Z"}]}`},
		"broken.org":  {body: `{"events":[{"eventAction":"expiration",`},
		"html.org":    {body: `<html>rate limited</html>`},
		"noexp.org":   {body: `{"objectClassName":"domain","events":[{"eventAction":"registration","eventDate":"2001-04-27T17:12:36Z"}]}`},
		"baddate.org": {body: `{"events":[{"eventAction":"expiration","eventDate":"next year"}]}`},
		"busy.org":    {status: http.StatusServiceUnavailable, body: `{"errorCode":503}`},
	})
	rdap := srv.URL + "/"

	tests := []struct {
		name        string
		config      string
		want        probe.Status
		wantClass   probe.ErrorClass
		wantError   []string
		wantDetails map[string]string // exact values; "(none)" for absent
	}{
		{name: "expiry far away", config: `{"name":"far.org","rdap_server":"` + rdap + `"}`,
			want: probe.StatusUp, wantDetails: map[string]string{
				"expires":     "2027-06-12 12:00 UTC",
				"days left":   "200",
				"registrar":   "Example Registrar, Inc.",
				"rdap server": rdap,
				"cached":      "no",
			}},
		{name: "base URL without a slash", config: `{"name":"far.org","rdap_server":"` + srv.URL + `"}`,
			want: probe.StatusUp, wantDetails: map[string]string{"rdap server": rdap}},
		{name: "name in capitals", config: `{"name":"FAR.org","rdap_server":"` + rdap + `"}`, want: probe.StatusUp},
		{name: "within degraded_days", config: `{"name":"soon.org","rdap_server":"` + rdap + `"}`,
			want: probe.StatusDegraded, wantClass: probe.ClassDomainExpiry,
			wantError:   []string{"domain soon.org expires in 20 days (2026-12-14), degraded under 30 days"},
			wantDetails: map[string]string{"days left": "20"}},
		{name: "within down_days", config: `{"name":"close.org","rdap_server":"` + rdap + `"}`,
			want: probe.StatusDown, wantClass: probe.ClassDomainExpiry,
			wantError: []string{"domain close.org expires in 3 days (2026-11-27), down under 7 days"}},
		{name: "own thresholds", config: `{"name":"close.org","degraded_days":3,"down_days":1,"rdap_server":"` + rdap + `"}`,
			want: probe.StatusUp},
		{name: "expired", config: `{"name":"gone.org","rdap_server":"` + rdap + `"}`,
			want: probe.StatusDown, wantClass: probe.ClassDomainExpiry,
			wantError: []string{"domain gone.org expired 2 days ago (2026-11-22)"}, wantDetails: map[string]string{"days left": "-3"}},
		{name: "fractional seconds and no registrar", config: `{"name":"plain.org","rdap_server":"` + rdap + `"}`,
			want: probe.StatusUp, wantDetails: map[string]string{"expires": "2027-03-01 00:00 UTC", "registrar": "(none)"}},
		{name: "malformed JSON", config: `{"name":"broken.org","rdap_server":"` + rdap + `"}`,
			want: probe.StatusDown, wantClass: probe.ClassRDAP, wantError: []string{"malformed RDAP answer from 127.0.0.1"},
			wantDetails: map[string]string{"rdap server": rdap, "expires": "(none)"}},
		{name: "not JSON at all", config: `{"name":"html.org","rdap_server":"` + rdap + `"}`,
			want: probe.StatusDown, wantClass: probe.ClassRDAP, wantError: []string{"malformed RDAP answer"}},
		{name: "no expiration event", config: `{"name":"noexp.org","rdap_server":"` + rdap + `"}`,
			want: probe.StatusDown, wantClass: probe.ClassRDAP, wantError: []string{"for noexp.org has no expiration event"}},
		{name: "expiration date unreadable", config: `{"name":"baddate.org","rdap_server":"` + rdap + `"}`,
			want: probe.StatusDown, wantClass: probe.ClassRDAP, wantError: []string{`"next year" is not an RFC 3339 time`}},
		{name: "404", config: `{"name":"missing.org","rdap_server":"` + rdap + `"}`,
			want: probe.StatusDown, wantClass: probe.ClassRDAP, wantError: []string{"does not know missing.org (404 not found)"}},
		{name: "server error", config: `{"name":"busy.org","rdap_server":"` + rdap + `"}`,
			want: probe.StatusDown, wantClass: probe.ClassRDAP, wantError: []string{"answered 503 Service Unavailable"}},
		{name: "TLD without RDAP", config: `{"name":"example.zzzz"}`,
			want: probe.StatusDown, wantClass: probe.ClassNoRDAP, wantError: []string{"no known RDAP service for .zzzz", "rdap_server"},
			wantDetails: map[string]string{"rdap server": "(none)"}},
		{name: "RDAP server down", config: `{"name":"far.org","rdap_server":"http://` + MustClosedPort(t) + `/"}`,
			want: probe.StatusDown, wantClass: probe.ClassConnect, wantError: []string{"RDAP lookup at 127.0.0.1", "refused"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := probe.NewEnv(probe.Config{})
			env.Now = func() time.Time { return now }
			got := MustRunCheck(t, env, "domain", tt.config, 10*time.Second)
			if got.Status != tt.want || got.ErrorClass != tt.wantClass {
				t.Fatalf("got %q %q (%s), want %q %q", got.Status, got.ErrorClass, got.Error, tt.want, tt.wantClass)
			}
			for _, s := range tt.wantError {
				if !strings.Contains(got.Error, s) {
					t.Errorf("error %q does not contain %q", got.Error, s)
				}
			}
			if tt.want == probe.StatusUp && got.Error != "" {
				t.Errorf("error %q on an up check", got.Error)
			}
			for name, want := range tt.wantDetails {
				if v := detailNamed(got, name); v != want {
					t.Errorf("detail %q = %q, want %q", name, v, want)
				}
			}
		})
	}

	t.Run("private address blocked", func(t *testing.T) {
		env := probe.NewEnv(probe.Config{BlockPrivate: true})
		got := MustRunCheck(t, env, "domain", `{"name":"far.org","rdap_server":"`+rdap+`"}`, 10*time.Second)
		if got.Status != probe.StatusDown || got.ErrorClass != probe.ClassBlocked {
			t.Fatalf("got %q %q (%s), want down blocked", got.Status, got.ErrorClass, got.Error)
		}
	})
}

func TestDomainKindCache(t *testing.T) {
	start := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	srv, lookups := NewRDAPServer(t, map[string]rdapReply{
		"example.org": {body: rdapDomainJSON("example.org", start.Add(400*24*time.Hour))},
	})
	check := `{"name":"example.org","rdap_server":"` + srv.URL + `/"}`
	newEnv := func() (*probe.Env, *rdapClock) {
		clock := &rdapClock{now: start}
		env := probe.NewEnv(probe.Config{})
		env.Now = clock.Now
		return env, clock
	}
	run := func(t *testing.T, env *probe.Env, config string) probe.Result {
		t.Helper()
		got := MustRunCheck(t, env, "domain", config, 10*time.Second)
		if got.Status != probe.StatusUp && got.ErrorClass != probe.ClassRDAP {
			t.Fatalf("got %q %q (%s)", got.Status, got.ErrorClass, got.Error)
		}
		return got
	}
	wantLookups := func(t *testing.T, want int64) {
		t.Helper()
		if got := lookups.Load(); got != want {
			t.Fatalf("%d RDAP lookups, want %d", got, want)
		}
	}

	t.Run("one lookup per 6 hours", func(t *testing.T) {
		lookups.Store(0)
		env, clock := newEnv()
		if got := run(t, env, check); detailNamed(got, "cached") != "no" {
			t.Errorf("first check cached = %q, want no", detailNamed(got, "cached"))
		}
		// Another monitor of the same domain, with its own thresholds.
		if got := run(t, env, `{"name":"example.org","degraded_days":60,"down_days":0,"rdap_server":"`+srv.URL+`/"}`); detailNamed(got, "cached") != "looked up just now" {
			t.Errorf("second check cached = %q", detailNamed(got, "cached"))
		}
		wantLookups(t, 1)
		clock.Advance(2 * time.Hour)
		if got := run(t, env, check); detailNamed(got, "cached") != "looked up 2h ago" {
			t.Errorf("cached = %q, want looked up 2h ago", detailNamed(got, "cached"))
		}
		clock.Advance(4*time.Hour - time.Second)
		run(t, env, check)
		wantLookups(t, 1)
		clock.Advance(time.Second) // 6 hours since the lookup
		if got := run(t, env, check); detailNamed(got, "cached") != "no" {
			t.Errorf("cached = %q after 6h, want no", detailNamed(got, "cached"))
		}
		wantLookups(t, 2)
	})

	t.Run("errors are kept 15 minutes", func(t *testing.T) {
		lookups.Store(0)
		env, clock := newEnv()
		missing := `{"name":"missing.org","rdap_server":"` + srv.URL + `/"}`
		first := run(t, env, missing)
		clock.Advance(15*time.Minute - time.Second)
		second := run(t, env, missing)
		if second.ErrorClass != probe.ClassRDAP || second.Error != first.Error || detailNamed(second, "cached") != "looked up 14m ago" {
			t.Errorf("cached failure: %q %q cached %q, want the first failure again", second.ErrorClass, second.Error, detailNamed(second, "cached"))
		}
		wantLookups(t, 1)
		clock.Advance(time.Second)
		run(t, env, missing)
		wantLookups(t, 2)
	})

	t.Run("concurrent checks share one lookup", func(t *testing.T) {
		lookups.Store(0)
		env, _ := newEnv()
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() { run(t, env, check) })
		}
		wg.Wait()
		wantLookups(t, 1)
	})

	t.Run("each Env has its own cache", func(t *testing.T) {
		lookups.Store(0)
		a, _ := newEnv()
		b, _ := newEnv()
		run(t, a, check)
		run(t, b, check)
		wantLookups(t, 2)
	})
}

func TestDomainKindBootstrap(t *testing.T) {
	expires := time.Now().Add(365 * 24 * time.Hour)
	srv, lookups := NewRDAPServer(t, map[string]rdapReply{
		"example.zzzz": {body: rdapDomainJSON("example.zzzz", expires)},
	})

	t.Run("override adds a TLD", func(t *testing.T) {
		env := probe.NewEnv(probe.Config{})
		env.Shared(probe.RDAPBootstrapKey, func() any { return map[string]string{"zzzz": srv.URL + "/"} })
		got := MustRunCheck(t, env, "domain", `{"name":"example.zzzz"}`, 10*time.Second)
		if got.Status != probe.StatusUp || detailNamed(got, "rdap server") != srv.URL+"/" || lookups.Load() != 1 {
			t.Fatalf("got %q %q (%s) server %q after %d lookups, want up from the override",
				got.Status, got.ErrorClass, got.Error, detailNamed(got, "rdap server"), lookups.Load())
		}
	})

	t.Run("override removes a TLD", func(t *testing.T) {
		env := probe.NewEnv(probe.Config{})
		env.Shared(probe.RDAPBootstrapKey, func() any { return map[string]string{"com": ""} })
		got := MustRunCheck(t, env, "domain", `{"name":"example.com"}`, 10*time.Second)
		if got.ErrorClass != probe.ClassNoRDAP || !strings.Contains(got.Error, ".com") {
			t.Fatalf("got %q %q (%s), want no_rdap for .com", got.Status, got.ErrorClass, got.Error)
		}
	})

	t.Run("rdap_server wins over the table", func(t *testing.T) {
		env := probe.NewEnv(probe.Config{})
		env.Shared(probe.RDAPBootstrapKey, func() any { return map[string]string{"zzzz": "http://192.0.2.1/"} })
		got := MustRunCheck(t, env, "domain", `{"name":"example.zzzz","rdap_server":"`+srv.URL+`"}`, 10*time.Second)
		if got.Status != probe.StatusUp {
			t.Fatalf("got %q %q (%s), want up", got.Status, got.ErrorClass, got.Error)
		}
	})
}

func TestDomainKindValidate(t *testing.T) {
	tests := []struct {
		name      string
		config    string
		wantField string // "" = valid
		wantMsg   string
	}{
		{name: "name only", config: `{"name":"example.org"}`},
		{name: "everything", config: `{"name":"example.org","degraded_days":60,"down_days":14,"rdap_server":"https://rdap.example.net/v1/"}`},
		{name: "under a two-label suffix", config: `{"name":"example.co.uk"}`},
		{name: "unlisted TLD", config: `{"name":"example.zzzz"}`},
		{name: "capitals", config: `{"name":"Example.ORG"}`},
		{name: "punycode", config: `{"name":"xn--exmple-cua.org"}`},
		{name: "registered under a private suffix's TLD", config: `{"name":"github.io"}`},
		{name: "missing name", config: `{}`, wantField: "check.name", wantMsg: "is required"},
		{name: "subdomain", config: `{"name":"www.example.org"}`, wantField: "check.name", wantMsg: "not a name under it: example.org"},
		{name: "subdomain under a two-label suffix", config: `{"name":"www.example.co.uk"}`, wantField: "check.name", wantMsg: "example.co.uk"},
		{name: "site under a private suffix", config: `{"name":"someone.github.io"}`, wantField: "check.name", wantMsg: "github.io"},
		{name: "TLD alone", config: `{"name":"org"}`, wantField: "check.name"},
		{name: "public suffix", config: `{"name":"co.uk"}`, wantField: "check.name", wantMsg: "public suffix"},
		{name: "URL", config: `{"name":"https://example.org"}`, wantField: "check.name"},
		{name: "trailing dot", config: `{"name":"example.org."}`, wantField: "check.name"},
		{name: "unicode", config: `{"name":"exämple.org"}`, wantField: "check.name", wantMsg: "xn--"},
		{name: "IP address", config: `{"name":"192.0.2.1"}`, wantField: "check.name"},
		{name: "underscore", config: `{"name":"_dmarc.org"}`, wantField: "check.name"},
		{name: "down_days above degraded_days", config: `{"name":"example.org","degraded_days":30,"down_days":31}`,
			wantField: "check.down_days", wantMsg: "must not be more than degraded_days"},
		{name: "both 0", config: `{"name":"example.org","degraded_days":0,"down_days":0}`},
		{name: "negative degraded_days", config: `{"name":"example.org","degraded_days":-1,"down_days":0}`, wantField: "check.degraded_days"},
		{name: "rdap_server over http", config: `{"name":"example.org","rdap_server":"http://127.0.0.1:8080/rdap"}`},
		{name: "rdap_server ftp", config: `{"name":"example.org","rdap_server":"ftp://rdap.example/"}`, wantField: "check.rdap_server"},
		{name: "rdap_server not a URL", config: `{"name":"example.org","rdap_server":"rdap.example"}`, wantField: "check.rdap_server"},
		{name: "rdap_server with a query", config: `{"name":"example.org","rdap_server":"https://rdap.example/?key=1"}`, wantField: "check.rdap_server"},
		{name: "unknown field", config: `{"name":"example.org","domain":"x"}`, wantField: "check.domain", wantMsg: "unknown field"},
		{name: "days as a string", config: `{"name":"example.org","down_days":"7"}`, wantField: "check.down_days", wantMsg: "must be an integer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := probe.Parse(probe.Spec{Kind: "domain", Config: json.RawMessage(tt.config)})
			assertFieldError(t, err, tt.wantField, tt.wantMsg)
		})
	}

	t.Run("defaults", func(t *testing.T) {
		c, err := probe.Parse(probe.Spec{Kind: "domain", Config: json.RawMessage(`{"name":"example.org"}`)})
		if err != nil {
			t.Fatal(err)
		}
		want := probe.Domain{Name: "example.org", DegradedDays: 30, DownDays: 7}
		if got := c.(*probe.Domain); *got != want || c.Target() != "example.org" {
			t.Errorf("got %+v target %q, want %+v", got, c.Target(), want)
		}
	})
}

func TestDomainKindFromURL(t *testing.T) {
	kind, ok := probe.KindForScheme("domain")
	if !ok || kind.Name != "domain" || !kind.Scheduled {
		t.Fatalf("domain scheme: %+v %v", kind, ok)
	}
	tests := []struct {
		name      string
		url       string
		want      probe.Domain
		wantField string
	}{
		{name: "name only", url: "domain://example.org", want: probe.Domain{Name: "example.org", DegradedDays: 30, DownDays: 7}},
		{name: "everything", url: "domain://example.org?rdap_server=https%3A%2F%2Frdap.example.net%2F&degraded_days=60&down_days=10",
			want: probe.Domain{Name: "example.org", DegradedDays: 60, DownDays: 10, RDAPServer: "https://rdap.example.net/"}},
		{name: "trailing slash", url: "domain://example.org/", want: probe.Domain{Name: "example.org", DegradedDays: 30, DownDays: 7}},
		{name: "no name", url: "domain://", wantField: "check.name"},
		{name: "port", url: "domain://example.org:43", wantField: "check.name"},
		{name: "path", url: "domain://example.org/whois", wantField: "check.name"},
		{name: "bad days", url: "domain://example.org?down_days=x", wantField: "check.down_days"},
		{name: "unknown parameter", url: "domain://example.org?server=x", wantField: "check.server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			c, err := kind.FromURL(u)
			assertFieldError(t, err, tt.wantField, "")
			if tt.wantField != "" {
				return
			}
			if got := c.(*probe.Domain); *got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if err := c.Validate(); err != nil {
				t.Errorf("validate: %v", err)
			}
		})
	}
}
