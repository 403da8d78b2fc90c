package cmd

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/betterstack/betterstack/modules/config"
	"github.com/betterstack/betterstack/modules/probe"
)

// TestWebStatusPages drives the dashboard's status page pages like a
// browser without JavaScript: list, create (with refused input kept and
// errors pointing at textarea lines), edit, password, delete with
// confirmation, incident updates; CSRF and tenant isolation throughout.
func TestWebStatusPages(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		app := MustApp(t, cfg)
		alice := mustWebSignup(t, app, "alice@example.com")
		bob := mustWebSignup(t, app, "bob@example.com")
		aliceToken, bobToken := alice.cookies["bs_session"].Value, bob.cookies["bs_session"].Value
		web := spMonitor(t, app, aliceToken, `{"name":"web-prod-7 internal","url":"http://127.0.0.1:1/secret-path-XYZ"}`)
		db := spMonitor(t, app, aliceToken, `{"name":"db-primary internal","url":"http://127.0.0.1:1/db"}`)
		bobs := spMonitor(t, app, bobToken, `{"name":"Bob secret","url":"https://bob.example"}`)

		if r := newBrowser(t, app).get("/status-pages"); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login?next=%2Fstatus-pages" {
			t.Fatalf("anonymous: %d %q", r.Status, r.Header.Get("Location"))
		}
		r := alice.get("/status-pages")
		if r.Status != 200 || !strings.Contains(r.Body, "No status pages yet") || !strings.Contains(r.Body, `href="/status-pages" aria-current="page"`) {
			t.Fatalf("empty list: %d %s", r.Status, r.Body)
		}
		r = alice.get("/status-pages/new")
		if r.Status != 200 || !strings.Contains(r.Body, fmt.Sprintf("<code>%d</code> web-prod-7 internal", web)) || strings.Contains(r.Body, "Bob secret") {
			t.Fatalf("new form lists the user's monitors only: %d %s", r.Status, r.Body)
		}

		form := url.Values{"slug": {"acme"}, "title": {"Acme"}, "description": {"Our services"},
			"components": {fmt.Sprintf("Core | %d | Public site\nCore | #%d | Database", web, db)}}
		if r := alice.send("POST", "/status-pages", form); r.Status != http.StatusForbidden {
			t.Fatalf("create without CSRF: %d", r.Status)
		}
		bad := url.Values{"slug": {"acme"}, "title": {"Acme " + xssScript}, "components": {fmt.Sprintf("Core | %d | Public site\nCore | twelve\n", web)}}
		r = alice.post("/status-pages", bad)
		if r.Status != 422 || !strings.Contains(r.Body, "line 2: ") || !strings.Contains(r.Body, `value="acme"`) ||
			!strings.Contains(r.Body, "Acme &lt;script&gt;") || strings.Contains(r.Body, xssScript) {
			t.Fatalf("unreadable line: %d %s", r.Status, r.Body)
		}
		bad = url.Values{"slug": {"Not OK"}, "title": {"Acme"}, "components": {fmt.Sprintf("Core | %d | Public site\nCore | %d | Theirs", web, bobs)}}
		r = alice.post("/status-pages", bad)
		if r.Status != 422 || !strings.Contains(r.Body, "line 2: monitor id is not one of your monitors") || !strings.Contains(r.Body, "lowercase letters") ||
			!strings.Contains(r.Body, "Core | "+fmt.Sprint(web)+" | Public site") {
			t.Fatalf("another user's monitor: %d %s", r.Status, r.Body)
		}
		r = alice.post("/status-pages", form)
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/status-pages" {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		r = alice.follow(r)
		if !strings.Contains(r.Body, "live at /status/acme") || !strings.Contains(r.Body, `<a href="/status/acme">/status/acme</a>`) || !strings.Contains(r.Body, "Public") {
			t.Fatalf("list: %s", r.Body)
		}
		id := pageID(t, r.Body)
		if r := spGet(t, app, "", "/status/acme"); r.Status != 200 || !strings.Contains(r.Body, "Public site") || strings.Contains(r.Body, "web-prod-7") {
			t.Fatalf("public page: %d", r.Status)
		}
		// Slug taken by another user: the field says so.
		bob.get("/status-pages/new")
		r = bob.post("/status-pages", url.Values{"slug": {"acme"}, "title": {"Bob's"}, "components": {fmt.Sprintf("B | %d | Bob", bobs)}})
		if r.Status != http.StatusConflict || !strings.Contains(r.Body, "is taken") {
			t.Errorf("taken slug: %d %s", r.Status, r.Body)
		}

		// Edit: the textarea holds the components; a password protects the page.
		r = alice.get(fmt.Sprintf("/status-pages/%d/edit", id))
		if r.Status != 200 || !strings.Contains(r.Body, fmt.Sprintf("Core | %d | Public site\nCore | %d | Database", web, db)) {
			t.Fatalf("edit form: %d %s", r.Status, r.Body)
		}
		edit := url.Values{"slug": {"acme"}, "title": {"Acme"}, "components": {fmt.Sprintf("Core | %d | Public site", web)}, "password": {"visitor pass"}}
		if r := alice.post(fmt.Sprintf("/status-pages/%d", id), edit); r.Status != http.StatusSeeOther {
			t.Fatalf("update: %d %s", r.Status, r.Body)
		}
		if r := spGet(t, app, "", "/status/acme"); r.Status != 401 {
			t.Errorf("after setting a password: %d", r.Status)
		}
		r = alice.get(fmt.Sprintf("/status-pages/%d/edit", id))
		if !strings.Contains(r.Body, `name="remove_password"`) || strings.Contains(r.Body, "visitor pass") {
			t.Errorf("edit form of a protected page: %s", r.Body)
		}
		edit.Del("password") // blank keeps it
		alice.post(fmt.Sprintf("/status-pages/%d", id), edit)
		if r := spGet(t, app, "", "/status/acme"); r.Status != 401 {
			t.Errorf("a blank password must keep it: %d", r.Status)
		}
		edit.Set("remove_password", "1")
		alice.post(fmt.Sprintf("/status-pages/%d", id), edit)
		if r := spGet(t, app, "", "/status/acme"); r.Status != 200 || strings.Contains(r.Body, "Database") {
			t.Errorf("after removing the password and a component: %d", r.Status)
		}

		// Bob cannot see, edit or delete Alice's page.
		for _, path := range []string{fmt.Sprintf("/status-pages/%d/edit", id), fmt.Sprintf("/status-pages/%d/delete", id)} {
			if r := bob.get(path); r.Status != 404 || strings.Contains(r.Body, "Acme") {
				t.Errorf("bob GET %s: %d", path, r.Status)
			}
		}
		bob.get("/status-pages")
		if r := bob.post(fmt.Sprintf("/status-pages/%d/delete", id), nil); r.Status != 404 {
			t.Errorf("bob deletes alice's page: %d", r.Status)
		}
		theirs := url.Values{"slug": {"acme"}, "title": {"Pwned"}, "components": {""}}
		if r := bob.post(fmt.Sprintf("/status-pages/%d", id), theirs); r.Status != 404 {
			t.Errorf("bob edits alice's page: %d", r.Status)
		}

		// Incident updates from the dashboard.
		spIngest(t, app, web, probe.StatusDown, 3, 0)
		inc := spIncident(t, app, aliceToken, web)
		r = alice.get(fmt.Sprintf("/incidents/%d/updates", inc))
		if r.Status != 200 || !strings.Contains(r.Body, "No public updates yet") || !strings.Contains(r.Body, "web-prod-7 internal") {
			t.Fatalf("updates page: %d %s", r.Status, r.Body)
		}
		if r := bob.get(fmt.Sprintf("/incidents/%d/updates", inc)); r.Status != 404 {
			t.Errorf("bob's view of alice's incident: %d", r.Status)
		}
		if r := alice.send("POST", fmt.Sprintf("/incidents/%d/updates", inc), url.Values{"status": {"identified"}, "message": {"x"}}); r.Status != 403 {
			t.Errorf("update without CSRF: %d", r.Status)
		}
		r = alice.post(fmt.Sprintf("/incidents/%d/updates", inc), url.Values{"status": {"identified"}, "message": {"  "}})
		if r.Status != 422 || !strings.Contains(r.Body, "is required") {
			t.Errorf("empty update: %d %s", r.Status, r.Body)
		}
		msg := "A bad deploy " + xssScript + ".\nRolled back."
		r = alice.post(fmt.Sprintf("/incidents/%d/updates", inc), url.Values{"status": {"identified"}, "message": {msg}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("post update: %d %s", r.Status, r.Body)
		}
		r = alice.follow(r)
		if !strings.Contains(r.Body, "Update posted") || !strings.Contains(r.Body, "A bad deploy &lt;script&gt;") || strings.Contains(r.Body, xssScript) {
			t.Errorf("after posting: %s", r.Body)
		}
		if r := spGet(t, app, "", "/status/acme"); !strings.Contains(r.Body, "A bad deploy &lt;script&gt;alert(1)&lt;/script&gt;.<br>Rolled back.") {
			t.Errorf("the public page lacks the update: %s", r.Body)
		}
		r = alice.post(fmt.Sprintf("/incidents/%d/updates", inc), url.Values{"status": {"resolved"}, "message": {"All good."}})
		if r = alice.follow(r); !strings.Contains(r.Body, "incident resolved") {
			t.Errorf("resolving update: %s", r.Body)
		}

		// Delete, after confirming.
		r = alice.get(fmt.Sprintf("/status-pages/%d/delete", id))
		if r.Status != 200 || !strings.Contains(r.Body, "Delete Acme?") {
			t.Fatalf("confirm: %d %s", r.Status, r.Body)
		}
		if r := alice.send("POST", fmt.Sprintf("/status-pages/%d/delete", id), url.Values{}); r.Status != 403 {
			t.Errorf("delete without CSRF: %d", r.Status)
		}
		if r := alice.post(fmt.Sprintf("/status-pages/%d/delete", id), nil); r.Status != http.StatusSeeOther {
			t.Fatalf("delete: %d %s", r.Status, r.Body)
		}
		if r := spGet(t, app, "", "/status/acme"); r.Status != 404 {
			t.Errorf("deleted page: %d", r.Status)
		}
	})
}

