package tick

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/queue"
	"github.com/betterstack/betterstack/modules/testenv"
)

// TestStateCacheBoundaries: an entry is used only at the version it was
// cached with; a full cache makes room for a new monitor and keeps at most
// its size; a cache of size 0 or less keeps nothing.
func TestStateCacheBoundaries(t *testing.T) {
	c := newStateCache(10)
	eu := []RegionState{{MonitorID: 1, Region: "eu", ConsecutiveFailures: 2}}
	c.put(1, 5, eu)
	if got, ok := c.get(1, 5); !ok || len(got) != 1 || got[0].ConsecutiveFailures != 2 {
		t.Errorf("get at the cached version = %v, %v", got, ok)
	}
	for _, v := range []int64{4, 6} {
		if _, ok := c.get(1, v); ok {
			t.Errorf("get at version %d used the entry cached at 5", v)
		}
	}
	if _, ok := c.get(2, 0); ok {
		t.Error("get of an unknown monitor hit")
	}
	for id := int64(2); id <= 10; id++ {
		c.put(id, 1, nil)
	}
	if len(c.m) != 10 {
		t.Fatalf("%d entries after 10 puts into a cache of 10", len(c.m))
	}
	c.put(10, 2, nil) // an update of a cached monitor evicts nothing
	if len(c.m) != 10 {
		t.Errorf("updating an entry of a full cache left %d entries, want 10", len(c.m))
	}
	c.put(11, 1, nil)
	if _, ok := c.get(11, 1); !ok || len(c.m) > 10 || len(c.m) < 9 {
		t.Errorf("after a put into a full cache: new entry %v, %d entries (want 9 or 10)", ok, len(c.m))
	}
	for _, size := range []int{0, -1} {
		off := newStateCache(size)
		off.put(1, 1, eu)
		if _, ok := off.get(1, 1); ok {
			t.Errorf("a cache of size %d kept an entry", size)
		}
	}
	var none *stateCache
	none.put(1, 1, eu)
	if _, ok := none.get(1, 1); ok {
		t.Error("a nil cache kept an entry")
	}
}

// TestTwoAlertersTakeTurnsOnAMonitor: two alerters (two services, each
// with its own cache) store a monitor's failures in turn, as a consumer
// group hands them out. Each must count the other's: the run of failures is
// 1, 2, 3, 4 and the region is failing from the threshold (2) on. With a
// cache trusted without its version, the first alerter would count 1, 2, 2.
// Storing a batch again (a redelivery) changes nothing.
func TestTwoAlertersTakeTurnsOnAMonitor(t *testing.T) {
	for _, backend := range testenv.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			db := testenv.MustDatabase(t, backend)
			ids := mustMonitorsInternal(t, db, 1)
			logs := slog.New(slog.DiscardHandler)
			a := New(db, nil, Config{}, logs, nil)
			b := New(db, nil, Config{}, logs, nil)
			start := time.Now().UTC().Truncate(time.Minute).Add(-time.Hour)
			for i, svc := range []*Service{a, b, a, b, a} {
				at := start.Add(time.Duration(i) * time.Minute)
				r := queue.Result{JobID: fmt.Sprint(i), MonitorID: ids[0], Region: "eu", WorkerID: "w", ScheduledAt: at,
					Result: probe.Result{Status: probe.StatusDown, ErrorClass: probe.ErrorClass("timeout"), CheckedAt: at}}
				if i == 4 {
					// A redelivery of the last slot, to the other alerter.
					r.ScheduledAt, r.Result.CheckedAt = start.Add(3*time.Minute), start.Add(3*time.Minute)
				}
				if err := svc.Store(ctx, []queue.Result{r}); err != nil {
					t.Fatal(err)
				}
				want := min(i+1, 4)
				rs, err := a.store.regionStates(ctx, ids[0])
				if err != nil || len(rs) != 1 {
					t.Fatalf("region states after store %d: %v %v", i+1, rs, err)
				}
				if rs[0].ConsecutiveFailures != want || rs[0].Failing != (want >= 2) {
					t.Errorf("after store %d: %d failures in a row, failing %v; want %d, %v",
						i+1, rs[0].ConsecutiveFailures, rs[0].Failing, want, want >= 2)
				}
			}
		})
	}
}

// mustMonitorsInternal creates n HTTP monitors every 60 s, failure and
// recovery thresholds 2, in a new workspace.
func mustMonitorsInternal(t *testing.T, db *database.DB, n int) []int64 {
	t.Helper()
	ctx := context.Background()
	var uid int64
	if err := db.Raw("INSERT INTO users (email, password_hash) VALUES ('cache@example.com', 'x') RETURNING id").Scan(&uid).Error; err != nil {
		t.Fatal(err)
	}
	ws := testenv.Workspace(t, db, uid)
	svc := monitor.New(db, monitor.Config{MinInterval: time.Second}, slog.New(slog.DiscardHandler))
	ids := make([]int64, n)
	for i := range ids {
		name, u, two := fmt.Sprintf("m%d", i), fmt.Sprintf("http://127.0.0.1:9/m/%d", i), 2
		m, err := svc.Create(ctx, ws, monitor.Input{Name: &name, LegacyHTTP: monitor.LegacyHTTP{URL: &u}, FailureThreshold: &two, RecoveryThreshold: &two})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = m.ID
	}
	return ids
}
