package cmd

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/access"
	"github.com/betterstack/betterstack/modules/config"
)

const viewerRefusal = "your role in this workspace is viewer"

// TestTeamEditorAndViewer: an owner invites an editor (a new account) and
// a viewer (an existing account); the editor creates and edits a monitor,
// the viewer sees it but every write answers 403 naming the role; another
// workspace's monitor is 404 to both; X-Workspace picks a session's
// workspace by key or id, and one the person is not in is 404.
func TestTeamEditorAndViewer(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		app := MustApp(t, cfg)
		owner := mustSignup(t, app, "owner@example.com")
		team := mustWorkspace(t, app, owner, "")
		if team.Role != "owner" {
			t.Fatalf("the sign-up's own workspace: role %q, want owner", team.Role)
		}
		stranger := mustSignup(t, app, "stranger@example.com")
		strangerWS := mustWorkspace(t, app, stranger, "")
		viewer := mustSignup(t, app, "viewer@example.com")
		personal := mustWorkspace(t, app, viewer, "")

		_, editInv := mustInvite(t, app, owner, "editor@example.com", "editor")
		_, viewInv := mustInvite(t, app, owner, "", "viewer")
		editor := acceptNew(t, app, editInv, "editor@example.com")
		r := do(t, app, "POST", "/api/v1/invitations/accept", viewer, `{"invitation":"`+viewInv+`"}`)
		want(t, "existing account accepts", r, http.StatusOK, `"key":"`+team.Key+`"`, `"role":"viewer"`)

		// The editor's only workspace is the team's.
		if w := mustWorkspace(t, app, editor, ""); w.ID != team.ID || w.Role != "editor" {
			t.Fatalf("editor works in %+v, want workspace %d as editor", w, team.ID)
		}
		// The viewer picks a workspace with X-Workspace, by key or by id.
		for _, ref := range []string{team.Key, strconv.FormatInt(team.ID, 10)} {
			if w := mustWorkspace(t, app, viewer, ref); w.ID != team.ID || w.Role != "viewer" {
				t.Fatalf("X-Workspace %s: %+v, want workspace %d as viewer", ref, w, team.ID)
			}
		}
		if w := mustWorkspace(t, app, viewer, personal.Key); w.ID != personal.ID || w.Role != "owner" {
			t.Fatalf("X-Workspace %s: %+v, want the viewer's own workspace as owner", personal.Key, w)
		}
		for _, ref := range []string{strangerWS.Key, strconv.FormatInt(strangerWS.ID, 10), "no-such-workspace"} {
			want(t, "X-Workspace "+ref+" (not a member)", doWS(t, app, "GET", "/api/v1/monitors", viewer, ref, ""), http.StatusNotFound)
		}

		// The editor creates and edits a monitor, a window and a status page.
		mon := mustCreate(t, app, editor, "", "/api/v1/monitors", `{"name":"Shop","url":"https://shop.example.com/"}`)
		want(t, "editor edits", do(t, app, "PATCH", fmt.Sprintf("/api/v1/monitors/%d", mon), editor, `{"name":"Shop front"}`),
			http.StatusOK, `"name":"Shop front"`)
		win := mustCreate(t, app, editor, "", "/api/v1/maintenance-windows",
			fmt.Sprintf(`{"name":"deploy","monitor_ids":[%d],"weekdays":[2],"start_time":"03:00","duration_minutes":30}`, mon))
		page := mustCreate(t, app, editor, "", "/api/v1/status-pages",
			fmt.Sprintf(`{"slug":"team-shop","title":"Shop","sections":[{"name":"Core","components":[{"monitor_id":%d}]}]}`, mon))
		ch := mustCreate(t, app, owner, "", "/api/v1/channels",
			`{"name":"hook","type":"webhook","config":{"url":"https://hooks.example/team","secret":"team-secret-0123456789"}}`)
		now := time.Now().UTC()
		mustExec(t, app, "INSERT INTO incidents (monitor_id, workspace_id, kind, status, started_at, updated_at) VALUES (?, ?, 'down', 'open', ?, ?)",
			mon, team.ID, now, now)
		var inc int64
		if err := app.DB.Raw("SELECT id FROM incidents WHERE monitor_id = ?", mon).Scan(&inc).Error; err != nil || inc == 0 {
			t.Fatalf("incident id: %d %v", inc, err)
		}

		// The viewer sees the editor's work in the team's workspace...
		want(t, "viewer reads the monitor", doWS(t, app, "GET", fmt.Sprintf("/api/v1/monitors/%d", mon), viewer, team.Key, ""),
			http.StatusOK, `"name":"Shop front"`)
		want(t, "viewer lists monitors", doWS(t, app, "GET", "/api/v1/monitors", viewer, team.Key, ""), http.StatusOK, `"name":"Shop front"`)
		want(t, "viewer reads the incident", doWS(t, app, "GET", fmt.Sprintf("/api/v1/incidents/%d", inc), viewer, team.Key, ""), http.StatusOK)
		// ...and not in their own.
		r = doWS(t, app, "GET", fmt.Sprintf("/api/v1/monitors/%d", mon), viewer, personal.Key, "")
		want(t, "the team's monitor from the viewer's own workspace", r, http.StatusNotFound)

		// Every write of the viewer is refused, naming the role.
		writes := []struct{ method, path, body string }{
			{"POST", "/api/v1/monitors", `{"name":"Mine","url":"https://mine.example.com/"}`},
			{"PATCH", fmt.Sprintf("/api/v1/monitors/%d", mon), `{"name":"Hacked"}`},
			{"DELETE", fmt.Sprintf("/api/v1/monitors/%d", mon), ""},
			{"POST", fmt.Sprintf("/api/v1/monitors/%d/pause", mon), ""},
			{"POST", "/api/v1/channels", `{"name":"x","type":"webhook","config":{"url":"https://hooks.example/x","secret":"team-secret-0123456789"}}`},
			{"PATCH", fmt.Sprintf("/api/v1/channels/%d", ch), `{"name":"Hacked"}`},
			{"DELETE", fmt.Sprintf("/api/v1/channels/%d", ch), ""},
			{"POST", "/api/v1/maintenance-windows", fmt.Sprintf(`{"name":"x","monitor_ids":[%d],"weekdays":[2],"start_time":"03:00","duration_minutes":30}`, mon)},
			{"DELETE", fmt.Sprintf("/api/v1/maintenance-windows/%d", win), ""},
			{"POST", "/api/v1/status-pages", fmt.Sprintf(`{"slug":"viewer-page","title":"X","sections":[{"name":"Core","components":[{"monitor_id":%d}]}]}`, mon)},
			{"PATCH", fmt.Sprintf("/api/v1/status-pages/%d", page), `{"title":"Hacked"}`},
			{"DELETE", fmt.Sprintf("/api/v1/status-pages/%d", page), ""},
			{"POST", fmt.Sprintf("/api/v1/incidents/%d/acknowledge", inc), ""},
			{"POST", fmt.Sprintf("/api/v1/incidents/%d/resolve", inc), ""},
			{"POST", "/api/v1/invitations", `{"role":"viewer"}`},
		}
		for _, w := range writes {
			r := doWS(t, app, w.method, w.path, viewer, team.Key, w.body)
			if r.Status != http.StatusForbidden || !strings.Contains(r.Body, viewerRefusal) {
				t.Errorf("viewer %s %s: %d %s, want 403 naming the viewer role", w.method, w.path, r.Status, r.Body)
			}
		}
		// Nothing changed.
		want(t, "the monitor after the viewer's attempts", do(t, app, "GET", fmt.Sprintf("/api/v1/monitors/%d", mon), editor, ""),
			http.StatusOK, `"name":"Shop front"`, `"paused":false`)
		want(t, "the incident after the viewer's attempts", do(t, app, "GET", fmt.Sprintf("/api/v1/incidents/%d", inc), editor, ""),
			http.StatusOK, `"status":"open"`)
		r = do(t, app, "GET", "/api/v1/monitors", editor, "")
		if strings.Count(r.Body, `"target":`) != 1 {
			t.Errorf("the team has other monitors than the editor's: %s", r.Body)
		}

		// Another workspace's monitor is 404 to both, reading or writing.
		other := mustCreate(t, app, stranger, "", "/api/v1/monitors", `{"name":"Secret","url":"https://secret.example.com/"}`)
		otherPath := fmt.Sprintf("/api/v1/monitors/%d", other)
		for name, tok := range map[string]string{"editor": editor, "viewer": viewer} {
			want(t, name+" reads another workspace's monitor", doWS(t, app, "GET", otherPath, tok, team.Key, ""), http.StatusNotFound)
		}
		if a, b := do(t, app, "GET", otherPath, editor, ""), do(t, app, "GET", "/api/v1/monitors/999999", editor, ""); a.Status != b.Status || a.Body != b.Body {
			t.Errorf("another workspace's monitor (%d %s) answers unlike a missing one (%d %s)", a.Status, a.Body, b.Status, b.Body)
		}
		want(t, "editor edits another workspace's monitor", do(t, app, "PATCH", otherPath, editor, `{"name":"Hacked"}`), http.StatusNotFound)
		want(t, "editor deletes another workspace's monitor", do(t, app, "DELETE", otherPath, editor, ""), http.StatusNotFound)
		want(t, "the stranger's monitor is untouched", do(t, app, "GET", otherPath, stranger, ""), http.StatusOK, `"name":"Secret"`)
	})
}

