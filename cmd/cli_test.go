package cmd

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/config"
	"github.com/betterstack/betterstack/modules/testenv"
)

// cliResult is what a user sees of one command: its output and its error
// (the process exits 1 exactly when err is not nil).
type cliResult struct {
	stdout, stderr string
	err            error
}

// runCLI runs the real command tree once with args, stdin and the process
// environment, as `betterstack args...` would.
func runCLI(t *testing.T, ctx context.Context, stdin string, args ...string) cliResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	root := newRootCmd()
	root.SetArgs(args)
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	err := root.ExecuteContext(ctx)
	return cliResult{stdout: stdout.String(), stderr: stderr.String(), err: err}
}

// mustCLI runs a command that must succeed and returns its standard output.
func mustCLI(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	r := runCLI(t, context.Background(), stdin, args...)
	if r.err != nil {
		t.Fatalf("betterstack %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.err, r.stdout, r.stderr)
	}
	return r.stdout
}

// wantCLIError runs a command that must fail with an error containing every
// one of subs.
func wantCLIError(t *testing.T, stdin string, args []string, subs ...string) cliResult {
	t.Helper()
	r := runCLI(t, context.Background(), stdin, args...)
	if r.err == nil {
		t.Fatalf("betterstack %s succeeded, want an error containing %q\nstdout:\n%s", strings.Join(args, " "), subs, r.stdout)
	}
	for _, s := range subs {
		if !strings.Contains(r.err.Error(), s) {
			t.Errorf("betterstack %s: error %q does not contain %q", strings.Join(args, " "), r.err, s)
		}
	}
	return r
}

// cliEnv clears every BETTERSTACK_* setting of the real environment for the
// test, points the data directory at a fresh temporary one and sets kv.
func cliEnv(t *testing.T, kv ...string) string {
	t.Helper()
	for _, s := range testDefaults().Effective() {
		t.Setenv(s.Env, "") // registers the restore
		os.Unsetenv(s.Env)
	}
	dir := t.TempDir()
	t.Setenv("BETTERSTACK_DATA_DIR", dir)
	for i := 0; i+1 < len(kv); i += 2 {
		t.Setenv(kv[i], kv[i+1])
	}
	return dir
}

// cliBackend sets the environment for one storage backend.
type cliBackend struct {
	name string
	env  func(t *testing.T)
}

func cliBackends() []cliBackend {
	return []cliBackend{
		{"sqlite", func(t *testing.T) { cliEnv(t) }},
		{"postgres", func(t *testing.T) {
			cliEnv(t, "BETTERSTACK_DATABASE_URL", testenv.MustPostgres(t), "BETTERSTACK_JWT_SECRET", testSecret)
		}},
	}
}

func TestVersionCmd(t *testing.T) {
	cliEnv(t)
	out := mustCLI(t, "", "version")
	if !strings.HasPrefix(out, "betterstack ") || !strings.Contains(out, version) {
		t.Errorf("version printed %q, want betterstack %s ...", out, version)
	}
}

func TestConfigCmd(t *testing.T) {
	const (
		jwt      = "jwt-secret-that-must-not-be-printed-0123456789"
		password = "pg-password-that-must-not-be-printed"
	)
	example, err := filepath.Abs("../configs/betterstack.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     []string
		args    []string
		file    string   // YAML written to a temp file and passed with --config
		wantErr []string // substrings of the error; none means success
		show    []string // substrings stdout must contain
		hide    []string // substrings stdout must not contain
	}{
		{
			name: "defaults",
			show: []string{"KEY", "min_interval", "10s", "BETTERSTACK_MIN_INTERVAL", "roles", "all"},
		},
		{
			name: "secrets masked",
			env: []string{
				"BETTERSTACK_JWT_SECRET", jwt,
				"BETTERSTACK_DATABASE_URL", "postgres://bs:" + password + "@db.internal:5432/betterstack",
				"BETTERSTACK_REDIS_URL", "redis://:" + password + "@cache.internal:6379/0",
				"BETTERSTACK_WORKER_FALLBACK_WEBHOOK", "https://hooks.example.com/services/" + password + "?token=" + password,
				"BETTERSTACK_WORKER_FALLBACK_SECRET", jwt,
			},
			show: []string{"postgres://bs:*****@db.internal:5432/betterstack", "redis://:*****@cache.internal:6379/0", "https://hooks.example.com/*****"},
			hide: []string{jwt, password},
		},
		{
			name:    "fallback webhook refused at start, naming the setting",
			env:     []string{"BETTERSTACK_WORKER_FALLBACK_WEBHOOK", "hooks.example.com/" + password},
			wantErr: []string{"invalid configuration", "BETTERSTACK_WORKER_FALLBACK_WEBHOOK (worker_fallback_webhook)", "http:// or https://"},
			hide:    []string{password},
		},
		{
			name:    "bad duration in the environment",
			env:     []string{"BETTERSTACK_MIN_INTERVAL", "abc"},
			wantErr: []string{"BETTERSTACK_MIN_INTERVAL", `"abc"`},
		},
		{
			name:    "invalid combination printed, then refused",
			env:     []string{"BETTERSTACK_ROLES", "worker"},
			wantErr: []string{"invalid configuration", "BETTERSTACK_REDIS_URL"},
			show:    []string{"roles", "worker"},
		},
		{
			name:    "bad flag value",
			args:    []string{"--log-level", "loud"},
			wantErr: []string{"BETTERSTACK_LOG_LEVEL", "loud"},
		},
		{
			name:    "invalid listen address",
			env:     []string{"BETTERSTACK_HTTP_ADDR", "127.0.0.1:99999"},
			wantErr: []string{"invalid configuration", "BETTERSTACK_HTTP_ADDR (http_addr, --http-addr)", "0 to 65535"},
		},
		{
			name:    "listen address without a port",
			file:    "http_addr: \"8080\"\n",
			wantErr: []string{"BETTERSTACK_HTTP_ADDR (http_addr, --http-addr)", "host:port"},
		},
		{
			name: "file then environment",
			file: "min_interval: 30s\nregion: from-file\n",
			env:  []string{"BETTERSTACK_REGION", "from-env"},
			show: []string{"30s", "from-env"},
			hide: []string{"from-file"},
		},
		{
			name:    "unknown key in the file",
			file:    "min_intervall: 30s\n",
			wantErr: []string{"min_intervall"},
		},
		{
			name: "the example file",
			args: []string{"--config", example},
			show: []string{"shutdown_timeout", "15s"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cliEnv(t, tt.env...)
			args := append([]string{"config"}, tt.args...)
			if tt.file != "" {
				path := filepath.Join(t.TempDir(), "betterstack.yaml")
				if err := os.WriteFile(path, []byte(tt.file), 0o600); err != nil {
					t.Fatal(err)
				}
				args = append(args, "--config", path)
			}
			r := runCLI(t, context.Background(), "", args...)
			switch {
			case len(tt.wantErr) == 0 && r.err != nil:
				t.Fatalf("config: %v", r.err)
			case len(tt.wantErr) > 0 && r.err == nil:
				t.Fatalf("config succeeded, want an error containing %q", tt.wantErr)
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(r.err.Error(), s) {
					t.Errorf("error %q does not contain %q", r.err, s)
				}
			}
			for _, s := range tt.show {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("output does not show %q:\n%s", s, r.stdout)
				}
			}
			for _, s := range tt.hide {
				if strings.Contains(r.stdout+r.stderr, s) {
					t.Errorf("output shows %q:\n%s", s, r.stdout)
				}
			}
		})
	}
	t.Run("every key", func(t *testing.T) {
		cliEnv(t)
		out := mustCLI(t, "", "config")
		for _, s := range testDefaults().Effective() {
			if !strings.Contains(out, s.Key) || !strings.Contains(out, s.Env) {
				t.Errorf("config does not list %s (%s):\n%s", s.Key, s.Env, out)
			}
		}
	})
}

