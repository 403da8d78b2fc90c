package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/config"
)

// TestSettingsPipelineNotice: the settings pages say "Checks are running
// late" and name the pusher when scheduled monitors are overdue, and say
// nothing while they are on time. No pusher runs, so the test decides how
// overdue they are.
func TestSettingsPipelineNotice(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		cfg.Roles = []string{"api", "dashboard"}
		app := MustApp(t, cfg)
		alice := mustWebSignup(t, app, "late@example.com")
		token := webSessionToken(t, alice)
		created := do(t, app, "POST", "/api/v1/monitors", token, `{"name":"shop","url":"http://127.0.0.1:9/","interval_seconds":30,"timeout_ms":500}`)
		if created.Status != http.StatusCreated {
			t.Fatalf("create monitor: %d %s", created.Status, created.Body)
		}
		var m struct{ ID int64 }
		if err := json.Unmarshal([]byte(created.Body), &m); err != nil || m.ID == 0 {
			t.Fatalf("created monitor: %s (%v)", created.Body, err)
		}
		const notice = "Checks are running late"
		for _, path := range []string{"/settings", "/settings/regions"} {
			r := alice.get(path)
			wantHTML(t, path+" on time", r, http.StatusOK, []string{"<h1>Settings</h1>"}, []string{notice})
		}

		// Due 31 s ago: just above the 30 s threshold.
		if err := app.DB.Exec("UPDATE monitor_schedule SET next_run_at = ?", time.Now().UTC().Add(-31*time.Second)).Error; err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/settings", "/settings/regions"} {
			r := alice.get(path)
			wantHTML(t, path+" late", r, http.StatusOK, []string{notice, "the pusher stage is 31 s behind (1 waiting)", "is a pusher running"}, nil)
		}

		// Paused monitors owe nothing.
		if r := do(t, app, "POST", fmt.Sprintf("/api/v1/monitors/%d/pause", m.ID), token, ""); r.Status != http.StatusOK {
			t.Fatalf("pause: %d %s", r.Status, r.Body)
		}
		wantHTML(t, "paused", alice.get("/settings"), http.StatusOK, []string{"<h1>Settings</h1>"}, []string{notice})
	})
}

// TestOperatorChannelMustExist: an alerter refuses to start with an
// operator_channel that names no channel, and says which setting.
func TestOperatorChannelMustExist(t *testing.T) {
	cfg := testDefaults()
	cfg.DataDir = t.TempDir()
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.OperatorChannel = "ops/pager"
	_, err := NewApp(context.Background(), cfg, testLogger(t), Options{PasswordMemoryKiB: 64})
	if err == nil || !strings.Contains(err.Error(), "BETTERSTACK_OPERATOR_CHANNEL (operator_channel)") || !strings.Contains(err.Error(), `no channel "pager"`) {
		t.Fatalf("NewApp = %v, want an error naming operator_channel", err)
	}
}
