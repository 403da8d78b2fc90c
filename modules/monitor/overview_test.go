package monitor_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/testenv"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// mustUser inserts a user and returns its id.
func mustUser(t *testing.T, db *database.DB, email string) int64 {
	t.Helper()
	var id int64
	if err := db.Raw("INSERT INTO users (email, password_hash) VALUES (?, 'x') RETURNING id", email).Scan(&id).Error; err != nil {
		t.Fatal(err)
	}
	id = testenv.Workspace(t, db, id)
	return id
}

// mustMonitor creates a monitor called name and gives it status (as the
// ingest would in monitor_state); "" leaves it without a result, "paused"
// pauses it.
func mustMonitor(t *testing.T, db *database.DB, svc *monitor.Service, workspaceID int64, name, status string) monitor.Monitor {
	t.Helper()
	ctx := context.Background()
	u := "http://127.0.0.1:9/" + url.PathEscape(name)
	m, err := svc.Create(ctx, workspaceID, monitor.Input{Name: &name, LegacyHTTP: monitor.LegacyHTTP{URL: &u}})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	switch status {
	case "":
	case "paused":
		if _, err := svc.Pause(ctx, workspaceID, m.ID); err != nil {
			t.Fatal(err)
		}
	default:
		now := time.Now().UTC()
		if err := db.Exec("INSERT INTO monitor_state (monitor_id, status, status_since, last_checked_at, updated_at) VALUES (?, ?, ?, ?, ?)",
			m.ID, status, now, now, now).Error; err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func names(ms []monitor.Monitor) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Name
	}
	return out
}

func TestOverview(t *testing.T) {
	for _, backend := range testenv.Backends {
		t.Run(backend, func(t *testing.T) {
			db := testenv.MustDatabase(t, backend)
			svc := monitor.New(db, monitor.Config{MinInterval: time.Second}, discard)
			ctx := context.Background()
			owner, stranger := mustUser(t, db, "owner@example.com"), mustUser(t, db, "stranger@example.com")
			for _, m := range []struct{ name, status string }{
				{"b-up", "up"}, {"A-up", "up"}, {"c-down", "down"}, {"d-degraded", "degraded"}, {"e-paused", "paused"},
				{"f-pending", ""}, {"g-unknown", "unknown"}, {"50%_off", "up"},
			} {
				mustMonitor(t, db, svc, owner, m.name, m.status)
			}
			mustMonitor(t, db, svc, stranger, "a-stranger-down", "down")

			all, err := svc.Overview(ctx, owner, monitor.OverviewFilter{})
			if err != nil {
				t.Fatal(err)
			}
			want := []string{"c-down", "d-degraded", "g-unknown", "f-pending", "50%_off", "A-up", "b-up", "e-paused"}
			if got := names(all.Monitors); !slices.Equal(got, want) || all.Total != 8 {
				t.Fatalf("order = %v (total %d), want %v", got, all.Total, want)
			}
			wantCounts := map[monitor.Status]int{"up": 3, "down": 1, "degraded": 1, "paused": 1, "pending": 1, "unknown": 1}
			for st, n := range wantCounts {
				if all.Counts[st] != n {
					t.Errorf("count %s = %d, want %d (all %v)", st, all.Counts[st], n, all.Counts)
				}
			}
			if all.Monitors[0].Status != monitor.StatusDown || all.Monitors[0].StatusSince == nil || all.Monitors[7].Status != monitor.StatusPaused {
				t.Errorf("statuses: %+v", all.Monitors)
			}

			cases := []struct {
				name  string
				f     monitor.OverviewFilter
				want  []string
				total int
			}{
				{"status", monitor.OverviewFilter{Status: monitor.StatusUp}, []string{"50%_off", "A-up", "b-up"}, 3},
				{"query any case", monitor.OverviewFilter{Query: "UP"}, []string{"A-up", "b-up"}, 2},
				{"query matches the URL", monitor.OverviewFilter{Query: "127.0.0.1:9/c-"}, []string{"c-down"}, 1},
				{"wildcards are literal", monitor.OverviewFilter{Query: "%_"}, []string{"50%_off"}, 1},
				{"query and status", monitor.OverviewFilter{Query: "a", Status: monitor.StatusUp}, []string{"A-up"}, 1},
				{"page", monitor.OverviewFilter{Limit: 3, Offset: 3}, []string{"f-pending", "50%_off", "A-up"}, 8},
				{"past the end", monitor.OverviewFilter{Limit: 3, Offset: 9}, []string{}, 8},
				{"no match", monitor.OverviewFilter{Query: "nothing"}, []string{}, 0},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					got, err := svc.Overview(ctx, owner, c.f)
					if err != nil {
						t.Fatal(err)
					}
					if !slices.Equal(names(got.Monitors), c.want) || got.Total != c.total {
						t.Errorf("got %v (total %d), want %v (total %d)", names(got.Monitors), got.Total, c.want, c.total)
					}
				})
			}
		})
	}
}

func TestCheckNowAndValidate(t *testing.T) {
	for _, backend := range testenv.Backends {
		t.Run(backend, func(t *testing.T) {
			db := testenv.MustDatabase(t, backend)
			now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
			svc := monitor.New(db, monitor.Config{MinInterval: time.Second, Now: func() time.Time { return now }}, discard)
			ctx := context.Background()
			owner, stranger := mustUser(t, db, "owner@example.com"), mustUser(t, db, "stranger@example.com")
			m := mustMonitor(t, db, svc, owner, "site", "up")
			if err := db.Exec("UPDATE monitor_schedule SET next_run_at = ? WHERE monitor_id = ?", now.Add(time.Hour), m.ID).Error; err != nil {
				t.Fatal(err)
			}
			if err := svc.CheckNow(ctx, stranger, m.ID); !errors.Is(err, monitor.ErrNotFound) {
				t.Fatalf("another user's CheckNow = %v", err)
			}
			if err := svc.CheckNow(ctx, owner, m.ID); err != nil {
				t.Fatal(err)
			}
			got, err := svc.Get(ctx, owner, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.NextRunAt == nil || !got.NextRunAt.Equal(now) {
				t.Errorf("next run = %v, want %v", got.NextRunAt, now)
			}
			if _, err := svc.Pause(ctx, owner, m.ID); err != nil {
				t.Fatal(err)
			}
			if err := svc.CheckNow(ctx, owner, m.ID); !errors.Is(err, monitor.ErrPaused) {
				t.Errorf("CheckNow of a paused monitor = %v", err)
			}

			bad, interval := "ftp://x", 0
			err = svc.Validate(ctx, owner, 0, monitor.Input{LegacyHTTP: monitor.LegacyHTTP{URL: &bad}, IntervalSeconds: &interval})
			if ae := apperr.As(err); ae == nil || ae.Fields["url"] == "" || ae.Fields["interval_seconds"] == "" {
				t.Errorf("Validate = %v", err)
			}
			name := "renamed"
			if err := svc.Validate(ctx, owner, m.ID, monitor.Input{Name: &name}); err != nil {
				t.Errorf("Validate of a good edit = %v", err)
			}
			if err := svc.Validate(ctx, stranger, m.ID, monitor.Input{Name: &name}); !errors.Is(err, monitor.ErrNotFound) {
				t.Errorf("Validate of another user's monitor = %v", err)
			}
			if got, _ := svc.Get(ctx, owner, m.ID); got.Name != "site" {
				t.Errorf("Validate stored the name: %q", got.Name)
			}
		})
	}
}