func TestMigrateCmd(t *testing.T) {
	for _, b := range cliBackends() {
		t.Run(b.name, func(t *testing.T) {
			b.env(t)
			out := mustCLI(t, "", "migrate")
			if !strings.Contains(out, "applied 1 00001_accounts_monitors.sql") {
				t.Errorf("migrate printed:\n%s", out)
			}
			status := mustCLI(t, "", "migrate", "status")
			lines := strings.Split(strings.TrimSpace(status), "\n")
			if len(lines) < 2 || !strings.HasPrefix(lines[0], "VERSION") {
				t.Fatalf("migrate status printed:\n%s", status)
			}
			for _, l := range lines[1:] {
				if !strings.Contains(l, "applied") || strings.Contains(l, "pending") {
					t.Errorf("migration not applied: %q", l)
				}
			}
			if out := mustCLI(t, "", "migrate", "up"); !strings.Contains(out, "schema is up to date") {
				t.Errorf("second migrate printed:\n%s", out)
			}
		})
	}
	t.Run("status before migrate", func(t *testing.T) {
		cliEnv(t, "BETTERSTACK_DATABASE_URL", testenv.MustPostgres(t))
		status := mustCLI(t, "", "migrate", "status")
		if !strings.Contains(status, "pending") || strings.Contains(status, "applied") {
			t.Errorf("status of a fresh database:\n%s", status)
		}
	})
	t.Run("unknown subcommand", func(t *testing.T) {
		cliEnv(t)
		wantCLIError(t, "", []string{"migrate", "bogus"}, "bogus")
	})
	t.Run("unreachable database", func(t *testing.T) {
		cliEnv(t, "BETTERSTACK_DATABASE_URL", "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
		wantCLIError(t, "", []string{"migrate"}, "BETTERSTACK_DATABASE_URL")
	})
}

func TestUserCmd(t *testing.T) {
	for _, b := range cliBackends() {
		t.Run(b.name, func(t *testing.T) {
			b.env(t)
			if b.name == "postgres" {
				mustCLI(t, "", "migrate") // auto_migrate is off on PostgreSQL
			}
			out := mustCLI(t, "correct horse battery\n", "user", "create", "--email", "Alice@Example.com")
			if !strings.Contains(out, "created user") || !strings.Contains(out, "Alice@Example.com") {
				t.Errorf("user create printed %q", out)
			}
			wantCLIError(t, "another password\n", []string{"user", "create", "--email", "alice@example.COM"}, "already exists")

			wantCLIError(t, "short\n", []string{"user", "create", "--email", "bob@example.com"}, "password", "at least 8")
			wantCLIError(t, "", []string{"user", "create", "--email", "bob@example.com"}, "no password given")
			wantCLIError(t, "correct horse battery\n", []string{"user", "create"}, "--email is required")
			wantCLIError(t, "correct horse battery\n", []string{"user", "create", "--email", "not-an-email"}, "email")
			wantCLIError(t, "", []string{"user", "create", "--email", "bob@example.com", "--password-file", filepath.Join(t.TempDir(), "missing")},
				"--password-file")

			file := filepath.Join(t.TempDir(), "password")
			if err := os.WriteFile(file, []byte("from a file 123\nsecond line ignored\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			out = mustCLI(t, "", "user", "create", "--email", "bob@example.com", "--password-file", file)
			if !strings.Contains(out, "bob@example.com") {
				t.Errorf("user create --password-file printed %q", out)
			}

			out = mustCLI(t, "a brand new password\n", "user", "set-password", "--email", "ALICE@example.com")
			if !strings.Contains(out, "password changed") {
				t.Errorf("set-password printed %q", out)
			}
			wantCLIError(t, "tiny\n", []string{"user", "set-password", "--email", "alice@example.com"}, "password")
			wantCLIError(t, "a brand new password\n", []string{"user", "set-password", "--email", "nobody@example.com"}, "not found")

			// What the user sees: the new password and the file's first
			// line sign in, the old password does not.
			cfg := testDefaults()
			cfg.DataDir = os.Getenv("BETTERSTACK_DATA_DIR")
			cfg.DatabaseURL = os.Getenv("BETTERSTACK_DATABASE_URL")
			cfg.JWTSecret = os.Getenv("BETTERSTACK_JWT_SECRET")
			app := mustCLIApp(t, cfg)
			for _, c := range []struct {
				email, password string
				status          int
			}{
				{"alice@example.com", "a brand new password", http.StatusOK},
				{"alice@example.com", "correct horse battery", http.StatusUnauthorized},
				{"bob@example.com", "from a file 123", http.StatusOK},
			} {
				r := do(t, app, "POST", "/api/v1/auth/login", "", `{"email":"`+c.email+`","password":"`+c.password+`"}`)
				if r.Status != c.status {
					t.Errorf("login %s with %q: %d %s, want %d", c.email, c.password, r.Status, r.Body, c.status)
				}
			}
		})
	}
}

// mustCLIApp builds an App on what the CLI wrote, skipping on the known
// SQLite bug instead of failing.
func mustCLIApp(t *testing.T, cfg config.Config) *App {
	t.Helper()
	cfg.HTTPAddr = "127.0.0.1:0"
	app, err := NewApp(context.Background(), cfg, newLogger(io.Discard, "text", "error"), Options{PasswordMemoryKiB: 64})
	if err != nil {
		t.Fatalf("NewApp: %v", err)
	}
	t.Cleanup(app.Close)
	return app
}

func TestServeCmdRefuses(t *testing.T) {
	tests := []struct {
		name    string
		env     func(t *testing.T)
		args    []string
		wantErr []string
	}{
		{
			name:    "lone worker without redis",
			env:     func(t *testing.T) { cliEnv(t) },
			args:    []string{"--role=worker"},
			wantErr: []string{"BETTERSTACK_REDIS_URL"},
		},
		{
			name:    "unknown role",
			env:     func(t *testing.T) { cliEnv(t) },
			args:    []string{"--role=bogus"},
			wantErr: []string{`"bogus"`, "api, dashboard, pusher, worker, alerter, all"},
		},
		{
			name:    "bad environment value",
			env:     func(t *testing.T) { cliEnv(t, "BETTERSTACK_SHUTDOWN_TIMEOUT", "soon") },
			wantErr: []string{"BETTERSTACK_SHUTDOWN_TIMEOUT"},
		},
		{
			name: "api on postgres without jwt_secret",
			env: func(t *testing.T) {
				cliEnv(t, "BETTERSTACK_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/none")
			},
			wantErr: []string{"BETTERSTACK_JWT_SECRET"},
		},
		{
			name: "old schema on postgres without auto_migrate",
			env: func(t *testing.T) {
				cliEnv(t, "BETTERSTACK_DATABASE_URL", testenv.MustPostgres(t), "BETTERSTACK_JWT_SECRET", testSecret,
					"BETTERSTACK_AUTO_MIGRATE", "false")
			},
			wantErr: []string{"migrate up", "schema is behind"},
		},
		{
			name:    "invalid listen address",
			env:     func(t *testing.T) { cliEnv(t) },
			args:    []string{"--http-addr=:http-alt"},
			wantErr: []string{"BETTERSTACK_HTTP_ADDR (http_addr, --http-addr)", "0 to 65535"},
		},
		{
			name:    "address in use",
			env:     func(t *testing.T) { cliEnv(t) },
			args:    []string{"--http-addr=" + busyAddr(t)},
			wantErr: []string{"BETTERSTACK_HTTP_ADDR"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.env(t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			done := make(chan cliResult, 1)
			go func() {
				done <- runCLI(t, ctx, "", append([]string{"serve", "--http-addr=127.0.0.1:0"}, tt.args...)...)
			}()
			var r cliResult
			select {
			case r = <-done:
			case <-time.After(20 * time.Second):
				cancel()
				t.Fatal("serve kept running; want it to refuse to start")
			}
			if r.err == nil {
				t.Fatal("serve returned nil, want an error")
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(r.err.Error(), s) {
					t.Errorf("error %q does not contain %q", r.err, s)
				}
			}
		})
	}
}

// busyAddr returns an address something is listening on for the whole test.
func busyAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

// freeAddr returns a loopback address nothing listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// servedCLI is `betterstack serve` running in the background.
type servedCLI struct {
	base   string
	cancel context.CancelFunc
	done   chan cliResult
}

// startServe runs `serve --http-addr` on a free port and waits until
// /healthz answers. A serve that exits early fails the test (or skips it on
// the known SQLite bug).
func startServe(t *testing.T, args ...string) *servedCLI {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	s := &servedCLI{base: "http://" + addr, cancel: cancel, done: make(chan cliResult, 1)}
	go func() {
		s.done <- runCLI(t, ctx, "", append([]string{"serve", "--http-addr=" + addr}, args...)...)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case r := <-s.done:
			s.done <- r // for the cleanup
			t.Fatalf("serve exited before answering: %v\nstderr:\n%s", r.err, r.stderr)
		default:
		}
		if resp, err := http.Get(s.base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("serve did not answer /healthz within 20s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop cancels serve's context, as SIGTERM does, and returns what serve
// returned; it fails the test unless serve stops within 10s.
func (s *servedCLI) stop(t *testing.T) cliResult {
	t.Helper()
	s.cancel()
	select {
	case r := <-s.done:
		s.done <- r // for the cleanup
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not return within 10s of cancellation")
		return cliResult{}
	}
}

// get fetches path and returns the status and body.
func (s *servedCLI) get(t *testing.T, path string) (int, string) {
	t.Helper()
	return s.send(t, http.MethodGet, path, "")
}

func (s *servedCLI) send(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp.StatusCode, string(b)
}

func TestServeCmd(t *testing.T) {
	for _, b := range cliBackends() {
		t.Run(b.name, func(t *testing.T) {
			b.env(t)
			if b.name == "postgres" {
				// The PostgreSQL path operators follow: migrate, create
				// the first user, then serve (auto_migrate is off).
				mustCLI(t, "", "migrate")
				mustCLI(t, "correct horse battery\n", "user", "create", "--email", "admin@example.com")
			}
			s := startServe(t)
			account := `{"email":"admin@example.com","password":"correct horse battery"}`

			if code, body := s.get(t, "/healthz"); code != http.StatusOK || !strings.Contains(body, "ok") {
				t.Errorf("/healthz = %d %s", code, body)
			}
			if code, body := s.get(t, "/readyz"); code != http.StatusOK || !strings.Contains(body, `"database":"ok"`) {
				t.Errorf("/readyz = %d %s", code, body)
			}
			if b.name == "postgres" {
				code, body := s.send(t, http.MethodPost, "/api/v1/auth/login", `{"email":"ADMIN@example.com","password":"correct horse battery"}`)
				if code != http.StatusOK || !strings.Contains(body, `"token"`) {
					t.Errorf("login as the CLI-created user = %d %s", code, body)
				}
			} else {
				if code, body := s.send(t, http.MethodPost, "/api/v1/auth/signup", account); code != http.StatusCreated {
					t.Errorf("signup = %d %s", code, body)
				}
			}
			code, metrics := s.get(t, "/metrics")
			if code != http.StatusOK {
				t.Fatalf("/metrics = %d", code)
			}
			for _, want := range []string{`betterstack_http_requests_total{code="200",method="GET",route="/healthz"}`, "go_goroutines"} {
				if !strings.Contains(metrics, want) {
					t.Errorf("/metrics lacks %s", want)
				}
			}

			r := s.stop(t)
			if r.err != nil {
				t.Fatalf("serve returned %v after a graceful stop, want nil (exit 0)\nstderr:\n%s", r.err, r.stderr)
			}
			if !strings.Contains(r.stderr, "betterstack stopped") {
				t.Errorf("serve did not log its stop:\n%s", r.stderr)
			}
			if _, err := http.Get(s.base + "/healthz"); err == nil {
				t.Error("the listener still answers after serve returned")
			}

			// A restart on the same data keeps working: the schema is
			// current and the account made before is still there.
			s = startServe(t)
			if code, body := s.send(t, http.MethodPost, "/api/v1/auth/login", account); code != http.StatusOK {
				t.Errorf("login after restart = %d %s", code, body)
			}
			if r := s.stop(t); r.err != nil {
				t.Errorf("second serve returned %v", r.err)
			}
		})
	}
}

// TestServeCmdStopsWhileStarting cancels serve before it answers anything:
// it must still return, and without an error.
func TestServeCmdStopsWhileStarting(t *testing.T) {
	cliEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan cliResult, 1)
	go func() { done <- runCLI(t, ctx, "", "serve", "--http-addr=127.0.0.1:0") }()
	select {
	case r := <-done:
		if r.err != nil && !errors.Is(r.err, context.Canceled) {
			t.Errorf("serve with a cancelled context = %v", r.err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve with a cancelled context did not return")
	}
}
