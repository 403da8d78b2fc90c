package cmd

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/chart"
	"github.com/betterstack/betterstack/modules/config"
	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/queue"
	"github.com/betterstack/betterstack/modules/statuspage"
)

// Owner-written text that must come out escaped everywhere.
const (
	xssScript = `<script>alert(1)</script>`
	xssAttr   = `"><img src=x onerror=alert(1)>`
)

// secrets are what a monitor holds that no public page, feed, JSON or
// badge may ever show.
var secrets = []string{
	"secret-path-XYZ", "SECRET-HEADER-VALUE", "SECRET-EVIDENCE", "SECRET-ERROR-MESSAGE", "127.0.0.1:1",
	"web-prod-7", "db-primary", "hidden-monitor-NAME", "Alice API", "alice.example", "Bob secret", "bob.example",
	"alice@example.com", "http_status", "argon2",
}

// spFixture is the API fixture plus Alice's monitors for status pages:
// web and db (shown on her page), hidden (on no page).
type spFixture struct {
	fixture
	web, db, hidden int64
}

func newSPFixture(t *testing.T, cfg config.Config) spFixture {
	t.Helper()
	f := spFixture{fixture: newFixture(t, cfg)}
	f.web = f.mustMonitor(t, f.alice, `{"name":"web-prod-7 internal","url":"http://127.0.0.1:1/secret-path-XYZ","headers":{"Authorization":"Bearer SECRET-HEADER-VALUE"}}`)
	f.db = f.mustMonitor(t, f.alice, `{"name":"db-primary internal","url":"http://127.0.0.1:1/db"}`)
	f.hidden = f.mustMonitor(t, f.alice, `{"name":"hidden-monitor-NAME","url":"http://127.0.0.1:1/hidden"}`)
	return f
}

// spIngest stores n results of monitor id from region eu, a minute apart and
// ending ago before now, through the alerter's ingest: a failing run opens
// an incident whose cause and evidence hold secrets.
func spIngest(t *testing.T, app *App, id int64, status probe.Status, n int, ago time.Duration) {
	t.Helper()
	end := time.Now().UTC().Add(-ago).Truncate(time.Second)
	var batch []queue.Result
	for i := n - 1; i >= 0; i-- {
		at := end.Add(-time.Duration(i) * time.Minute)
		r := probe.Result{Status: status, StatusCode: 200, LatencyMS: 42, CheckedAt: at}
		if status == probe.StatusDown {
			r.StatusCode, r.ErrorClass, r.Error = 500, probe.ClassHTTPStatus, "HTTP 500 from http://127.0.0.1:1/secret-path-XYZ: SECRET-ERROR-MESSAGE"
			r.ResponseHeaders, r.BodyExcerpt = map[string]string{"X-Debug": "SECRET-EVIDENCE"}, "stack trace SECRET-EVIDENCE"
		}
		batch = append(batch, queue.Result{JobID: fmt.Sprintf("%d:%d", id, at.UnixMilli()), MonitorID: id, Region: "eu",
			WorkerID: "w-eu", ScheduledAt: at, Result: r})
	}
	if err := app.Ticks.Store(context.Background(), batch); err != nil {
		t.Fatalf("ingest: %v", err)
	}
}

// spIncident returns the id of the monitor's latest incident.
func spIncident(t *testing.T, app *App, token string, monitorID int64) int64 {
	t.Helper()
	r := do(t, app, "GET", fmt.Sprintf("/api/v1/incidents?monitor_id=%d", monitorID), token, "")
	var out struct{ Data []struct{ ID int64 } }
	r.JSON(t, &out)
	if r.Status != 200 || len(out.Data) == 0 {
		t.Fatalf("no incident for monitor %d: %d %s", monitorID, r.Status, r.Body)
	}
	return out.Data[0].ID
}

// spCreate creates a status page from a Go value and returns its id.
func spCreate(t *testing.T, app *App, token string, page any) int64 {
	t.Helper()
	body, err := json.Marshal(page)
	if err != nil {
		t.Fatal(err)
	}
	r := do(t, app, "POST", "/api/v1/status-pages", token, string(body))
	if r.Status != http.StatusCreated {
		t.Fatalf("create status page: %d %s", r.Status, r.Body)
	}
	var p struct{ ID int64 }
	r.JSON(t, &p)
	return p.ID
}

// spGet sends a request with a Host header and cookies, as a visitor's
// browser or feed reader would.
func spGet(t *testing.T, app *App, host, path string, cookies ...*http.Cookie) response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.RemoteAddr = "192.0.2.7:5555"
	if host != "" {
		req.Host = host
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	app.HTTP.Echo().ServeHTTP(rec, req)
	return response{Status: rec.Code, Body: rec.Body.String(), Header: rec.Header()}
}

