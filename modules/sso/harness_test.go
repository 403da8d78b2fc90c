package sso_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/sso"
	"github.com/betterstack/betterstack/modules/sso/ssotest"
)

// cookieKey is 32 bytes, the shortest key New accepts.
var cookieKey = []byte("0123456789abcdef0123456789abcdef")

// clock is the injected clock shared by the app and the provider.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now().Truncate(time.Second)} }

// Now returns the clock's time.
func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d.
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// app is the relying party as a caller would build it: /login calls Start
// and redirects, /callback calls Finish. It records what the calls
// returned, and its client follows redirects only when the test says so.
type app struct {
	URL    string
	sso    *sso.Provider
	client *http.Client

	mu       sync.Mutex
	startErr error
	id       sso.Identity
	next     string
	err      error
}

// newApp starts an app signing in with idp; edit adjusts its settings.
func newApp(t *testing.T, idp *ssotest.Provider, clk *clock, edit func(*sso.Config)) *app {
	t.Helper()
	a := &app{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		to, err := a.sso.Start(w, r)
		a.mu.Lock()
		a.startErr = err
		a.mu.Unlock()
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		http.Redirect(w, r, to, http.StatusFound)
	})
	mux.HandleFunc("GET /callback", func(w http.ResponseWriter, r *http.Request) {
		id, next, err := a.sso.Finish(w, r)
		a.mu.Lock()
		a.id, a.next, a.err = id, next, err
		a.mu.Unlock()
		if err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		fmt.Fprintf(w, "signed in as %s", id.Email)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	a.URL = srv.URL

	cfg := idp.Config(srv.URL + "/callback")
	if edit != nil {
		edit(&cfg)
	}
	p, err := sso.New(cfg, cookieKey, srv.Client(), clk.Now)
	if err != nil {
		t.Fatalf("sso.New: %v", err)
	}
	a.sso = p
	a.client = newClient(t)
	return a
}

func newClient(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// steps lets a test interfere with a sign-in between the redirects.
type steps struct {
	next           string
	authorize      func(u *url.URL)  // edit the provider URL before the browser follows it
	beforeCallback func(cb *url.URL) // edit the callback URL, the jar, the clock
	expectDenied   bool              // the provider redirects back without a code
}

// login walks the browser's redirects by hand and returns what Finish
// returned (or Start's error when /login did not redirect).
func (a *app) login(t *testing.T, s steps) (sso.Identity, string, error) {
	t.Helper()
	res := a.get(t, a.URL+"/login?next="+url.QueryEscape(s.next))
	if res.StatusCode != http.StatusFound {
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.startErr == nil {
			t.Fatalf("/login answered %d without an error", res.StatusCode)
		}
		return sso.Identity{}, "", a.startErr
	}
	authz, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if s.authorize != nil {
		s.authorize(authz)
	}
	res = a.get(t, authz.String())
	if res.StatusCode != http.StatusFound {
		t.Fatalf("authorize answered %d, want a redirect", res.StatusCode)
	}
	cb, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cb.String(), a.URL+"/callback?") {
		t.Fatalf("the provider sent the browser to %s, want %s/callback", cb, a.URL)
	}
	if s.beforeCallback != nil {
		s.beforeCallback(cb)
	}
	a.get(t, cb.String())
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.id, a.next, a.err
}

func (a *app) get(t *testing.T, u string) *http.Response {
	t.Helper()
	res, err := a.client.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	res.Body.Close()
	return res
}

// loginCookie returns the login cookie the browser holds for the callback.
func (a *app) loginCookie(t *testing.T) *http.Cookie {
	t.Helper()
	u, _ := url.Parse(a.URL + "/callback")
	for _, c := range a.client.Jar.Cookies(u) {
		if c.Name == "betterstack_sso" {
			return c
		}
	}
	return nil
}

// sentinels are every error Finish and Start may wrap.
var sentinels = []error{
	sso.ErrProviderUnavailable, sso.ErrProviderDenied, sso.ErrMissingCookie, sso.ErrLoginExpired,
	sso.ErrStateMismatch, sso.ErrMissingCode, sso.ErrCodeRejected, sso.ErrInvalidIDToken,
	sso.ErrBadSignature, sso.ErrWrongIssuer, sso.ErrWrongAudience, sso.ErrTokenExpired,
	sso.ErrBadNonce, sso.ErrEmailMissing, sso.ErrEmailUnverified, sso.ErrDomainNotAllowed,
}

// assertRefused checks that err is want and no other sentinel, and that the
// message a person would see is want's.
func assertRefused(t *testing.T, id sso.Identity, err, want error) {
	t.Helper()
	if err == nil {
		t.Fatalf("signed in as %+v, want %v", id, want)
	}
	for _, s := range sentinels {
		if got := errors.Is(err, s); got != (s == want) {
			t.Errorf("errors.Is(%v, %v) = %v", err, s, got)
		}
	}
	if e := apperr.As(err); e != want {
		t.Errorf("the message shown would be %q, want %q", e, want)
	}
	if id != (sso.Identity{}) {
		t.Errorf("identity %+v returned with an error", id)
	}
}
