package tick

import (
	"context"
	"fmt"
	"math"
	"sort"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/queue"
	"github.com/betterstack/betterstack/modules/testenv"
)

// oracle is what every reader must say, worked out in Go from the checks
// stored: per monitor, region and hour.
type oracle map[rollupKey]Rollup

func (o oracle) add(r queue.Result) {
	t := fromResult(r)
	k := rollupKey{r.MonitorID, r.Region, t.ScheduledAt.Truncate(time.Hour).Unix()}
	x, ok := o[k]
	if !ok {
		x = Rollup{MonitorID: r.MonitorID, Region: r.Region, Start: t.ScheduledAt.Truncate(time.Hour)}
	}
	x.observe(t)
	o[k] = x
}

// rows is o as rows of width (an hour or a day), sorted like byKey's.
func (o oracle) rows(width time.Duration, from, to time.Time) []Rollup {
	var rs []Rollup
	for _, r := range o {
		if !r.Start.Before(from) && r.Start.Before(to) {
			r.Start = r.Start.Truncate(width)
			rs = append(rs, r)
		}
	}
	return byKey(rs)
}

// totals is o's checks per monitor over [from, to), across regions.
func (o oracle) totals(from, to time.Time) map[int64]Rollup {
	return Totals(o.rows(time.Hour, from, to))
}

func sameRollup(a, b Rollup) bool {
	return a.MonitorID == b.MonitorID && a.Region == b.Region && a.Start.Equal(b.Start) && a.Checks == b.Checks &&
		a.Failures == b.Failures && a.Degraded == b.Degraded && a.LatencyMin == b.LatencyMin && a.LatencyMax == b.LatencyMax &&
		math.Abs(a.LatencySum-b.LatencySum) < 1e-6 && a.Hist == b.Hist
}

func sameRollups(t *testing.T, what string, got, want []Rollup) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d rows, want %d\ngot  %v\nwant %v", what, len(got), len(want), brief(got), brief(want))
		return
	}
	for i := range got {
		if !sameRollup(got[i], want[i]) {
			t.Errorf("%s: row %d = %+v\nwant %+v", what, i, got[i], want[i])
		}
	}
}

func brief(rs []Rollup) []string {
	var out []string
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%d/%s/%s:%d", r.MonitorID, r.Region, r.Start.Format("02T15"), r.Checks))
	}
	return out
}

func sameTotals(t *testing.T, what string, got, want map[int64]Rollup) {
	t.Helper()
	ids := make([]int64, 0, len(want))
	for id := range want {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		g, w := got[id], want[id]
		if g.Checks != w.Checks || g.Failures != w.Failures || g.Degraded != w.Degraded || math.Abs(g.LatencySum-w.LatencySum) > 1e-6 ||
			g.LatencyMin != w.LatencyMin || g.LatencyMax != w.LatencyMax {
			t.Errorf("%s: monitor %d = %d checks %d failures %d degraded (latency %g..%g, sum %g), want %d %d %d (%g..%g, %g)", what, id,
				g.Checks, g.Failures, g.Degraded, g.LatencyMin, g.LatencyMax, g.LatencySum, w.Checks, w.Failures, w.Degraded, w.LatencyMin, w.LatencyMax, w.LatencySum)
		}
	}
	if len(got) > len(want) {
		t.Errorf("%s: %d monitors, want %d", what, len(got), len(want))
	}
}

