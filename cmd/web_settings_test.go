package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/betterstack/betterstack/modules/config"
)

// TestWebSettings covers the settings pages on both backends: channels
// (every type's form, create, edit keeping the secret, test send to a local
// receiver, delivery log, delete), maintenance windows, API tokens, the
// password change and the regions page; for each, the empty state, escaping
// of what the owner wrote, the CSRF check and another user's ids.
func TestWebSettings(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		cfg.AllowPrivateWebhooks = true // the test receiver is on 127.0.0.1
		app := MustApp(t, cfg)
		bob := mustWebSignup(t, app, "bob@example.com")
		bob.get("/settings")

		t.Run("index", func(t *testing.T) {
			b := mustWebSignup(t, app, "index@example.com")
			r := b.get("/settings")
			wantHTML(t, "settings", r, http.StatusOK, []string{`href="/settings/channels"`, `href="/settings/maintenance"`,
				`href="/settings/tokens"`, `href="/settings/account"`, `href="/settings/regions"`, `href="/settings" aria-current="page"`}, nil)
		})
		t.Run("channels", func(t *testing.T) { testWebChannels(t, app, bob) })
		t.Run("maintenance", func(t *testing.T) { testWebMaintenance(t, app, bob) })
		t.Run("tokens", func(t *testing.T) { testWebTokens(t, app, bob) })
		t.Run("account", func(t *testing.T) { testWebAccount(t, app) })
		t.Run("regions", func(t *testing.T) { testWebRegions(t, app) })
	})
}

