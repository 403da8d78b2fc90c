package cmd

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/betterstack/betterstack/modules/config"
)

// scenario is one API request and what the user must (not) see.
type scenario struct {
	name        string
	method      string
	path        string // {alice_monitor} and {bob_monitor} are replaced by ids, here and in body
	auth        string // "alice", "bob", "" (none) or a literal credential
	body        string
	status      int
	contains    []string
	notContains []string
}

type fixture struct {
	app                      *App
	alice, bob               string // session tokens
	aliceMonitor, bobMonitor int64
}

func newFixture(t *testing.T, cfg config.Config) fixture {
	t.Helper()
	f := fixture{app: MustApp(t, cfg)}
	f.alice = mustSignup(t, f.app, "alice@example.com")
	f.bob = mustSignup(t, f.app, "bob@example.com")
	f.aliceMonitor = f.mustMonitor(t, f.alice, `{"name":"Alice API","url":"https://alice.example/health"}`)
	f.bobMonitor = f.mustMonitor(t, f.bob, `{"name":"Bob secret","url":"https://bob.example/private"}`)
	return f
}

func (f fixture) mustMonitor(t *testing.T, token, body string) int64 {
	t.Helper()
	r := do(t, f.app, "POST", "/api/v1/monitors", token, body)
	if r.Status != http.StatusCreated {
		t.Fatalf("create monitor: %d %s", r.Status, r.Body)
	}
	var m struct{ ID int64 }
	r.JSON(t, &m)
	return m.ID
}

func (f fixture) run(t *testing.T, scenarios []scenario) {
	t.Helper()
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			ids := strings.NewReplacer(
				"{alice_monitor}", fmt.Sprint(f.aliceMonitor),
				"{bob_monitor}", fmt.Sprint(f.bobMonitor),
			)
			path := ids.Replace(s.path)
			token := map[string]string{"alice": f.alice, "bob": f.bob}[s.auth]
			if token == "" {
				token = s.auth
			}
			r := do(t, f.app, s.method, path, token, ids.Replace(s.body))
			if r.Status != s.status {
				t.Fatalf("%s %s: status %d, want %d; body %s", s.method, path, r.Status, s.status, r.Body)
			}
			for _, want := range s.contains {
				if !strings.Contains(r.Body, want) {
					t.Errorf("body lacks %q: %s", want, r.Body)
				}
			}
			for _, bad := range s.notContains {
				if strings.Contains(r.Body, bad) {
					t.Errorf("body must not contain %q: %s", bad, r.Body)
				}
			}
		})
	}
}

func TestAuthAPI(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		f := newFixture(t, cfg)
		f.run(t, []scenario{
			{name: "signup", method: "POST", path: "/api/v1/auth/signup", body: `{"email":"carol@example.com","password":"12345678"}`,
				status: 201, contains: []string{`"email":"carol@example.com"`, `"token":"ey`}, notContains: []string{"password"}},
			{name: "signup duplicate email any case", method: "POST", path: "/api/v1/auth/signup", body: `{"email":"ALICE@Example.com","password":"12345678"}`,
				status: 409, contains: []string{`"code":"conflict"`}},
			{name: "signup short password", method: "POST", path: "/api/v1/auth/signup", body: `{"email":"dave@example.com","password":"1234567"}`,
				status: 422, contains: []string{`"code":"validation"`, `"password":"must be at least 8 characters"`}},
			{name: "signup malformed email", method: "POST", path: "/api/v1/auth/signup", body: `{"email":"not-an-email","password":"12345678"}`,
				status: 422, contains: []string{`"email":`}},
			{name: "signup email with display name", method: "POST", path: "/api/v1/auth/signup", body: `{"email":"Eve <eve@example.com>","password":"12345678"}`,
				status: 422, contains: []string{`"email":`}},
			{name: "signup malformed json", method: "POST", path: "/api/v1/auth/signup", body: `{"email":`,
				status: 400, contains: []string{`"code":"bad_request"`}},
			{name: "signup unknown field", method: "POST", path: "/api/v1/auth/signup", body: `{"email":"f@example.com","password":"12345678","admin":true}`,
				status: 422, contains: []string{`"admin":"unknown field"`}},
			{name: "signup wrong type", method: "POST", path: "/api/v1/auth/signup", body: `{"email":5,"password":"12345678"}`,
				status: 422, contains: []string{`"email":`}},
			{name: "login", method: "POST", path: "/api/v1/auth/login", body: `{"email":"Alice@Example.com","password":"correct horse"}`,
				status: 200, contains: []string{`"email":"alice@example.com"`, `"token":"ey`, `"workspace_id":`}},
			{name: "login wrong password", method: "POST", path: "/api/v1/auth/login", body: `{"email":"alice@example.com","password":"wrong horse"}`,
				status: 401, contains: []string{`"message":"invalid email or password"`}},
			{name: "login unknown email same message", method: "POST", path: "/api/v1/auth/login", body: `{"email":"nobody@example.com","password":"wrong horse"}`,
				status: 401, contains: []string{`"message":"invalid email or password"`}},
			{name: "me", method: "GET", path: "/api/v1/me", auth: "alice", status: 200, contains: []string{`"email":"alice@example.com"`}},
			{name: "me without token", method: "GET", path: "/api/v1/me", status: 401, contains: []string{`"code":"unauthorized"`}},
			{name: "me with garbage token", method: "GET", path: "/api/v1/me", auth: "garbage", status: 401},
			{name: "me with unknown api token", method: "GET", path: "/api/v1/me", auth: "bst_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", status: 401},
			{name: "unknown route", method: "GET", path: "/api/v1/nope", auth: "alice", status: 404, contains: []string{`"code":"not_found"`}},
		})
	})
}

