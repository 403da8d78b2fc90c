package tick

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/testenv"
)

// TestMarkSilent: a monitor whose regions all stopped reporting becomes
// unknown; a recent one, a paused one and a pending one stay as they are.
func TestMarkSilent(t *testing.T) {
	for _, backend := range testenv.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			db := testenv.MustDatabase(t, backend)
			now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
			if err := db.Exec("INSERT INTO users (id, email, password_hash, created_at, updated_at) VALUES (1, 'a@example.com', 'x', ?, ?)", now, now).Error; err != nil {
				t.Fatal(err)
			}
			testenv.Workspace(t, db, 1)
			// interval 60 s: silent after 2*60+30 = 150 s.
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
			s := &store{db: db}
			n, err := s.markSilent(ctx, now)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			if err := db.Raw("SELECT status FROM monitor_state ORDER BY monitor_id").Scan(&got).Error; err != nil {
				t.Fatal(err)
			}
			want := []string{"unknown", "down", "up", "pending", "unknown"}
			if n != 2 || len(got) != len(want) {
				t.Fatalf("marked %d, statuses %v; want 2, %v", n, got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("statuses %v, want %v", got, want)
				}
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
