package cmd

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/config"
)

// enrol2FA turns two-factor login on for token's account and returns the
// secret and the recovery codes; the code used is the current one.
func enrol2FA(t *testing.T, app *App, token string) (string, []string) {
	t.Helper()
	r := do(t, app, "POST", "/api/v1/me/2fa", token, "")
	want(t, "start 2FA", r, http.StatusOK, `"secret":`, `"uri":"otpauth://totp/`, `"qr_code":"data:image/png;base64,`)
	var e struct{ Secret string }
	r.JSON(t, &e)
	r = do(t, app, "POST", "/api/v1/me/2fa/confirm", token, fmt.Sprintf(`{"code":%q}`, totp(t, e.Secret, time.Now())))
	want(t, "confirm 2FA", r, http.StatusOK, `"enabled":true`)
	var out struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	r.JSON(t, &out)
	return e.Secret, out.RecoveryCodes
}

// loginChallenge logs in with the password of an account with 2FA on and
// returns the challenge.
func loginChallenge(t *testing.T, app *App, email string) string {
	t.Helper()
	r := do(t, app, "POST", "/api/v1/auth/login", "", fmt.Sprintf(`{"email":%q,"password":"correct horse"}`, email))
	want(t, "password step", r, http.StatusOK, `"two_factor_required":true`)
	if strings.Contains(r.Body, `"token"`) {
		t.Fatalf("the password alone gave a session: %s", r.Body)
	}
	var out struct{ Challenge string }
	r.JSON(t, &out)
	if out.Challenge == "" {
		t.Fatalf("no challenge: %s", r.Body)
	}
	return out.Challenge
}

func login2FA(t *testing.T, app *App, challenge, code string) response {
	t.Helper()
	return do(t, app, "POST", "/api/v1/auth/login/2fa", "", fmt.Sprintf(`{"challenge":%q,"code":%q}`, challenge, code))
}

