package cmd

import (
	"context"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/config"
	"github.com/betterstack/betterstack/modules/incident"
)

// TestBacklogKeepsTheChecksTimes: results stored 45 s after their checks
// (the alerter or the database was away) open the incident and change the
// monitor's status as of the checks, not as of the storing, so SLA
// downtime is not under-counted exactly when it matters; and the late
// results do not make the monitor look silent (unknown) on the way.
func TestBacklogKeepsTheChecksTimes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		app := MustApp(t, cfg)
		b := mustWebSignup(t, app, "backlog@example.com")
		token := webSessionToken(t, b)
		id := mustWebMonitor(t, app, token, "late results")
		checked := time.Now().UTC().Add(-45 * time.Second).Truncate(time.Millisecond)
		failIngest(t, app, checked, id)
		m, err := app.Monitors.Get(context.Background(), workspaceID(t, app, b), id)
		if err != nil {
			t.Fatal(err)
		}
		if m.Status != "down" || m.StatusSince == nil || !m.StatusSince.Equal(checked) {
			t.Errorf("monitor %s since %v, want down since the check at %v", m.Status, m.StatusSince, checked)
		}
		page, err := app.Incidents.List(context.Background(), workspaceID(t, app, b), incident.Filter{MonitorID: id, Limit: 10})
		if err != nil || len(page.Data) != 1 {
			t.Fatalf("incidents: %v %v", page.Data, err)
		}
		if got := page.Data[0].StartedAt; !got.Equal(checked) {
			t.Errorf("incident started at %v, want the failed check's time %v (off by %s)", got, checked, got.Sub(checked))
		}
	})
}
