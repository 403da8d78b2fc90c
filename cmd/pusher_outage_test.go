package cmd

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/testenv"
)

// TestPusherSchedulesThroughDatabaseOutage: while PostgreSQL refuses
// connections, the pusher keeps publishing the monitors' slots from memory,
// one interval apart and never the same slot twice; when the database is
// back it schedules from it again, still without duplicates.
func TestPusherSchedulesThroughDatabaseOutage(t *testing.T) {
	c := newCluster(t)
	app := mustAppWith(t, "pusher", c.config(t, "eu", "p1", "api", "pusher"), Options{})
	ctx := context.Background()
	u, err := app.Auth.CreateUser(ctx, "outage@example.com", "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	one := 1
	var ids []int64
	for i := 0; i < 5; i++ {
		m, err := app.Monitors.Create(ctx, u.WorkspaceID, monitor.Input{LegacyHTTP: monitor.LegacyHTTP{URL: ptr("http://127.0.0.1:9/")}, IntervalSeconds: &one, Regions: &[]string{"eu"}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	startApp(t, app)

	// Drain the eu stream as a worker would, keeping every job id per monitor.
	seen := map[string]int{}
	perMonitor := map[int64][]time.Time{}
	drain := func(d time.Duration) {
		deadline := time.Now().Add(d)
		for time.Now().Before(deadline) {
			ds, err := c.q.ReadJobs(ctx, "eu", "reader", 1000, 200*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			for _, dl := range ds {
				seen[dl.Job.ID]++
				perMonitor[dl.Job.MonitorID] = append(perMonitor[dl.Job.MonitorID], dl.Job.ScheduledAt)
				if err := c.q.DropJob(ctx, "eu", dl.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	drain(3 * time.Second) // the pusher claims every monitor at least twice
	before := len(seen)

	testenv.AllowConnections(t, c.dbURL, false)
	drain(4 * time.Second)
	during := len(seen) - before
	// 5 monitors every second for ~4 s: about 20 slots from memory.
	if during < 12 {
		t.Fatalf("%d slots published during a 4 s database outage, want about 20", during)
	}
	if got := metricSum(t, app.Metrics, "betterstack_pusher_jobs_from_memory_total"); got < 12 {
		t.Fatalf("jobs from memory = %v", got)
	}

	testenv.AllowConnections(t, c.dbURL, true)
	drain(4 * time.Second)
	for id, n := range seen {
		if n != 1 {
			t.Errorf("slot %s published %d times", id, n)
		}
	}
	for _, id := range ids {
		slots := perMonitor[id]
		if len(slots) < 8 {
			t.Errorf("monitor %d: %d slots over ~11 s", id, len(slots))
		}
		for i := 1; i < len(slots); i++ {
			if gap := slots[i].Sub(slots[i-1]); gap < 500*time.Millisecond {
				t.Errorf("monitor %d: slots %s apart (%v then %v)", id, gap, slots[i-1], slots[i])
			}
		}
	}
	if st, body := (client{t: t, base: "http://" + app.Addr()}).call("GET", "/readyz", ""); st != 200 || !strings.Contains(body, `"database":"ok"`) {
		t.Fatalf("readyz after the outage: %d %s", st, body)
	}
}
