package sla_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/auth"
	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/incident"
	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/queue"
	"github.com/betterstack/betterstack/modules/sla"
	"github.com/betterstack/betterstack/modules/testenv"
	"github.com/betterstack/betterstack/modules/tick"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// world is a database with two users, the services the SLA reads and the
// SLA service, all on one fixed clock.
type world struct {
	db        *database.DB
	auth      *auth.Service
	incidents *incident.Service
	ticks     *tick.Service
	sla       *sla.Service
	owner     int64 // workspace with monitors mon and other
	ownerUser int64 // its owner
	stranger  int64 // workspace with monitor foreign
	mon       int64
	other     int64
	foreign   int64
	now       time.Time
}

// MustWorld builds a world on backend whose clock reads now.
func MustWorld(t testing.TB, backend string, now time.Time) *world {
	t.Helper()
	ctx := context.Background()
	// Users and monitors exist from before any history the tests script.
	w := &world{db: testenv.MustDatabase(t, backend), now: ts("2026-01-01 00:00:00")}
	defer func() { w.now = now }()
	clock := func() time.Time { return w.now }
	var err error
	w.auth, err = auth.New(w.db, auth.Config{JWTSecret: []byte("0123456789abcdef0123456789abcdef"), PasswordMemoryKiB: 64, Now: clock}, discard)
	if err != nil {
		t.Fatal(err)
	}
	monitors := monitor.New(w.db, monitor.Config{MinInterval: time.Second, Now: clock}, discard)
	w.incidents = incident.New(w.db, nil, incident.Config{Now: clock}, discard)
	w.ticks = tick.New(w.db, nil, tick.Config{Now: clock}, discard, nil)
	w.sla = sla.New(w.incidents, w.ticks, monitors, sla.Config{Now: clock})
	users := map[int64]int64{}
	user := func(email string) int64 {
		u, err := w.auth.CreateUser(ctx, email, "correct horse battery staple")
		if err != nil {
			t.Fatal(err)
		}
		users[u.WorkspaceID] = u.ID
		return u.WorkspaceID
	}
	mon := func(workspaceID int64, name string) int64 {
		u, interval := "https://"+name+".example", 60
		m, err := monitors.Create(ctx, workspaceID, monitor.Input{Name: &name, LegacyHTTP: monitor.LegacyHTTP{URL: &u}, IntervalSeconds: &interval})
		if err != nil {
			t.Fatal(err)
		}
		return m.ID
	}
	w.owner, w.stranger = user("owner@example.com"), user("stranger@example.com")
	w.ownerUser = users[w.owner]
	w.mon, w.other, w.foreign = mon(w.owner, "shop"), mon(w.owner, "blog"), mon(w.stranger, "theirs")
	return w
}

func ts(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05", s)
	if err != nil {
		panic(err)
	}
	return t
}

// incident inserts an incident; resolved "" leaves it open.
func (w *world) incident(t testing.TB, monitorID, workspaceID int64, kind, started, resolved string) {
	t.Helper()
	var end *time.Time
	status := "open"
	if resolved != "" {
		e := ts(resolved)
		end, status = &e, "resolved"
	}
	if err := w.db.Exec("INSERT INTO incidents (monitor_id, workspace_id, kind, status, started_at, resolved_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
		monitorID, workspaceID, kind, status, ts(started), end, ts(started)).Error; err != nil {
		t.Fatal(err)
	}
}

// window declares a maintenance window before the history begins (windows
// count only from when they were declared).
func (w *world) window(t testing.TB, win incident.Window) {
	t.Helper()
	w.declared(t, win, ts("2026-01-01 00:00:00"))
}

// declared creates a maintenance window as if at the given time.
func (w *world) declared(t testing.TB, win incident.Window, at time.Time) {
	t.Helper()
	now := w.now
	w.now = at
	defer func() { w.now = now }()
	if _, err := w.incidents.CreateWindow(context.Background(), w.owner, win); err != nil {
		t.Fatal(err)
	}
}

