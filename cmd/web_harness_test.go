package cmd

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// browser is a cookie-keeping client of the dashboard that goes straight to
// the app's router, like a browser without JavaScript: it remembers the
// last page's CSRF token and sends it with forms.
type browser struct {
	t       *testing.T
	app     *App
	cookies map[string]*http.Cookie
	csrf    string
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// newBrowser returns a browser with no cookies.
func newBrowser(t *testing.T, app *App) *browser {
	return &browser{t: t, app: app, cookies: map[string]*http.Cookie{}}
}

// send sends one request with the browser's cookies and keeps the cookies
// and CSRF token it is given back. Redirects are not followed.
func (b *browser) send(method, path string, form url.Values) response {
	b.t.Helper()
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	req.RemoteAddr = "192.0.2.9:4321"
	req.Header.Set("Accept", "text/html")
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	b.app.HTTP.Echo().ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
			continue
		}
		b.cookies[c.Name] = c
	}
	if m := csrfField.FindStringSubmatch(rec.Body.String()); m != nil {
		b.csrf = m[1]
	}
	return response{Status: rec.Code, Body: rec.Body.String(), Header: rec.Header()}
}

// get loads a page.
func (b *browser) get(path string) response {
	b.t.Helper()
	return b.send(http.MethodGet, path, nil)
}

// post submits a form with the last page's CSRF token.
func (b *browser) post(path string, form url.Values) response {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if form.Get("_csrf") == "" {
		form.Set("_csrf", b.csrf)
	}
	return b.send(http.MethodPost, path, form)
}

// follow loads where a redirect points, failing the test if r is none.
func (b *browser) follow(r response) response {
	b.t.Helper()
	if r.Status != http.StatusSeeOther && r.Status != http.StatusFound {
		b.t.Fatalf("want a redirect, got %d: %s", r.Status, r.Body)
	}
	// A browser never sends the #fragment.
	to, _, _ := strings.Cut(r.Header.Get("Location"), "#")
	return b.get(to)
}

// mustWebSignup signs a new user up through the sign-up form and returns
// a browser holding their session.
func mustWebSignup(t *testing.T, app *App, email string) *browser {
	t.Helper()
	b := newBrowser(t, app)
	b.get("/signup")
	r := b.post("/signup", url.Values{"email": {email}, "password": {"correct horse"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("sign up %s: %d %s", email, r.Status, r.Body)
	}
	return b
}