// TestTeamInvitations: an invitation is used once, can be revoked, expires,
// may be bound to an email; an admin cannot invite an owner, a viewer
// cannot invite; accepting as a member is a conflict; and sign-up through
// an invitation works while sign-up is closed.
func TestTeamInvitations(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		closed := false
		cfg.AllowSignup = &closed
		app := MustApp(t, cfg)
		if _, err := app.Auth.CreateUser(t.Context(), "owner@example.com", "correct horse"); err != nil {
			t.Fatal(err)
		}
		owner := mustLogin(t, app, "owner@example.com")
		team := mustWorkspace(t, app, owner, "")
		want(t, "plain sign-up while closed", do(t, app, "POST", "/api/v1/auth/signup", "", `{"email":"x@example.com","password":"correct horse"}`),
			http.StatusForbidden)

		// Sign-up through an invitation works although sign-up is closed.
		_, inv := mustInvite(t, app, owner, "", "admin")
		var stored struct {
			TokenHash string
			CreatedAt time.Time
			ExpiresAt time.Time
		}
		if err := app.DB.Raw("SELECT token_hash, created_at, expires_at FROM invitations").Scan(&stored).Error; err != nil {
			t.Fatal(err)
		}
		if stored.TokenHash == "" || strings.Contains(inv, stored.TokenHash) || strings.Contains(stored.TokenHash, strings.TrimPrefix(inv, "inv_")) {
			t.Fatalf("invitation token stored as %q for %q", stored.TokenHash, inv)
		}
		if d := stored.ExpiresAt.Sub(stored.CreatedAt); d != 7*24*time.Hour {
			t.Fatalf("an invitation lasts %s, want 7 days", d)
		}
		admin := acceptNew(t, app, inv, "admin@example.com")
		if w := mustWorkspace(t, app, admin, ""); w.ID != team.ID || w.Role != "admin" {
			t.Fatalf("the invited admin works in %+v, want workspace %d as admin", w, team.ID)
		}
		// Single use: the second accept is a conflict, and makes no account.
		r := do(t, app, "POST", "/api/v1/auth/accept-invitation", "", `{"email":"second@example.com","password":"correct horse","invitation":"`+inv+`"}`)
		want(t, "second use of an invitation", r, http.StatusConflict, "already used")
		want(t, "no account from a used invitation", do(t, app, "POST", "/api/v1/auth/login", "", `{"email":"second@example.com","password":"correct horse"}`),
			http.StatusUnauthorized)

		// Revoked: refused, to a new and to an existing account.
		id, inv := mustInvite(t, app, owner, "", "editor")
		want(t, "revoke", do(t, app, "DELETE", fmt.Sprintf("/api/v1/invitations/%d", id), owner, ""), http.StatusNoContent)
		want(t, "revoked, new account", do(t, app, "POST", "/api/v1/auth/accept-invitation", "",
			`{"email":"late@example.com","password":"correct horse","invitation":"`+inv+`"}`), http.StatusConflict, "revoked")
		r = do(t, app, "GET", "/api/v1/invitations", owner, "")
		want(t, "list invitations", r, http.StatusOK, `"status":"revoked"`, `"status":"accepted"`, `"accepted_by":"admin@example.com"`)

		// Expired: refused.
		id, inv = mustInvite(t, app, owner, "", "editor")
		mustExec(t, app, "UPDATE invitations SET expires_at = ? WHERE id = ?", time.Now().UTC().Add(-time.Minute), id)
		want(t, "expired", do(t, app, "POST", "/api/v1/auth/accept-invitation", "",
			`{"email":"late@example.com","password":"correct horse","invitation":"`+inv+`"}`), http.StatusConflict, "expired")
		want(t, "an expired invitation's page", newBrowser(t, app).get("/invite/"+inv), http.StatusNotFound, "already used, revoked or has expired")

		// Bound to an email: another email is refused, that one works.
		_, inv = mustInvite(t, app, owner, "bound@example.com", "viewer")
		want(t, "another email", do(t, app, "POST", "/api/v1/auth/accept-invitation", "",
			`{"email":"intruder@example.com","password":"correct horse","invitation":"`+inv+`"}`), http.StatusForbidden, "another email address")
		bound := acceptNew(t, app, inv, "Bound@Example.com")
		if w := mustWorkspace(t, app, bound, ""); w.ID != team.ID || w.Role != "viewer" {
			t.Fatalf("bound invitee works in %+v", w)
		}

		// An admin cannot invite an owner; a viewer cannot invite at all.
		want(t, "admin invites an owner", do(t, app, "POST", "/api/v1/invitations", admin, `{"role":"owner"}`),
			http.StatusUnprocessableEntity, `"role"`, "only an owner can invite an owner")
		want(t, "admin invites an editor", do(t, app, "POST", "/api/v1/invitations", admin, `{"role":"editor"}`), http.StatusCreated)
		want(t, "viewer invites", do(t, app, "POST", "/api/v1/invitations", bound, `{"role":"viewer"}`), http.StatusForbidden, viewerRefusal)
		want(t, "bad role", do(t, app, "POST", "/api/v1/invitations", owner, `{"role":"god"}`), http.StatusUnprocessableEntity, `"role"`)

		// Accepting while already a member is a conflict; the invitation stays usable.
		_, inv = mustInvite(t, app, owner, "", "editor")
		want(t, "a member accepts", do(t, app, "POST", "/api/v1/invitations/accept", admin, `{"invitation":"`+inv+`"}`),
			http.StatusConflict, "already a member")
		if w := mustWorkspace(t, app, admin, ""); w.Role != "admin" {
			t.Fatalf("accepting an editor invitation changed the admin's role: %+v", w)
		}
		want(t, "unknown invitation", do(t, app, "POST", "/api/v1/invitations/accept", admin, `{"invitation":"inv_nope"}`), http.StatusNotFound)

		// An existing account (made by the CLI) joins with the same link.
		if _, err := app.Auth.CreateUser(t.Context(), "cli@example.com", "correct horse"); err != nil {
			t.Fatal(err)
		}
		cli := mustLogin(t, app, "cli@example.com")
		want(t, "existing account accepts", do(t, app, "POST", "/api/v1/invitations/accept", cli, `{"invitation":"`+inv+`"}`),
			http.StatusOK, `"role":"editor"`)
		want(t, "then the link is used", do(t, app, "POST", "/api/v1/invitations/accept", owner, `{"invitation":"`+inv+`"}`),
			http.StatusConflict)
		if w := mustWorkspace(t, app, cli, team.Key); w.Role != "editor" {
			t.Fatalf("cli account in the team: %+v", w)
		}
	})
}

