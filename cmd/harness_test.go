package cmd

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/config"
	"github.com/betterstack/betterstack/modules/testenv"
)

// testSecret is the JWT key test apps on PostgreSQL use.
const testSecret = "test-secret-0123456789abcdef0123456789"

// backend is one storage backend a test runs against.
type backend struct {
	name string
	cfg  func(t *testing.T) config.Config
}

// backends lists SQLite and PostgreSQL; tests run the same body on both.
func backends() []backend {
	return []backend{
		{"sqlite", func(t *testing.T) config.Config {
			cfg := testDefaults()
			cfg.DataDir = t.TempDir()
			return cfg
		}},
		{"postgres", func(t *testing.T) config.Config {
			cfg := testDefaults()
			cfg.DataDir = t.TempDir()
			cfg.DatabaseURL = testenv.MustPostgres(t)
			cfg.JWTSecret = testSecret
			on := true
			cfg.AutoMigrate = &on
			return cfg
		}},
	}
}

// forEachBackend runs fn as a subtest per backend.
func forEachBackend(t *testing.T, fn func(t *testing.T, cfg config.Config)) {
	t.Helper()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			fn(t, b.cfg(t))
		})
	}
}

// MustApp builds an App as `serve` would, on 127.0.0.1:0, with cheap
// password hashing. It is closed when the test ends.
func MustApp(t *testing.T, cfg config.Config) *App {
	t.Helper()
	return mustAppWith(t, "app", cfg, Options{})
}

// testLogger discards logs unless the test runs with -v.
func testLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// response is what a test sees of an HTTP answer.
type response struct {
	Status int
	Body   string
	Header http.Header
}

// JSON decodes the body into v or fails the test.
func (r response) JSON(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.Body), v); err != nil {
		t.Fatalf("decode %q: %v", r.Body, err)
	}
}

// do sends one request straight to the app's router.
func do(t *testing.T, app *App, method, path, token, body string) response {
	t.Helper()
	return doWS(t, app, method, path, token, "", body)
}

// mustSignup creates a user and returns its session token.
func mustSignup(t *testing.T, app *App, email string) string {
	t.Helper()
	r := do(t, app, "POST", "/api/v1/auth/signup", "", `{"email":"`+email+`","password":"correct horse"}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("signup %s: %d %s", email, r.Status, r.Body)
	}
	var out struct{ Token string }
	r.JSON(t, &out)
	return out.Token
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s", timeout, what)
}

// testDefaults is config.Defaults for tests that sign up several users and
// check targets on 127.0.0.1: sign-up open to anyone and private targets
// allowed, both said explicitly (unset, the first would refuse the second
// user and the pair would refuse 127.0.0.1). TestSafeDefaults covers the
// defaults themselves.
func testDefaults() config.Config {
	cfg := config.Defaults()
	open, allow := true, false
	cfg.AllowSignup, cfg.BlockPrivateTargets = &open, &allow
	return cfg
}