// forge signs claims with key and alg, as an attacker would try.
func forge(t *testing.T, alg jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(alg, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAuthRejectsBadTokens(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		f := newFixture(t, cfg)
		secret, err := jwtSecret(f.app.Cfg)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		// Forged tokens name alice's real server-side session, so each case
		// fails for the reason it tests, not for lacking a session.
		var real struct {
			Sid string `json:"sid"`
		}
		payload, err := base64.RawURLEncoding.DecodeString(strings.Split(f.alice, ".")[1])
		if err != nil || json.Unmarshal(payload, &real) != nil || real.Sid == "" {
			t.Fatalf("alice's session token has no session id: %s", payload)
		}
		valid := jwt.MapClaims{"sub": "1", "iss": "betterstack", "ver": 1, "sid": real.Sid, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		expired := jwt.MapClaims{"sub": "1", "iss": "betterstack", "ver": 1, "sid": real.Sid, "iat": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix()}
		noExp := jwt.MapClaims{"sub": "1", "iss": "betterstack", "ver": 1, "sid": real.Sid}
		noSession := jwt.MapClaims{"sub": "1", "iss": "betterstack", "ver": 1, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		// alg none: header {"alg":"none"}, no signature.
		none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." +
			base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf(`{"sub":"1","iss":"betterstack","ver":1,"exp":%d}`, now.Add(time.Hour).Unix()))) + "."
		good := forge(t, jwt.SigningMethodHS256, secret, valid)
		parts := strings.Split(f.alice, ".")
		tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"2","iss":"betterstack","ver":1,"exp":9999999999}`)) + "." + parts[2]

		f.run(t, []scenario{
			{name: "control: forged with the real key works", method: "GET", path: "/api/v1/me", auth: good, status: 200},
			{name: "expired", method: "GET", path: "/api/v1/me", auth: forge(t, jwt.SigningMethodHS256, secret, expired), status: 401},
			{name: "real key but no server-side session", method: "GET", path: "/api/v1/me", auth: forge(t, jwt.SigningMethodHS256, secret, noSession), status: 401},
			{name: "without expiry", method: "GET", path: "/api/v1/me", auth: forge(t, jwt.SigningMethodHS256, secret, noExp), status: 401},
			{name: "alg none", method: "GET", path: "/api/v1/me", auth: none, status: 401},
			{name: "other key", method: "GET", path: "/api/v1/me", auth: forge(t, jwt.SigningMethodHS256, []byte("another-secret-0123456789abcdef0123"), valid), status: 401},
			{name: "HS512 with the real key", method: "GET", path: "/api/v1/me", auth: forge(t, jwt.SigningMethodHS512, secret, valid), status: 401},
			{name: "tampered payload", method: "GET", path: "/api/v1/me", auth: tampered, status: 401},
		})
		// A valid token under another scheme is still refused.
		req := httptest.NewRequest("GET", "/api/v1/me", nil)
		req.Header.Set("Authorization", "Basic "+good)
		rec := httptest.NewRecorder()
		f.app.HTTP.Echo().ServeHTTP(rec, req)
		if rec.Code != 401 || !strings.Contains(rec.Body.String(), `"code":"unauthorized"`) {
			t.Fatalf("Basic scheme with a valid token: %d %s, want 401", rec.Code, rec.Body.String())
		}
	})
}

func TestPasswordChangeInvalidatesSessions(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		app := MustApp(t, cfg)
		old := mustSignup(t, app, "pw@example.com")
		r := do(t, app, "POST", "/api/v1/me/password", old, `{"current_password":"wrong one!","new_password":"new password"}`)
		if r.Status != 422 || !strings.Contains(r.Body, "current_password") {
			t.Fatalf("wrong current password: %d %s", r.Status, r.Body)
		}
		r = do(t, app, "POST", "/api/v1/me/password", old, `{"current_password":"correct horse","new_password":"new password"}`)
		if r.Status != 200 {
			t.Fatalf("change password: %d %s", r.Status, r.Body)
		}
		var out struct{ Token string }
		r.JSON(t, &out)
		if got := do(t, app, "GET", "/api/v1/me", old, "").Status; got != 401 {
			t.Errorf("old token after password change: %d, want 401", got)
		}
		if got := do(t, app, "GET", "/api/v1/me", out.Token, "").Status; got != 200 {
			t.Errorf("new token: %d, want 200", got)
		}
		if got := do(t, app, "POST", "/api/v1/auth/login", "", `{"email":"pw@example.com","password":"correct horse"}`).Status; got != 401 {
			t.Errorf("login with old password: %d, want 401", got)
		}
		if got := do(t, app, "POST", "/api/v1/auth/login", "", `{"email":"pw@example.com","password":"new password"}`).Status; got != 200 {
			t.Errorf("login with new password: %d, want 200", got)
		}
	})
}

func TestTokenLifecycle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		app := MustApp(t, cfg)
		alice := mustSignup(t, app, "alice@example.com")
		bob := mustSignup(t, app, "bob@example.com")

		r := do(t, app, "POST", "/api/v1/tokens", alice, `{"name":"ci"}`)
		if r.Status != 201 {
			t.Fatalf("create token: %d %s", r.Status, r.Body)
		}
		var tok struct {
			ID    int64
			Name  string
			Token string
		}
		r.JSON(t, &tok)
		if !strings.HasPrefix(tok.Token, "bst_") || tok.Name != "ci" {
			t.Fatalf("token = %+v", tok)
		}
		if r := do(t, app, "GET", "/api/v1/me", tok.Token, ""); r.Status != 200 || !strings.Contains(r.Body, "alice@example.com") {
			t.Fatalf("me with api token: %d %s", r.Status, r.Body)
		}
		list := do(t, app, "GET", "/api/v1/tokens", alice, "")
		if list.Status != 200 || !strings.Contains(list.Body, `"name":"ci"`) || strings.Contains(list.Body, tok.Token) {
			t.Fatalf("list must show the token but never its secret: %s", list.Body)
		}
		if strings.Contains(do(t, app, "GET", "/api/v1/tokens", bob, "").Body, `"name":"ci"`) {
			t.Fatal("bob sees alice's token")
		}
		if got := do(t, app, "DELETE", fmt.Sprintf("/api/v1/tokens/%d", tok.ID), bob, "").Status; got != 404 {
			t.Fatalf("bob deletes alice's token: %d, want 404", got)
		}
		for _, bad := range []string{`{"name":""}`, `{"name":"` + strings.Repeat("x", 101) + `"}`, `{}`} {
			if r := do(t, app, "POST", "/api/v1/tokens", alice, bad); r.Status != 422 || !strings.Contains(r.Body, `"name"`) {
				t.Errorf("create token %s: %d %s", bad, r.Status, r.Body)
			}
		}
		if got := do(t, app, "DELETE", fmt.Sprintf("/api/v1/tokens/%d", tok.ID), alice, "").Status; got != 204 {
			t.Fatalf("revoke: %d", got)
		}
		if got := do(t, app, "GET", "/api/v1/me", tok.Token, "").Status; got != 401 {
			t.Fatalf("revoked token still works: %d", got)
		}
		if got := do(t, app, "DELETE", fmt.Sprintf("/api/v1/tokens/%d", tok.ID), alice, "").Status; got != 404 {
			t.Fatalf("revoke twice: %d, want 404", got)
		}
	})
}

func TestLoginRateLimit(t *testing.T) {
	cfg := testDefaults()
	cfg.DataDir = t.TempDir()
	cfg.LoginMaxFails = 3
	app := MustApp(t, cfg)
	mustSignup(t, app, "rl@example.com")
	for i := 0; i < 3; i++ {
		if got := do(t, app, "POST", "/api/v1/auth/login", "", `{"email":"rl@example.com","password":"wrong horse"}`).Status; got != 401 {
			t.Fatalf("failure %d: %d, want 401", i, got)
		}
	}
	r := do(t, app, "POST", "/api/v1/auth/login", "", `{"email":"rl@example.com","password":"correct horse"}`)
	if r.Status != 429 || r.Header.Get("Retry-After") == "" || !strings.Contains(r.Body, `"code":"rate_limited"`) {
		t.Fatalf("after 3 failures even the right password is limited: %d %s %v", r.Status, r.Body, r.Header)
	}
	// Other accounts from the same address are limited once the address
	// reaches twice the per-account budget.
	mustSignup(t, app, "other@example.com")
	for i := 0; i < 3; i++ {
		do(t, app, "POST", "/api/v1/auth/login", "", `{"email":"x`+fmt.Sprint(i)+`@example.com","password":"wrong horse"}`)
	}
	if got := do(t, app, "POST", "/api/v1/auth/login", "", `{"email":"other@example.com","password":"correct horse"}`).Status; got != 429 {
		t.Fatalf("address over its budget: %d, want 429", got)
	}
}

func TestMonitorsAPI(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		f := newFixture(t, cfg)
		f.run(t, []scenario{
			{name: "create with defaults", method: "POST", path: "/api/v1/monitors", auth: "alice", body: `{"name":"Shop","url":"https://shop.example.com/"}`,
				status: 201, contains: []string{`"method":"GET"`, `"interval_seconds":60`, `"timeout_ms":10000`, `"expected_status":["2xx","3xx"]`,
					`"follow_redirects":true`, `"failure_threshold":2`, `"recovery_threshold":2`, `"quorum":0`, `"paused":false`, `"status":"pending"`, `"regions":[]`}},
			{name: "create full", method: "POST", path: "/api/v1/monitors", auth: "alice",
				body: `{"name":"API","url":"http://10.0.0.5:8080/health","method":"post","headers":{"X-Token":"abc"},"body":"{}","interval_seconds":30,
				"timeout_ms":5000,"expected_status":["200","2XX"],"keyword":"ok","keyword_absent":false,"follow_redirects":false,
				"regions":["frankfurt","virginia"],"failure_threshold":3,"recovery_threshold":1,"quorum":2,"paused":true}`,
				status: 201, contains: []string{`"method":"POST"`, `"headers":{"X-Token":"********"}`, `"expected_status":["200","2xx"]`,
					`"regions":["frankfurt","virginia"]`, `"quorum":2`, `"status":"paused"`}},
			{name: "name defaults to host", method: "POST", path: "/api/v1/monitors", auth: "alice", body: `{"url":"https://status.example.org/ping"}`,
				status: 201, contains: []string{`"name":"status.example.org"`}},
			{name: "ftp url", method: "POST", path: "/api/v1/monitors", auth: "alice", body: `{"name":"x","url":"ftp://example.com"}`,
				status: 422, contains: []string{`"url":"must start with http:// or https://"`}},
			{name: "javascript url", method: "POST", path: "/api/v1/monitors", auth: "alice", body: `{"name":"x","url":"javascript:alert(1)"}`, status: 422, contains: []string{`"url"`}},
			{name: "url without host", method: "POST", path: "/api/v1/monitors", auth: "alice", body: `{"name":"x","url":"http://"}`, status: 422, contains: []string{`"url"`}},
			{name: "missing check", method: "POST", path: "/api/v1/monitors", auth: "alice", body: `{"name":"x"}`, status: 422, contains: []string{`"check":"is required`}},
			{name: "legacy fields with empty url", method: "POST", path: "/api/v1/monitors", auth: "alice", body: `{"name":"x","url":""}`, status: 422, contains: []string{`"url":"is required"`}},
			{name: "unknown kind", method: "POST", path: "/api/v1/monitors", auth: "alice", body: `{"check":{"kind":"gopher","url":"x"}}`, status: 422, contains: []string{`"check.kind":"must be one of`}},
			{name: "check setting of the wrong type", method: "POST", path: "/api/v1/monitors", auth: "alice", body: `{"check":{"kind":"http","url":5}}`, status: 422, contains: []string{`"check.url":"must be a string"`}},
			{name: "malformed condition named with its position", method: "POST", path: "/api/v1/monitors", auth: "alice",
				body:   `{"check":{"kind":"http","url":"https://a.example","conditions":["[STATUS] == 200","[BODY].status = UP"]}}`,
				status: 422, contains: []string{`"check.conditions[1]"`, "position"}},
			{name: "ping timeout shorter than its packets take", method: "POST", path: "/api/v1/monitors", auth: "alice",
				body:   `{"check":{"kind":"icmp","host":"192.0.2.1","count":5,"interval_ms":1000},"interval_seconds":30,"timeout_ms":4000}`,
				status: 422, contains: []string{`"timeout_ms":"must be at least 4500 ms`}},
			{name: "ping timeout exactly what its packets take", method: "POST", path: "/api/v1/monitors", auth: "alice",
				body:   `{"check":{"kind":"icmp","host":"192.0.2.1","count":5,"interval_ms":1000},"interval_seconds":30,"timeout_ms":4500}`,
				status: 201, contains: []string{`"kind":"icmp"`, `"target":"192.0.2.1"`}},
			{name: "unknown check setting", method: "POST", path: "/api/v1/monitors", auth: "alice", body: `{"check":{"kind":"http","url":"https://a.example","colour":"red"}}`, status: 422, contains: []string{`"check.colour":"unknown field"`}},
			{name: "check and legacy fields together", method: "POST", path: "/api/v1/monitors", auth: "alice", body: `{"check":{"kind":"http","url":"https://a.example"},"url":"https://b.example"}`, status: 422, contains: []string{`"check":"give the check either`}},
			{name: "invalid check setting and envelope field named together", method: "POST", path: "/api/v1/monitors", auth: "alice", body: `{"check":{"kind":"http","url":"ftp://a.example"},"interval_seconds":5}`, status: 422, contains: []string{`"check.url":"must start with http`, `"interval_seconds"`}},
			{name: "interval below floor", method: "POST", path: "/api/v1/monitors", auth: "alice", body: `{"url":"https://a.example","interval_seconds":5}`,
				status: 422, contains: []string{`"interval_seconds"`}},
			{name: "timeout not below interval", method: "POST", path: "/api/v1/monitors", auth: "alice", body: `{"url":"https://a.example","interval_seconds":10,"timeout_ms":10000}`,
				status: 422, contains: []string{`"timeout_ms":"is 10000 ms, and must be below the interval (10 s = 10000 ms)`}},
			{name: "short interval fits default timeout", method: "POST", path: "/api/v1/monitors", auth: "alice", body: `{"url":"https://a.example","interval_seconds":10}`,
				status: 201, contains: []string{`"timeout_ms":9000`}},
			{name: "bad expected status", method: "POST", path: "/api/v1/monitors", auth: "alice", body: `{"url":"https://a.example","expected_status":["200","abc"]}`,
				status: 422, contains: []string{`"expected_status"`}},
			{name: "bad method", method: "POST", path: "/api/v1/monitors", auth: "alice", body: `{"url":"https://a.example","method":"TRACE"}`, status: 422, contains: []string{`"method"`}},
			{name: "header injection", method: "POST", path: "/api/v1/monitors", auth: "alice", body: `{"url":"https://a.example","headers":{"X-A":"b\r\nX-Evil: 1"}}`,
				status: 422, contains: []string{`"headers"`}},
			{name: "quorum above regions", method: "POST", path: "/api/v1/monitors", auth: "alice", body: `{"url":"https://a.example","regions":["a"],"quorum":2}`,
				status: 422, contains: []string{`"quorum"`}},
			{name: "bad region", method: "POST", path: "/api/v1/monitors", auth: "alice", body: `{"url":"https://a.example","regions":["Frank Furt"]}`,
				status: 422, contains: []string{`"regions"`}},
			{name: "keyword_absent without keyword", method: "POST", path: "/api/v1/monitors", auth: "alice", body: `{"url":"https://a.example","keyword_absent":true}`,
				status: 422, contains: []string{`"keyword_absent"`}},
			{name: "thresholds out of range", method: "POST", path: "/api/v1/monitors", auth: "alice", body: `{"url":"https://a.example","failure_threshold":0,"recovery_threshold":99}`,
				status: 422, contains: []string{`"failure_threshold"`, `"recovery_threshold"`}},
			{name: "wrong type names field", method: "POST", path: "/api/v1/monitors", auth: "alice", body: `{"url":"https://a.example","interval_seconds":"60"}`,
				status: 422, contains: []string{`"interval_seconds":"must be a number`}},
			{name: "unknown field", method: "POST", path: "/api/v1/monitors", auth: "alice", body: `{"url":"https://a.example","intervall":60}`,
				status: 422, contains: []string{`"intervall":"unknown field"`}},
			{name: "malformed json", method: "POST", path: "/api/v1/monitors", auth: "alice", body: `{"url":`, status: 400},
			{name: "json array", method: "POST", path: "/api/v1/monitors", auth: "alice", body: `[]`, status: 400},
			{name: "trailing data", method: "POST", path: "/api/v1/monitors", auth: "alice", body: `{"url":"https://a.example"} {}`, status: 400},
			{name: "empty body", method: "POST", path: "/api/v1/monitors", auth: "alice", status: 400},
			{name: "body over 1 MiB", method: "POST", path: "/api/v1/monitors", auth: "alice", body: `{"url":"https://a.example","body":"` + strings.Repeat("a", 1<<20) + `"}`,
				status: 413, contains: []string{`"code":"too_large"`}},
			{name: "no auth", method: "POST", path: "/api/v1/monitors", body: `{"url":"https://a.example"}`, status: 401},
			{name: "get own", method: "GET", path: "/api/v1/monitors/{alice_monitor}", auth: "alice", status: 200, contains: []string{`"name":"Alice API"`}},
			{name: "get other's is 404", method: "GET", path: "/api/v1/monitors/{bob_monitor}", auth: "alice", status: 404, notContains: []string{"Bob secret", "bob.example"}},
			{name: "get missing is 404", method: "GET", path: "/api/v1/monitors/999999", auth: "alice", status: 404},
			{name: "get non-numeric is 404", method: "GET", path: "/api/v1/monitors/abc", auth: "alice", status: 404},
			{name: "patch other's is 404", method: "PATCH", path: "/api/v1/monitors/{bob_monitor}", auth: "alice", body: `{"name":"pwned"}`, status: 404},
			{name: "delete other's is 404", method: "DELETE", path: "/api/v1/monitors/{bob_monitor}", auth: "alice", status: 404},
			{name: "pause other's is 404", method: "POST", path: "/api/v1/monitors/{bob_monitor}/pause", auth: "alice", status: 404},
			{name: "bob's monitor untouched", method: "GET", path: "/api/v1/monitors/{bob_monitor}", auth: "bob", status: 200, contains: []string{`"name":"Bob secret"`, `"paused":false`}},
			{name: "patch partial", method: "PATCH", path: "/api/v1/monitors/{alice_monitor}", auth: "alice", body: `{"interval_seconds":120,"keyword":"healthy"}`,
				status: 200, contains: []string{`"name":"Alice API"`, `"interval_seconds":120`, `"keyword":"healthy"`, `"url":"https://alice.example/health"`}},
			{name: "patch invalid changes nothing", method: "PATCH", path: "/api/v1/monitors/{alice_monitor}", auth: "alice", body: `{"name":"renamed","url":"gopher://x"}`,
				status: 422, contains: []string{`"url"`}},
			{name: "after invalid patch", method: "GET", path: "/api/v1/monitors/{alice_monitor}", auth: "alice", status: 200, contains: []string{`"name":"Alice API"`}, notContains: []string{"renamed"}},
			{name: "patch empty name", method: "PATCH", path: "/api/v1/monitors/{alice_monitor}", auth: "alice", body: `{"name":"  "}`, status: 422, contains: []string{`"name":"is required"`}},
			{name: "pause", method: "POST", path: "/api/v1/monitors/{alice_monitor}/pause", auth: "alice", status: 200, contains: []string{`"paused":true`, `"status":"paused"`}},
			{name: "resume", method: "POST", path: "/api/v1/monitors/{alice_monitor}/resume", auth: "alice", status: 200, contains: []string{`"paused":false`}},
			{name: "list is own only", method: "GET", path: "/api/v1/monitors", auth: "bob", status: 200, contains: []string{"Bob secret", `"next_cursor":null`}, notContains: []string{"Alice API"}},
			{name: "bad limit", method: "GET", path: "/api/v1/monitors?limit=501", auth: "alice", status: 422, contains: []string{`"limit"`}},
			{name: "bad cursor", method: "GET", path: "/api/v1/monitors?cursor=zzz", auth: "alice", status: 422, contains: []string{`"cursor"`}},
			{name: "delete", method: "DELETE", path: "/api/v1/monitors/{alice_monitor}", auth: "alice", status: 204},
			{name: "deleted is gone", method: "GET", path: "/api/v1/monitors/{alice_monitor}", auth: "alice", status: 404},
		})
	})
}