// TestTeamMembers: roles change and take effect at once, a removed member's
// session and tokens no longer reach the workspace, the last owner stays,
// an admin cannot touch an owner, and a second owner can demote the first.
func TestTeamMembers(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		app := MustApp(t, cfg)
		owner := mustSignup(t, app, "owner@example.com")
		team := mustWorkspace(t, app, owner, "")
		ownerID := mustUserID(t, app, owner)
		_, inv := mustInvite(t, app, owner, "", "admin")
		admin := acceptNew(t, app, inv, "admin@example.com")
		adminID := mustUserID(t, app, admin)
		_, inv = mustInvite(t, app, owner, "", "editor")
		editor := acceptNew(t, app, inv, "editor@example.com")
		editorID := mustUserID(t, app, editor)
		editorToken := mustToken(t, app, editor, "", `{"name":"ci"}`)
		mon := mustCreate(t, app, editorToken, "", "/api/v1/monitors", `{"name":"Shop","url":"https://shop.example.com/"}`)

		r := do(t, app, "GET", "/api/v1/members", editor, "")
		want(t, "members", r, http.StatusOK, `"email":"owner@example.com","role":"owner"`, `"email":"admin@example.com","role":"admin"`,
			`"email":"editor@example.com","role":"editor"`)

		// Demoting the editor takes effect on their session and token at once.
		want(t, "admin demotes the editor", do(t, app, "PATCH", fmt.Sprintf("/api/v1/members/%d", editorID), admin, `{"role":"viewer"}`),
			http.StatusOK, `"role":"viewer"`)
		for name, tok := range map[string]string{"session": editor, "token": editorToken} {
			r := do(t, app, "PATCH", fmt.Sprintf("/api/v1/monitors/%d", mon), tok, `{"name":"x"}`)
			want(t, "demoted editor's "+name+" writes", r, http.StatusForbidden, viewerRefusal)
			want(t, "demoted editor's "+name+" reads", do(t, app, "GET", fmt.Sprintf("/api/v1/monitors/%d", mon), tok, ""), http.StatusOK)
		}

		// Removing them ends both for this workspace.
		want(t, "remove the editor", do(t, app, "DELETE", fmt.Sprintf("/api/v1/members/%d", editorID), admin, ""), http.StatusNoContent)
		want(t, "removed member's session naming the workspace", doWS(t, app, "GET", "/api/v1/monitors", editor, team.Key, ""), http.StatusNotFound)
		r = do(t, app, "GET", fmt.Sprintf("/api/v1/monitors/%d", mon), editor, "")
		if r.Status == http.StatusOK {
			t.Fatalf("removed member still reads the monitor: %s", r.Body)
		}
		want(t, "removed member's token", do(t, app, "GET", "/api/v1/monitors", editorToken, ""), http.StatusUnauthorized)
		want(t, "removed member still has their account", do(t, app, "GET", "/api/v1/me", editor, ""), http.StatusOK)
		r = do(t, app, "GET", "/api/v1/members", owner, "")
		if strings.Contains(r.Body, "editor@example.com") {
			t.Fatalf("the removed member is still listed: %s", r.Body)
		}

		// The last owner can neither leave, nor be demoted, nor be removed.
		want(t, "last owner leaves", do(t, app, "POST", "/api/v1/workspace/leave", owner, ""), http.StatusConflict, "needs an owner")
		want(t, "last owner demotes self", do(t, app, "PATCH", fmt.Sprintf("/api/v1/members/%d", ownerID), owner, `{"role":"admin"}`),
			http.StatusConflict, "needs an owner")
		want(t, "last owner removes self", do(t, app, "DELETE", fmt.Sprintf("/api/v1/members/%d", ownerID), owner, ""), http.StatusConflict)

		// An admin cannot change an owner's role nor make themselves owner.
		want(t, "admin demotes the owner", do(t, app, "PATCH", fmt.Sprintf("/api/v1/members/%d", ownerID), admin, `{"role":"viewer"}`),
			http.StatusForbidden, "only an owner")
		want(t, "admin promotes self", do(t, app, "PATCH", fmt.Sprintf("/api/v1/members/%d", adminID), admin, `{"role":"owner"}`),
			http.StatusForbidden, "only an owner")

		// With a second owner, the first can be demoted by them.
		want(t, "owner promotes the admin", do(t, app, "PATCH", fmt.Sprintf("/api/v1/members/%d", adminID), owner, `{"role":"owner"}`),
			http.StatusOK, `"role":"owner"`)
		want(t, "second owner demotes the first", do(t, app, "PATCH", fmt.Sprintf("/api/v1/members/%d", ownerID), admin, `{"role":"admin"}`),
			http.StatusOK, `"role":"admin"`)
		if w := mustWorkspace(t, app, owner, ""); w.Role != "admin" {
			t.Fatalf("the first owner is now %q, want admin", w.Role)
		}
		want(t, "now-admin deletes the workspace", do(t, app, "DELETE", "/api/v1/workspace", owner, ""), http.StatusForbidden, "your role in this workspace is admin")
		want(t, "the new last owner leaves", do(t, app, "POST", "/api/v1/workspace/leave", admin, ""), http.StatusConflict)
		want(t, "the admin leaves", do(t, app, "POST", "/api/v1/workspace/leave", owner, ""), http.StatusNoContent)
		want(t, "who left names the workspace", doWS(t, app, "GET", "/api/v1/workspace", owner, team.Key, ""), http.StatusNotFound)
	})
}

