package tick

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/queue"
	"github.com/betterstack/betterstack/modules/testenv"
)

// silentFixture stores five monitors (interval 60 s: silent after
// 2*60+30 = 150 s) last checked before now: 1 up 151 s ago, 2 down 149 s
// ago, 3 paused, 4 pending and 5 down, all 1,000 s ago.
func silentFixture(t *testing.T, backend string, now time.Time) *database.DB {
	t.Helper()
	db := testenv.MustDatabase(t, backend)
	if err := db.Exec("INSERT INTO users (id, email, password_hash, created_at, updated_at) VALUES (1, 'a@example.com', 'x', ?, ?)", now, now).Error; err != nil {
		t.Fatal(err)
	}
	testenv.Workspace(t, db, 1)
	for _, m := range []struct {
		id      int
		paused  bool
		status  string
		agoSecs int
	}{{1, false, "up", 151}, {2, false, "down", 149}, {3, true, "up", 1000}, {4, false, "pending", 1000}, {5, false, "down", 1000}} {
		if err := db.Exec(`INSERT INTO monitors (id, workspace_id, key, name, kind, check_spec, target, interval_seconds, timeout_ms, paused, created_at, updated_at)
			VALUES (?, 1, ?, 'm', 'http', '{}', 'http://x', 60, 1000, ?, ?, ?)`, m.id, fmt.Sprint("m", m.id), m.paused, now, now).Error; err != nil {
			t.Fatal(err)
		}
		last := now.Add(-time.Duration(m.agoSecs) * time.Second)
		if err := db.Exec(`INSERT INTO monitor_state (monitor_id, status, status_since, last_checked_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
			m.id, m.status, last, last, last).Error; err != nil {
			t.Fatal(err)
		}
	}
	return db
}

func statuses(t *testing.T, db *database.DB) []string {
	t.Helper()
	var got []string
	if err := db.Raw("SELECT status FROM monitor_state ORDER BY monitor_id").Scan(&got).Error; err != nil {
		t.Fatal(err)
	}
	return got
}

// TestMarkSilent: a monitor whose regions all stopped reporting becomes
// unknown; a recent one, a paused one and a pending one stay as they are.
func TestMarkSilent(t *testing.T) {
	for _, backend := range testenv.Backends {
		t.Run(backend, func(t *testing.T) {
			now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
			db := silentFixture(t, backend, now)
			s := &store{db: db}
			n, err := s.markSilent(context.Background(), now, now)
			if err != nil {
				t.Fatal(err)
			}
			got, want := statuses(t, db), []string{"unknown", "down", "up", "pending", "unknown"}
			if n != 2 || !slices.Equal(got, want) {
				t.Fatalf("marked %d, statuses %v; want 2, %v", n, got, want)
			}
		})
	}
}

// TestSweepWaitsForQueuedResults: the sweep judges silence as of now less
// how long the oldest result not yet stored has waited. With a result
// waiting a second, the monitor last stored 151 s ago (silent after 150 s)
// may have its next result in the queue and stays up; one silent for
// 1,000 s is marked. With nothing waiting, both are.
func TestSweepWaitsForQueuedResults(t *testing.T) {
	for _, backend := range testenv.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
			clock := now.Add(-time.Second)
			q := queue.NewMemory(queue.Config{Now: func() time.Time { return clock }})
			if _, err := q.PublishResults(ctx, "eu", []queue.Result{{JobID: "j", MonitorID: 1, Region: "eu", ScheduledAt: clock}}); err != nil {
				t.Fatal(err)
			}
			clock = now
			db := silentFixture(t, backend, now)
			svc := New(db, nil, Config{Now: func() time.Time { return now }}, slog.New(slog.DiscardHandler), nil)
			n, err := svc.Sweep(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			got, want := statuses(t, db), []string{"up", "down", "up", "pending", "unknown"}
			if n != 1 || !slices.Equal(got, want) {
				t.Fatalf("with a result waiting 1 s: marked %d, statuses %v; want 1, %v", n, got, want)
			}
			rs, err := q.ReadResults(ctx, "alerter", 10, 0)
			if err != nil || len(rs) != 1 {
				t.Fatalf("read results: %v %v", rs, err)
			}
			if err := q.AckResults(ctx, rs[0].ID); err != nil {
				t.Fatal(err)
			}
			if n, err = svc.Sweep(ctx, q); err != nil || n != 1 {
				t.Fatalf("with nothing waiting: marked %d (%v), want the monitor silent for 151 s", n, err)
			}
			if n, err = svc.Sweep(ctx, nil); err != nil || n != 0 {
				t.Fatalf("without a queue, after both were marked: marked %d (%v), want 0", n, err)
			}
		})
	}
}

// TestSweepPause: the pause after a sweep is every until the sweep takes a
// twentieth of it, then twenty times the sweep, capped at six times every.
func TestSweepPause(t *testing.T) {
	every := 10 * time.Second
	for _, c := range []struct{ took, want time.Duration }{
		{0, every},
		{499 * time.Millisecond, every},
		{500 * time.Millisecond, every},
		{501 * time.Millisecond, 10020 * time.Millisecond},
		{time.Second, 20 * time.Second},
		{2999 * time.Millisecond, 59980 * time.Millisecond},
		{3 * time.Second, time.Minute},
		{3001 * time.Millisecond, time.Minute},
		{time.Hour, time.Minute},
	} {
		if got := sweepPause(every, c.took); got != c.want {
			t.Errorf("sweepPause(%v, %v) = %v, want %v", every, c.took, got, c.want)
		}
	}
}