func TestMonitorsPagination(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		app := MustApp(t, cfg)
		tok := mustSignup(t, app, "pager@example.com")
		for i := 0; i < 7; i++ {
			if r := do(t, app, "POST", "/api/v1/monitors", tok, fmt.Sprintf(`{"name":"m%d","url":"https://m%d.example"}`, i, i)); r.Status != 201 {
				t.Fatal(r.Body)
			}
		}
		var names []string
		path := "/api/v1/monitors?limit=3"
		for pages := 0; ; pages++ {
			if pages > 5 {
				t.Fatal("pagination does not end")
			}
			var page struct {
				Data       []struct{ Name string }
				NextCursor *string `json:"next_cursor"`
			}
			do(t, app, "GET", path, tok, "").JSON(t, &page)
			for _, m := range page.Data {
				names = append(names, m.Name)
			}
			if page.NextCursor == nil {
				break
			}
			path = "/api/v1/monitors?limit=3&cursor=" + *page.NextCursor
		}
		if got := strings.Join(names, ","); got != "m0,m1,m2,m3,m4,m5,m6" {
			t.Fatalf("pages = %s", got)
		}
	})
}

// TestLoginRateLimitSharedAcrossProcesses: with Redis, two api processes
// share one budget of failed logins per account, so spreading guesses over
// processes gains nothing.
func TestLoginRateLimitSharedAcrossProcesses(t *testing.T) {
	c := newCluster(t)
	cfg := c.config(t, "eu", "", "api")
	cfg.LoginMaxFails = 4
	a := mustAppWith(t, "api-a", cfg, Options{})
	b := mustAppWith(t, "api-b", cfg, Options{})
	mustSignup(t, a, "shared@example.com")
	for i := 0; i < 4; i++ {
		app := []*App{a, b}[i%2]
		if got := do(t, app, "POST", "/api/v1/auth/login", "", `{"email":"shared@example.com","password":"wrong horse"}`).Status; got != 401 {
			t.Fatalf("failure %d: %d, want 401", i, got)
		}
	}
	for name, app := range map[string]*App{"a": a, "b": b} {
		r := do(t, app, "POST", "/api/v1/auth/login", "", `{"email":"shared@example.com","password":"correct horse"}`)
		if r.Status != 429 || r.Header.Get("Retry-After") == "" {
			t.Fatalf("process %s after 4 failures spread over two processes: %d %s; want 429", name, r.Status, r.Body)
		}
	}
	// Another account is not affected by this one's budget.
	mustSignup(t, a, "other@example.com")
	if got := do(t, b, "POST", "/api/v1/auth/login", "", `{"email":"other@example.com","password":"correct horse"}`).Status; got != 200 {
		t.Fatalf("another account: %d, want 200", got)
	}
}