// TestTeamTokens: a read token is refused (403 naming the scope) on every
// API route that is not a read — the list comes from access.Routes; an
// expired token is 401; a token works in its own workspace only; a token
// cannot be made already expired.
func TestTeamTokens(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		app := MustApp(t, cfg)
		owner := mustSignup(t, app, "owner@example.com")
		team := mustWorkspace(t, app, owner, "")
		mon := mustCreate(t, app, owner, "", "/api/v1/monitors", `{"name":"Shop","url":"https://shop.example.com/"}`)
		read := mustToken(t, app, owner, "", `{"name":"dashboards","scope":"read"}`)

		var writes []string
		for k, a := range access.Routes {
			method, path, _ := strings.Cut(k, " ")
			if method != http.MethodGet && strings.HasPrefix(path, "/api/v1/") && a != access.Read {
				writes = append(writes, k)
			}
		}
		sort.Strings(writes)
		if len(writes) < 30 {
			t.Fatalf("only %d write routes found in access.Routes: %v", len(writes), writes)
		}
		for _, k := range writes {
			method, pattern, _ := strings.Cut(k, " ")
			path := strings.ReplaceAll(pattern, ":id", strconv.FormatInt(mon, 10))
			r := do(t, app, method, path, read, "{}")
			reason := "read scope"
			if access.Routes[k] == access.Account {
				reason = "signed-in session" // no token may, whatever its scope
			}
			if r.Status != http.StatusForbidden || !strings.Contains(r.Body, reason) {
				t.Errorf("read token: %s: %d %s, want 403 naming the %s", k, r.Status, r.Body, reason)
			}
		}
		// It still reads, and nothing was changed or revoked by the attempts.
		want(t, "read token reads", do(t, app, "GET", fmt.Sprintf("/api/v1/monitors/%d", mon), read, ""), http.StatusOK, `"name":"Shop"`, `"paused":false`)
		want(t, "owner session after the attempts", do(t, app, "GET", "/api/v1/me", owner, ""), http.StatusOK)

		// Expiry: a token past its expires_at answers 401.
		soon := mustToken(t, app, owner, "", fmt.Sprintf(`{"name":"soon","expires_at":%q}`, time.Now().Add(time.Hour).UTC().Format(time.RFC3339)))
		want(t, "token before expiry", do(t, app, "GET", "/api/v1/monitors", soon, ""), http.StatusOK)
		mustExec(t, app, "UPDATE api_tokens SET expires_at = ? WHERE name = ?", time.Now().UTC().Add(-time.Second), "soon")
		want(t, "expired token", do(t, app, "GET", "/api/v1/monitors", soon, ""), http.StatusUnauthorized)
		r := do(t, app, "POST", "/api/v1/tokens", owner, fmt.Sprintf(`{"name":"past","expires_at":%q}`, time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)))
		want(t, "token created already expired", r, http.StatusUnprocessableEntity, "expires_at")
		want(t, "unknown scope", do(t, app, "POST", "/api/v1/tokens", owner, `{"name":"x","scope":"admin"}`), http.StatusUnprocessableEntity, "scope")

		// A token works on its own workspace only, whatever X-Workspace says.
		r = do(t, app, "POST", "/api/v1/workspaces", owner, `{"name":"Second"}`)
		want(t, "second workspace", r, http.StatusCreated)
		var second teamSpace
		r.JSON(t, &second)
		write := mustToken(t, app, owner, "", `{"name":"ci"}`)
		for _, ref := range []string{second.Key, strconv.FormatInt(second.ID, 10)} {
			want(t, "token naming another workspace "+ref, doWS(t, app, "GET", "/api/v1/monitors", write, ref, ""), http.StatusNotFound)
		}
		want(t, "token naming its own workspace", doWS(t, app, "GET", "/api/v1/monitors", write, team.Key, ""), http.StatusOK, `"name":"Shop"`)
		r = do(t, app, "GET", "/api/v1/tokens", owner, "")
		want(t, "list tokens", r, http.StatusOK, `"scope":"read"`, `"scope":"write"`)
		var toks struct {
			Data []struct {
				Name       string
				LastUsedAt *time.Time `json:"last_used_at"`
			}
		}
		r.JSON(t, &toks)
		for _, tk := range toks.Data {
			if used := tk.LastUsedAt != nil; used != (tk.Name == "ci" || tk.Name == "dashboards" || tk.Name == "soon") {
				t.Errorf("token %s: last_used_at %v", tk.Name, tk.LastUsedAt)
			}
		}
		// A token made for the second workspace sees its (empty) records.
		secondTok := mustToken(t, app, owner, second.Key, `{"name":"second"}`)
		r = do(t, app, "GET", "/api/v1/monitors", secondTok, "")
		want(t, "second workspace's token", r, http.StatusOK)
		if strings.Contains(r.Body, "Shop") {
			t.Fatalf("a token of the second workspace sees the first's monitors: %s", r.Body)
		}
		want(t, "second token naming the first workspace", doWS(t, app, "GET", "/api/v1/monitors", secondTok, team.Key, ""), http.StatusNotFound)
	})
}