// TestTeamTwoFactor: enrolment, recovery codes, the login's second step,
// replay, recovery codes used once, disabling with password and code,
// other sessions ended at enrolment, and the rate limit on wrong codes.
func TestTeamTwoFactor(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		cfg.LoginMaxFails = 5
		app := MustApp(t, cfg)
		s1 := mustSignup(t, app, "ada@example.com")
		s2 := mustLogin(t, app, "ada@example.com")
		api := mustToken(t, app, s1, "", `{"name":"ci"}`)

		r := do(t, app, "POST", "/api/v1/me/2fa/confirm", s1, `{"code":"123456"}`)
		want(t, "confirm before starting", r, http.StatusConflict, "start the set-up first")
		r = do(t, app, "POST", "/api/v1/me/2fa", s1, "")
		want(t, "start", r, http.StatusOK)
		var e struct{ Secret, URI string }
		r.JSON(t, &e)
		if len(e.Secret) < 16 || !strings.Contains(e.URI, "secret="+e.Secret) {
			t.Fatalf("enrolment: %s", r.Body)
		}
		// Not on until confirmed: the password alone still logs in.
		want(t, "login before confirming", do(t, app, "POST", "/api/v1/auth/login", "", `{"email":"ada@example.com","password":"correct horse"}`),
			http.StatusOK, `"token"`)
		now := totp(t, e.Secret, time.Now())
		want(t, "confirm with a wrong code", do(t, app, "POST", "/api/v1/me/2fa/confirm", s1, `{"code":"`+otherCode(now)+`"}`),
			http.StatusUnprocessableEntity, `"code"`)
		r = do(t, app, "POST", "/api/v1/me/2fa/confirm", s1, `{"code":"`+now+`"}`)
		want(t, "confirm", r, http.StatusOK, `"enabled":true`)
		var conf struct {
			RecoveryCodes []string `json:"recovery_codes"`
		}
		r.JSON(t, &conf)
		if len(conf.RecoveryCodes) != 10 {
			t.Fatalf("want 10 recovery codes, got %d: %s", len(conf.RecoveryCodes), r.Body)
		}
		// Recovery codes are stored hashed.
		var stored string
		if err := app.DB.Raw("SELECT recovery_codes FROM users WHERE email = ?", "ada@example.com").Scan(&stored).Error; err != nil {
			t.Fatal(err)
		}
		for _, c := range conf.RecoveryCodes {
			if c == "" || strings.Contains(stored, c) || strings.Contains(stored, strings.ReplaceAll(c, "-", "")) {
				t.Fatalf("recovery code %q is stored as is: %s", c, stored)
			}
		}
		if strings.Count(stored, `","`) != 9 {
			t.Fatalf("want 10 stored hashes, got %s", stored)
		}
		want(t, "me after enrolment", do(t, app, "GET", "/api/v1/me", s1, ""), http.StatusOK, `"two_factor":true`)
		want(t, "start again while on", do(t, app, "POST", "/api/v1/me/2fa", s1, ""), http.StatusConflict)

		// Sessions from before enrolment end, except the one that enrolled;
		// API tokens are their own factor and keep working.
		want(t, "an older session after enrolment", do(t, app, "GET", "/api/v1/me", s2, ""), http.StatusUnauthorized)
		want(t, "the enrolling session", do(t, app, "GET", "/api/v1/me", s1, ""), http.StatusOK)
		want(t, "an API token after enrolment", do(t, app, "GET", "/api/v1/monitors", api, ""), http.StatusOK)

		// The password now gives a challenge, not a session.
		ch := loginChallenge(t, app, "ada@example.com")
		want(t, "the challenge is no session", do(t, app, "GET", "/api/v1/me", ch, ""), http.StatusUnauthorized)
		want(t, "second step with a wrong code", login2FA(t, app, ch, otherCode(totp(t, e.Secret, time.Now()))), http.StatusUnprocessableEntity)
		// The code used to confirm cannot log in (replay); the next one can.
		want(t, "the confirming code again", login2FA(t, app, ch, now), http.StatusUnprocessableEntity)
		next := totp(t, e.Secret, time.Now().Add(30*time.Second))
		r = login2FA(t, app, ch, next)
		want(t, "second step", r, http.StatusOK, `"token"`)
		var sess struct{ Token string }
		r.JSON(t, &sess)
		want(t, "the 2FA session", do(t, app, "GET", "/api/v1/me", sess.Token, ""), http.StatusOK, `"email":"ada@example.com"`)
		want(t, "the same code again (replay)", login2FA(t, app, loginChallenge(t, app, "ada@example.com"), next), http.StatusUnprocessableEntity)
		want(t, "a bad challenge", login2FA(t, app, "nope", next), http.StatusUnauthorized)

		// A recovery code logs in once.
		rc := conf.RecoveryCodes[0]
		r = login2FA(t, app, loginChallenge(t, app, "ada@example.com"), rc)
		want(t, "recovery code", r, http.StatusOK, `"token"`)
		want(t, "the same recovery code again", login2FA(t, app, loginChallenge(t, app, "ada@example.com"), rc), http.StatusUnprocessableEntity)
		r = do(t, app, "GET", "/api/v1/sessions", s1, "")
		want(t, "sessions say how they logged in", r, http.StatusOK, `"method":"totp"`, `"method":"recovery"`)

		// Disabling needs the password and a code.
		want(t, "disable without the password", do(t, app, "POST", "/api/v1/me/2fa/disable", s1, `{"password":"wrong horse","code":"`+conf.RecoveryCodes[1]+`"}`),
			http.StatusUnprocessableEntity, `"password"`)
		want(t, "disable without a code", do(t, app, "POST", "/api/v1/me/2fa/disable", s1, `{"password":"correct horse","code":"000000"}`),
			http.StatusUnprocessableEntity, `"code"`)
		want(t, "still on", do(t, app, "GET", "/api/v1/me", s1, ""), http.StatusOK, `"two_factor":true`)
		want(t, "disable", do(t, app, "POST", "/api/v1/me/2fa/disable", s1, `{"password":"correct horse","code":"`+conf.RecoveryCodes[1]+`"}`),
			http.StatusOK, `"enabled":false`)
		want(t, "login after disabling", do(t, app, "POST", "/api/v1/auth/login", "", `{"email":"ada@example.com","password":"correct horse"}`),
			http.StatusOK, `"token"`)

		// Wrong codes are limited like passwords: after login_max_failures,
		// even the right code is refused with 429.
		bob := mustSignup(t, app, "bob@example.com")
		secret, _ := enrol2FA(t, app, bob)
		ch = loginChallenge(t, app, "bob@example.com")
		for i := 0; i < cfg.LoginMaxFails; i++ {
			want(t, fmt.Sprintf("wrong code %d", i+1), login2FA(t, app, ch, "000000"), http.StatusUnprocessableEntity)
		}
		r = login2FA(t, app, ch, totp(t, secret, time.Now().Add(30*time.Second)))
		want(t, "after too many wrong codes", r, http.StatusTooManyRequests, "too many attempts")
	})
}