// TestOpenHoursInEveryFigure stores checks over a morning in batches, with
// late ones, a fold between them, and an hour row left by the ingest
// before migration 00015 for an hour that is open now. After every step
// each reader of hours and days says what the checks stored say, worked
// out in Go: wherever a check is (its region's open hour, its hour's row,
// its day's row), it is counted once.
func TestOpenHoursInEveryFigure(t *testing.T) {
	for _, backend := range testenv.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			now := time.Date(2026, 11, 23, 12, 30, 0, 0, time.UTC)
			day := now.Truncate(24 * time.Hour)
			svc := oneMonitorAt(t, backend, now)
			if err := svc.store.db.Exec(`INSERT INTO monitors (id, workspace_id, key, name, kind, check_spec, target, interval_seconds, timeout_ms, created_at, updated_at)
				VALUES (2, 1, 'm2', 'm', 'http', '{}', 'http://x', 60, 1000, ?, ?)`, now, now).Error; err != nil {
				t.Fatal(err)
			}
			want := oracle{}
			n := 0
			batch := func(from, to time.Time) []queue.Result {
				var rs []queue.Result
				for at := from; at.Before(to); at = at.Add(10 * time.Minute) {
					for _, c := range []struct {
						id     int64
						region string
					}{{1, "eu"}, {1, "us"}, {2, "eu"}} {
						r := queue.Result{JobID: fmt.Sprint(n), MonitorID: c.id, Region: c.region, WorkerID: "w", ScheduledAt: at,
							Result: probe.Result{Status: probe.StatusUp, LatencyMS: float64(20 + (n*37)%900), CheckedAt: at}}
						if n%5 == 0 {
							r.Result.Status, r.Result.LatencyMS = probe.StatusDown, 0
						} else if n%7 == 0 {
							r.Result.Status = probe.StatusDegraded
						}
						rs = append(rs, r)
						n++
					}
				}
				return rs
			}
			store := func(rs []queue.Result) {
				t.Helper()
				if err := svc.Store(ctx, rs); err != nil {
					t.Fatal(err)
				}
				for _, r := range rs {
					want.add(r)
				}
			}
			check := func(step string) {
				t.Helper()
				hours, err := svc.Hourly(ctx, []int64{1, 2}, day, now.Add(time.Hour))
				if err != nil {
					t.Fatal(err)
				}
				sameRollups(t, step+": Hourly", hours, want.rows(time.Hour, day, now.Add(time.Hour)))
				days, err := svc.Daily(ctx, []int64{1, 2}, day, day.Add(24*time.Hour))
				if err != nil {
					t.Fatal(err)
				}
				sameRollups(t, step+": Daily", days, want.rows(24*time.Hour, day, day.Add(24*time.Hour)))
				f := readFiguresOf(t, svc, []int64{1, 2}, now)
				sameTotals(t, step+": DaySums", f.daySums, want.totals(day, day.Add(24*time.Hour)))
				sameTotals(t, step+": Window", f.window, want.totals(day, now.Truncate(time.Hour).Add(time.Hour)))
				sameTotals(t, step+": HoursAndDays' days", f.hourDays, want.totals(day, day.Add(24*time.Hour)))
				sameTotals(t, step+": HoursAndDays' hours", Totals(f.hours), want.totals(now.Add(-3*time.Hour).Truncate(time.Hour), now.Add(time.Hour)))
				sameTotals(t, step+": HourlyMerged", Totals(f.merged), want.totals(now.Add(-3*time.Hour).Truncate(time.Hour), now.Add(time.Hour)))
			}
			store(batch(day.Add(9*time.Hour+10*time.Minute), day.Add(11*time.Hour)))
			check("09:10 to 10:50, every hour open or closed by a later check")
			// As the ingest before migration 00015 left it: an hour row for
			// 12:00, an hour each region here opens only later.
			if err := svc.store.db.Exec("INSERT INTO rollups_hourly (monitor_id, region, bucket, checks, failures, latency_sum, latency_min, latency_max, h00, folded) "+
				"VALUES (2, 'eu', ?, 3, 1, 30, 10, 20, 2, ?)", day.Add(12*time.Hour), false).Error; err != nil {
				t.Fatal(err)
			}
			want[rollupKey{2, "eu", day.Add(12 * time.Hour).Unix()}] = Rollup{MonitorID: 2, Region: "eu", Start: day.Add(12 * time.Hour),
				Checks: 3, Failures: 1, LatencySum: 30, LatencyMin: 10, LatencyMax: 20, Hist: [NumBuckets]int64{2}}
			store(batch(day.Add(11*time.Hour), day.Add(12*time.Hour+30*time.Minute)))
			check("to 12:20, 12:00 open beside its older row")
			if folded, err := svc.Fold(ctx, now); err != nil || folded == 0 {
				t.Fatalf("fold = %d, %v", folded, err)
			}
			check("after the fold")
			store(batch(day.Add(9*time.Hour+15*time.Minute), day.Add(9*time.Hour+16*time.Minute)))   // late, into a folded hour
			store(batch(day.Add(8*time.Hour+55*time.Minute), day.Add(8*time.Hour+56*time.Minute)))   // late, an hour without a row
			store(batch(day.Add(12*time.Hour+25*time.Minute), day.Add(12*time.Hour+26*time.Minute))) // the open hour
			store(batch(day.Add(13*time.Hour+5*time.Minute), day.Add(13*time.Hour+6*time.Minute)))   // closes 12:00 into its row
			check("after late checks and the next hour")
			if _, err := svc.Fold(ctx, now.Add(2*time.Hour)); err != nil {
				t.Fatal(err)
			}
			check("after folding 12:00")
			var rows int64
			if err := svc.store.db.Raw("SELECT count(*) FROM rollups_hourly WHERE monitor_id = 2 AND bucket = ?", day.Add(12*time.Hour)).Scan(&rows).Error; err != nil {
				t.Fatal(err)
			}
			if rows != 1 {
				t.Errorf("12:00 of monitor 2 in %d rows, want 1: the closed open hour added to the older row", rows)
			}
		})
	}
}