// teamSession is one line of GET /api/v1/sessions.
type teamSession struct {
	ID      string
	Current bool
	Method  string
}

func listSessions(t *testing.T, app *App, token string) []teamSession {
	t.Helper()
	r := do(t, app, "GET", "/api/v1/sessions", token, "")
	want(t, "list sessions", r, http.StatusOK)
	var out struct{ Data []teamSession }
	if err := json.Unmarshal([]byte(r.Body), &out); err != nil {
		t.Fatal(err)
	}
	return out.Data
}

func currentSession(t *testing.T, ss []teamSession) string {
	t.Helper()
	id, n := "", 0
	for _, s := range ss {
		if s.Current {
			id, n = s.ID, n+1
		}
	}
	if n != 1 {
		t.Fatalf("want exactly one current session, got %d in %+v", n, ss)
	}
	return id
}

// TestTeamSessions: sessions are listed with the current one marked; one
// can be ended from another; logout ends the session on the server, in the
// API and in the dashboard.
func TestTeamSessions(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		app := MustApp(t, cfg)
		first := mustSignup(t, app, "ada@example.com")
		second := mustLogin(t, app, "ada@example.com")
		other := mustSignup(t, app, "bob@example.com")

		r0 := do(t, app, "GET", "/api/v1/sessions", first, "")
		want(t, "sessions show where from", r0, http.StatusOK, `"address":"192.0.2.1"`, `"method":"password"`, `"last_used_at":`)
		ss := listSessions(t, app, first)
		if len(ss) != 2 {
			t.Fatalf("want 2 sessions, got %+v", ss)
		}
		firstID, secondID := currentSession(t, ss), currentSession(t, listSessions(t, app, second))
		if firstID == secondID || firstID == "" {
			t.Fatalf("sessions %q and %q", firstID, secondID)
		}
		// Someone else's session is not found, and not ended.
		want(t, "end another person's session", do(t, app, "DELETE", "/api/v1/sessions/"+secondID, other, ""), http.StatusNotFound)
		want(t, "the session after the attempt", do(t, app, "GET", "/api/v1/me", second, ""), http.StatusOK)

		want(t, "end the second session", do(t, app, "DELETE", "/api/v1/sessions/"+secondID, first, ""), http.StatusNoContent)
		want(t, "the ended session", do(t, app, "GET", "/api/v1/me", second, ""), http.StatusUnauthorized)
		if ss := listSessions(t, app, first); len(ss) != 1 || ss[0].ID != firstID {
			t.Fatalf("after ending one: %+v", ss)
		}

		// A session past its expiry (set in the database) answers 401.
		third := mustLogin(t, app, "ada@example.com")
		thirdID := currentSession(t, listSessions(t, app, third))
		mustExec(t, app, "UPDATE sessions SET expires_at = ? WHERE substr(id, 1, 16) = ?", time.Now().UTC().Add(-time.Second), thirdID)
		want(t, "an expired session", do(t, app, "GET", "/api/v1/me", third, ""), http.StatusUnauthorized)
		if ss := listSessions(t, app, first); len(ss) != 1 {
			t.Fatalf("the expired session is still listed: %+v", ss)
		}

		want(t, "logout", do(t, app, "POST", "/api/v1/auth/logout", first, ""), http.StatusNoContent)
		want(t, "the logged-out JWT", do(t, app, "GET", "/api/v1/me", first, ""), http.StatusUnauthorized)
		want(t, "another person's session after the logout", do(t, app, "GET", "/api/v1/me", other, ""), http.StatusOK)

		// The dashboard's logout ends the session too: a copy of the cookie
		// no longer works, in the dashboard or the API.
		b := mustWebSignup(t, app, "cy@example.com")
		old := webSessionToken(t, b)
		want(t, "dashboard before logout", b.get("/settings/account"), http.StatusOK, "(this one)")
		b.get("/")
		r := b.post("/logout", nil)
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login" {
			t.Fatalf("logout: %d %s", r.Status, r.Header.Get("Location"))
		}
		copyB := newBrowser(t, app)
		copyB.cookies["bs_session"] = &http.Cookie{Name: "bs_session", Value: old}
		r = copyB.get("/")
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
			t.Fatalf("the old cookie after logout: %d %s", r.Status, r.Header.Get("Location"))
		}
		want(t, "the old cookie's JWT in the API", do(t, app, "GET", "/api/v1/me", old, ""), http.StatusUnauthorized)
	})
}