func assertNone(t *testing.T, what, body string, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if strings.Contains(body, b) {
			t.Errorf("%s holds %q", what, b)
		}
	}
}

func TestStatusPageAPI(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		cfg.PublicURL = "https://monitor.example.com" // custom domains need it
		f := newSPFixture(t, cfg)
		page := func(slug, extra string) string {
			return fmt.Sprintf(`{"slug":%q,"title":"Acme","sections":[{"name":"Core","components":[{"monitor_id":%d,"display_name":"Website"},{"monitor_id":%d}]}]%s}`,
				slug, f.web, f.db, extra)
		}
		created := do(t, f.app, "POST", "/api/v1/status-pages", f.alice, page("acme", `,"custom_domain":"Status.Example.com","password":"page password 1"`))
		if created.Status != 201 {
			t.Fatalf("create: %d %s", created.Status, created.Body)
		}
		var p struct {
			ID       int64
			Sections []statuspage.Section
		}
		created.JSON(t, &p)
		if p.Sections[0].Components[1].DisplayName != "db-primary internal" {
			t.Errorf("a component without display name is named after its monitor: %+v", p.Sections)
		}
		id := fmt.Sprint(p.ID)
		f.run(t, []scenario{
			{name: "created hides the password", method: "GET", path: "/api/v1/status-pages/" + id, auth: "alice", status: 200,
				contains:    []string{`"slug":"acme"`, `"password_protected":true`, `"custom_domain":"status.example.com"`, `"display_name":"Website"`},
				notContains: []string{"page password 1", "argon2", "password_hash"}},
			{name: "list", method: "GET", path: "/api/v1/status-pages", auth: "alice", status: 200, contains: []string{`"data":[{`, `"slug":"acme"`}},
			{name: "other user's list is empty", method: "GET", path: "/api/v1/status-pages", auth: "bob", status: 200, contains: []string{`"data":[]`}},
			{name: "other user's page is 404", method: "GET", path: "/api/v1/status-pages/" + id, auth: "bob", status: 404, notContains: []string{"acme"}},
			{name: "other user's patch is 404", method: "PATCH", path: "/api/v1/status-pages/" + id, auth: "bob", body: `{"title":"pwned"}`, status: 404},
			{name: "other user's delete is 404", method: "DELETE", path: "/api/v1/status-pages/" + id, auth: "bob", status: 404},
			{name: "missing is 404", method: "GET", path: "/api/v1/status-pages/999999", auth: "alice", status: 404},
			{name: "malformed id is 404", method: "GET", path: "/api/v1/status-pages/abc", auth: "alice", status: 404},
			{name: "without a token", method: "GET", path: "/api/v1/status-pages", status: 401},
			{name: "validation names every field", method: "POST", path: "/api/v1/status-pages", auth: "alice",
				body: fmt.Sprintf(`{"slug":"Bad Slug!","title":"","logo_url":"http://example.com/logo.png","custom_domain":"https://x.example.com/","password":"short",`+
					`"sections":[{"name":"","components":[{"monitor_id":%d},{"monitor_id":0}]}]}`, f.web),
				status: 422, contains: []string{`"slug":`, `"title":`, `"logo_url":`, `"custom_domain":`, `"password":`, `"sections[0].name":`, `"sections[0].components[1].monitor_id":`}},
			{name: "another user's monitor", method: "POST", path: "/api/v1/status-pages", auth: "alice",
				body:   fmt.Sprintf(`{"slug":"x1","title":"X","sections":[{"name":"A","components":[{"monitor_id":%d},{"monitor_id":%d}]}]}`, f.web, f.bobMonitor),
				status: 422, contains: []string{`"sections[0].components[1].monitor_id":"is not one of your monitors"`}, notContains: []string{"Bob secret"}},
			{name: "the same monitor twice", method: "POST", path: "/api/v1/status-pages", auth: "alice",
				body:   fmt.Sprintf(`{"slug":"x2","title":"X","sections":[{"name":"A","components":[{"monitor_id":%d}]},{"name":"B","components":[{"monitor_id":%d}]}]}`, f.web, f.web),
				status: 422, contains: []string{`"sections[1].components[0].monitor_id"`}},
			{name: "unknown field", method: "POST", path: "/api/v1/status-pages", auth: "alice", body: `{"slug":"x3","title":"X","theme":"dark"}`,
				status: 422, contains: []string{`"theme":"unknown field"`}},
			{name: "slug taken", method: "POST", path: "/api/v1/status-pages", auth: "bob", body: `{"slug":"acme","title":"Mine"}`,
				status: 409, contains: []string{`"code":"conflict"`, `"slug":"is taken"`}},
			{name: "custom domain taken", method: "POST", path: "/api/v1/status-pages", auth: "bob", body: `{"slug":"bobs","title":"Mine","custom_domain":"status.example.com"}`,
				status: 409, contains: []string{`"custom_domain":"is taken"`}},
			// httptest requests reach "example.com": a page there would take over the dashboard.
			{name: "custom domain is the dashboard's own host", method: "POST", path: "/api/v1/status-pages", auth: "bob", body: `{"slug":"takeover","title":"Mine","custom_domain":"Example.COM"}`,
				status: 422, contains: []string{`"custom_domain":"is the address this installation is reached at`}},
			{name: "patch keeps what is not given", method: "PATCH", path: "/api/v1/status-pages/" + id, auth: "alice", body: `{"title":"Acme Corp"}`,
				status: 200, contains: []string{`"title":"Acme Corp"`, `"slug":"acme"`, `"password_protected":true`, `"display_name":"Website"`}},
			{name: "patch to a taken slug", method: "PATCH", path: "/api/v1/status-pages/" + id, auth: "alice", body: `{"slug":"acme"}`, status: 200},
			{name: "patch removes the password", method: "PATCH", path: "/api/v1/status-pages/" + id, auth: "alice", body: `{"password":""}`,
				status: 200, contains: []string{`"password_protected":false`}},
			{name: "patch validation", method: "PATCH", path: "/api/v1/status-pages/" + id, auth: "alice", body: `{"sections":[{"name":"A","components":[]}]}`,
				status: 422, contains: []string{`"sections[0].components"`}},
			{name: "delete", method: "DELETE", path: "/api/v1/status-pages/" + id, auth: "alice", status: 204},
			{name: "deleted is 404", method: "GET", path: "/api/v1/status-pages/" + id, auth: "alice", status: 404},
			{name: "its slug is free again", method: "POST", path: "/api/v1/status-pages", auth: "bob", body: `{"slug":"acme","title":"Mine"}`, status: 201},
		})
	})
}

