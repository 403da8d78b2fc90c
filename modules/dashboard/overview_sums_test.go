package dashboard

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/queue"
	"github.com/betterstack/betterstack/modules/testenv"
	"github.com/betterstack/betterstack/modules/tick"
)

// TestOverviewSumsAsBefore: the overview's uptimes and sparklines, kept
// between renders as a settled part plus the live hours, are the figures
// the overview computed before it split them, one read of whole windows
// (wholeWindows), on both backends: on the first render, after new checks
// in the current and previous hour (only the live hours read again), and
// with no new check (served from the cache). The monitors: one checked
// for 40 days, one checked in the current hour only, one with results at
// the windows' edges (25 hours and 30 days back) and a late result of the
// previous hour, and one with no checks until the second render.
func TestOverviewSumsAsBefore(t *testing.T) {
	for _, backend := range testenv.Backends {
		t.Run(backend, func(t *testing.T) {
			db := testenv.MustDatabase(t, backend)
			ctx := context.Background()
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			ws, ids := mustOverviewMonitors(t, db, log, "history", "this hour only", "edges", "no checks")
			history, thisHour, edges, never := ids[0], ids[1], ids[2], ids[3]
			now := time.Now().UTC()
			hour, today := now.Truncate(time.Hour), now.Truncate(24*time.Hour)
			ticks := tick.New(db, nil, tick.Config{Now: func() time.Time { return now }}, log, nil)
			monitors := monitor.New(db, monitor.Config{MinInterval: time.Second}, log)
			clock := now
			h := &Handler{cfg: Config{Now: func() time.Time { return clock }}, deps: Deps{Ticks: ticks, Monitors: monitors},
				summaries: newSummaryCache()}

			var batch []queue.Result
			for k := range 40 * 24 / 5 { // every 5 hours for 40 days, up to the current hour
				for j, region := range []string{"eu", "us"} {
					at := hour.Add(-time.Duration(k)*5*time.Hour + time.Duration(j)*time.Second)
					batch = append(batch, overviewResult(history, region, at, at, float64(10+(k*7+j)%400), (k+j)%9 == 0))
				}
			}
			batch = append(batch,
				overviewResult(thisHour, "eu", hour, hour, 80, false),
				overviewResult(thisHour, "us", hour, hour, 120, true),
				overviewResult(edges, "eu", hour.Add(-24*time.Hour), hour.Add(-24*time.Hour), 50, false), // the day's partial first hour
				overviewResult(edges, "eu", hour.Add(-25*time.Hour), hour.Add(-25*time.Hour), 70, true),  // before it
				overviewResult(edges, "eu", today.AddDate(0, 0, -29), today.AddDate(0, 0, -29), 60, true),
				overviewResult(edges, "eu", today.AddDate(0, 0, -30), today.AddDate(0, 0, -30), 60, true), // before the 30 days
				overviewResult(edges, "us", hour.Add(-2*time.Hour), hour.Add(-2*time.Hour), 90, false),
			)
			mustStore(t, ticks, batch)
			page := func() []monitor.Monitor {
				t.Helper()
				ov, err := monitors.Overview(ctx, ws, monitor.OverviewFilter{Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				return ov.Monitors
			}
			first := page()
			assertOverviewAsBefore(t, "first render", h, ticks, first)
			if n := len(h.summaries.m); n != 4 {
				t.Fatalf("%d monitors cached after the first render, want 4", n)
			}

			// New checks: the current hour for history and for the monitor
			// never checked so far, a late result of the previous hour for
			// edges; the settled part of those three is kept.
			mustStore(t, ticks, []queue.Result{
				overviewResult(history, "eu", hour.Add(2*time.Second), now, 300, false),
				overviewResult(history, "us", hour.Add(2*time.Second), now, 20, true),
				overviewResult(never, "eu", hour, now, 40, false),
				overviewResult(edges, "eu", hour.Add(-time.Second), now, 33, false),
			})
			// Rendered later in the same hour.
			clock = now.Add(min(time.Minute, hour.Add(time.Hour).Sub(now)) / 2)
			second := page()
			hit, live, cold := h.summaries.lookup(ids, lastCheckedOf(second), clock)
			if len(live) != 3 || len(hit) != 1 || len(cold) != 0 {
				t.Fatalf("before the second render: %d kept, %d with a new check, %d cold; want 1, 3, 0", len(hit), len(live), len(cold))
			}
			assertOverviewAsBefore(t, "after new checks", h, ticks, second)
			for _, id := range []int64{history, never, edges} {
				if s := h.summaries.m[id]; !s.at.Equal(now) || !s.lastChecked.Equal(lastCheckedOf(second)[id]) {
					t.Errorf("monitor %d: settled part read at %s, for the check of %s; want the first render's and the new check", id, s.at, s.lastChecked)
				}
			}
			assertOverviewAsBefore(t, "no new checks", h, ticks, second)
		})
	}
}

// assertOverviewAsBefore renders ms's rows and compares what they show with
// wholeWindows at the handler's time.
func assertOverviewAsBefore(t *testing.T, when string, h *Handler, ticks *tick.Service, ms []monitor.Monitor) {
	t.Helper()
	ctx := context.Background()
	rows, err := h.overviewRows(ctx, ms)
	if err != nil {
		t.Fatal(err)
	}
	want, err := wholeWindows(ctx, ticks, ms, h.cfg.Now().UTC())
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(ms) {
		t.Fatalf("%s: %d rows for %d monitors", when, len(rows), len(ms))
	}
	for i, r := range rows {
		w := want[r.ID]
		if !sameFloats([]float64{r.Uptime24h, r.Uptime30d}, []float64{w.Uptime24h, w.Uptime30d}) || r.Spark != w.Spark {
			t.Errorf("%s: %s shows 24 h %v, 30 d %v, line %s;\nbefore: 24 h %v, 30 d %v, line %s",
				when, ms[i].Name, r.Uptime24h, r.Uptime30d, r.Spark, w.Uptime24h, w.Uptime30d, w.Spark)
		}
	}
	// The test must see each kind of monitor: checked, never checked.
	byName := map[string]overviewRow{}
	for i, r := range rows {
		byName[ms[i].Name] = r
	}
	if math.IsNaN(byName["history"].Uptime30d) || byName["history"].Uptime24h == 1 || math.IsNaN(byName["this hour only"].Uptime24h) {
		t.Errorf("%s: the seeded checks do not show: %+v", when, byName)
	}
}

// wholeWindows is how the overview computed its figures before it split
// them into a settled and a live part: one read of the 25 hourly windows'
// rollups and one of the 30 days', every render.
func wholeWindows(ctx context.Context, ticks *tick.Service, ms []monitor.Monitor, now time.Time) (map[int64]overviewRow, error) {
	ids := make([]int64, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	hours, err := ticks.HourlyMerged(ctx, ids, now.Add(-24*time.Hour), now.Truncate(time.Hour).Add(time.Hour))
	if err != nil {
		return nil, err
	}
	today := now.Truncate(24 * time.Hour)
	month, err := ticks.DaySums(ctx, ids, today.AddDate(0, 0, -29), today.AddDate(0, 0, 1))
	if err != nil {
		return nil, err
	}
	day := tick.Totals(hours)
	merged := map[int64][]tick.Rollup{}
	for _, r := range hours {
		merged[r.MonitorID] = append(merged[r.MonitorID], r)
	}
	out := map[int64]overviewRow{}
	for _, m := range ms {
		out[m.ID] = overviewRow{Uptime24h: day[m.ID].Uptime(), Uptime30d: month[m.ID].Uptime(),
			Spark: sparkline(sparkValues(merged[m.ID], now, 24), m.Name)}
	}
	return out, nil
}

func lastCheckedOf(ms []monitor.Monitor) map[int64]time.Time {
	out := map[int64]time.Time{}
	for _, m := range ms {
		if m.LastCheckedAt != nil {
			out[m.ID] = *m.LastCheckedAt
		}
	}
	return out
}

// mustOverviewMonitors creates a workspace with a monitor of each name.
func mustOverviewMonitors(t *testing.T, db *database.DB, log *slog.Logger, names ...string) (int64, []int64) {
	t.Helper()
	var uid int64
	if err := db.Raw("INSERT INTO users (email, password_hash) VALUES ('overview@example.com', 'x') RETURNING id").Scan(&uid).Error; err != nil {
		t.Fatal(err)
	}
	ws := testenv.Workspace(t, db, uid)
	svc := monitor.New(db, monitor.Config{MinInterval: time.Second}, log)
	ids := make([]int64, len(names))
	for i, name := range names {
		u, interval := fmt.Sprintf("http://127.0.0.1:9/m/%d", i), 60
		m, err := svc.Create(context.Background(), ws, monitor.Input{Name: &name, LegacyHTTP: monitor.LegacyHTTP{URL: &u}, IntervalSeconds: &interval})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = m.ID
	}
	return ws, ids
}

// overviewResult is a result of monitor id in region for slot, checked at
// checked, up with latency ms or down.
func overviewResult(id int64, region string, slot, checked time.Time, ms float64, down bool) queue.Result {
	slot, checked = slot.UTC().Truncate(time.Millisecond), checked.UTC().Truncate(time.Millisecond)
	r := queue.Result{JobID: fmt.Sprintf("%d:%s:%d", id, region, slot.UnixMilli()), MonitorID: id, Region: region, WorkerID: "w-" + region,
		ScheduledAt: slot, Result: probe.Result{Status: probe.StatusUp, StatusCode: 200, LatencyMS: ms, CheckedAt: checked}}
	if down {
		r.Result.Status, r.Result.StatusCode = probe.StatusDown, 503
	}
	return r
}

func mustStore(t *testing.T, ticks *tick.Service, batch []queue.Result) {
	t.Helper()
	if err := ticks.Store(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
}