// TestTeamConcurrent: eight sign-ups racing on one invitation make one
// account, and two owners demoting each other at once leave one owner.
func TestTeamConcurrent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		app := MustApp(t, cfg)
		owner := mustSignup(t, app, "owner@example.com")
		_, inv := mustInvite(t, app, owner, "", "editor")
		res := make([]response, 8)
		var wg sync.WaitGroup
		for i := range res {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res[i] = do(t, app, "POST", "/api/v1/auth/accept-invitation", "",
					fmt.Sprintf(`{"email":"u%d@example.com","password":"correct horse","invitation":%q}`, i, inv))
			}()
		}
		wg.Wait()
		won := 0
		for i, r := range res {
			switch r.Status {
			case http.StatusCreated:
				won++
			case http.StatusConflict:
			default:
				t.Errorf("accept %d: %d %s", i, r.Status, r.Body)
			}
		}
		r := do(t, app, "GET", "/api/v1/members", owner, "")
		if won != 1 || strings.Count(r.Body, `"role":"editor"`) != 1 {
			t.Fatalf("%d accepts won; members: %s", won, r.Body)
		}

		_, inv = mustInvite(t, app, owner, "", "owner")
		second := acceptNew(t, app, inv, "second@example.com")
		ids := []int64{mustUserID(t, app, second), mustUserID(t, app, owner)}
		toks := []string{owner, second}
		res = make([]response, 2)
		for i := range res {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res[i] = do(t, app, "PATCH", fmt.Sprintf("/api/v1/members/%d", ids[i]), toks[i], `{"role":"admin"}`)
			}()
		}
		wg.Wait()
		r = do(t, app, "GET", "/api/v1/members", owner, "")
		if n := strings.Count(r.Body, `"role":"owner"`); n != 1 {
			t.Fatalf("after two owners demoted each other at once (%d, %d): %d owners: %s", res[0].Status, res[1].Status, n, r.Body)
		}
		if (res[0].Status == http.StatusOK) == (res[1].Status == http.StatusOK) {
			t.Fatalf("want exactly one demotion to pass: %d %s / %d %s", res[0].Status, res[0].Body, res[1].Status, res[1].Body)
		}
	})
}
