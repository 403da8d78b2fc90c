package cmd

import (
	"encoding/json"
	"fmt"
	"github.com/betterstack/betterstack/modules/config"
	"net/http"
	"strings"
	"testing"
)

// TestTextFieldsRefuseControlCharacters: every name, title and message
// others see refuses control characters (a bell, an escape sequence, a
// carriage return hiding what came before it) with a 422 naming the field,
// and counts its length in characters, not bytes: one at the limit in
// "é" (two bytes each) is taken. Messages may have line breaks. An
// outside review found status pages, token names and incident updates
// taking them, and token names counting bytes.
func TestTextFieldsRefuseControlCharacters(t *testing.T) {
	cfg := testDefaults()
	cfg.DataDir = t.TempDir()
	f := newFixture(t, cfg)
	page := func(title, desc, section, display string) string {
		js := func(s string) string { b, _ := json.Marshal(s); return string(b) }
		return fmt.Sprintf(`{"slug":"p%d","title":%s,"description":%s,"sections":[{"name":%s,"components":[{"monitor_id":%d,"display_name":%s}]}]}`,
			len(title)+len(desc)+len(section)+len(display), js(title), js(desc), js(section), f.aliceMonitor, js(display))
	}
	e100 := strings.Repeat("é", 100)
	f.run(t, []scenario{
		{name: "page: title with a bell", method: "POST", path: "/api/v1/status-pages", auth: "alice",
			body: page("bell\a", "d", "s", "n"), status: 422, contains: []string{`"title":"must not contain control characters`}},
		{name: "page: description with an escape", method: "POST", path: "/api/v1/status-pages", auth: "alice",
			body: page("t", "d\x1b[2J", "s", "n"), status: 422, contains: []string{`"description":"must not contain control characters other than line breaks`}},
		{name: "page: section name with CRLF", method: "POST", path: "/api/v1/status-pages", auth: "alice",
			body: page("t", "d", "s\r\nx", "n"), status: 422, contains: []string{`"sections[0].name"`}},
		{name: "page: display name with a backspace", method: "POST", path: "/api/v1/status-pages", auth: "alice",
			body: page("t", "d", "s", "n\b"), status: 422, contains: []string{`"sections[0].components[0].display_name"`}},
		{name: "page: nothing was made", method: "GET", path: "/api/v1/status-pages", auth: "alice", status: 200, contains: []string{`"data":[]`}},
		{name: "page: a description over lines is fine", method: "POST", path: "/api/v1/status-pages", auth: "alice",
			body: page("Acme", "line one\nline two\twith a tab", "Core", "API"), status: 201, contains: []string{`line one\nline two\twith a tab`}},
		{name: "token: name with CRLF", method: "POST", path: "/api/v1/tokens", auth: "alice",
			body: `{"name":"ci\r\nX-Injected: 1"}`, status: 422, contains: []string{`"name":"must not contain control characters`}},
		{name: "token: 100 two-byte characters", method: "POST", path: "/api/v1/tokens", auth: "alice",
			body: `{"name":"` + e100 + `"}`, status: 201},
		{name: "token: 101 two-byte characters", method: "POST", path: "/api/v1/tokens", auth: "alice",
			body: `{"name":"` + e100 + `é"}`, status: 422, contains: []string{`"name":"must be at most 100 characters"`}},
		{name: "monitor: name with an escape", method: "PATCH", path: "/api/v1/monitors/{alice_monitor}", auth: "alice",
			body: `{"name":"shop\u001b[31m"}`, status: 422, contains: []string{`"name"`}},
		{name: "monitor: name of 100 two-byte characters", method: "PATCH", path: "/api/v1/monitors/{alice_monitor}", auth: "alice",
			body: `{"name":"` + e100 + `"}`, status: 200},
		{name: "channel: name with a NUL", method: "POST", path: "/api/v1/channels", auth: "alice",
			body: `{"name":"ops\u0000","type":"slack","config":{"url":"https://h.example"}}`, status: 422, contains: []string{`"name"`}},
		{name: "window: name with a bell", method: "POST", path: "/api/v1/maintenance-windows", auth: "alice",
			body: `{"name":"deploy\u0007","monitor_ids":[{alice_monitor}],"weekdays":[2],"start_time":"03:00","duration_minutes":30}`, status: 422, contains: []string{`"name"`}},
		{name: "workspace: name with a tab", method: "PATCH", path: "/api/v1/workspace", auth: "alice",
			body: `{"name":"Acme\tInc"}`, status: 422, contains: []string{`"name"`}},
		{name: "monitor: NUL in the check names the check's field", method: "POST", path: "/api/v1/monitors", auth: "alice",
			body: `{"name":"n","check":{"kind":"http","url":"http://x.test/\u0000"}}`, status: 422, contains: []string{`"check.url":"must not contain NUL`}},
		{name: "token: a date without a time names expires_at", method: "POST", path: "/api/v1/tokens", auth: "alice",
			body: `{"name":"x","expires_at":"2030-01-01"}`, status: 422, contains: []string{`"expires_at":"must be an RFC 3339 time`}},
		{name: "workspace: unchanged", method: "GET", path: "/api/v1/workspace", auth: "alice", status: http.StatusOK, notContains: []string{`\t`}},
	})
}

