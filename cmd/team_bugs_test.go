package cmd

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/access"
	"github.com/betterstack/betterstack/modules/config"
)

// The tests in this file document bugs found while testing issue 11 and
// fail until they are fixed.

// TestTeamBugRequire2FATokenBypass: in a workspace that requires
// two-factor login, a member without it may only manage their own account
// until they turn it on. Creating an API token is part of "their own
// account" (access.Self), so they mint a token (API or dashboard) and use
// the workspace with it, never enrolling.
func TestTeamBugRequire2FATokenBypass(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		app := MustApp(t, cfg)
		owner := mustSignup(t, app, "owner@example.com")
		mustCreate(t, app, owner, "", "/api/v1/monitors", `{"name":"Shop","url":"https://shop.example.com/"}`)
		enrol2FA(t, app, owner)
		_, inv := mustInvite(t, app, owner, "", "editor")
		member := acceptNew(t, app, inv, "member@example.com")
		want(t, "require 2FA", do(t, app, "PATCH", "/api/v1/workspace", owner, `{"require_2fa":true}`), http.StatusOK)
		want(t, "the member's session is held back", do(t, app, "GET", "/api/v1/monitors", member, ""), http.StatusForbidden)

		r := do(t, app, "POST", "/api/v1/tokens", member, `{"name":"bypass"}`)
		if r.Status == http.StatusCreated {
			var tok struct{ Token string }
			r.JSON(t, &tok)
			got := do(t, app, "GET", "/api/v1/monitors", tok.Token, "")
			t.Errorf("a member without 2FA made an API token in a workspace requiring 2FA (201), and it reads the workspace: %d %.80s", got.Status, got.Body)
		}
		b := newBrowser(t, app)
		b.cookies["bs_session"] = &http.Cookie{Name: "bs_session", Value: member}
		b.get("/settings/account")
		if r := b.post("/settings/tokens", url.Values{"name": {"bypass-web"}}); r.Status < 400 {
			t.Errorf("the dashboard made an API token for a member without 2FA in a workspace requiring it: %d %s", r.Status, r.Header.Get("Location"))
		}
	})
}

// TestTeamBugCodeLimitResetByPassword: wrong two-factor codes count on
// the same account-and-address key as wrong passwords, and a right
// password resets that key. Whoever knows the password (the case 2FA is
// for) gets login_max_failures fresh code guesses per password login,
// bounded only by the per-address limit (twice as many).
func TestTeamBugCodeLimitResetByPassword(t *testing.T) {
	cfg := testDefaults()
	cfg.DataDir = t.TempDir()
	cfg.LoginMaxFails = 3
	app := MustApp(t, cfg)
	tok := mustSignup(t, app, "ada@example.com")
	enrol2FA(t, app, tok)
	wrong := 0
	for round := 0; round < 3; round++ {
		r := do(t, app, "POST", "/api/v1/auth/login", "", `{"email":"ada@example.com","password":"correct horse"}`)
		if r.Status == http.StatusTooManyRequests {
			break
		}
		var out struct{ Challenge string }
		r.JSON(t, &out)
		for i := 0; i < cfg.LoginMaxFails-1; i++ {
			r := login2FA(t, app, out.Challenge, "000000")
			if r.Status == http.StatusTooManyRequests {
				break
			}
			wrong++
		}
	}
	if wrong > cfg.LoginMaxFails {
		t.Errorf("%d wrong two-factor codes were checked from one address for one account, with login_max_failures %d: a right password resets the count of wrong codes",
			wrong, cfg.LoginMaxFails)
	}
}