// TestStatusPagePublic builds a page over monitors holding secrets and an
// incident whose cause and evidence hold more, with owner text full of
// markup, and reads it as HTML, Atom and JSON: only display names, states,
// uptime and the owner's words come out, and those escaped.
func TestStatusPagePublic(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		f := newSPFixture(t, cfg)
		spIngest(t, f.app, f.web, probe.StatusDown, 3, 0)
		spIngest(t, f.app, f.db, probe.StatusUp, 3, 0)
		spIngest(t, f.app, f.hidden, probe.StatusDown, 3, 0)
		webInc, hiddenInc := spIncident(t, f.app, f.alice, f.web), spIncident(t, f.app, f.alice, f.hidden)
		if r := do(t, f.app, "GET", fmt.Sprintf("/api/v1/incidents/%d", webInc), f.alice, ""); !strings.Contains(r.Body, "SECRET-EVIDENCE") ||
			!strings.Contains(r.Body, "SECRET-ERROR-MESSAGE") {
			t.Fatalf("control: the owner's incident holds no secrets that could leak: %s", r.Body)
		}
		update := "We found the cause.\nA bad deploy.\n\nRolled back " + xssScript + " " + xssAttr
		if r := do(t, f.app, "POST", fmt.Sprintf("/api/v1/incidents/%d/updates", webInc), f.alice,
			fmt.Sprintf(`{"status":"identified","message":%q}`, update)); r.Status != 201 {
			t.Fatalf("post update: %d %s", r.Status, r.Body)
		}
		if r := do(t, f.app, "POST", fmt.Sprintf("/api/v1/incidents/%d/updates", hiddenInc), f.alice,
			`{"status":"identified","message":"hidden-monitor-NAME update"}`); r.Status != 201 {
			t.Fatalf("post update: %d %s", r.Status, r.Body)
		}
		spCreate(t, f.app, f.alice, map[string]any{
			"slug": "acme", "title": "Acme " + xssScript, "description": "Status of Acme " + xssAttr, "logo_url": "https://cdn.example.com/logo.png",
			"sections": []map[string]any{
				{"name": "Web " + xssScript, "components": []map[string]any{
					{"monitor_id": f.web, "display_name": "Website " + xssAttr},
					{"monitor_id": f.db, "display_name": "Database " + xssScript},
				}},
				{"name": "Other " + xssAttr, "components": []map[string]any{{"monitor_id": f.aliceMonitor, "display_name": "API"}}},
			},
		})
		spCreate(t, f.app, f.bob, map[string]any{"slug": "bobs", "title": "Bob's",
			"sections": []map[string]any{{"name": "B", "components": []map[string]any{{"monitor_id": f.bobMonitor, "display_name": "Bob's thing"}}}}})

		// HTML.
		r := spGet(t, f.app, "", "/status/acme")
		if r.Status != 200 {
			t.Fatalf("page: %d %s", r.Status, r.Body)
		}
		for _, want := range []string{
			"Partial outage", // one of three down (the third has no data yet)
			"Outage of Website &#34;&gt;&lt;img src=x onerror=alert(1)&gt;",
			"Acme &lt;script&gt;alert(1)&lt;/script&gt;",
			"Status of Acme &#34;&gt;&lt;img src=x onerror=alert(1)&gt;",
			"Web &lt;script&gt;alert(1)&lt;/script&gt;", "Other &#34;&gt;&lt;img src=x onerror=alert(1)&gt;",
			"Database &lt;script&gt;alert(1)&lt;/script&gt;",
			"<p>We found the cause.<br>A bad deploy.</p>",
			"<p>Rolled back &lt;script&gt;alert(1)&lt;/script&gt; &#34;&gt;&lt;img src=x onerror=alert(1)&gt;</p>",
			`<img class="logo" src="https://cdn.example.com/logo.png"`, `class="pill pill-down">Outage`, `class="pill pill-up">Operational`,
			`href="/status/acme/feed.atom"`,
		} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		assertNone(t, "page", r.Body, append(secrets, xssScript, "<img src=x", "Bob's thing", "<script")...)
		if got := r.Header.Get("Cache-Control"); got != "public, max-age=10" {
			t.Errorf("Cache-Control = %q", got)
		}
		// Uptime checkers watch status pages with HEAD (net/http drops the
		// body; the recorder here keeps it, so only the status is checked).
		if h := do(t, f.app, "HEAD", "/status/acme", "", ""); h.Status != 200 {
			t.Errorf("HEAD /status/acme: %d", h.Status)
		}
		if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data: https:") || strings.Contains(csp, "unsafe") {
			t.Errorf("CSP = %q", csp)
		}
		if sc := r.Header.Values("Set-Cookie"); len(sc) != 0 {
			t.Errorf("a public, cacheable page sets cookies: %v", sc)
		}
		if n := strings.Count(r.Body, `class="component"`); n != 3 {
			t.Errorf("%d components shown, want 3", n)
		}

		// Atom.
		r = spGet(t, f.app, "", "/status/acme/feed.atom")
		if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/atom+xml") {
			t.Fatalf("feed: %d %s %s", r.Status, r.Header.Get("Content-Type"), r.Body)
		}
		assertNone(t, "feed", r.Body, append(secrets, xssScript, "<img", "Bob's thing", fmt.Sprintf(":incident:%d<", hiddenInc))...)
		var feed statuspage.AtomFeed
		if err := xml.Unmarshal([]byte(r.Body), &feed); err != nil {
			t.Fatalf("feed does not parse: %v", err)
		}
		if feed.Title != "Acme "+xssScript || !strings.HasPrefix(feed.ID, "urn:betterstack:status-page:") || len(feed.Entries) != 2 {
			t.Fatalf("feed = %+v", feed)
		}
		if _, err := time.Parse(time.RFC3339, feed.Updated); err != nil {
			t.Errorf("feed updated %q: %v", feed.Updated, err)
		}
		var sawIncident, sawUpdate bool
		for _, e := range feed.Entries {
			if _, err := time.Parse(time.RFC3339, e.Updated); err != nil {
				t.Errorf("entry updated %q: %v", e.Updated, err)
			}
			if len(e.Links) == 0 || e.Links[0].Href != fmt.Sprintf("http://example.com/status/acme#incident-%d", webInc) {
				t.Errorf("entry links = %+v", e.Links)
			}
			sawIncident = sawIncident || strings.HasSuffix(e.ID, fmt.Sprintf(":incident:%d", webInc))
			sawUpdate = sawUpdate || (strings.Contains(e.ID, ":update:") && e.Content.Body == update)
		}
		if !sawIncident || !sawUpdate {
			t.Errorf("feed entries = %+v", feed.Entries)
		}

		// JSON.
		r = spGet(t, f.app, "", "/api/v1/public/status-pages/acme")
		if r.Status != 200 {
			t.Fatalf("json: %d %s", r.Status, r.Body)
		}
		assertNone(t, "json", r.Body, append(secrets, xssScript, "Bob's thing")...)
		var v struct {
			Title    string
			Overall  string
			Sections []struct {
				Name       string
				Components []struct {
					Name  string
					State string
					Daily []struct {
						Date   string
						Uptime *float64
					}
				}
			}
			OpenIncidents []struct {
				ID      int64
				Title   string
				Updates []struct{ Message string }
			} `json:"open_incidents"`
		}
		r.JSON(t, &v)
		web := v.Sections[0].Components[0]
		if v.Overall != "partial" || web.Name != "Website "+xssAttr || web.State != "down" || len(web.Daily) != 90 {
			t.Fatalf("json view = %+v", v)
		}
		if today := web.Daily[89]; today.Date != time.Now().UTC().Format(time.DateOnly) || today.Uptime == nil || *today.Uptime != 0 {
			t.Errorf("today's uptime of a monitor that failed every check = %+v", today)
		}
		if len(v.OpenIncidents) != 1 || v.OpenIncidents[0].ID != webInc || len(v.OpenIncidents[0].Updates) != 1 || v.OpenIncidents[0].Updates[0].Message != update {
			t.Errorf("open incidents = %+v", v.OpenIncidents)
		}

		// Unknown pages are plain 404s everywhere; a hidden monitor has no badge.
		for _, path := range []string{"/status/nope", "/status/nope/feed.atom", "/api/v1/public/status-pages/nope", "/status/Bad%20Slug"} {
			if r := spGet(t, f.app, "", path); r.Status != 404 {
				t.Errorf("%s: %d", path, r.Status)
			}
		}
		if r := spGet(t, f.app, "", "/badge/"+strings.Repeat("A", 43)+"/status.svg"); r.Status != 404 {
			t.Errorf("badge of a monitor without one: %d", r.Status)
		}
		// Bob's page shows Bob's monitor only.
		r = spGet(t, f.app, "", "/status/bobs")
		if r.Status != 200 || !strings.Contains(r.Body, "Bob&#39;s thing") {
			t.Fatalf("bob's page: %d", r.Status)
		}
		assertNone(t, "bob's page", r.Body, "Website", "Database", "secret-path-XYZ", "Bob secret")
	})
}