// TestCheckSecretsMasked: a check's header values (often a credential of
// the service checked) are shown masked by the API, to every role; sending
// the mask back keeps the stored value, a new value replaces it, and the
// mask for a header that has no stored value is refused, naming it.
func TestCheckSecretsMasked(t *testing.T) {
	cfg := testDefaults()
	cfg.DataDir = t.TempDir()
	f := newFixture(t, cfg)
	stored := func() string {
		var spec string
		if err := f.app.DB.Raw("SELECT check_spec FROM monitors WHERE id = ?", f.aliceMonitor).Scan(&spec).Error; err != nil {
			t.Fatal(err)
		}
		return spec
	}
	f.run(t, []scenario{
		{name: "set a secret header", method: "PATCH", path: "/api/v1/monitors/{alice_monitor}", auth: "alice",
			body: `{"check":{"headers":{"Authorization":"Bearer s3cr3t","X-Plain":""}}}`, status: 200,
			contains: []string{`"Authorization":"********"`, `"X-Plain":""`}, notContains: []string{"s3cr3t"}},
		{name: "read back masked", method: "GET", path: "/api/v1/monitors/{alice_monitor}", auth: "alice", status: 200,
			contains: []string{`"Authorization":"********"`}, notContains: []string{"s3cr3t"}},
		{name: "listed masked", method: "GET", path: "/api/v1/monitors", auth: "alice", status: 200, notContains: []string{"s3cr3t"}},
		{name: "the mask sent back with another change", method: "PATCH", path: "/api/v1/monitors/{alice_monitor}", auth: "alice",
			body: `{"check":{"headers":{"Authorization":"********","X-Plain":""},"method":"HEAD"}}`, status: 200, contains: []string{`"method":"HEAD"`}},
	})
	if s := stored(); !strings.Contains(s, "Bearer s3cr3t") || strings.Contains(s, "********") {
		t.Fatalf("after sending the mask back, stored %s, want the secret kept", s)
	}
	f.run(t, []scenario{
		{name: "the mask for a header with nothing stored", method: "PATCH", path: "/api/v1/monitors/{alice_monitor}", auth: "alice",
			body: `{"check":{"headers":{"Authorization":"********","X-New":"********"}}}`, status: 422, contains: []string{`"check.headers.X-New"`}},
		{name: "a new value replaces it", method: "PATCH", path: "/api/v1/monitors/{alice_monitor}", auth: "alice",
			body: `{"check":{"headers":{"Authorization":"Bearer n3w"}}}`, status: 200, notContains: []string{"n3w"}},
	})
	if s := stored(); !strings.Contains(s, "Bearer n3w") || strings.Contains(s, "s3cr3t") {
		t.Fatalf("after a new value, stored %s", s)
	}
	f.run(t, []scenario{
		{name: "a new monitor cannot be given the mask", method: "POST", path: "/api/v1/monitors", auth: "alice",
			body: `{"name":"m","check":{"kind":"http","url":"https://x.example","headers":{"A":"********"}}}`, status: 422, contains: []string{`"check.headers.A"`}},
	})
}