// TestTeamBugNoWorkspaceDashboard: someone in no workspace (removed from
// their only one, or who left it) gets 403 on every dashboard page but
// Settings → Account. The members page has a "You are not in any
// workspace. Create one" branch with the new-workspace form, but the page
// needs access.Read, which no role-less access has, so it never shows.
func TestTeamBugNoWorkspaceDashboard(t *testing.T) {
	cfg := testDefaults()
	cfg.DataDir = t.TempDir()
	app := MustApp(t, cfg)
	owner := mustSignup(t, app, "owner@example.com")
	_, inv := mustInvite(t, app, owner, "", "editor")
	member := acceptNew(t, app, inv, "member@example.com")
	want(t, "remove", do(t, app, "DELETE", fmt.Sprintf("/api/v1/members/%d", mustUserID(t, app, member)), owner, ""), http.StatusNoContent)
	b := newBrowser(t, app)
	b.cookies["bs_session"] = &http.Cookie{Name: "bs_session", Value: member}
	r := b.get("/")
	if r.Status == http.StatusSeeOther {
		r = b.follow(r)
	}
	if r.Status != http.StatusOK {
		t.Errorf("the overview for someone in no workspace: %d, want the page (or a redirect to a page) offering to create a workspace", r.Status)
	}
	r = b.get("/settings/members")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "not in any workspace") {
		t.Errorf("members page for someone in no workspace: %d, want 200 with \"You are not in any workspace\" and the new-workspace form", r.Status)
	}
}

// TestTeamBugNumericWorkspaceKey: a workspace named "2024" gets the key
// "2024" (key.Slug keeps digits; key.Validate allows all-digit keys), but
// workspace.Service.Resolve reads any all-digit reference as an id, so
// X-Workspace and the dashboard's switcher can never select it by its key
// (404); a key equal to the id of another of the person's workspaces
// selects that other one.
func TestTeamBugNumericWorkspaceKey(t *testing.T) {
	cfg := testDefaults()
	cfg.DataDir = t.TempDir()
	app := MustApp(t, cfg)
	owner := mustSignup(t, app, "owner@example.com")
	r := do(t, app, "POST", "/api/v1/workspaces", owner, `{"name":"2024"}`)
	want(t, "create", r, http.StatusCreated)
	var w teamSpace
	r.JSON(t, &w)
	if _, err := strconv.ParseInt(w.Key, 10, 64); err != nil {
		return // keys are no longer all digits: fixed that way
	}
	if r := doWS(t, app, "GET", "/api/v1/workspace", owner, w.Key, ""); r.Status != http.StatusOK || !strings.Contains(r.Body, fmt.Sprintf(`"id":%d,`, w.ID)) {
		t.Errorf("workspace %d has the key %q, and X-Workspace: %s answers %d %s", w.ID, w.Key, w.Key, r.Status, r.Body)
	}
	b := newBrowser(t, app)
	b.cookies["bs_session"] = &http.Cookie{Name: "bs_session", Value: owner}
	b.get("/")
	if r := b.post("/workspaces/switch", url.Values{"workspace": {w.Key}}); r.Status != http.StatusSeeOther {
		t.Errorf("switching to the workspace keyed %q in the dashboard: %d", w.Key, r.Status)
	}
}

// TestTeamBugReadTokenSelfReads: a read-scoped token is refused on GET
// routes whose action is not access.Read (GET /api/v1/me, /workspaces,
// /tokens, /sessions: Self; GET /api/v1/invitations: Members) with "it
// cannot change anything", although they change nothing:
// access.Access.Can refuses every action but access.Read to a read token.
func TestTeamBugReadTokenSelfReads(t *testing.T) {
	cfg := testDefaults()
	cfg.DataDir = t.TempDir()
	app := MustApp(t, cfg)
	owner := mustSignup(t, app, "owner@example.com")
	mon := mustCreate(t, app, owner, "", "/api/v1/monitors", `{"name":"Shop","url":"https://shop.example.com/"}`)
	read := mustToken(t, app, owner, "", `{"name":"ro","scope":"read","expires_at":"`+time.Now().Add(time.Hour).UTC().Format(time.RFC3339)+`"}`)
	var reads []string
	for k, a := range access.Routes {
		if strings.HasPrefix(k, "GET /api/v1/") && a != access.Account { // no token may (TestTokenCannotChangeSignIn)
			reads = append(reads, k)
		}
	}
	sort.Strings(reads)
	for _, k := range reads {
		path := strings.ReplaceAll(strings.TrimPrefix(k, "GET "), ":id", strconv.FormatInt(mon, 10))
		if r := do(t, app, "GET", path, read, ""); r.Status == http.StatusForbidden {
			t.Errorf("read token refused on the read route %s: %s", k, r.Body)
		}
	}
}
