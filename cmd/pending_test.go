package cmd

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestNewFailingMonitorIsNotShownUp: a new monitor whose first checks fail
// (fewer than its failure threshold) is pending on the API and the
// overview, never "up", until the failure is confirmed and it is down.
func TestNewFailingMonitorIsNotShownUp(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(target.Close)
	cfg := testDefaults()
	cfg.DataDir, cfg.MinInterval = t.TempDir(), time.Second
	app := MustApp(t, cfg)
	base, _ := startApp(t, app)
	c := signupClient(t, app, base, "pending@example.com")
	id := c.createMonitor(fmt.Sprintf(`{"check":{"kind":"http","url":%q},"interval_seconds":1,"timeout_ms":500,"failure_threshold":4}`, target.URL))
	sawUnconfirmed := false
	eventually(t, 20*time.Second, "the failure confirmed", func() bool {
		ticks := len(c.slotTicks(id))
		status := c.monitorStatus(id)
		if ticks == 0 {
			return false
		}
		if ticks < 4 && status != "down" {
			sawUnconfirmed = true
			if status != "pending" {
				t.Fatalf("after %d failed checks (threshold 4) the monitor is %q, want pending", ticks, status)
			}
		}
		return status == "down"
	})
	if !sawUnconfirmed {
		t.Fatal("never saw the monitor between its first failed check and the confirmed failure (three seconds)")
	}
}
