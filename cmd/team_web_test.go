package cmd

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/config"
)

var (
	inviteURLField = regexp.MustCompile(`id="invite-url">([^<]+)<`)
	totpSecretText = regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`)
	challengeField = regexp.MustCompile(`name="challenge" value="([^"]+)"`)
)

// webLogin logs email in through the login form and returns the browser
// and the answer to the form.
func webLogin(t *testing.T, app *App, email string) (*browser, response) {
	t.Helper()
	b := newBrowser(t, app)
	b.get("/login")
	return b, b.post("/login", url.Values{"email": {email}, "password": {"correct horse"}})
}

// webInvite makes an invitation on Settings → Members and returns its
// token, read from the link the page shows once.
func webInvite(t *testing.T, b *browser, role string) string {
	t.Helper()
	b.get("/settings/members")
	r := b.post("/settings/members/invite", url.Values{"role": {role}})
	want(t, "invite "+role+" in the dashboard", r, http.StatusOK, "Invitation created")
	m := inviteURLField.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("no invitation link on the page: %s", r.Body)
	}
	_, tok, ok := strings.Cut(html.UnescapeString(m[1]), "/invite/")
	if !ok {
		t.Fatalf("invitation link %q", m[1])
	}
	return tok
}

// TestTeamWebMembers drives the members pages with sign-up closed: the
// owner invites on Settings → Members, an existing account joins from the
// link and switches workspaces, a new account signs up through a link, the
// owner changes a role, removes a member, revokes an invitation, and the
// last owner is refused on the page.
func TestTeamWebMembers(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		closed := false
		cfg.AllowSignup = &closed
		app := MustApp(t, cfg)
		for _, e := range []string{"owner@example.com", "ed@example.com"} {
			if _, err := app.Auth.CreateUser(t.Context(), e, "correct horse"); err != nil {
				t.Fatal(err)
			}
		}
		owner, r := webLogin(t, app, "owner@example.com")
		if r.Status != http.StatusSeeOther {
			t.Fatalf("owner login: %d %s", r.Status, r.Body)
		}
		team := mustWorkspace(t, app, webSessionToken(t, owner), "")

		// An existing account joins from the link while signed in.
		tok := webInvite(t, owner, "editor")
		ed, _ := webLogin(t, app, "ed@example.com")
		edPersonal := mustWorkspace(t, app, webSessionToken(t, ed), "")
		want(t, "the invitation page, signed in", ed.get("/invite/"+tok), http.StatusOK, "as <strong>editor</strong>", "Join as ed@example.com")
		r = ed.follow(ed.post("/invite/"+tok, nil))
		want(t, "after joining", r, http.StatusOK, "you joined as editor", `<span class="muted">editor</span>`)
		want(t, "the link again", ed.get("/invite/"+tok), http.StatusNotFound, "already used, revoked or has expired")

		// The switcher moves between the person's workspaces.
		r = ed.follow(ed.post("/workspaces/switch", url.Values{"workspace": {edPersonal.Key}}))
		want(t, "switched to the personal workspace", r, http.StatusOK, `<span class="muted">owner</span>`)
		want(t, "a workspace they are not in", ed.post("/workspaces/switch", url.Values{"workspace": {"nope"}}), http.StatusNotFound)
		r = ed.follow(ed.post("/workspaces/switch", url.Values{"workspace": {team.Key}}))
		want(t, "switched back", r, http.StatusOK, `<span class="muted">editor</span>`)

		// A new account signs up through a link, sign-up being closed.
		tok = webInvite(t, owner, "viewer")
		vi := newBrowser(t, app)
		want(t, "the invitation page, signed out", vi.get("/invite/"+tok), http.StatusOK, "Create account and join")
		r = vi.post("/invite/"+tok+"/signup", url.Values{"email": {"vi@example.com"}, "password": {"correct horse"}})
		r = vi.follow(r)
		want(t, "after signing up through the link", r, http.StatusOK, "You joined owner@example.com as viewer", `<span class="muted">viewer</span>`)
		want(t, "the viewer cannot add a monitor", vi.get("/monitors/new"), http.StatusForbidden)

		// Roles, removal and the last owner, on the page.
		edID, ownerID := mustUserID(t, app, webSessionToken(t, ed)), mustUserID(t, app, webSessionToken(t, owner))
		owner.get("/settings/members")
		r = owner.follow(owner.post(fmt.Sprintf("/settings/members/%d/role", edID), url.Values{"role": {"viewer"}}))
		want(t, "change a role", r, http.StatusOK, "ed@example.com is now viewer.")
		want(t, "the demoted editor", ed.get("/monitors/new"), http.StatusForbidden)
		r = owner.post(fmt.Sprintf("/settings/members/%d/role", ownerID), url.Values{"role": {"admin"}})
		want(t, "the last owner demotes self", r, http.StatusConflict, "needs an owner")
		want(t, "the last owner leaves", owner.post("/settings/members/leave", nil), http.StatusConflict, "needs an owner")
		owner.get("/settings/members")
		r = owner.follow(owner.post(fmt.Sprintf("/settings/members/%d/remove", edID), nil))
		want(t, "remove a member", r, http.StatusOK, "Member removed")
		if strings.Contains(r.Body, "<td>ed@example.com") || !strings.Contains(r.Body, "<td>vi@example.com") {
			t.Fatal("the removed member is still listed (or the others are not)")
		}
		// Their browser, still choosing the team, falls back to their own.
		r = ed.get("/")
		want(t, "the removed member's dashboard", r, http.StatusOK, `<span class="muted">owner</span>`)
		if strings.Contains(r.Body, ">"+team.Key+"<") || strings.Contains(r.Body, `value="`+team.Key+`"`) {
			t.Fatal("the removed member's switcher still offers the team")
		}

		// A revoked invitation's link stops working.
		tok = webInvite(t, owner, "editor")
		r = owner.get("/settings/members")
		id := regexp.MustCompile(`action="/settings/invitations/(\d+)/revoke"`).FindStringSubmatch(r.Body)
		if id == nil {
			t.Fatalf("no revoke button: %s", r.Body)
		}
		want(t, "revoke", owner.follow(owner.post("/settings/invitations/"+id[1]+"/revoke", nil)), http.StatusOK, "Invitation revoked")
		want(t, "a revoked link", newBrowser(t, app).get("/invite/"+tok), http.StatusNotFound, "already used, revoked or has expired")
		want(t, "signing up through a revoked link", vi.post("/invite/"+tok+"/signup", url.Values{"email": {"late@example.com"}, "password": {"correct horse"}}),
			http.StatusConflict)
	})
}

