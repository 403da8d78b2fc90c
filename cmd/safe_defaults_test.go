package cmd

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/config"
)

// TestSafeDefaults: an installation with the defaults that faces the
// internet gives a stranger nothing. Only the first account signs up (the
// owner, who may check the private network: every account is the
// operator's); a stranger's sign-up is refused, naming the setting; the
// dashboard stops offering it. When the operator opens sign-up to anyone,
// a stranger's monitor of 127.0.0.1 is refused at the dial: the target
// sees no request and the evidence holds nothing of it.
func TestSafeDefaults(t *testing.T) {
	var hits atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.Header().Set("X-Internal", "secret-header-XYZ")
		w.WriteHeader(http.StatusTeapot)
		fmt.Fprint(w, "internal body XYZ")
	}))
	t.Cleanup(target.Close)

	t.Run("defaults: first account only", func(t *testing.T) {
		cfg := config.Defaults()
		cfg.DataDir, cfg.MinInterval = t.TempDir(), time.Second
		app := MustApp(t, cfg)
		base, _ := startApp(t, app)
		anon := client{t: t, base: base}
		if r := newBrowser(t, app).get("/login"); !strings.Contains(r.Body, `href="/signup"`) {
			t.Errorf("a fresh install does not offer sign-up to its first user")
		}
		owner := signupClient(t, app, base, "owner@example.com")
		st, body := anon.call("POST", "/api/v1/auth/signup", `{"email":"stranger@example.com","password":"a long password"}`)
		if st != http.StatusForbidden || !strings.Contains(body, "allow_signup") {
			t.Fatalf("a stranger's sign-up: %d %s", st, body)
		}
		if r := newBrowser(t, app).get("/login"); strings.Contains(r.Body, `href="/signup"`) {
			t.Errorf("the login page still offers sign-up")
		}
		if r := newBrowser(t, app).get("/signup"); r.Status != http.StatusSeeOther {
			t.Errorf("GET /signup after the first account: %d", r.Status)
		}
		// The owner's own installation checks its own network.
		id := owner.createMonitor(fmt.Sprintf(`{"check":{"kind":"http","url":%q,"expected_status":["418"]},"interval_seconds":1,"timeout_ms":500}`, target.URL))
		eventually(t, 15*time.Second, "the owner's private target checked", func() bool { return owner.monitorStatus(id) == "up" })
	})

	t.Run("open sign-up: a stranger's private target is refused", func(t *testing.T) {
		cfg := config.Defaults()
		open := true
		cfg.DataDir, cfg.MinInterval, cfg.AllowSignup = t.TempDir(), time.Second, &open
		app := MustApp(t, cfg)
		base, _ := startApp(t, app)
		signupClient(t, app, base, "owner@example.com")
		stranger := signupClient(t, app, base, "stranger@example.com")
		before := hits.Load()
		id := stranger.createMonitor(fmt.Sprintf(`{"check":{"kind":"http","url":%q},"interval_seconds":1,"timeout_ms":500,"failure_threshold":1}`, target.URL))
		eventually(t, 15*time.Second, "the stranger's check refused", func() bool {
			rs := regionStatesOf(stranger, id)
			return rs["local"].ErrorClass == "blocked"
		})
		if n := hits.Load() - before; n != 0 {
			t.Errorf("the private target saw %d requests from a stranger's monitor", n)
		}
		for _, path := range []string{fmt.Sprintf("/api/v1/monitors/%d/ticks", id), fmt.Sprintf("/api/v1/incidents?monitor_id=%d", id)} {
			st, body := stranger.call("GET", path, "")
			if st != http.StatusOK {
				t.Fatalf("%s: %d %s", path, st, body)
			}
			if strings.Contains(body, "XYZ") {
				t.Errorf("%s shows what the private target answered: %s", path, body)
			}
		}
	})
}
