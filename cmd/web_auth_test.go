package cmd

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/betterstack/betterstack/modules/config"
)

// TestWebAuth covers sign-up, login, logout, the CSRF check and redirects
// of the dashboard's public pages, on both backends.
func TestWebAuth(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		app := MustApp(t, cfg)

		anon := newBrowser(t, app)
		r := anon.get("/incidents")
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login?next=%2Fincidents" {
			t.Fatalf("anonymous page: %d %q", r.Status, r.Header.Get("Location"))
		}
		r = anon.follow(r)
		if r.Status != http.StatusOK || !strings.Contains(r.Body, `name="next" value="/incidents"`) {
			t.Fatalf("login page: %d %s", r.Status, r.Body)
		}
		if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("CSP = %q", csp)
		}

		// Sign-up with bad input keeps the email and names the field.
		anon.get("/signup")
		r = anon.post("/signup", url.Values{"email": {"ada@example.com"}, "password": {"short"}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `value="ada@example.com"`) || !strings.Contains(r.Body, "password") {
			t.Fatalf("bad sign-up: %d %s", r.Status, r.Body)
		}
		r = anon.post("/signup", url.Values{"email": {"ada@example.com"}, "password": {"correct horse"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("sign-up: %d %s", r.Status, r.Body)
		}
		session := anon.cookies["bs_session"]
		if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode {
			t.Fatalf("session cookie = %+v", session)
		}

		// A form without the CSRF token is refused and changes nothing.
		r = anon.send(http.MethodPost, "/logout", url.Values{})
		if r.Status != http.StatusForbidden || anon.cookies["bs_session"] == nil {
			t.Fatalf("logout without CSRF: %d, session kept: %v", r.Status, anon.cookies["bs_session"] != nil)
		}
		r = anon.post("/logout", nil)
		if r.Status != http.StatusSeeOther || anon.cookies["bs_session"] != nil {
			t.Fatalf("logout: %d %v", r.Status, anon.cookies["bs_session"])
		}

		// Login: wrong password, then right, back to where the user was going.
		b := newBrowser(t, app)
		b.get("/login?next=/incidents")
		r = b.post("/login", url.Values{"email": {"ada@example.com"}, "password": {"wrong password"}, "next": {"/incidents"}})
		if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "invalid email or password") || !strings.Contains(r.Body, `value="ada@example.com"`) {
			t.Fatalf("wrong password: %d %s", r.Status, r.Body)
		}
		r = b.post("/login", url.Values{"email": {"ada@example.com"}, "password": {"correct horse"}, "next": {"/incidents"}})
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/incidents" {
			t.Fatalf("login: %d %q", r.Status, r.Header.Get("Location"))
		}
		// An open redirect through next is refused.
		for _, next := range []string{"https://evil.example", "//evil.example", "/\\evil.example"} {
			b2 := newBrowser(t, app)
			b2.get("/login")
			r = b2.post("/login", url.Values{"email": {"ada@example.com"}, "password": {"correct horse"}, "next": {next}})
			if r.Header.Get("Location") != "/" {
				t.Errorf("next=%q redirected to %q", next, r.Header.Get("Location"))
			}
		}
		// A tampered session cookie is a logged-out visitor.
		b.cookies["bs_session"].Value += "x"
		if r = b.get("/incidents"); r.Status != http.StatusSeeOther {
			t.Errorf("tampered session: %d", r.Status)
		}
		// Unknown paths are a 404 page, not the login page; the API keeps JSON.
		if r = anon.get("/no-such-page"); r.Status != http.StatusNotFound || !strings.Contains(r.Body, "<html") {
			t.Errorf("unknown page: %d %s", r.Status, r.Body)
		}
		// The router's own answers carry the security headers too.
		for _, rr := range []response{anon.get("/no-such-page"), anon.get("/logout")} {
			if rr.Header.Get("Content-Security-Policy") == "" || rr.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%d answer without security headers: %v", rr.Status, rr.Header)
			}
		}
		// NUL characters and invalid UTF-8 in a form are refused, naming the
		// field, and nothing is created (PostgreSQL cannot store them).
		for i, password := range []string{"correct\x00horse", "correct\xffhorse"} {
			nb := newBrowser(t, app)
			nb.get("/signup")
			r = nb.post("/signup", url.Values{"email": {fmt.Sprintf("clean%d@example.com", i)}, "password": {password}})
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "password") || nb.cookies["bs_session"] != nil {
				t.Errorf("sign-up with password %q: %d %s", password, r.Status, r.Body)
			}
		}
		if r = anon.get("/api/v1/no-such"); r.Status != http.StatusUnauthorized && r.Status != http.StatusNotFound || !strings.Contains(r.Body, `"error"`) {
			t.Errorf("unknown API path: %d %s", r.Status, r.Body)
		}
	})
}