// TestTeamWeb2FA turns two-factor login on and off through the forms, with
// the login's second step, and sees another browser's session end.
func TestTeamWeb2FA(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		app := MustApp(t, cfg)
		b := mustWebSignup(t, app, "ada@example.com")
		other, _ := webLogin(t, app, "ada@example.com")
		want(t, "the other browser", other.get("/settings/account"), http.StatusOK)

		b.get("/settings/account")
		r := b.post("/settings/account/2fa", nil)
		want(t, "start", r, http.StatusOK, "Scan this code", `src="data:image/png;base64,`)
		m := totpSecretText.FindStringSubmatch(r.Body)
		if m == nil {
			t.Fatalf("no secret on the page: %s", r.Body)
		}
		secret := m[1]
		r = b.post("/settings/account/2fa/confirm", url.Values{"code": {otherCode(totp(t, secret, time.Now()))}})
		want(t, "a wrong code", r, http.StatusUnprocessableEntity, "The code is not a valid code")
		r = b.post("/settings/account/2fa/confirm", url.Values{"code": {totp(t, secret, time.Now())}})
		want(t, "confirm", r, http.StatusOK, "Save these recovery codes now", "Every other session has been logged out")
		codes := regexp.MustCompile(`<li><code>([^<]+)</code>`).FindAllStringSubmatch(r.Body, -1)
		if len(codes) != 10 {
			t.Fatalf("%d recovery codes shown, want 10", len(codes))
		}
		r = other.get("/settings/account")
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
			t.Fatalf("the other browser after enrolment: %d %s", r.Status, r.Header.Get("Location"))
		}

		// Log out, and in with password and code.
		b.get("/")
		want(t, "logout", b.post("/logout", nil), http.StatusSeeOther)
		c, r := webLogin(t, app, "ada@example.com")
		want(t, "password step", r, http.StatusOK, `action="/login/2fa"`)
		ch := challengeField.FindStringSubmatch(r.Body)
		if ch == nil {
			t.Fatalf("no challenge on the page: %s", r.Body)
		}
		r = c.post("/login/2fa", url.Values{"challenge": {ch[1]}, "code": {"000000"}})
		want(t, "a wrong code at login", r, http.StatusUnprocessableEntity, "The code is not a valid code")
		r = c.post("/login/2fa", url.Values{"challenge": {ch[1]}, "code": {totp(t, secret, time.Now().Add(30*time.Second))}})
		if r.Status != http.StatusSeeOther || c.cookies["bs_session"] == nil {
			t.Fatalf("second step: %d %s", r.Status, r.Body)
		}
		want(t, "signed in with a code", c.get("/settings/account"), http.StatusOK, "on (10 recovery codes left)", "(totp)")

		// Turning it off needs the password.
		r = c.post("/settings/account/2fa/disable", url.Values{"password": {"wrong horse"}, "code": {totp(t, secret, time.Now().Add(30*time.Second))}})
		want(t, "disable with a wrong password", r, http.StatusUnprocessableEntity, "The password is not your current password")
		r = c.follow(c.post("/settings/account/2fa/disable", url.Values{"password": {"correct horse"}, "code": {codes[0][1]}}))
		want(t, "disable", r, http.StatusOK, "Two-factor login is off")
		if _, r := webLogin(t, app, "ada@example.com"); r.Status != http.StatusSeeOther {
			t.Fatalf("login after disabling: %d %s", r.Status, r.Body)
		}
	})
}