// checks stores, for each region and each day from the first for n days,
// 45 checks at 40 ms, 5 at 400 ms and 1 failure (at 10 s, which no
// percentile may show), through the ingest.
func (w *world) checks(t testing.TB, monitorID int64, first time.Time, n int, regions ...string) {
	t.Helper()
	var batch []queue.Result
	for d := range n {
		day := first.AddDate(0, 0, d)
		for _, region := range regions {
			for i := range 51 {
				at := day.Add(time.Hour + time.Duration(i)*time.Minute)
				res := probe.Result{Status: probe.StatusUp, StatusCode: 200, LatencyMS: 40, CheckedAt: at}
				switch {
				case i == 50:
					res = probe.Result{Status: probe.StatusDown, StatusCode: 503, ErrorClass: probe.ClassHTTPStatus, LatencyMS: 10000, CheckedAt: at}
				case i >= 45:
					res.LatencyMS = 400
				}
				batch = append(batch, queue.Result{JobID: fmt.Sprintf("%d:%s:%d", monitorID, region, at.UnixMilli()), MonitorID: monitorID,
					Region: region, WorkerID: "w-" + region, ScheduledAt: at, Result: res})
			}
		}
		if len(batch) >= 2000 || d == n-1 {
			if err := w.ticks.Store(context.Background(), batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
}

// script writes the history the test and the API test read. The period is
// 2026-03-02 .. 2026-03-05 (3 days, 259 200 s); now is 2026-03-06 00:00.
// 2026-03-04 is a Wednesday; Berlin is UTC+1 then.
//
//	maintenance: one-off 03-03 02:30-04:00 (5400 s) and weekly Wednesday
//	  13:00 Europe/Berlin for 60 min = 03-04 12:00-13:00 UTC (3600 s):
//	  9000 s. A window of monitor "blog" only does not count.
//	down A 03-01 23:59:00-03-02 00:01:30   clipped at from: 90 s
//	down B 03-02 10:00-10:01                60 s
//	down C 03-03 02:00-03:00                half in maintenance: 1800 s
//	down D 03-03 03:10-03:20                all in maintenance: no incident
//	down E 03-04 23:00-open                 clipped at to: 3600 s
//	degraded 03-04 11:50-12:05              600 s, the rest in maintenance
//	downtime 90+60+1800+3600 = 5550 s; uptime = 100 × (1 − 5550 /
//	  (259 200 − 9000)) = 97.78177… → 97.781; 4 incidents, longest 3600 s,
//	  mttr 5550/4 = 1387.5 s.
//	checks: 2 regions × 3 days × 51 = 306, 6 failed; successes 270 at
//	  40 ms, 30 at 400 ms. p50: rank 150 of the (25, 50] bucket, between
//	  min 40 and 50: 40 + 10 × 150/270 = 45.6; p95: rank 285, 15th of 30 in
//	  (300, 500] clamped to max 400: 350; p99: 300 + 100 × 27/30 = 390.
//	  The days before and after hold checks too; they must not count.
func (w *world) history(t testing.TB) {
	t.Helper()
	for _, inc := range [][3]string{
		{"down", "2026-02-27 10:00:00", "2026-02-27 11:00:00"}, // before the period
		{"down", "2026-03-01 23:59:00", "2026-03-02 00:01:30"},
		{"down", "2026-03-02 10:00:00", "2026-03-02 10:01:00"},
		{"down", "2026-03-03 02:00:00", "2026-03-03 03:00:00"},
		{"down", "2026-03-03 03:10:00", "2026-03-03 03:20:00"},
		{"degraded", "2026-03-04 11:50:00", "2026-03-04 12:05:00"},
		{"down", "2026-03-04 23:00:00", ""},
	} {
		w.incident(t, w.mon, w.owner, inc[0], inc[1], inc[2])
	}
	w.incident(t, w.other, w.owner, "down", "2026-03-02 05:00:00", "2026-03-02 07:00:00")
	w.incident(t, w.foreign, w.stranger, "down", "2026-03-02 05:00:00", "2026-03-02 07:00:00")
	start, end := ts("2026-03-03 02:30:00"), ts("2026-03-03 04:00:00")
	w.window(t, incident.Window{Name: "db upgrade", MonitorIDs: []int64{w.mon}, StartsAt: &start, EndsAt: &end})
	w.window(t, incident.Window{Name: "deploys", MonitorIDs: []int64{w.mon, w.other}, Weekdays: []int{3}, StartTime: "13:00", DurationMinutes: 60, TimeZone: "Europe/Berlin"})
	start, end = ts("2026-03-02 10:00:00"), ts("2026-03-02 11:00:00")
	w.window(t, incident.Window{Name: "blog only", MonitorIDs: []int64{w.other}, StartsAt: &start, EndsAt: &end})
}

// script writes history and the checks of the period and the days around.
func (w *world) script(t testing.TB) {
	t.Helper()
	w.history(t)
	w.checks(t, w.mon, ts("2026-03-02 00:00:00"), 3, "eu", "us")
	w.checks(t, w.mon, ts("2026-03-01 00:00:00"), 1, "eu") // outside
	w.checks(t, w.mon, ts("2026-03-05 00:00:00"), 1, "eu") // outside
}

func f(v *float64) float64 {
	if v == nil {
		return -1
	}
	return *v
}

// TestScriptedHistory computes the report of a known history on both
// backends and checks every figure against the hand computation in script.
func TestScriptedHistory(t *testing.T) {
	for _, backend := range testenv.Backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			w := MustWorld(t, backend, ts("2026-03-06 00:00:00"))
			w.script(t)
			from, to := ts("2026-03-02 00:00:00"), ts("2026-03-05 00:00:00")

			r, err := w.sla.Report(ctx, w.owner, w.mon, from, to)
			if err != nil {
				t.Fatal(err)
			}
			type figures struct {
				Uptime, Down, Degraded, Maint, Longest, MTTR, P50, P95, P99 float64
				Incidents                                                   int
				Checks, Failed                                              int64
			}
			got := figures{r.UptimePercent, r.DowntimeSeconds, r.DegradedSeconds, r.MaintenanceSeconds, r.LongestIncidentSeconds, r.MTTRSeconds,
				f(r.Latency.P50), f(r.Latency.P95), f(r.Latency.P99), r.Incidents, r.Checks, r.FailedChecks}
			want := figures{97.781, 5550, 600, 9000, 3600, 1387.5, 45.6, 350, 390, 4, 306, 6}
			if got != want {
				t.Errorf("report\n got  %+v\n want %+v", got, want)
			}
			if r.MonitorID != w.mon || !r.From.Equal(from) || !r.To.Equal(to) {
				t.Errorf("report of %d over %s .. %s", r.MonitorID, r.From, r.To)
			}

			// Per day: 03-02 A+B 150 s of 86 400 → 99.826; 03-03 C 1800 s of
			// 86 400 − 5400 → 97.777; 03-04 E 3600 s of 86 400 − 3600 → 95.652.
			days, err := w.sla.Daily(ctx, w.owner, w.mon, from, to)
			if err != nil {
				t.Fatal(err)
			}
			wantDays := []sla.Day{
				{Date: "2026-03-02", UptimePercent: 99.826, DowntimeSeconds: 150, Incidents: 2},
				{Date: "2026-03-03", UptimePercent: 97.777, DowntimeSeconds: 1800, MaintenanceSeconds: 5400, Incidents: 1},
				{Date: "2026-03-04", UptimePercent: 95.652, DowntimeSeconds: 3600, DegradedSeconds: 600, MaintenanceSeconds: 3600, Incidents: 1},
			}
			if len(days) != len(wantDays) {
				t.Fatalf("%d days: %+v", len(days), days)
			}
			for i, d := range days {
				p := [3]float64{f(d.Latency.P50), f(d.Latency.P95), f(d.Latency.P99)}
				d.Latency = sla.Latency{}
				if d != wantDays[i] || p != [3]float64{45.6, 350, 390} {
					t.Errorf("day %d = %+v %v\n want %+v", i, d, p, wantDays[i])
				}
			}

			// A period reaching past now ends now, and the open incident E
			// runs until now: 03-04 23:00 .. 03-06 00:00 = 90 000 s.
			r, err = w.sla.Report(ctx, w.owner, w.mon, ts("2026-03-04 00:00:00"), ts("2026-03-08 00:00:00"))
			if err != nil {
				t.Fatal(err)
			}
			if !r.To.Equal(w.now) || r.DowntimeSeconds != 90000 || r.LongestIncidentSeconds != 90000 || r.Incidents != 1 {
				t.Errorf("to %s, downtime %v, longest %v, incidents %d; want to now, 90000, 90000, 1", r.To, r.DowntimeSeconds, r.LongestIncidentSeconds, r.Incidents)
			}

			// The other monitor: its own outage, the shared weekly window and
			// its own; none of the shop's incidents.
			r, err = w.sla.Report(ctx, w.owner, w.other, from, to)
			if err != nil {
				t.Fatal(err)
			}
			if r.DowntimeSeconds != 7200 || r.MaintenanceSeconds != 7200 || r.Incidents != 1 || r.Checks != 0 || r.Latency.P50 != nil {
				t.Errorf("other monitor: %+v", r)
			}
			if _, err := w.sla.Report(ctx, w.owner, w.foreign, from, to); err != monitor.ErrNotFound {
				t.Errorf("another user's monitor: %v, want monitor.ErrNotFound", err)
			}
		})
	}
}