var loginAction = regexp.MustCompile(`<form method="post" action="([^"]+)"`)

func TestStatusPagePassword(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		f := newSPFixture(t, cfg)
		id := spCreate(t, f.app, f.alice, map[string]any{"slug": "private", "title": "Private page", "password": "open sesame 1",
			"sections": []map[string]any{{"name": "Core", "components": []map[string]any{{"monitor_id": f.web, "display_name": "Website"}}}}})

		b := newBrowser(t, f.app)
		r := b.get("/status/private")
		if r.Status != 401 || !strings.Contains(r.Body, `name="password"`) || r.Header.Get("Cache-Control") != "private, no-store" {
			t.Fatalf("protected page: %d %q %s", r.Status, r.Header.Get("Cache-Control"), r.Body)
		}
		assertNone(t, "password form", r.Body, "Website", "Private page")
		if m := loginAction.FindStringSubmatch(r.Body); m == nil || m[1] != "/status/private/login" {
			t.Errorf("form action = %v", m)
		}
		for _, path := range []string{"/status/private/feed.atom", "/api/v1/public/status-pages/private"} {
			if r := b.get(path); r.Status != 401 || strings.Contains(r.Body, "Website") {
				t.Errorf("%s without the cookie: %d %s", path, r.Status, r.Body)
			}
		}
		if r := b.send("POST", "/status/private/login", url.Values{"password": {"open sesame 1"}}); r.Status != 403 {
			t.Errorf("login without CSRF: %d", r.Status)
		}
		if r := b.post("/status/private/login", url.Values{"password": {"wrong"}}); r.Status != 401 || !strings.Contains(r.Body, "Wrong password") {
			t.Errorf("wrong password: %d %s", r.Status, r.Body)
		}
		r = b.post("/status/private/login", url.Values{"password": {"open sesame 1"}})
		if r.Status != 303 || r.Header.Get("Location") != "/status/private" {
			t.Fatalf("right password: %d %q", r.Status, r.Header.Get("Location"))
		}
		ck := b.cookies[fmt.Sprintf("bs_status_%d", id)]
		if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || strings.Contains(ck.Value, "sesame") {
			t.Fatalf("visitor cookie = %+v", ck)
		}
		for path, want := range map[string]string{"/status/private": "Website", "/status/private/feed.atom": "<title>Private page</title>",
			"/api/v1/public/status-pages/private": `"name":"Website"`} {
			if r := b.get(path); r.Status != 200 || !strings.Contains(r.Body, want) || r.Header.Get("Cache-Control") != "private, no-store" {
				t.Errorf("%s with the cookie: %d %q", path, r.Status, r.Header.Get("Cache-Control"))
			}
		}
		// A forged cookie, or this page's cookie under another page's name, admits nobody.
		other := spCreate(t, f.app, f.alice, map[string]any{"slug": "other", "title": "Other", "password": "another password"})
		forged := &http.Cookie{Name: fmt.Sprintf("bs_status_%d", other), Value: ck.Value}
		if r := spGet(t, f.app, "", "/status/other", forged); r.Status != 401 {
			t.Errorf("a cookie of another page: %d", r.Status)
		}
		// Changing the password logs every visitor out.
		if r := do(t, f.app, "PATCH", fmt.Sprintf("/api/v1/status-pages/%d", id), f.alice, `{"password":"new sesame 2"}`); r.Status != 200 {
			t.Fatalf("change password: %d %s", r.Status, r.Body)
		}
		if r := b.get("/status/private"); r.Status != 401 {
			t.Errorf("after a password change: %d", r.Status)
		}
		// Ten wrong passwords from one address for one page, then even the
		// right one waits (the other page, fresh, counts on its own).
		limited := newBrowser(t, f.app)
		limited.get("/status/other")
		for i := range 10 {
			if r := limited.post("/status/other/login", url.Values{"password": {fmt.Sprintf("guess %d", i)}}); r.Status != 401 {
				t.Fatalf("guess %d: %d", i, r.Status)
			}
		}
		r = limited.post("/status/other/login", url.Values{"password": {"another password"}})
		if r.Status != 429 || r.Header.Get("Retry-After") == "" || limited.cookies[fmt.Sprintf("bs_status_%d", other)] != nil {
			t.Errorf("past the limit: %d, Retry-After %q", r.Status, r.Header.Get("Retry-After"))
		}
	})
}

