package cmd

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/config"
	"github.com/betterstack/betterstack/modules/twofactor"
)

// doWS is do with an X-Workspace header (empty: none).
func doWS(t *testing.T, app *App, method, path, token, ws, body string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	req.RemoteAddr = "192.0.2.1:1234"
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ws != "" {
		req.Header.Set("X-Workspace", ws)
	}
	rec := httptest.NewRecorder()
	app.HTTP.Echo().ServeHTTP(rec, req)
	return response{Status: rec.Code, Body: rec.Body.String(), Header: rec.Header()}
}

// want fails the test unless r has status and contains every string.
func want(t *testing.T, what string, r response, status int, contains ...string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, r.Status, status, r.Body)
	}
	for _, s := range contains {
		if !strings.Contains(r.Body, s) {
			t.Fatalf("%s: body lacks %q: %s", what, s, r.Body)
		}
	}
}

// teamSpace is a workspace as GET /api/v1/workspace shows it.
type teamSpace struct {
	ID         int64
	Key        string
	Role       string
	Require2FA bool `json:"require_2fa"`
}

// mustWorkspace returns the workspace token works in (ws: X-Workspace).
func mustWorkspace(t *testing.T, app *App, token, ws string) teamSpace {
	t.Helper()
	r := doWS(t, app, "GET", "/api/v1/workspace", token, ws, "")
	want(t, "current workspace", r, http.StatusOK)
	var w teamSpace
	r.JSON(t, &w)
	return w
}

// mustUserID returns the id of the account behind token.
func mustUserID(t *testing.T, app *App, token string) int64 {
	t.Helper()
	r := do(t, app, "GET", "/api/v1/me", token, "")
	want(t, "me", r, http.StatusOK)
	var u struct{ ID int64 }
	r.JSON(t, &u)
	return u.ID
}

// mustInvite makes an invitation in token's workspace and returns its id
// and secret token.
func mustInvite(t *testing.T, app *App, token, email, role string) (int64, string) {
	t.Helper()
	r := do(t, app, "POST", "/api/v1/invitations", token, fmt.Sprintf(`{"email":%q,"role":%q}`, email, role))
	want(t, "invite "+role, r, http.StatusCreated, `"role":"`+role+`"`, `"status":"pending"`)
	var inv struct {
		ID    int64
		Token string
		URL   string
	}
	r.JSON(t, &inv)
	if inv.Token == "" || !strings.HasSuffix(inv.URL, "/invite/"+inv.Token) {
		t.Fatalf("invitation without a token or link: %s", r.Body)
	}
	return inv.ID, inv.Token
}

// acceptNew signs a new account up through an invitation and returns its
// session token.
func acceptNew(t *testing.T, app *App, invitation, email string) string {
	t.Helper()
	r := do(t, app, "POST", "/api/v1/auth/accept-invitation", "",
		fmt.Sprintf(`{"email":%q,"password":"correct horse","invitation":%q}`, email, invitation))
	want(t, "accept as new account "+email, r, http.StatusCreated)
	var out struct{ Token string }
	r.JSON(t, &out)
	return out.Token
}

// mustLogin logs in through the API and returns the session token.
func mustLogin(t *testing.T, app *App, email string) string {
	t.Helper()
	r := do(t, app, "POST", "/api/v1/auth/login", "", fmt.Sprintf(`{"email":%q,"password":"correct horse"}`, email))
	want(t, "login "+email, r, http.StatusOK)
	var out struct{ Token string }
	r.JSON(t, &out)
	if out.Token == "" {
		t.Fatalf("login %s gave no token: %s", email, r.Body)
	}
	return out.Token
}

// mustToken creates an API token (body is the JSON input) and returns it.
func mustToken(t *testing.T, app *App, token, ws, body string) string {
	t.Helper()
	r := doWS(t, app, "POST", "/api/v1/tokens", token, ws, body)
	want(t, "create token "+body, r, http.StatusCreated)
	var out struct{ Token string }
	r.JSON(t, &out)
	return out.Token
}

// mustCreate posts body to path and returns the new record's id.
func mustCreate(t *testing.T, app *App, token, ws, path, body string) int64 {
	t.Helper()
	r := doWS(t, app, "POST", path, token, ws, body)
	want(t, "create "+path, r, http.StatusCreated)
	var out struct{ ID int64 }
	r.JSON(t, &out)
	if out.ID == 0 {
		t.Fatalf("create %s: no id in %s", path, r.Body)
	}
	return out.ID
}

// mustExec runs SQL on the app's database (for times a test cannot wait for).
func mustExec(t *testing.T, app *App, sql string, args ...any) {
	t.Helper()
	if err := app.DB.Exec(sql, args...).Error; err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// totp computes the authenticator code for secret at at.
func totp(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := twofactor.Code(secret, at)
	if err != nil {
		t.Fatalf("twofactor.Code: %v", err)
	}
	return c
}

// otherCode returns a six-digit code that is not code.
func otherCode(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+5)%10
	return string(b)
}

// startAppAt builds an App listening on a real 127.0.0.1 port whose
// public_url is its own address, runs it until the test ends, and returns
// its base URL.
func startAppAt(t *testing.T, cfg config.Config, configure func(cfg *config.Config, base string)) (*App, string) {
	t.Helper()
	addr := freeAddr(t)
	base := "http://" + addr
	cfg.HTTPAddr, cfg.PublicURL = addr, base
	if configure != nil {
		configure(&cfg, base)
	}
	app, err := NewApp(context.Background(), cfg, testLogger(t), Options{PasswordMemoryKiB: 64})
	if err != nil {
		t.Fatalf("NewApp: %v", err)
	}
	t.Cleanup(app.Close)
	got, _ := startApp(t, app)
	if got != base {
		t.Fatalf("app listens at %s, want %s", got, base)
	}
	return app, base
}
