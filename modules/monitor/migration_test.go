package monitor_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/testenv"
	"github.com/betterstack/betterstack/modules/workspace"
)

// TestMigrationMovesHTTPMonitorsOntoKinds: monitors stored by the first
// release (HTTP columns) come out of migration 6 as kind "http" with every
// setting, the same id, and are checked exactly as before.
func TestMigrationMovesHTTPMonitorsOntoKinds(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			cfg := database.Config{DataDir: t.TempDir()}
			if backend == "postgres" {
				cfg.URL = testenv.MustPostgres(t)
			}
			db, err := database.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = db.Close() })
			if err := db.MigrateTo(ctx, 5); err != nil {
				t.Fatal(err)
			}
			now := time.Now().UTC().Truncate(time.Second)
			if err := db.Exec(`INSERT INTO users (id, email, password_hash) VALUES (7, 'old@example.com', 'x')`).Error; err != nil {
				t.Fatal(err)
			}
			if err := db.Exec(`INSERT INTO monitors (id, user_id, name, url, method, headers, body, interval_seconds, timeout_ms,
				expected_status, keyword, keyword_absent, follow_redirects, regions, created_at, updated_at) VALUES
				(41, 7, 'full', 'https://shop.example/health', 'POST', '{"Authorization":"Bearer t","X-A":"b"}', '{"ping":1}', 30, 5000,
				 '["200","3xx"]', 'ok', true, false, '["eu","us"]', ?, ?),
				(42, 7, 'defaults', 'http://plain.example', 'GET', '{}', '', 60, 10000, '["2xx","3xx"]', '', false, true, '[]', ?, ?)`,
				now, now, now, now).Error; err != nil {
				t.Fatal(err)
			}
			if _, err := db.MigrateUp(ctx); err != nil {
				t.Fatal(err)
			}
			// As after an upgrade: a new process opens the migrated database
			// (SQLite connections keep statements prepared against the old
			// table).
			_ = db.Close()
			if db, err = database.Open(ctx, cfg); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = db.Close() })
			svc := monitor.New(db, monitor.Config{}, slog.New(slog.DiscardHandler))
			// Workspaces (00007): the user's records are in a personal
			// workspace with the user's id, where they are the owner, and
			// keep their ids; new workspaces get fresh ids after it.
			var role string
			if err := db.Raw("SELECT role FROM memberships WHERE workspace_id = 7 AND user_id = 7").Scan(&role).Error; err != nil || role != "owner" {
				t.Fatalf("membership of user 7 in workspace 7: %q %v", role, err)
			}
			ws := workspace.New(db, nil, slog.New(slog.DiscardHandler))
			second, err := ws.Create(ctx, 7, "second", "")
			if err != nil || second.ID <= 7 {
				t.Fatalf("a workspace made after the migration: %+v %v", second, err)
			}
			if m, err := svc.Get(ctx, 7, 41); err != nil || m.Key != "monitor-41" {
				t.Fatalf("monitor 41's key after the migration: %q %v", m.Key, err)
			}
			for _, tc := range []struct {
				id   int64
				want probe.HTTP
			}{
				{41, probe.HTTP{URL: "https://shop.example/health", Method: "POST", Headers: map[string]string{"Authorization": "Bearer t", "X-A": "b"},
					Body: `{"ping":1}`, ExpectedStatus: []string{"200", "3xx"}, Keyword: "ok", KeywordAbsent: true, FollowRedirects: false}},
				{42, probe.HTTP{URL: "http://plain.example", Method: "GET", Headers: map[string]string{}, ExpectedStatus: []string{"2xx", "3xx"},
					FollowRedirects: true}},
			} {
				m, err := svc.Get(ctx, 7, tc.id)
				if err != nil {
					t.Fatalf("monitor %d after migration: %v", tc.id, err)
				}
				var got probe.HTTP
				if m.Check.Kind != "http" || json.Unmarshal(m.Check.Config, &got) != nil {
					t.Fatalf("monitor %d check = %+v", tc.id, m.Check)
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("monitor %d settings\n got %+v\nwant %+v", tc.id, got, tc.want)
				}
				if m.Target != tc.want.URL || m.URL != tc.want.URL {
					t.Errorf("monitor %d target %q url %q", tc.id, m.Target, m.URL)
				}
				// The migrated spec is one the probe runs.
				if _, err := probe.Parse(m.Check); err != nil {
					t.Errorf("monitor %d spec does not parse: %v", tc.id, err)
				}
			}
			// An edit through the first release's API shape still works.
			u := "https://shop.example/v2"
			m, err := svc.Update(ctx, 7, 41, monitor.Input{LegacyHTTP: monitor.LegacyHTTP{URL: &u}})
			if err != nil {
				t.Fatal(err)
			}
			var h probe.HTTP
			if err := json.Unmarshal(m.Check.Config, &h); err != nil || h.URL != u || h.Method != "POST" || !h.KeywordAbsent {
				t.Errorf("after a legacy edit: %+v (%v)", h, err)
			}
		})
	}
}
