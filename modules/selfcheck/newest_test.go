package selfcheck

import (
	"context"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/testenv"
)

// TestNewestTick reads the newest stored check on both backends from the
// monitors' states, which ingest keeps.
func TestNewestTick(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			db := testenv.MustDatabase(t, backend)
			s := &store{db: db}
			ctx := context.Background()
			if at, err := s.newestTick(ctx); err != nil || !at.IsZero() {
				t.Fatalf("empty database: %v, %v; want none", at, err)
			}
			now := time.Now().UTC().Truncate(time.Second)
			if err := db.Exec("INSERT INTO users (email, password_hash, created_at, updated_at) VALUES ('n@example.com', 'x', ?, ?)", now, now).Error; err != nil {
				t.Fatal(err)
			}
			ws := testenv.Workspace(t, db, 1)
			if err := db.Exec(`INSERT INTO monitors (id, workspace_id, key, name, kind, check_spec, target, interval_seconds, timeout_ms, created_at, updated_at)
				VALUES (1, ?, 'm1', 'm', 'http', '{}', 'http://x', 60, 1000, ?, ?)`, ws, now, now).Error; err != nil {
				t.Fatal(err)
			}
			if err := db.Exec(`INSERT INTO monitors (id, workspace_id, key, name, kind, check_spec, target, interval_seconds, timeout_ms, created_at, updated_at)
				VALUES (2, ?, 'm2', 'm', 'http', '{}', 'http://x', 60, 1000, ?, ?)`, ws, now, now).Error; err != nil {
				t.Fatal(err)
			}
			if err := db.Exec(`INSERT INTO monitor_state (monitor_id, status, status_since, updated_at) VALUES (2, 'pending', ?, ?)`, now, now).Error; err != nil {
				t.Fatal(err)
			}
			if at, err := s.newestTick(ctx); err != nil || !at.IsZero() {
				t.Fatalf("a monitor never checked: %v, %v; want none", at, err)
			}
			newest := now.Add(-time.Minute)
			if err := db.Exec(`INSERT INTO monitor_state (monitor_id, status, status_since, last_checked_at, updated_at) VALUES (1, 'up', ?, ?, ?)`,
				now, newest, now).Error; err != nil {
				t.Fatal(err)
			}
			if err := db.Exec(`UPDATE monitor_state SET last_checked_at = ? WHERE monitor_id = 2`, newest.Add(-time.Hour)).Error; err != nil {
				t.Fatal(err)
			}
			if at, err := s.newestTick(ctx); err != nil || !at.Equal(newest) {
				t.Fatalf("newest check: %v, %v; want %v", at, err, newest)
			}
		})
	}
}