func TestStatusPageCustomDomain(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		cfg.PublicURL = "https://monitor.example.com" // custom domains need it
		f := newSPFixture(t, cfg)
		id := spCreate(t, f.app, f.alice, map[string]any{"slug": "acme", "title": "Acme status", "custom_domain": "status.example.com",
			"sections": []map[string]any{{"name": "Core", "components": []map[string]any{{"monitor_id": f.web, "display_name": "Website"}}}}})

		for _, host := range []string{"status.example.com", "STATUS.Example.com:8443", "status.example.com."} {
			r := spGet(t, f.app, host, "/")
			if r.Status != 200 || !strings.Contains(r.Body, "Acme status") || !strings.Contains(r.Body, `href="/feed.atom"`) {
				t.Fatalf("Host %s /: %d", host, r.Status)
			}
		}
		page := spGet(t, f.app, "status.example.com", "/")
		css := regexp.MustCompile(`href="(/static/[^"]+/app\.css)"`).FindStringSubmatch(page.Body)
		if css == nil {
			t.Fatal("no stylesheet link")
		}
		if r := spGet(t, f.app, "status.example.com", css[1]); r.Status != 200 {
			t.Errorf("stylesheet on the custom domain: %d", r.Status)
		}
		r := spGet(t, f.app, "status.example.com", "/feed.atom")
		var feed statuspage.AtomFeed
		if r.Status != 200 || xml.Unmarshal([]byte(r.Body), &feed) != nil {
			t.Fatalf("feed on the custom domain: %d %s", r.Status, r.Body)
		}
		if feed.Links[0].Href != "http://status.example.com/" || feed.Links[1].Href != "http://status.example.com/feed.atom" {
			t.Errorf("feed links = %+v", feed.Links)
		}
		// The customer's domain never fronts the dashboard or other pages.
		for _, path := range []string{"/status-pages", "/status/acme/feed.atom", "/status/other", "/api/v1/status-pages"} {
			if r := spGet(t, f.app, "status.example.com", path); r.Status != 404 {
				t.Errorf("custom domain %s: %d, want 404", path, r.Status)
			}
		}
		// Any other host is the dashboard, untouched.
		r = spGet(t, f.app, "other.example.com", "/status-pages")
		if r.Status != 303 || r.Header.Get("Location") != "/login?next=%2Fstatus-pages" {
			t.Errorf("unknown host: %d %q", r.Status, r.Header.Get("Location"))
		}
		if r := spGet(t, f.app, "", "/status/acme"); r.Status != 200 {
			t.Errorf("the slug still works on the main host: %d", r.Status)
		}
		// Without its domain, the host falls through to the dashboard at once.
		if r := do(t, f.app, "PATCH", fmt.Sprintf("/api/v1/status-pages/%d", id), f.alice, `{"custom_domain":""}`); r.Status != 200 {
			t.Fatalf("remove domain: %d %s", r.Status, r.Body)
		}
		if r := spGet(t, f.app, "status.example.com", "/status-pages"); r.Status != 303 {
			t.Errorf("after removing the domain: %d", r.Status)
		}
	})
}