// spMonitor creates a monitor through the API with a session token.
func spMonitor(t *testing.T, app *App, token, body string) int64 {
	t.Helper()
	return fixture{app: app}.mustMonitor(t, token, body)
}

var editLink = regexp.MustCompile(`href="/status-pages/(\d+)/edit"`)

// pageID reads the first status page id from the list's edit link.
func pageID(t *testing.T, body string) int64 {
	t.Helper()
	m := editLink.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no edit link in %s", body)
	}
	id, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestStatusPageBrowser loads a public page in Chromium with scripting
// off, as a visitor without JavaScript: the headline, components, bars and
// updates are all there, drawn on the server.
func TestStatusPageBrowser(t *testing.T) {
	ctx := mustChrome(t)
	cfg := backends()[0].cfg(t)
	cfg.Roles = []string{"api", "dashboard"} // no checks of its own: the test's results stand
	f := newSPFixture(t, cfg)
	base, _ := startApp(t, f.app)
	spIngest(t, f.app, f.web, probe.StatusDown, 3, 0)
	spIngest(t, f.app, f.db, probe.StatusUp, 3, 0)
	inc := spIncident(t, f.app, f.alice, f.web)
	if r := do(t, f.app, "POST", fmt.Sprintf("/api/v1/incidents/%d/updates", inc), f.alice,
		`{"status":"identified","message":"A bad deploy.\nRolling back now."}`); r.Status != 201 {
		t.Fatalf("update: %d %s", r.Status, r.Body)
	}
	id := spCreate(t, f.app, f.alice, map[string]any{"slug": "acme", "title": "Acme status", "description": "How our services are doing.",
		"sections": []map[string]any{
			{"name": "Website", "components": []map[string]any{{"monitor_id": f.web, "display_name": "Shop"}}},
			{"name": "Back end", "components": []map[string]any{{"monitor_id": f.db, "display_name": "Database"}, {"monitor_id": f.aliceMonitor, "display_name": "API"}}},
		}})

	run(t, ctx, "load the page without scripts",
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			return err
		}),
		chromedp.Navigate(base+"/status/acme"))
	overall := value(t, ctx, "headline", chromedp.Text(chromedp.CSS(".overall")))
	update := value(t, ctx, "update", chromedp.Text(chromedp.CSS(".update")))
	charts := value(t, ctx, "charts", chromedp.Nodes(chromedp.CSSAll(".component svg")))
	bars := value(t, ctx, "bars", chromedp.Nodes(chromedp.CSSAll(".component svg rect")))
	if overall != "Partial outage" || len(charts) != 3 || len(bars) != 3*90 || !strings.Contains(update, "A bad deploy.\nRolling back now.") {
		t.Errorf("overall %q, %d bar charts, %d bars, update %q", overall, len(charts), len(bars), update)
	}
	screenshot(t, ctx, "status-page")

	// The owner's form, scripts on, as the dashboard is used.
	run(t, ctx, "log in",
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: false})
			return err
		}),
		chromedp.Navigate(base+fmt.Sprintf("/login?next=/status-pages/%d/edit", id)),
		chromedp.SendKeys(chromedp.CSS(`input[name="email"]`), "alice@example.com"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), "correct horse"),
		chromedp.Submit(chromedp.CSS(`input[name="password"]`)),
		chromedp.WaitVisible(chromedp.CSS(`textarea[name="components"]`)))
	lines := value(t, ctx, "components", chromedp.Value(chromedp.CSS(`textarea[name="components"]`)))
	if want := fmt.Sprintf("Website | %d | Shop\nBack end | %d | Database\nBack end | %d | API\n", f.web, f.db, f.aliceMonitor); lines != want {
		t.Errorf("components textarea = %q, want %q", lines, want)
	}
	screenshot(t, ctx, "status-page-form")
}