// figuresOf is what the overview's and reports' readers say.
type figuresOf struct {
	daySums, window, hourDays map[int64]Rollup
	hours, merged             []Rollup
}

func readFiguresOf(t *testing.T, svc *Service, ids []int64, now time.Time) figuresOf {
	t.Helper()
	ctx := context.Background()
	day := now.Truncate(24 * time.Hour)
	var f figuresOf
	var err error
	if f.daySums, err = svc.DaySums(ctx, ids, day, day.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if f.window, err = svc.Window(ctx, ids, now, now.Sub(day)); err != nil {
		t.Fatal(err)
	}
	hFrom := now.Add(-3 * time.Hour)
	if f.hours, f.hourDays, err = svc.HoursAndDays(ctx, ids, hFrom, now.Add(time.Hour), day, day.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if f.merged, err = svc.HourlyMerged(ctx, ids, hFrom, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestOpenHourMigration: going down past migration 00015 puts every open
// hour where the older ingest keeps it, in its hour's row, and in its
// day's row as well where that hour's row was folded already; up again,
// every figure is what it was.
func TestOpenHourMigration(t *testing.T) {
	for _, backend := range testenv.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			now := time.Date(2026, 11, 23, 12, 30, 0, 0, time.UTC)
			day := now.Truncate(24 * time.Hour)
			svc := oneMonitorAt(t, backend, now)
			db := svc.store.db
			if err := db.Exec(`INSERT INTO monitors (id, workspace_id, key, name, kind, check_spec, target, interval_seconds, timeout_ms, created_at, updated_at)
				VALUES (2, 1, 'm2', 'm', 'http', '{}', 'http://x', 60, 1000, ?, ?)`, now, now).Error; err != nil {
				t.Fatal(err)
			}
			// Monitor 1's 10:00 as the older ingest left it, folded into its
			// day: 3 checks, 1 down.
			for table, bucket := range map[string]time.Time{"rollups_hourly": day.Add(10 * time.Hour), "rollups_daily": day} {
				if err := db.Exec("INSERT INTO "+table+" (monitor_id, region, bucket, checks, failures, latency_sum, latency_min, latency_max, h00) "+
					"VALUES (1, 'eu', ?, 3, 1, 30, 10, 20, 2)", bucket).Error; err != nil {
					t.Fatal(err)
				}
			}
			at := func(id int64, d time.Duration, ms float64) queue.Result {
				return queue.Result{JobID: "x", MonitorID: id, Region: "eu", WorkerID: "w", ScheduledAt: day.Add(d),
					Result: probe.Result{Status: probe.StatusUp, LatencyMS: ms, CheckedAt: day.Add(d)}}
			}
			for _, rs := range [][]queue.Result{{at(1, 10*time.Hour+20*time.Minute, 5)}, {at(1, 10*time.Hour+40*time.Minute, 60), at(2, 12*time.Hour+5*time.Minute, 7)}} {
				if err := svc.Store(ctx, rs); err != nil {
					t.Fatal(err)
				}
			}
			if got := countOpen(t, svc); got != 3 {
				t.Fatalf("checks in open hours = %d, want 3", got)
			}
			before := readFiguresOf(t, svc, []int64{1, 2}, now)
			p := testenv.Migrations(t, db)
			if _, err := p.DownTo(ctx, 14); err != nil {
				t.Fatal(err)
			}
			type row struct {
				Checks, Failures, H00, H02 int64
				LatencyMin, LatencyMax     float64
			}
			read := func(q string, args ...any) row {
				t.Helper()
				var r row
				if err := db.Raw(q, args...).Scan(&r).Error; err != nil {
					t.Fatal(err)
				}
				return r
			}
			if got := read("SELECT checks, failures, h00, h02, latency_min, latency_max FROM rollups_hourly WHERE monitor_id = 1 AND bucket = ?", day.Add(10*time.Hour)); got != (row{5, 1, 3, 1, 5, 60}) {
				t.Errorf("monitor 1's 10:00 after down = %+v, want 5 checks, 1 failure, h00 3, h02 1, latency 5 to 60", got)
			}
			if got := read("SELECT checks, failures, h00, h02, latency_min, latency_max FROM rollups_daily WHERE monitor_id = 1"); got != (row{5, 1, 3, 1, 5, 60}) {
				t.Errorf("monitor 1's day after down = %+v, want the folded hour's 5 checks", got)
			}
			if got := read("SELECT checks, failures, h00, h02, latency_min, latency_max FROM rollups_hourly WHERE monitor_id = 2 AND bucket = ? AND NOT folded", day.Add(12*time.Hour)); got != (row{1, 0, 1, 0, 7, 7}) {
				t.Errorf("monitor 2's 12:00 after down = %+v, want 1 check waiting for its fold", got)
			}
			if got := read("SELECT count(*) AS checks FROM rollups_daily WHERE monitor_id = 2"); got.Checks != 0 {
				t.Errorf("monitor 2 has %d day rows after down, want 0: its hour was not folded", got.Checks)
			}
			if _, err := p.Up(ctx); err != nil {
				t.Fatal(err)
			}
			after := readFiguresOf(t, svc, []int64{1, 2}, now)
			for _, c := range []struct {
				what      string
				got, want map[int64]Rollup
			}{{"DaySums", after.daySums, before.daySums}, {"Window", after.window, before.window}, {"HoursAndDays' days", after.hourDays, before.hourDays}} {
				sameTotals(t, "up again: "+c.what, c.got, c.want)
				if c.want[1].Checks != 5 || c.want[2].Checks != 1 {
					t.Errorf("before down: %s = %d and %d checks, want 5 and 1", c.what, c.want[1].Checks, c.want[2].Checks)
				}
			}
			sameTotals(t, "up again: HourlyMerged", Totals(after.merged), Totals(before.merged))
		})
	}
}

// countOpen is the checks in the regions' open hours.
func countOpen(t *testing.T, svc *Service) int64 {
	t.Helper()
	var n int64
	if err := svc.store.db.Raw("SELECT coalesce(sum(hour_checks), 0) FROM monitor_region_state").Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPruneClearsOldOpenHours: a region no longer checked keeps its last
// open hour in its state row; retention clears it once the hour is older
// than the rollups' cutoff, as it deletes hour rows, and an alerter that
// cached the region's state does not write it back with its next check.
// An open hour starting at the cutoff itself stays.
func TestPruneClearsOldOpenHours(t *testing.T) {
	for _, backend := range testenv.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
			keep := 48 * time.Hour
			cutoff := now.Add(-keep) // the 21st, 12:00
			old := now.AddDate(0, 0, -10).Truncate(time.Hour)
			svc := oneMonitorAt(t, backend, now)
			if err := svc.store.db.Exec(`INSERT INTO monitors (id, workspace_id, key, name, kind, check_spec, target, interval_seconds, timeout_ms, created_at, updated_at)
				VALUES (2, 1, 'm2', 'm', 'http', '{}', 'http://x', 60, 1000, ?, ?)`, now, now).Error; err != nil {
				t.Fatal(err)
			}
			at := func(id int64, region string, when time.Time) queue.Result {
				return queue.Result{JobID: "x", MonitorID: id, Region: region, WorkerID: "w", ScheduledAt: when,
					Result: probe.Result{Status: probe.StatusUp, LatencyMS: 5, CheckedAt: when}}
			}
			// eu of monitor 1: checked 10 days ago, then no more (its open
			// hour is then). Monitor 2: us last checked in the hour that
			// starts at the cutoff, eu in the hour before.
			for _, rs := range [][]queue.Result{
				{at(1, "eu", old.Add(5*time.Minute)), at(1, "eu", old.Add(30*time.Minute))},
				{at(1, "us", now.Add(-time.Minute)), at(2, "us", cutoff.Add(10*time.Minute)), at(2, "eu", cutoff.Add(-50*time.Minute))},
			} {
				if err := svc.Store(ctx, rs); err != nil {
					t.Fatal(err)
				}
			}
			// Clearing takes the lowest monitor ids first, at most limit
			// monitors a transaction: here monitor 1 (its eu), then Prune
			// takes the rest.
			if n, err := svc.store.clearOpenHours(ctx, cutoff, 1); err != nil || n != 1 {
				t.Fatalf("clearing one monitor's old open hours = %d, %v; want 1 (monitor 1's eu)", n, err)
			}
			if got := countOpen(t, svc); got != 1+1+1 {
				t.Fatalf("checks in open hours after clearing monitor 1 = %d, want 3 (1 us, 2 us, 2 eu)", got)
			}
			n, err := svc.Prune(ctx, Retention{Ticks: keep, Rollups: keep}, now)
			if err != nil {
				t.Fatal(err)
			}
			type open struct {
				MonitorID int64
				Region    string
				Checks    int64
			}
			var left []open
			if err := svc.store.db.Raw("SELECT monitor_id, region, hour_checks AS checks FROM monitor_region_state WHERE hour_checks > 0 ORDER BY 1, 2").Scan(&left).Error; err != nil {
				t.Fatal(err)
			}
			// Left: 1 us (11:00 today), 2 us (12:00 on the 21st, the
			// cutoff). Cleared: 1 eu (10 days ago), 2 eu (11:00 on the 21st).
			if want := []open{{1, "us", 1}, {2, "us", 1}}; fmt.Sprint(left) != fmt.Sprint(want) {
				t.Errorf("open hours after prune = %v, want %v", left, want)
			}
			if n < 1 {
				t.Errorf("prune counted %d rows, want monitor 2's eu open hour at least", n)
			}
			// The same alerter checks eu again: what it cached before the
			// open hour was cleared must not bring it back.
			if err := svc.Store(ctx, []queue.Result{at(1, "eu", now)}); err != nil {
				t.Fatal(err)
			}
			from := old.Truncate(24 * time.Hour)
			hours, err := svc.Hourly(ctx, []int64{1, 2}, from, cutoff)
			if err != nil {
				t.Fatal(err)
			}
			days, err := svc.Daily(ctx, []int64{1, 2}, from, cutoff.Truncate(24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if len(hours) != 0 || len(days) != 0 {
				t.Errorf("before the cutoff after prune: hours %v, days %v; want none", brief(hours), brief(days))
			}
			today, err := svc.Hourly(ctx, []int64{1}, now.Add(-time.Hour), now.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"1/us/23T11:1", "1/eu/23T12:1"}; fmt.Sprint(brief(today)) != fmt.Sprint(want) {
				t.Errorf("this hour = %v, want %v", brief(today), want)
			}
		})
	}
}