func TestBadges(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		f := newSPFixture(t, cfg)
		spIngest(t, f.app, f.web, probe.StatusDown, 3, 0)
		spIngest(t, f.app, f.db, probe.StatusUp, 3, 0)
		paused := f.mustMonitor(t, f.alice, `{"name":"p","url":"https://p.example","paused":true}`)
		enable := func(monitorID int64) statuspage.Badge {
			t.Helper()
			r := do(t, f.app, "POST", fmt.Sprintf("/api/v1/monitors/%d/badge", monitorID), f.alice, "")
			var b statuspage.Badge
			r.JSON(t, &b)
			if r.Status != 200 || len(b.Token) != 43 || !strings.HasSuffix(b.URLs.Status, "/badge/"+b.Token+"/status.svg") {
				t.Fatalf("enable badge: %d %s", r.Status, r.Body)
			}
			return b
		}
		f.run(t, []scenario{
			{name: "no badge before it is enabled", method: "GET", path: fmt.Sprintf("/api/v1/monitors/%d/badge", f.db), auth: "alice", status: 404},
			{name: "other user's monitor", method: "POST", path: fmt.Sprintf("/api/v1/monitors/%d/badge", f.db), auth: "bob", status: 404},
			{name: "other user's disable", method: "DELETE", path: fmt.Sprintf("/api/v1/monitors/%d/badge", f.db), auth: "bob", status: 404},
		})
		up, down, pausedBadge, pending := enable(f.db), enable(f.web), enable(paused), enable(f.hidden)

		tests := []struct {
			name, path  string
			status      int
			contains    []string
			notContains []string
		}{
			{"up is green", up.URLs.Status, 200, []string{">up<", chart.Green}, nil},
			{"down is red", down.URLs.Status, 200, []string{">down<", chart.Red}, nil},
			{"paused is grey", pausedBadge.URLs.Status, 200, []string{">paused<", chart.Grey}, nil},
			{"pending is grey", pending.URLs.Status, 200, []string{">pending<", chart.Grey}, nil},
			{"uptime defaults to 30 days", "/badge/" + up.Token + "/uptime.svg", 200, []string{"uptime 30d", ">100%<", chart.Green}, nil},
			{"uptime over 24 h", "/badge/" + down.Token + "/uptime.svg?window=24h", 200, []string{"uptime 24h", ">0.00%<", chart.Red}, nil},
			{"uptime over 7 days", "/badge/" + up.Token + "/uptime.svg?window=7d", 200, []string{"uptime 7d"}, nil},
			{"uptime over 90 days", "/badge/" + up.Token + "/uptime.svg?window=90d", 200, []string{"uptime 90d"}, nil},
			{"uptime without data", "/badge/" + pending.Token + "/uptime.svg", 200, []string{"no data", chart.Grey}, nil},
			{"another window is a 400", "/badge/" + up.Token + "/uptime.svg?window=1y", 400, []string{"window must be"}, []string{"<svg"}},
			{"response time", up.URLs.ResponseTime, 200, []string{"response time 24h", ">42 ms<", chart.Green}, nil},
			{"malformed token", "/badge/nope/status.svg", 404, nil, []string{"<svg"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := spGet(t, f.app, "", tt.path)
				if r.Status != tt.status {
					t.Fatalf("%s: %d %s", tt.path, r.Status, r.Body)
				}
				h := r.Header
				if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Content-Security-Policy") != "default-src 'none'; style-src 'unsafe-inline'" {
					t.Errorf("headers = %v", h)
				}
				if tt.status == 200 && (h.Get("Content-Type") != "image/svg+xml" || h.Get("Cache-Control") != "public, max-age=60") {
					t.Errorf("Content-Type %q, Cache-Control %q", h.Get("Content-Type"), h.Get("Cache-Control"))
				}
				for _, want := range tt.contains {
					if !strings.Contains(r.Body, want) {
						t.Errorf("lacks %q: %s", want, r.Body)
					}
				}
				assertNone(t, "badge", r.Body, append(secrets, tt.notContains...)...)
			})
		}

		// Rotating makes the old URLs 404; disabling makes every URL 404.
		rotated := enable(f.db)
		if rotated.Token == up.Token {
			t.Fatal("rotation kept the token")
		}
		if r := spGet(t, f.app, "", up.URLs.Status); r.Status != 404 {
			t.Errorf("old token after rotation: %d", r.Status)
		}
		if r := spGet(t, f.app, "", rotated.URLs.Status); r.Status != 200 {
			t.Errorf("new token: %d", r.Status)
		}
		if r := do(t, f.app, "GET", fmt.Sprintf("/api/v1/monitors/%d/badge", f.db), f.alice, ""); r.Status != 200 || !strings.Contains(r.Body, rotated.Token) {
			t.Errorf("get badge: %d %s", r.Status, r.Body)
		}
		if r := do(t, f.app, "DELETE", fmt.Sprintf("/api/v1/monitors/%d/badge", f.db), f.alice, ""); r.Status != 204 {
			t.Fatalf("disable: %d %s", r.Status, r.Body)
		}
		if r := spGet(t, f.app, "", rotated.URLs.Uptime); r.Status != 404 {
			t.Errorf("disabled badge: %d", r.Status)
		}
		if r := do(t, f.app, "DELETE", fmt.Sprintf("/api/v1/monitors/%d/badge", f.db), f.alice, ""); r.Status != 404 {
			t.Errorf("disable twice: %d", r.Status)
		}
	})
}

