package cmd

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/betterstack/betterstack/modules/config"
)

// TestAuditLog: changes and logins are recorded with actor, address and a
// diff whose secrets are masked; admins and owners read the log (API and
// dashboard), viewers cannot; another workspace's entries never show.
func TestAuditLog(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		app := MustApp(t, cfg)
		owner := mustSignup(t, app, "owner@example.com")
		_, inv := mustInvite(t, app, owner, "", "viewer")
		viewer := acceptNew(t, app, inv, "viewer@example.com")
		stranger := mustSignup(t, app, "stranger@example.com")
		mustCreate(t, app, stranger, "", "/api/v1/monitors", `{"name":"Theirs","url":"https://theirs.example.com/"}`)

		id := mustCreate(t, app, owner, "", "/api/v1/monitors",
			`{"name":"Shop","check":{"kind":"http","url":"https://shop.example.com/","headers":{"X-Api-Key":"hunter2-secret"}}}`)
		want(t, "edit", do(t, app, "PATCH", "/api/v1/monitors/"+strconv.FormatInt(id, 10), owner,
			`{"check":{"url":"https://bob:pa55word@shop.example.com/v2","headers":{"X-Api-Key":"new-secret-value"}}}`), http.StatusOK)
		want(t, "a failed login", do(t, app, "POST", "/api/v1/auth/login", "", `{"email":"owner@example.com","password":"wrong guess"}`), http.StatusUnauthorized)

		want(t, "a viewer may not read the log", do(t, app, "GET", "/api/v1/audit-log", viewer, ""), http.StatusForbidden, "viewer")
		r := do(t, app, "GET", "/api/v1/audit-log", owner, "")
		want(t, "the owner reads the log", r, http.StatusOK, `"action":"monitor.create"`, `"action":"monitor.update"`,
			`"action":"login.failure"`, `"action":"invitation.create"`, `"actor":"owner@example.com"`, `"record_key":"shop"`,
			`"check.url"`, `"address":"192.0.2.1"`)
		for _, secret := range []string{"hunter2-secret", "new-secret-value", "pa55word"} {
			if strings.Contains(r.Body, secret) {
				t.Errorf("the audit log shows the secret %q: %s", secret, r.Body)
			}
		}
		if strings.Contains(r.Body, "theirs") || strings.Contains(r.Body, "stranger@") {
			t.Errorf("another workspace's entries show: %s", r.Body)
		}
		want(t, "filter by action", do(t, app, "GET", "/api/v1/audit-log?action=login", owner, ""), http.StatusOK, `"login.failure"`)
		if r := do(t, app, "GET", "/api/v1/audit-log?action=login", owner, ""); strings.Contains(r.Body, "monitor.create") {
			t.Errorf("the action filter let other actions through: %s", r.Body)
		}
		want(t, "a bad cursor", do(t, app, "GET", "/api/v1/audit-log?cursor=garbage", owner, ""), http.StatusBadRequest, "cursor")

		// The dashboard page.
		b := newBrowser(t, app)
		b.cookies["bs_session"] = &http.Cookie{Name: "bs_session", Value: owner}
		wantPage(t, "audit page", b.get("/settings/audit"), http.StatusOK, []string{"monitor.update", "owner@example.com", "check.url"}, "hunter2-secret", "pa55word")
		v := newBrowser(t, app)
		v.cookies["bs_session"] = &http.Cookie{Name: "bs_session", Value: viewer}
		if r := v.get("/settings/audit"); r.Status != http.StatusForbidden {
			t.Errorf("a viewer opened the audit page: %d", r.Status)
		}
	})
}