// TestMonitorEditsSayWhatIsWrong: from a new user's walkthrough. Changing
// only the interval of a monitor whose timeout was left at its default
// moves the timeout along (it was refused: "timeout_ms must be below the
// interval" for a timeout nobody set); a timeout that was set is named
// with its value. A new monitor whose check is wrong is told what is wrong
// with the check, not that a name is required (the name would be made
// from the check).
func TestMonitorEditsSayWhatIsWrong(t *testing.T) {
	cfg := testDefaults()
	cfg.DataDir = t.TempDir()
	cfg.MinInterval = 5e9
	f := newFixture(t, cfg)
	f.run(t, []scenario{
		{name: "interval down to 10 s, default timeout follows", method: "PATCH", path: "/api/v1/monitors/{alice_monitor}", auth: "alice",
			body: `{"interval_seconds":10}`, status: 200, contains: []string{`"interval_seconds":10`, `"timeout_ms":9000`}},
		{name: "interval back to 60 s, default timeout follows", method: "PATCH", path: "/api/v1/monitors/{alice_monitor}", auth: "alice",
			body: `{"interval_seconds":60}`, status: 200, contains: []string{`"interval_seconds":60`, `"timeout_ms":10000`}},
		{name: "a timeout set stays", method: "PATCH", path: "/api/v1/monitors/{alice_monitor}", auth: "alice",
			body: `{"timeout_ms":8000}`, status: 200, contains: []string{`"timeout_ms":8000`}},
		{name: "and is named when the interval gets below it", method: "PATCH", path: "/api/v1/monitors/{alice_monitor}", auth: "alice",
			body: `{"interval_seconds":6}`, status: 422, contains: []string{`"timeout_ms":"is 8000 ms, and must be below the interval (6 s = 6000 ms)`}},
		{name: "a wrong check without a name", method: "POST", path: "/api/v1/monitors", auth: "alice",
			body: `{"check":{"kind":"http","url":"ftp://x"}}`, status: 422, contains: []string{`"check.url"`}, notContains: []string{`"name"`}},
		{name: "a wrong check with an empty name", method: "POST", path: "/api/v1/monitors", auth: "alice",
			body: `{"name":"","check":{"kind":"http","url":"ftp://x"}}`, status: 422, contains: []string{`"check.url"`}, notContains: []string{`"name"`}},
		{name: "a right check without a name is named after it", method: "POST", path: "/api/v1/monitors", auth: "alice",
			body: `{"check":{"kind":"http","url":"https://named.example/"}}`, status: 201, contains: []string{`"name":"named.example"`}},
	})
	var m struct{ ID int64 }
	r := do(t, f.app, "POST", "/api/v1/monitors", f.alice, `{"check":{"kind":"http","url":"https://old.example/"}}`)
	r.JSON(t, &m)
	path := fmt.Sprintf("/api/v1/monitors/%d", m.ID)
	want(t, "a name made from the target follows a new target", do(t, f.app, "PATCH", path, f.alice, `{"check":{"url":"https://new.example/x"}}`),
		http.StatusOK, `"name":"new.example"`)
	want(t, "a change elsewhere keeps it", do(t, f.app, "PATCH", path, f.alice, `{"interval_seconds":120}`), http.StatusOK, `"name":"new.example"`)
	want(t, "a name given", do(t, f.app, "PATCH", path, f.alice, `{"name":"Shop"}`), http.StatusOK, `"name":"Shop"`)
	want(t, "stays with a new target", do(t, f.app, "PATCH", path, f.alice, `{"check":{"url":"https://newer.example/"}}`), http.StatusOK, `"name":"Shop"`)
	want(t, "a name and a target together", do(t, f.app, "PATCH", path, f.alice, `{"name":"newest.example","check":{"url":"https://newest.example/"}}`),
		http.StatusOK, `"name":"newest.example"`)
}

// TestWorkspaceCreatedWithKey: a new workspace may be given its key, as
// PATCH /workspace may change it (POST refused "key" as unknown); a bad
// or taken key is named and makes nothing.
func TestWorkspaceCreatedWithKey(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		app := MustApp(t, cfg)
		s := mustSignup(t, app, "ws@example.com")
		want(t, "with a key", do(t, app, "POST", "/api/v1/workspaces", s, `{"name":"Ops","key":"ops-team"}`), http.StatusCreated, `"key":"ops-team"`)
		want(t, "without one, made from the name", do(t, app, "POST", "/api/v1/workspaces", s, `{"name":"Web Team"}`), http.StatusCreated, `"key":"web-team"`)
		want(t, "a taken key", do(t, app, "POST", "/api/v1/workspaces", s, `{"name":"Other","key":"ops-team"}`), http.StatusUnprocessableEntity, `"key":"is taken`)
		want(t, "a bad key", do(t, app, "POST", "/api/v1/workspaces", s, `{"name":"Other","key":"Not A Key"}`), http.StatusUnprocessableEntity, `"key"`)
		r := do(t, app, "GET", "/api/v1/workspaces", s, "")
		if strings.Contains(r.Body, `"Other"`) || strings.Count(r.Body, `"key":`) != 3 {
			t.Fatalf("workspaces after the refusals: %s", r.Body)
		}
	})
}

// TestAPIWrongMethodIs405: a wrong method on an API route answers 405
// with the methods it takes, with or without a token (it answered 404
// "no such route", or 401 before that without a token).
func TestAPIWrongMethodIs405(t *testing.T) {
	cfg := testDefaults()
	cfg.DataDir = t.TempDir()
	f := newFixture(t, cfg)
	for _, tc := range []struct{ method, path, token, allow string }{
		{"PUT", fmt.Sprintf("/api/v1/monitors/%d", f.aliceMonitor), f.alice, "GET, PATCH, DELETE"},
		{"POST", fmt.Sprintf("/api/v1/monitors/%d", f.aliceMonitor), f.alice, "GET, PATCH, DELETE"},
		{"GET", fmt.Sprintf("/api/v1/monitors/%d/pause", f.aliceMonitor), f.alice, "POST"},
		{"GET", "/api/v1/auth/login", "", "POST"},
		{"DELETE", "/api/v1/auth/login", "", "POST"},
	} {
		r := do(t, f.app, tc.method, tc.path, tc.token, "")
		if r.Status != http.StatusMethodNotAllowed || r.Header.Get("Allow") != tc.allow || !strings.Contains(r.Body, `"method_not_allowed"`) {
			t.Errorf("%s %s: %d Allow %q %s, want 405 Allow %q", tc.method, tc.path, r.Status, r.Header.Get("Allow"), r.Body, tc.allow)
		}
	}
	want(t, "a path with no route is still 404", do(t, f.app, "GET", "/api/v1/nothing-here", f.alice, ""), http.StatusNotFound)
}
