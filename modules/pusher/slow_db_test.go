package pusher

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/betterstack/betterstack/modules/database"
)

// TestSlowDatabaseIsNotAnOutage: when claiming takes longer than the claim
// timeout but the database answers, the pusher does not switch to its
// memory (which would run slots from a stale schedule and ignore users'
// changes): it counts and logs a slow claim, publishes nothing that tick,
// and claims the late slot from the database once it can.
func TestSlowDatabaseIsNotAnOutage(t *testing.T) {
	r := newRig(t, 0)
	p := New(r.monitors, r.queue, Config{Tick: r.tick, Now: r.clock.Now, ClaimTimeout: 300 * time.Millisecond},
		slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	r.pushers = []*Pusher{p}
	m := r.create("https://shop.example/", time.Minute)
	if jobs := of(r.step(time.Second), m.ID); len(jobs) != 1 {
		t.Fatalf("first slot: %d jobs", len(jobs))
	}

	// Another session holds the monitors table: claims wait, pings answer.
	ctx := context.Background()
	other, err := database.Open(ctx, database.Config{URL: r.dbURL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Close() })
	tx := other.Begin()
	if err := tx.Exec("LOCK TABLE monitors IN ACCESS EXCLUSIVE MODE").Error; err != nil {
		t.Fatal(err)
	}
	r.clock.Add(time.Minute)
	err = p.Tick(ctx)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("tick against a locked table: %v, want the claim timeout", err)
	}
	if p.outage {
		t.Error("a slow database was taken for a down one")
	}
	if jobs := r.drain(); len(jobs) != 0 {
		t.Errorf("published %d jobs from memory while the database was only slow", len(jobs))
	}
	if got := testutil.ToFloat64(p.slow); got != 1 {
		t.Errorf("slow claims counted %v, want 1", got)
	}
	// The server gave up on the claim too: a claim the pusher abandoned but
	// the server kept waiting would lock the due rows once the table is
	// free, hiding them from the next claim, and load a slow database with
	// every tick.
	for waiting, deadline := int64(1), time.Now().Add(5*time.Second); waiting > 0; {
		if err := other.Raw("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'").Scan(&waiting).Error; err != nil {
			t.Fatal(err)
		}
		if waiting > 0 && time.Now().After(deadline) {
			t.Fatalf("%d statements still wait for the locked table after the pusher gave up", waiting)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := tx.Rollback().Error; err != nil {
		t.Fatal(err)
	}
	// The database is quick again: the late slot is claimed from it, once.
	if jobs := of(r.step(time.Second), m.ID); len(jobs) != 1 {
		t.Fatalf("after the slow spell: %d jobs for the monitor, want its late slot once", len(jobs))
	}
	if got := testutil.ToFloat64(p.fromMemory); got != 0 {
		t.Errorf("%v jobs came from memory", got)
	}
}