func testWebChannels(t *testing.T, app *App, bob *browser) {
	alice := mustWebSignup(t, app, "channels@example.com")
	api := webSessionToken(t, alice)
	r := alice.get("/settings/channels")
	wantHTML(t, "no channels", r, http.StatusOK, []string{"No channels yet", `href="/settings/channels/new?type=slack"`,
		`href="/settings/channels" aria-current="page"`}, nil)
	for typ, field := range map[string]string{"webhook": "config.secret", "slack": "config.url", "discord": "config.url", "teams": "config.url",
		"telegram": "config.chat_id", "email": "config.to", "pagerduty": "config.routing_key", "opsgenie": "config.api_key", "ntfy": "config.priority"} {
		r = alice.get("/settings/channels/new?type=" + typ)
		wantHTML(t, "new "+typ, r, http.StatusOK, []string{`name="type" value="` + typ + `"`, `name="` + field + `"`, `name="name"`}, nil)
	}
	if r = alice.get("/settings/channels/new?type=pigeon"); r.Status != http.StatusSeeOther {
		t.Errorf("unknown type: %d", r.Status)
	}

	rcv := newReceiver(t, "web-secret-0123456789")
	name := "<script>alert(3)</script>"
	// Refused input is kept and the field named.
	r = alice.post("/settings/channels", url.Values{"type": {"webhook"}, "name": {name}, "config.url": {rcv.srv.URL}, "config.secret": {"short"}})
	wantHTML(t, "bad channel", r, http.StatusUnprocessableEntity, []string{
		`value="&lt;script&gt;alert(3)&lt;/script&gt;"`, `value="` + rcv.srv.URL + `"`, "at least 16", `aria-invalid="true"`,
	}, []string{"<script>alert(3)"})
	r = alice.post("/settings/channels", url.Values{"type": {"email"}, "name": {"mail"}, "config.host": {"smtp.example.com"},
		"config.port": {"many"}, "config.from": {"ops@example.com"}, "config.to": {"a@example.com, b@example.com"}})
	wantHTML(t, "bad port", r, http.StatusUnprocessableEntity, []string{"must be a whole number", "a@example.com, b@example.com"}, nil)
	r = alice.send(http.MethodPost, "/settings/channels", url.Values{"type": {"webhook"}, "name": {"forged"}, "config.url": {rcv.srv.URL},
		"config.secret": {"web-secret-0123456789"}})
	wantHTML(t, "create without CSRF", r, http.StatusForbidden, nil, nil)
	if n := len(webChannels(t, app, api)); n != 0 {
		t.Fatalf("refused forms created %d channels", n)
	}

	r = alice.post("/settings/channels", url.Values{"type": {"webhook"}, "name": {name}, "config.url": {rcv.srv.URL},
		"config.secret": {"web-secret-0123456789"}, "notify_degraded": {"1"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create channel: %d %s", r.Status, r.Body)
	}
	chPath := r.Header.Get("Location")
	r = alice.follow(r)
	wantHTML(t, "channel page", r, http.StatusOK, []string{
		"Channel created.", "&lt;script&gt;alert(3)&lt;/script&gt;", rcv.srv.URL, "saved (hidden)", "Nothing sent yet", `action="` + chPath + `/test"`,
		"Alerts on slowdowns",
	}, []string{"<script>alert(3)", "web-secret-0123456789"})
	chs := webChannels(t, app, api)
	if len(chs) != 1 || chPath != fmt.Sprintf("/settings/channels/%d", chs[0].ID) || !chs[0].NotifyDegraded {
		t.Fatalf("channels after create: %+v (page %s)", chs, chPath)
	}
	r = alice.get("/settings/channels")
	wantHTML(t, "channel list", r, http.StatusOK, []string{`href="` + chPath + `">&lt;script&gt;alert(3)&lt;/script&gt;</a>`}, []string{"No channels yet"})

	wantHTML(t, "test without CSRF", alice.send(http.MethodPost, chPath+"/test", url.Values{}), http.StatusForbidden, nil, nil)
	if n := rcv.count("test"); n != 0 {
		t.Fatalf("a refused test sent %d messages", n)
	}
	// Send test: the outcome is on the next page, and in the delivery log.
	r = alice.post(chPath+"/test", nil)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != chPath {
		t.Fatalf("test: %d %q", r.Status, r.Header.Get("Location"))
	}
	r = alice.follow(r)
	wantHTML(t, "tested", r, http.StatusOK, []string{"Test message delivered in", `pill-up">Delivered`, "<td>test</td>", "delivered in"}, []string{"Nothing sent yet"})
	if n := rcv.count("test"); n != 1 {
		t.Fatalf("receiver got %d signed test events, want 1", n)
	}

	// Edit: the secret is not shown; saved empty, it is kept (the receiver
	// still verifies the signature).
	r = alice.get(chPath + "/edit")
	wantHTML(t, "edit form", r, http.StatusOK, []string{"Saved; leave empty to keep it", `value="&lt;script&gt;alert(3)&lt;/script&gt;"`, "checked"},
		[]string{"web-secret-0123456789", "<script>alert(3)"})
	r = alice.post(chPath, url.Values{"name": {"Ops hook"}, "config.url": {rcv.srv.URL}, "config.secret": {""}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("update: %d %s", r.Status, r.Body)
	}
	alice.follow(r)
	alice.follow(alice.post(chPath+"/test", nil))
	rcv.mu.Lock()
	bad := rcv.bad
	rcv.mu.Unlock()
	if n := rcv.count("test"); n != 2 || bad != 0 {
		t.Fatalf("after the edit: %d signed tests, %d bad signatures; want 2 and 0", n, bad)
	}
	if ch := webChannels(t, app, api)[0]; ch.Name != "Ops hook" || ch.NotifyDegraded {
		t.Fatalf("after the edit: %+v", ch)
	}
	// A failing send says why.
	rcv.failNext.Store(1)
	r = alice.follow(alice.post(chPath+"/test", nil))
	wantHTML(t, "failed test", r, http.StatusOK, []string{"Test message failed:", "503", `pill-down">Failed`}, nil)

	// Without the CSRF token nothing changes.
	r = alice.send(http.MethodPost, chPath+"/delete", url.Values{})
	wantHTML(t, "delete without CSRF", r, http.StatusForbidden, nil, nil)
	r = alice.send(http.MethodPost, chPath, url.Values{"name": {"forged"}})
	wantHTML(t, "update without CSRF", r, http.StatusForbidden, nil, nil)
	// Another user's channel is a 404 everywhere.
	for _, path := range []string{chPath, chPath + "/edit", "/settings/channels/abc", "/settings/channels/99999"} {
		r = bob.get(path)
		wantHTML(t, "bob GET "+path, r, http.StatusNotFound, []string{"channel not found"}, []string{"Ops hook", rcv.srv.URL})
	}
	for _, path := range []string{chPath, chPath + "/test", chPath + "/delete"} {
		r = bob.post(path, url.Values{"name": {"bob's now"}, "config.url": {"https://bob.example"}, "config.secret": {"bob-secret-0123456789"}})
		wantHTML(t, "bob POST "+path, r, http.StatusNotFound, []string{"channel not found"}, nil)
	}
	if chs := webChannels(t, app, api); len(chs) != 1 || chs[0].Name != "Ops hook" || rcv.count("test") != 2 {
		t.Fatalf("after refused posts: %+v, %d tests", chs, rcv.count("test"))
	}

	alice.get(chPath)
	r = alice.post(chPath+"/delete", nil)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/settings/channels" {
		t.Fatalf("delete: %d %q", r.Status, r.Header.Get("Location"))
	}
	wantHTML(t, "deleted", alice.follow(r), http.StatusOK, []string{"Channel deleted", "No channels yet"}, nil)
	if n := len(webChannels(t, app, api)); n != 0 {
		t.Fatalf("%d channels after delete", n)
	}
}

func testWebMaintenance(t *testing.T, app *App, bob *browser) {
	alice := mustWebSignup(t, app, "maintenance@example.com")
	api := webSessionToken(t, alice)
	r := alice.get("/settings/maintenance")
	wantHTML(t, "no windows, no monitors", r, http.StatusOK, []string{"No maintenance windows", "add a monitor"}, []string{`href="/settings/maintenance/new"`})
	r = alice.get("/settings/maintenance/new")
	wantHTML(t, "form without monitors", r, http.StatusOK, []string{"add a monitor</a> first"}, []string{`name="monitor_ids"`})

	evil := "<script>alert(1)</script>"
	mon := mustWebMonitor(t, app, api, evil)
	other := mustWebMonitor(t, app, api, "other")
	r = alice.get("/settings/maintenance/new")
	wantHTML(t, "form", r, http.StatusOK, []string{
		fmt.Sprintf(`name="monitor_ids" value="%d"`, mon), "&lt;script&gt;alert(1)&lt;/script&gt;", `<option value="UTC" selected>`,
		`type="datetime-local" name="starts_at"`, `name="weekdays" value="1"`, `name="kind" value="oneoff" checked`,
	}, []string{"<script>alert(1)"})

	wname := "<i>deploy</i>"
	r = alice.post("/settings/maintenance", url.Values{"name": {wname}, "kind": {"oneoff"}, "monitor_ids": {fmt.Sprint(mon)},
		"time_zone": {"Europe/Berlin"}, "starts_at": {"2030-01-02T10:00"}})
	wantHTML(t, "missing end", r, http.StatusUnprocessableEntity, []string{
		`value="&lt;i&gt;deploy&lt;/i&gt;"`, `value="2030-01-02T10:00"`, `<option value="Europe/Berlin" selected>`, "is required",
		fmt.Sprintf(`value="%d" checked`, mon),
	}, []string{"<i>deploy"})
	r = alice.post("/settings/maintenance", url.Values{"name": {""}, "kind": {"weekly"}, "time_zone": {"Mars/Olympus"}})
	wantHTML(t, "bad weekly", r, http.StatusUnprocessableEntity, []string{"choose at least one day", "is not a time zone name", "must list 1 to 1000 monitors",
		"is required (at most 200 characters)", `name="kind" value="weekly" checked`}, nil)
	r = alice.send(http.MethodPost, "/settings/maintenance", url.Values{"name": {"forged"}, "kind": {"oneoff"}, "monitor_ids": {fmt.Sprint(mon)},
		"starts_at": {"2030-01-02T10:00"}, "ends_at": {"2030-01-02T12:00"}})
	wantHTML(t, "create without CSRF", r, http.StatusForbidden, nil, nil)
	if n := len(webWindows(t, app, api)); n != 0 {
		t.Fatalf("refused forms created %d windows", n)
	}

	r = alice.post("/settings/maintenance", url.Values{"name": {wname}, "kind": {"oneoff"}, "monitor_ids": {fmt.Sprint(mon), fmt.Sprint(other)},
		"time_zone": {"Europe/Berlin"}, "starts_at": {"2030-01-02T10:00"}, "ends_at": {"2030-01-02T12:00"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("one-off window: %d %s", r.Status, r.Body)
	}
	alice.follow(r)
	r = alice.post("/settings/maintenance", url.Values{"name": {"nightly"}, "kind": {"weekly"}, "monitor_ids": {fmt.Sprint(mon)},
		"time_zone": {"Europe/Berlin"}, "weekdays": {"2", "4"}, "start_time": {"03:00"}, "duration_minutes": {"30"},
		"starts_at": {"ignored for weekly"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("weekly window: %d %s", r.Status, r.Body)
	}
	r = alice.follow(r)
	wantHTML(t, "window list", r, http.StatusOK, []string{
		"Maintenance window saved.", "&lt;i&gt;deploy&lt;/i&gt;", "Jan 2, 2030 09:00 – Jan 2, 2030 11:00 UTC", `pill-pending">Scheduled`,
		"Every Tue, Thu at 03:00 for 30 min (Europe/Berlin)", "&lt;script&gt;alert(1)&lt;/script&gt;, other",
	}, []string{"<i>deploy", "<script>alert(1)"})
	ws := webWindows(t, app, api)
	if len(ws) != 2 {
		t.Fatalf("windows: %+v", ws)
	}
	byName := map[string]webWindow{}
	for _, w := range ws {
		byName[w.Name] = w
	}
	if w := byName[wname]; w.StartsAt != "2030-01-02T09:00:00Z" || w.EndsAt != "2030-01-02T11:00:00Z" || len(w.MonitorIDs) != 2 {
		t.Errorf("one-off window through the API: %+v", w)
	}
	if w := byName["nightly"]; fmt.Sprint(w.Weekdays) != "[2 4]" || w.StartTime != "03:00" || w.DurationMinutes != 30 || w.TimeZone != "Europe/Berlin" {
		t.Errorf("weekly window through the API: %+v", w)
	}
	winPath := fmt.Sprintf("/settings/maintenance/%d", byName[wname].ID)
	r = alice.get(winPath)
	wantHTML(t, "window page", r, http.StatusOK, []string{"&lt;i&gt;deploy&lt;/i&gt;", fmt.Sprintf(`href="/monitors/%d">&lt;script&gt;alert(1)&lt;/script&gt;`, mon),
		`action="` + winPath + `/delete"`}, []string{"<i>deploy"})

	r = alice.send(http.MethodPost, winPath+"/delete", url.Values{})
	wantHTML(t, "delete without CSRF", r, http.StatusForbidden, nil, nil)
	for _, path := range []string{winPath, "/settings/maintenance/abc"} {
		wantHTML(t, "bob GET "+path, bob.get(path), http.StatusNotFound, []string{"maintenance window not found"}, []string{"&lt;i&gt;deploy"})
	}
	wantHTML(t, "bob delete", bob.post(winPath+"/delete", nil), http.StatusNotFound, []string{"maintenance window not found"}, nil)
	if r = bob.get("/settings/maintenance"); strings.Contains(r.Body, "&lt;i&gt;deploy") || strings.Contains(r.Body, "nightly") {
		t.Errorf("bob sees alice's windows: %s", r.Body)
	}
	if n := len(webWindows(t, app, api)); n != 2 {
		t.Fatalf("after refused deletes: %d windows", n)
	}
	alice.get(winPath)
	wantHTML(t, "deleted", alice.follow(alice.post(winPath+"/delete", nil)), http.StatusOK, []string{"Maintenance window deleted.", "nightly"}, []string{"&lt;i&gt;deploy"})
	if ws := webWindows(t, app, api); len(ws) != 1 || ws[0].Name != "nightly" {
		t.Fatalf("after delete: %+v", ws)
	}
}

func testWebTokens(t *testing.T, app *App, bob *browser) {
	alice := mustWebSignup(t, app, "tokens@example.com")
	api := webSessionToken(t, alice)
	r := alice.get("/settings/tokens")
	wantHTML(t, "no tokens", r, http.StatusOK, []string{"No API tokens", `name="name"`}, nil)
	r = alice.post("/settings/tokens", url.Values{"name": {" "}})
	wantHTML(t, "unnamed token", r, http.StatusUnprocessableEntity, []string{"is required", `aria-invalid="true"`}, []string{"bst_"})

	wantHTML(t, "create without CSRF", alice.send(http.MethodPost, "/settings/tokens", url.Values{"name": {"forged"}}), http.StatusForbidden, nil, []string{"bst_"})
	if r = alice.get("/settings/tokens"); !strings.Contains(r.Body, "No API tokens") {
		t.Fatal("a refused form created a token")
	}
	name := "<script>alert(4)</script>"
	r = alice.post("/settings/tokens", url.Values{"name": {name}})
	wantHTML(t, "token created", r, http.StatusOK, []string{"shown only this once", "&lt;script&gt;alert(4)&lt;/script&gt;"}, []string{"<script>alert(4)"})
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q", cc)
	}
	secret := pageLink(t, r.Body, `<p class="secret" id="new-token">(bst_[A-Za-z0-9_-]+)</p>`)
	if me := do(t, app, "GET", "/api/v1/me", secret, ""); me.Status != http.StatusOK || !strings.Contains(me.Body, "tokens@example.com") {
		t.Fatalf("the new token on the API: %d %s", me.Status, me.Body)
	}
	r = alice.get("/settings/tokens")
	wantHTML(t, "token list", r, http.StatusOK, []string{"&lt;script&gt;alert(4)&lt;/script&gt;", secret[:10] + "…", "0 s ago"},
		[]string{secret, "shown only this once", "never"})
	if alice.cookies["bs_flash"] != nil && strings.Contains(alice.cookies["bs_flash"].Value, "bst_") {
		t.Error("the secret went into a cookie")
	}
	var toks struct {
		Data []struct{ ID int64 }
	}
	do(t, app, "GET", "/api/v1/tokens", api, "").JSON(t, &toks)
	if len(toks.Data) != 1 {
		t.Fatalf("tokens: %+v", toks)
	}
	delPath := fmt.Sprintf("/settings/tokens/%d/delete", toks.Data[0].ID)

	wantHTML(t, "revoke without CSRF", alice.send(http.MethodPost, delPath, url.Values{}), http.StatusForbidden, nil, nil)
	wantHTML(t, "bob revokes", bob.post(delPath, nil), http.StatusNotFound, []string{"token not found"}, nil)
	wantHTML(t, "bad id", alice.post("/settings/tokens/abc/delete", nil), http.StatusNotFound, []string{"token not found"}, nil)
	if r = bob.get("/settings/tokens"); strings.Contains(r.Body, "alert(4)") {
		t.Error("bob sees alice's token")
	}
	if me := do(t, app, "GET", "/api/v1/me", secret, ""); me.Status != http.StatusOK {
		t.Fatalf("token after refused revokes: %d", me.Status)
	}
	alice.get("/settings/tokens")
	r = alice.post(delPath, nil)
	wantHTML(t, "revoked", alice.follow(r), http.StatusOK, []string{"API token revoked", "No API tokens"}, nil)
	if me := do(t, app, "GET", "/api/v1/me", secret, ""); me.Status != http.StatusUnauthorized {
		t.Fatalf("revoked token: %d", me.Status)
	}
}

func testWebAccount(t *testing.T, app *App) {
	alice := mustWebSignup(t, app, "account@example.com")
	other := newBrowser(t, app) // the same user in another browser
	other.get("/login")
	if r := other.post("/login", url.Values{"email": {"account@example.com"}, "password": {"correct horse"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("second login: %d", r.Status)
	}
	r := alice.get("/settings/account")
	wantHTML(t, "account", r, http.StatusOK, []string{"account@example.com", `name="current_password"`, `name="new_password"`}, nil)

	r = alice.post("/settings/account/password", url.Values{"current_password": {"wrong horse"}, "new_password": {"battery staple"}})
	wantHTML(t, "wrong current", r, http.StatusUnprocessableEntity, []string{"is not your current password"}, []string{"wrong horse", "battery staple"})
	r = alice.post("/settings/account/password", url.Values{"current_password": {"correct horse"}, "new_password": {"short"}})
	wantHTML(t, "short new", r, http.StatusUnprocessableEntity, []string{"must be at least 8 characters"}, nil)
	r = alice.send(http.MethodPost, "/settings/account/password", url.Values{"current_password": {"correct horse"}, "new_password": {"battery staple"}})
	wantHTML(t, "without CSRF", r, http.StatusForbidden, nil, nil)
	if r = other.get("/settings/account"); r.Status != http.StatusOK {
		t.Fatalf("refused changes logged the other browser out: %d", r.Status)
	}

	r = alice.post("/settings/account/password", url.Values{"current_password": {"correct horse"}, "new_password": {"battery staple"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("change password: %d %s", r.Status, r.Body)
	}
	wantHTML(t, "changed", alice.follow(r), http.StatusOK, []string{"Password changed."}, nil)
	if r = alice.get("/settings"); r.Status != http.StatusOK {
		t.Fatalf("this browser after the change: %d", r.Status)
	}
	if r = other.get("/settings/account"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Fatalf("the other browser after the change: %d %q", r.Status, r.Header.Get("Location"))
	}
	if r := do(t, app, "POST", "/api/v1/auth/login", "", `{"email":"account@example.com","password":"battery staple"}`); r.Status != http.StatusOK {
		t.Fatalf("login with the new password: %d %s", r.Status, r.Body)
	}
}

func testWebRegions(t *testing.T, app *App) {
	alice := mustWebSignup(t, app, "regions@example.com")
	r := alice.get("/settings/regions")
	wantHTML(t, "no regions", r, http.StatusOK, []string{"No workers have reported yet", "betterstack serve --role=worker --region=NAME"}, []string{"pill-up"})
	if err := app.Queue.Heartbeat(context.Background(), "eu-test", "worker-1"); err != nil {
		t.Fatal(err)
	}
	r = alice.get("/settings/regions")
	wantHTML(t, "a live region", r, http.StatusOK, []string{"<td>eu-test</td>", `pill-up">Live`, `<td class="num">1</td>`}, []string{"No workers have reported yet"})
}

// webChannel is a channel as the API shows it.
type webChannel struct {
	ID             int64           `json:"id"`
	Name           string          `json:"name"`
	Config         json.RawMessage `json:"config"`
	NotifyDegraded bool            `json:"notify_degraded"`
}

func webChannels(t *testing.T, app *App, token string) []webChannel {
	t.Helper()
	var page struct{ Data []webChannel }
	r := do(t, app, "GET", "/api/v1/channels", token, "")
	if r.Status != http.StatusOK {
		t.Fatalf("channels: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &page)
	return page.Data
}

// webWindow is a maintenance window as the API shows it.
type webWindow struct {
	ID              int64   `json:"id"`
	Name            string  `json:"name"`
	MonitorIDs      []int64 `json:"monitor_ids"`
	StartsAt        string  `json:"starts_at"`
	EndsAt          string  `json:"ends_at"`
	Weekdays        []int   `json:"weekdays"`
	StartTime       string  `json:"start_time"`
	DurationMinutes int     `json:"duration_minutes"`
	TimeZone        string  `json:"time_zone"`
}

func webWindows(t *testing.T, app *App, token string) []webWindow {
	t.Helper()
	var page struct{ Data []webWindow }
	r := do(t, app, "GET", "/api/v1/maintenance-windows", token, "")
	if r.Status != http.StatusOK {
		t.Fatalf("windows: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &page)
	return page.Data
}