func TestStatusIncidentUpdates(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		f := newSPFixture(t, cfg)
		spIngest(t, f.app, f.web, probe.StatusDown, 3, 0)
		inc := spIncident(t, f.app, f.alice, f.web)
		path := fmt.Sprintf("/api/v1/incidents/%d/updates", inc)
		written := "  Two spaces, <b>markup</b> & a \"quote\".\nSecond line.  "
		body, err := json.Marshal(map[string]string{"status": "investigating", "message": written})
		if err != nil {
			t.Fatal(err)
		}
		quoted, err := json.Marshal(written)
		if err != nil {
			t.Fatal(err)
		}
		f.run(t, []scenario{
			{name: "bad status", method: "POST", path: path, auth: "alice", body: `{"status":"fixed","message":"x"}`, status: 422, contains: []string{`"status":`}},
			{name: "empty message", method: "POST", path: path, auth: "alice", body: `{"status":"identified","message":"  "}`, status: 422, contains: []string{`"message":`}},
			{name: "too long", method: "POST", path: path, auth: "alice", body: `{"status":"identified","message":"` + strings.Repeat("x", 5001) + `"}`,
				status: 422, contains: []string{`"message":"must be at most 5000 characters"`}},
			{name: "unknown field", method: "POST", path: path, auth: "alice", body: `{"status":"identified","message":"x","public":true}`, status: 422},
			{name: "other user's incident", method: "POST", path: path, auth: "bob", body: `{"status":"identified","message":"x"}`, status: 404},
			{name: "other user's list", method: "GET", path: path, auth: "bob", status: 404},
			{name: "missing incident", method: "POST", path: "/api/v1/incidents/999999/updates", auth: "alice", body: `{"status":"identified","message":"x"}`, status: 404},
			{name: "posted", method: "POST", path: path, auth: "alice", body: string(body), status: 201, contains: []string{`"status":"investigating"`}},
			{name: "listed as written", method: "GET", path: path, auth: "alice", status: 200, contains: []string{`"message":` + string(quoted)}},
			{name: "still open", method: "GET", path: fmt.Sprintf("/api/v1/incidents/%d", inc), auth: "alice", status: 200, contains: []string{`"status":"open"`}},
			{name: "resolved resolves the incident", method: "POST", path: path, auth: "alice", body: `{"status":"resolved","message":"Fixed."}`, status: 201},
			{name: "incident resolved", method: "GET", path: fmt.Sprintf("/api/v1/incidents/%d", inc), auth: "alice", status: 200, contains: []string{`"status":"resolved"`}},
			{name: "resolved again is fine", method: "POST", path: path, auth: "alice", body: `{"status":"resolved","message":"Post-mortem to follow."}`, status: 201},
			{name: "three updates", method: "GET", path: path, auth: "alice", status: 200, contains: []string{"Fixed.", "Post-mortem"}},
		})
	})
}

// TestStatusPageCustomDomainNeedsPublicURL: without public_url the
// dashboard's own address is unknown, so no page may have a custom domain
// (a review took over the dashboard's host that way) and none is routed.
func TestStatusPageCustomDomainNeedsPublicURL(t *testing.T) {
	cfg := testDefaults()
	cfg.DataDir = t.TempDir()
	f := newFixture(t, cfg)
	r := do(t, f.app, "POST", "/api/v1/status-pages", f.alice, `{"slug":"takeover","title":"PHISH","custom_domain":"dash.example.com","sections":[]}`)
	if r.Status != 422 || !strings.Contains(r.Body, `"custom_domain":"needs public_url`) {
		t.Fatalf("custom domain without public_url: %d %s", r.Status, r.Body)
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.Host = "dash.example.com"
	rec := httptest.NewRecorder()
	f.app.HTTP.Echo().ServeHTTP(rec, req)
	if rec.Code != 303 || !strings.HasPrefix(rec.Header().Get("Location"), "/login") {
		t.Errorf("dash.example.com/ = %d %q, want the dashboard's login redirect", rec.Code, rec.Header().Get("Location"))
	}
}
