package cmd

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/betterstack/betterstack/modules/config"
	"github.com/betterstack/betterstack/modules/sso/ssotest"
)

// isolatedTab opens a tab in a new browser context of ctx's browser: its
// own cookies, like another person's browser. It closes with the test.
func isolatedTab(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// The first call creates the tab; without a deadline, as it lives on.
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("open a tab in a new browser context: %v", err)
	}
	return tab
}

// waitUser waits until the header names email as the signed-in person.
func waitUser(t *testing.T, ctx context.Context, email string) {
	t.Helper()
	waitFor(t, ctx, "", fmt.Sprintf(`!!document.querySelector(".who") && document.querySelector(".who").innerText.trim() === %q`, email), 10*time.Second)
}

// browserLogin logs email in through the login form (no second step).
func browserLogin(t *testing.T, ctx context.Context, base, email string) {
	t.Helper()
	run(t, ctx, "open login", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(`input[name="password"]`))
	run(t, ctx, "log in as "+email,
		chromedp.SendKeys(`input[name="email"]`, email),
		chromedp.SendKeys(`input[name="password"]`, "correct horse"),
		chromedp.Submit(`input[name="password"]`),
	)
}

// TestBrowserTeam drives the team features in Chromium: an owner invites
// someone on Settings → Members; the invitee opens the link in their own
// browser, signs up through it and lands in the workspace; they turn on
// two-factor login on Settings → Account, log out and log in with password
// and code; someone logs in through the local OpenID provider; and a
// session ended on Settings → Account sends that browser to the login page.
func TestBrowserTeam(t *testing.T) {
	ctx := mustChrome(t)
	idp := ssotest.Start(t, ssotest.WithUser(ssotest.User{Subject: "c-1", Email: "carol@example.com", Name: "Carol", EmailVerified: true}))
	cfg := testDefaults()
	cfg.DataDir = t.TempDir()
	_, base := startAppAt(t, cfg, func(c *config.Config, _ string) {
		c.SSOIssuer, c.SSOClientID, c.SSOClientSecret = idp.URL, idp.ClientID(), idp.ClientSecret()
		c.SSOAllowedDomains = []string{"example.com"}
	})

	// The owner invites an editor from Settings → Members.
	browserSignup(t, ctx, base, "owner@example.com")
	run(t, ctx, "open members", chromedp.Navigate(base+"/settings/members"), chromedp.WaitVisible(`form[action="/settings/members/invite"]`))
	run(t, ctx, "invite an editor",
		chromedp.SetValue(`form[action="/settings/members/invite"] select[name="role"]`, "editor"),
		chromedp.Click(`form[action="/settings/members/invite"] button[type="submit"]`),
		chromedp.WaitVisible(`#invite-url`),
	)
	link := strings.TrimSpace(value(t, ctx, "invitation link", chromedp.Text(`#invite-url`)))
	if !strings.HasPrefix(link, base+"/invite/inv_") {
		t.Fatalf("invitation link %q, want one under %s/invite/", link, base)
	}
	screenshot(t, ctx, "team-invited")

	// The invitee opens it in their own browser and signs up through it.
	invitee := isolatedTab(t, ctx)
	run(t, invitee, "open the invitation", chromedp.Navigate(link), chromedp.WaitVisible(`form[action$="/signup"] input[name="email"]`))
	if text := value(t, invitee, "invitation text", chromedp.Text("main")); !strings.Contains(text, "as editor") {
		t.Fatalf("the invitation page reads:\n%s", text)
	}
	run(t, invitee, "sign up through the invitation",
		chromedp.SendKeys(`input[name="email"]`, "ed@example.com"),
		chromedp.SendKeys(`input[name="password"]`, "correct horse"),
		chromedp.Submit(`input[name="password"]`),
	)
	waitText(t, invitee, "", "You joined owner@example.com as editor", 10*time.Second)
	waitUser(t, invitee, "ed@example.com")
	// The role in the header, read in one evaluation: a node looked up and
	// then read in two steps can be gone between them while the page
	// settles after the redirect (CI saw "No node with given id found").
	waitFor(t, invitee, "", `!!document.querySelector(".switcher .muted") && document.querySelector(".switcher .muted").innerText.trim() === "editor"`, 10*time.Second)
	screenshot(t, invitee, "team-joined")

	// The invitee turns on two-factor login.
	run(t, invitee, "open account", chromedp.Navigate(base+"/settings/account"), chromedp.WaitVisible(`form[action="/settings/account/2fa"] button`))
	run(t, invitee, "start two-factor set-up", chromedp.Click(`form[action="/settings/account/2fa"] button`), chromedp.WaitVisible(`#totp-secret`))
	secret := strings.TrimSpace(value(t, invitee, "secret", chromedp.Text(`#totp-secret`)))
	screenshot(t, invitee, "team-2fa-enrol")
	run(t, invitee, "confirm with a code",
		chromedp.SendKeys(`form[action="/settings/account/2fa/confirm"] input[name="code"]`, totp(t, secret, time.Now())),
		chromedp.Submit(`form[action="/settings/account/2fa/confirm"] input[name="code"]`),
		chromedp.WaitVisible(`#recovery-codes`),
	)
	if n := value(t, invitee, "recovery codes", chromedp.Evaluate[int](`document.querySelectorAll("#recovery-codes li").length`)); n != 10 {
		t.Fatalf("%d recovery codes shown, want 10", n)
	}

	// They log out and back in with password and code.
	run(t, invitee, "log out", chromedp.Click(`form.logout button`), chromedp.WaitVisible(`input[name="password"]`))
	browserLogin(t, invitee, base, "ed@example.com")
	run(t, invitee, "second step", chromedp.WaitVisible(`form[action="/login/2fa"] input[name="code"]`))
	// The code that confirmed the set-up cannot be used again: the next one.
	run(t, invitee, "enter the code",
		chromedp.SendKeys(`form[action="/login/2fa"] input[name="code"]`, totp(t, secret, time.Now().Add(30*time.Second))),
		chromedp.Submit(`form[action="/login/2fa"] input[name="code"]`),
	)
	waitUser(t, invitee, "ed@example.com")
	screenshot(t, invitee, "team-2fa-login")

	// Someone logs in through the local OpenID provider.
	carol := isolatedTab(t, ctx)
	run(t, carol, "open login", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(`a[href^="/login/sso"]`))
	run(t, carol, "log in with single sign-on", chromedp.Click(`a[href^="/login/sso"]`))
	waitUser(t, carol, "carol@example.com")
	screenshot(t, carol, "team-sso")

	// The owner, signed in elsewhere too, ends that other session.
	elsewhere := isolatedTab(t, ctx)
	browserLogin(t, elsewhere, base, "owner@example.com")
	waitUser(t, elsewhere, "owner@example.com")
	run(t, ctx, "open account", chromedp.Navigate(base+"/settings/account"), chromedp.WaitVisible(`form[action^="/settings/sessions/"]`))
	ended := value(t, ctx, "end the other session", chromedp.Evaluate[int](`(() => {
		const rows = [...document.querySelectorAll("tr")].filter(r => r.querySelector('form[action^="/settings/sessions/"]') && !r.innerText.includes("(this one)"));
		if (rows.length === 1) { rows[0].querySelector("button").click(); }
		return rows.length;
	})()`))
	if ended != 1 {
		t.Fatalf("%d other sessions listed, want 1", ended)
	}
	waitText(t, ctx, "", "Session ended", 10*time.Second)
	waitUser(t, ctx, "owner@example.com")
	waitFor(t, elsewhere, base+"/monitors", `location.pathname === "/login" && !!document.querySelector('input[name="password"]')`, 10*time.Second)
	screenshot(t, elsewhere, "team-session-ended")
}