// TestTeamRequire2FA: with require_2fa on, a member without two-factor
// login is refused on the workspace through a session but can turn it on;
// the dashboard sends them to Settings → Account; API tokens go on working.
func TestTeamRequire2FA(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		app := MustApp(t, cfg)
		owner := mustSignup(t, app, "owner@example.com")
		mustCreate(t, app, owner, "", "/api/v1/monitors", `{"name":"Shop","url":"https://shop.example.com/"}`)
		enrol2FA(t, app, owner)
		_, inv := mustInvite(t, app, owner, "", "editor")
		member := acceptNew(t, app, inv, "member@example.com")
		tok := mustToken(t, app, member, "", `{"name":"ci","scope":"read"}`)

		want(t, "an editor cannot require 2FA", do(t, app, "PATCH", "/api/v1/workspace", member, `{"require_2fa":true}`), http.StatusForbidden)
		want(t, "owner requires 2FA", do(t, app, "PATCH", "/api/v1/workspace", owner, `{"require_2fa":true}`), http.StatusOK, `"require_2fa":true`)
		want(t, "the owner (with 2FA) reads", do(t, app, "GET", "/api/v1/monitors", owner, ""), http.StatusOK, "Shop")

		for _, path := range []string{"/api/v1/monitors", "/api/v1/workspace", "/api/v1/members"} {
			want(t, "member without 2FA: "+path, do(t, app, "GET", path, member, ""), http.StatusForbidden, "requires two-factor login")
		}
		want(t, "member's account", do(t, app, "GET", "/api/v1/me", member, ""), http.StatusOK)
		want(t, "member's token is not affected", do(t, app, "GET", "/api/v1/monitors", tok, ""), http.StatusOK, "Shop")

		// The dashboard sends them to Settings → Account, which shows why.
		b := newBrowser(t, app)
		b.cookies["bs_session"] = &http.Cookie{Name: "bs_session", Value: member}
		for _, path := range []string{"/", "/monitors", "/settings/members"} {
			r := b.get(path)
			if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/settings/account" {
				t.Fatalf("dashboard %s for a member without 2FA: %d %q", path, r.Status, r.Header.Get("Location"))
			}
		}
		want(t, "account page", b.get("/settings/account"), http.StatusOK, "This workspace requires two-factor login")
		want(t, "a dashboard write", b.post("/monitors/new", url.Values{"name": {"x"}}), http.StatusForbidden)

		// Turning it on through the API opens the workspace again.
		enrol2FA(t, app, member)
		want(t, "member after enrolling", do(t, app, "GET", "/api/v1/monitors", member, ""), http.StatusOK, "Shop")
		want(t, "dashboard after enrolling", b.get("/"), http.StatusOK, "Shop")
	})
}

// TestTokenCannotChangeSignIn: an API token, even a write token of the
// workspace's owner, cannot start, confirm or turn off two-factor login,
// change the password, or list or end sessions: each answers 403 naming
// the session it needs, and the person still signs in with the password
// alone, their session still works and their 2FA is still off. The same
// requests with the session itself are allowed (the enrolment here).
func TestTokenCannotChangeSignIn(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		app := MustApp(t, cfg)
		s := mustSignup(t, app, "vera@example.com")
		write := mustToken(t, app, s, "", `{"name":"ci","scope":"write"}`)
		read := mustToken(t, app, s, "", `{"name":"ro","scope":"read"}`)
		for _, tok := range []string{write, read} {
			for _, req := range []struct{ method, path, body string }{
				{"POST", "/api/v1/me/2fa", ""},
				{"POST", "/api/v1/me/2fa/confirm", `{"code":"123456"}`},
				{"POST", "/api/v1/me/2fa/disable", `{"password":"correct horse","code":"123456"}`},
				{"POST", "/api/v1/me/password", `{"current_password":"correct horse","new_password":"another long one"}`},
				{"GET", "/api/v1/sessions", ""},
				{"DELETE", "/api/v1/sessions/1", ""},
			} {
				r := do(t, app, req.method, req.path, tok, req.body)
				want(t, req.method+" "+req.path+" with a token", r, http.StatusForbidden, "signed-in session")
			}
		}
		want(t, "the session still works", do(t, app, "GET", "/api/v1/me", s, ""), http.StatusOK, `"two_factor":false`)
		r := do(t, app, "POST", "/api/v1/auth/login", "", `{"email":"vera@example.com","password":"correct horse"}`)
		want(t, "the password alone still signs in", r, http.StatusOK, `"token":`)
		// A token keeps what it may do with its own person: read who it is,
		// list and end tokens.
		want(t, "a token reads its person", do(t, app, "GET", "/api/v1/me", write, ""), http.StatusOK, "vera@example.com")
		want(t, "a token lists tokens", do(t, app, "GET", "/api/v1/tokens", read, ""), http.StatusOK, `"ci"`)
		enrol2FA(t, app, s)
	})
}
