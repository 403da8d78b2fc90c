package cmd

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/betterstack/betterstack/modules/config"
	"github.com/betterstack/betterstack/modules/sso/ssotest"
)

// ssoApp starts an app on a real port with single sign-on through idp,
// sign-up closed, first-time SSO users joining workspace "acme" as
// editors, only example.com addresses allowed. It returns the app, its URL
// and the session of the owner of "acme" (made with the CLI's call).
func ssoApp(t *testing.T, cfg config.Config, idp *ssotest.Provider) (*App, string, string) {
	t.Helper()
	closed := false
	cfg.AllowSignup = &closed
	app, base := startAppAt(t, cfg, func(c *config.Config, _ string) {
		c.SSOIssuer, c.SSOClientID, c.SSOClientSecret = idp.URL, idp.ClientID(), idp.ClientSecret()
		c.SSOAllowedDomains, c.SSOWorkspace, c.SSORole = []string{"example.com"}, "acme", "editor"
	})
	if _, err := app.Auth.CreateUser(t.Context(), "owner@example.com", "correct horse"); err != nil {
		t.Fatal(err)
	}
	owner := mustLogin(t, app, "owner@example.com")
	want(t, "name the workspace acme", do(t, app, "PATCH", "/api/v1/workspace", owner, `{"key":"acme"}`), http.StatusOK, `"key":"acme"`)
	return app, base, owner
}

// ssoLogin follows the app's single sign-on link through the provider and
// back, as a browser with a fresh cookie jar would, and returns the last
// page and the jar.
func ssoLogin(t *testing.T, base string) (response, http.CookieJar) {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	var path []string
	c := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		path = append(path, req.URL.Host+req.URL.Path)
		if len(via) > 10 {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	res, err := c.Get(base + "/login/sso")
	if err != nil {
		t.Fatalf("SSO login: %v", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("SSO redirects: %v", path)
	return response{Status: res.StatusCode, Body: string(body), Header: res.Header}, jar
}

// sessionCookie returns the dashboard session in jar for base ("" if none).
func sessionCookie(t *testing.T, jar http.CookieJar, base string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range jar.Cookies(u) {
		if c.Name == "bs_session" {
			return c.Value
		}
	}
	return ""
}

// TestTeamSSO: a first login through the OpenID provider creates the
// account in sso_workspace with sso_role although sign-up is closed, and
// the next login signs the same account in; a disallowed domain and an
// unverified email are refused on the login page with the reason.
func TestTeamSSO(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		idp := ssotest.Start(t, ssotest.WithUser(ssotest.User{Subject: "s-1", Email: "Sam@Example.com", Name: "Sam", EmailVerified: true}))
		app, base, owner := ssoApp(t, cfg, idp)

		r, jar := ssoLogin(t, base)
		want(t, "first SSO login", r, http.StatusOK, "sam@example.com")
		sess := sessionCookie(t, jar, base)
		if sess == "" {
			t.Fatal("no session cookie after the SSO login")
		}
		w := mustWorkspace(t, app, sess, "")
		if w.Key != "acme" || w.Role != "editor" {
			t.Fatalf("the SSO user works in %+v, want acme as editor", w)
		}
		want(t, "members of acme", do(t, app, "GET", "/api/v1/members", owner, ""), http.StatusOK, `"email":"sam@example.com","role":"editor"`)
		want(t, "the session's method", do(t, app, "GET", "/api/v1/sessions", sess, ""), http.StatusOK, `"method":"sso"`)
		want(t, "sign-up is still closed", do(t, app, "POST", "/api/v1/auth/signup", "", `{"email":"x@example.com","password":"correct horse"}`),
			http.StatusForbidden)

		// The next login is the same account, still one member.
		r, jar = ssoLogin(t, base)
		want(t, "second SSO login", r, http.StatusOK)
		again := sessionCookie(t, jar, base)
		if again == "" || again == sess {
			t.Fatal("the second SSO login made no new session")
		}
		if mustUserID(t, app, again) != mustUserID(t, app, sess) {
			t.Fatal("the second SSO login is another account")
		}
		r = do(t, app, "GET", "/api/v1/members", owner, "")
		if n := strings.Count(r.Body, "sam@example.com"); n != 1 {
			t.Fatalf("sam is listed %d times: %s", n, r.Body)
		}

		refusals := []struct {
			name, reason string
			user         ssotest.User
		}{
			{"disallowed domain", "domain may not sign in here", ssotest.User{Subject: "s-2", Email: "eve@evil.example.org", EmailVerified: true}},
			{"unverified email", "has not verified this email address", ssotest.User{Subject: "s-3", Email: "una@example.com", EmailVerified: false}},
		}
		for _, tc := range refusals {
			idp.SetUser(tc.user)
			r, jar := ssoLogin(t, base)
			want(t, tc.name, r, http.StatusForbidden, "Single sign-on did not work", tc.reason, `action="/login"`)
			if s := sessionCookie(t, jar, base); s != "" {
				t.Fatalf("%s: a session cookie was set", tc.name)
			}
			r = do(t, app, "GET", "/api/v1/members", owner, "")
			if strings.Contains(r.Body, tc.user.Email) {
				t.Fatalf("%s: the account was created: %s", tc.name, r.Body)
			}
		}
	})
}

// TestTeamSSOWrongAudience: an ID token issued for another client is
// refused on the login page, and no account is made.
func TestTeamSSOWrongAudience(t *testing.T) {
	cfg := testDefaults()
	cfg.DataDir = t.TempDir()
	idp := ssotest.Start(t, ssotest.WithWrongAudience())
	app, base, owner := ssoApp(t, cfg, idp)
	r, jar := ssoLogin(t, base)
	want(t, "wrong audience", r, http.StatusUnauthorized, "Single sign-on did not work", "issued for another client than sso_client_id", `action="/login"`)
	if s := sessionCookie(t, jar, base); s != "" {
		t.Fatal("a session cookie was set")
	}
	r = do(t, app, "GET", "/api/v1/members", owner, "")
	if strings.Contains(r.Body, ssotest.DefaultEmail) {
		t.Fatalf("the account was created: %s", r.Body)
	}
}

// TestTeamSSONextAndReplay: the page asked for before the login is where
// the callback sends the browser, and the provider's answer cannot be
// used a second time.
func TestTeamSSONextAndReplay(t *testing.T) {
	cfg := testDefaults()
	cfg.DataDir = t.TempDir()
	idp := ssotest.Start(t)
	_, base, _ := ssoApp(t, cfg, idp)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if req.URL.Path == "/login/sso/callback" {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	get := func(u string) response {
		t.Helper()
		res, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return response{Status: res.StatusCode, Body: string(body), Header: res.Header}
	}
	r := get(base + "/login/sso?next=/monitors")
	callback := r.Header.Get("Location")
	if r.Status != http.StatusFound && r.Status != http.StatusSeeOther || !strings.HasPrefix(callback, base+"/login/sso/callback?") {
		t.Fatalf("the provider's answer: %d %q", r.Status, callback)
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	r = get(callback)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/monitors" || sessionCookie(t, jar, base) == "" {
		t.Fatalf("callback: %d to %q", r.Status, r.Header.Get("Location"))
	}
	want(t, "the same answer again", get(callback), http.StatusUnauthorized, "Single sign-on did not work", "start the sign-in again")
}