// BenchmarkReport365 reads and computes a year's report of one monitor
// with 365 days of rollups from 2 regions, on PostgreSQL.
func BenchmarkReport365(b *testing.B) {
	ctx := context.Background()
	w := MustWorld(b, "postgres", ts("2026-03-06 00:00:00"))
	w.history(b)
	w.checks(b, w.mon, ts("2025-03-06 00:00:00"), 365, "eu", "us")
	from, to := ts("2025-03-06 00:00:00"), w.now
	for b.Loop() {
		r, err := w.sla.Report(ctx, w.owner, w.mon, from, to)
		if err != nil || r.Checks != 365*2*51 || r.Incidents != 5 {
			b.Fatalf("report: %+v, %v", r, err)
		}
	}
}

// TestMaintenanceDeclaredLate: a window created after an outage, covering
// it, does not excuse it; it counts only from when it was declared.
func TestMaintenanceDeclaredLate(t *testing.T) {
	ctx := context.Background()
	w := MustWorld(t, "sqlite", ts("2026-03-06 00:00:00"))
	w.incident(t, w.mon, w.owner, "down", "2026-03-02 10:00:00", "2026-03-02 11:00:00")
	start, end := ts("2026-03-02 09:00:00"), ts("2026-03-02 12:00:00")
	// Declared at 10:30, half-way through the outage.
	w.declared(t, incident.Window{Name: "cover-up", MonitorIDs: []int64{w.mon}, StartsAt: &start, EndsAt: &end}, ts("2026-03-02 10:30:00"))
	r, err := w.sla.Report(ctx, w.owner, w.mon, ts("2026-03-02 00:00:00"), ts("2026-03-03 00:00:00"))
	if err != nil {
		t.Fatal(err)
	}
	// Maintenance 10:30-12:00 = 5400 s; downtime 10:00-10:30 = 1800 s.
	if r.MaintenanceSeconds != 5400 || r.DowntimeSeconds != 1800 {
		t.Errorf("maintenance %v s, downtime %v s; want 5400 and 1800", r.MaintenanceSeconds, r.DowntimeSeconds)
	}
	if _, err := w.sla.Report(ctx, w.owner, w.mon, ts("2026-03-07 00:00:00"), ts("2026-03-08 00:00:00")); err == nil || !strings.Contains(err.Error(), "from") {
		t.Errorf("a report of the future: err = %v, want one naming from", err)
	}
}

// TestPeriodStartsAtCreation: time before a monitor existed is not uptime.
func TestPeriodStartsAtCreation(t *testing.T) {
	ctx := context.Background()
	w := MustWorld(t, "sqlite", ts("2026-03-06 00:00:00")) // monitors created 2026-01-01
	r, err := w.sla.Report(ctx, w.owner, w.mon, ts("2025-12-01 00:00:00"), ts("2026-01-02 00:00:00"))
	if err != nil {
		t.Fatal(err)
	}
	if !r.From.Equal(ts("2026-01-01 00:00:00")) {
		t.Errorf("from = %s, want the monitor's creation", r.From)
	}
	_, err = w.sla.Report(ctx, w.owner, w.mon, ts("2025-11-01 00:00:00"), ts("2025-12-01 00:00:00"))
	if ae := apperr.As(err); ae == nil || !strings.Contains(ae.Fields["to"], "before the monitor was created") {
		t.Errorf("a period before the monitor existed: err = %v, want one naming to", err)
	}
}
