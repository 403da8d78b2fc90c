package tick_test

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/queue"
	"github.com/betterstack/betterstack/modules/testenv"
	"github.com/betterstack/betterstack/modules/tick"
)

// varied is result with a status and latency that vary with n: a failure
// every fifth, degraded every seventh, latency over several buckets.
func varied(id int64, region string, at time.Time, n int) queue.Result {
	r := result(id, region, at)
	r.Result.LatencyMS = float64(20 + (n*37)%900)
	switch {
	case n%5 == 0:
		r.Result.Status, r.Result.StatusCode, r.Result.ErrorClass = probe.StatusDown, 503, "status"
	case n%7 == 0:
		r.Result.Status = probe.StatusDegraded
	}
	return r
}

// figures is everything the readers of days and hours say about ids.
type figures struct {
	Daily    []tick.Rollup
	Hourly   []tick.Rollup
	DaySums  map[int64]tick.Rollup
	Window   map[int64]tick.Rollup
	Hours    []tick.Rollup
	HourDays map[int64]tick.Rollup
}

func readFigures(t *testing.T, svc *tick.Service, ids []int64, now time.Time) figures {
	t.Helper()
	ctx := context.Background()
	day := now.Truncate(24 * time.Hour)
	var f figures
	var err error
	if f.Daily, err = svc.Daily(ctx, ids, day.Add(-3*24*time.Hour), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if f.Hourly, err = svc.Hourly(ctx, ids, day.Add(-3*24*time.Hour), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if f.DaySums, err = svc.DaySums(ctx, ids, day.Add(-3*24*time.Hour), day.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if f.Window, err = svc.Window(ctx, ids, now, 3*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	if f.Hours, f.HourDays, err = svc.HoursAndDays(ctx, ids, now.Add(-24*time.Hour), now.Add(time.Hour), day.Add(-3*24*time.Hour), day.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	return f
}

func countRows(t *testing.T, db *database.DB, q string) int64 {
	t.Helper()
	var n int64
	if err := db.Raw(q).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// TestFoldChangesNoFigure stores checks over two days and two regions, and
// reads every figure of days and hours before and after folding the closed
// hours into their days: the same figures, now from daily rows.
func TestFoldChangesNoFigure(t *testing.T) {
	for _, backend := range testenv.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			db := testenv.MustDatabase(t, backend)
			ids := MustMonitors(t, db, 2)
			now := time.Date(2026, 11, 23, 12, 30, 0, 0, time.UTC)
			svc := tick.New(db, nil, tick.Config{Now: func() time.Time { return now }}, discard, nil)
			var results []queue.Result
			n := 0
			for at := now.Add(-17 * time.Hour); at.Before(now); at = at.Add(10 * time.Minute) { // yesterday 19:30 to today 12:20
				for _, region := range []string{"eu", "us"} {
					results = append(results, varied(ids[0], region, at, n))
					n++
				}
				if at.Minute() == 0 {
					results = append(results, varied(ids[1], "eu", at, n))
					n++
				}
			}
			if err := svc.Store(ctx, results); err != nil {
				t.Fatal(err)
			}
			if got := countRows(t, db, "SELECT count(*) FROM rollups_daily"); got != 0 {
				t.Fatalf("daily rows before any fold = %d, want 0: the ingest writes hours only", got)
			}
			before := readFigures(t, svc, ids, now)
			if got := before.DaySums[ids[0]].Checks + before.DaySums[ids[1]].Checks; got != int64(len(results)) {
				t.Fatalf("checks over the days before the fold = %d, want %d", got, len(results))
			}
			folded, err := svc.Fold(ctx, now)
			if err != nil {
				t.Fatal(err)
			}
			// Hours from yesterday 19:00 to today 11:00 have closed more than
			// FoldGrace ago: 17 of them for ids[0] in two regions, 16 for
			// ids[1] (from 20:00). Today's 12:00 is open.
			if want := 17*2 + 16; folded != want {
				t.Errorf("folded %d hour rows, want %d", folded, want)
			}
			if got := countRows(t, db, "SELECT count(*) FROM rollups_daily"); got != 2+2+2 {
				t.Errorf("daily rows after the fold = %d, want 6 (two days, ids[0] in two regions, ids[1] in one)", got)
			}
			if got := countRows(t, db, "SELECT count(*) FROM rollups_hourly WHERE NOT folded"); got != 0 {
				t.Errorf("hour rows not folded = %d, want 0", got)
			}
			if got := countRows(t, db, "SELECT count(*) FROM monitor_region_state WHERE hour_checks > 0"); got != 3 {
				t.Errorf("open hours = %d, want 3 (today's 12:00 of both, in their regions' state rows)", got)
			}
			after := readFigures(t, svc, ids, now)
			if !reflect.DeepEqual(before, after) {
				t.Errorf("figures changed by the fold:\nbefore %+v\nafter  %+v", before, after)
			}
			if again, err := svc.Fold(ctx, now); err != nil || again != 0 {
				t.Errorf("second fold = %d, %v; want 0: every hour is folded once", again, err)
			}
			if third := readFigures(t, svc, ids, now); !reflect.DeepEqual(before, third) {
				t.Error("figures changed by a second fold")
			}
		})
	}
}

// TestFoldWaitsForTheGrace pins when an hour is folded: once it has been
// closed for more than FoldGrace, not at that instant.
func TestFoldWaitsForTheGrace(t *testing.T) {
	for _, backend := range testenv.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			db := testenv.MustDatabase(t, backend)
			ids := MustMonitors(t, db, 1)
			hour := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
			svc := tick.New(db, nil, tick.Config{Now: func() time.Time { return hour.Add(time.Hour) }}, discard, nil)
			// The first check of 11:00 closes the region's open 10:00 into
			// its row.
			if err := svc.Store(ctx, []queue.Result{result(ids[0], "eu", hour.Add(59*time.Minute)), result(ids[0], "eu", hour.Add(time.Hour))}); err != nil {
				t.Fatal(err)
			}
			closedAt := hour.Add(time.Hour)
			for _, tc := range []struct {
				now  time.Time
				want int
			}{
				{closedAt, 0},
				{closedAt.Add(tick.FoldGrace - time.Second), 0},
				{closedAt.Add(tick.FoldGrace), 0},
				{closedAt.Add(tick.FoldGrace + time.Microsecond), 1},
			} {
				n, err := svc.Fold(ctx, tc.now)
				if err != nil {
					t.Fatal(err)
				}
				if n != tc.want {
					t.Errorf("fold at %s after the hour closed: %d rows, want %d", tc.now.Sub(closedAt), n, tc.want)
				}
			}
		})
	}
}

// TestLateCheckIntoFoldedHour stores checks for hours already folded (a
// result that waited out an outage): each counts once in its day, whether
// its hour's row existed and was folded or did not exist yet.
func TestLateCheckIntoFoldedHour(t *testing.T) {
	for _, backend := range testenv.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			db := testenv.MustDatabase(t, backend)
			ids := MustMonitors(t, db, 1)
			now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
			day := now.Truncate(24 * time.Hour)
			svc := tick.New(db, nil, tick.Config{Now: func() time.Time { return now }}, discard, nil)
			store := func(at time.Time, n int) {
				t.Helper()
				if err := svc.Store(ctx, []queue.Result{varied(ids[0], "eu", at, n)}); err != nil {
					t.Fatal(err)
				}
			}
			dayChecks := func() (sum, row int64) {
				t.Helper()
				rs, err := svc.Daily(ctx, ids, day, day.Add(24*time.Hour))
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range rs {
					sum += r.Checks
				}
				return sum, countRows(t, db, "SELECT coalesce(sum(checks), 0) FROM rollups_daily")
			}
			store(day.Add(10*time.Hour+10*time.Minute), 1)
			store(day.Add(11*time.Hour+5*time.Minute), 4) // closes the open 10:00 into its row
			if n, err := svc.Fold(ctx, now); err != nil || n != 1 {
				t.Fatalf("fold = %d, %v; want 10:00", n, err)
			}
			store(day.Add(10*time.Hour+20*time.Minute), 2) // its hour is folded
			if sum, row := dayChecks(); sum != 3 || row != 2 {
				t.Errorf("after a late check into a folded hour: day = %d (daily row %d), want 3 (2, and 11:00 open)", sum, row)
			}
			store(day.Add(9*time.Hour+30*time.Minute), 3) // its hour has no row yet
			if sum, row := dayChecks(); sum != 4 || row != 2 {
				t.Errorf("after a late check into a new hour: day = %d (daily row %d), want 4 (2: the hour waits for the fold)", sum, row)
			}
			if n, err := svc.Fold(ctx, now); err != nil || n != 1 {
				t.Errorf("fold = %d, %v; want the one new hour", n, err)
			}
			if sum, row := dayChecks(); sum != 4 || row != 3 {
				t.Errorf("after folding it: day = %d (daily row %d), want 4 (3)", sum, row)
			}
			hours, err := svc.Hourly(ctx, ids, day, now)
			if err != nil {
				t.Fatal(err)
			}
			if len(hours) != 3 || hours[0].Checks != 1 || hours[1].Checks != 2 || hours[2].Checks != 1 {
				t.Errorf("hours = %+v, want 09:00 with 1 check, 10:00 with 2 and 11:00 with 1", hours)
			}
			if got := countRows(t, db, "SELECT count(*) FROM rollups_hourly WHERE NOT folded"); got != 0 {
				t.Errorf("hour rows not folded = %d, want 0", got)
			}
		})
	}
}

// TestFoldWhileStoring folds over and over while batches keep adding checks
// to the same closed hours: every check ends up in its day exactly once.
func TestFoldWhileStoring(t *testing.T) {
	for _, backend := range testenv.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			db := testenv.MustDatabase(t, backend)
			ids := MustMonitors(t, db, 8)
			now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
			day := now.Truncate(24 * time.Hour)
			svc := tick.New(db, nil, tick.Config{Now: func() time.Time { return now }}, discard, nil)
			stored := make(chan struct{})
			var wg sync.WaitGroup
			var storeErr, foldErr error
			folds := 0
			wg.Add(2)
			go func() {
				defer wg.Done()
				defer close(stored)
				for i := range 60 { // slots a minute apart over 00:00 to 00:59 and 01:00 to 01:59
					var batch []queue.Result
					for _, id := range ids {
						batch = append(batch, varied(id, "eu", day.Add(time.Duration(i)*time.Minute), i),
							varied(id, "eu", day.Add(time.Hour+time.Duration(i)*time.Minute), i))
					}
					if storeErr = svc.Store(ctx, batch); storeErr != nil {
						return
					}
				}
			}()
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stored:
						return
					default:
					}
					if _, foldErr = svc.Fold(ctx, now); foldErr != nil {
						return
					}
					folds++
				}
			}()
			wg.Wait()
			if storeErr != nil || foldErr != nil {
				t.Fatalf("store: %v, fold: %v", storeErr, foldErr)
			}
			if _, err := svc.Fold(ctx, now); err != nil {
				t.Fatal(err)
			}
			ticks := countRows(t, db, "SELECT count(*) FROM ticks")
			if ticks != int64(60*2*len(ids)) {
				t.Fatalf("ticks = %d, want %d", ticks, 60*2*len(ids))
			}
			// 00:00 is folded; 01:00 is the regions' open hour.
			open := "(SELECT coalesce(sum(hour_checks), 0) FROM monitor_region_state)"
			for _, q := range []string{"SELECT coalesce(sum(checks), 0) + " + open + " FROM rollups_daily", "SELECT coalesce(sum(checks), 0) + " + open + " FROM rollups_hourly"} {
				if got := countRows(t, db, q); got != ticks {
					t.Errorf("%s = %d, want %d (after %d folds)", q, got, ticks, folds)
				}
			}
			want := countRows(t, db, "SELECT count(*) FROM ticks WHERE status = 'down'")
			if got := countRows(t, db, "SELECT coalesce(sum(failures), 0) + (SELECT coalesce(sum(hour_failures), 0) FROM monitor_region_state) FROM rollups_daily"); got != want {
				t.Errorf("failures in days and open hours = %d, want %d", got, want)
			}
			sums, err := svc.DaySums(ctx, ids, day, day.Add(24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			var total int64
			for _, r := range sums {
				total += r.Checks
			}
			if total != ticks {
				t.Errorf("DaySums = %d checks, want %d", total, ticks)
			}
			t.Logf("%d folds while storing", folds)
		})
	}
}

// TestHoursOfDays pins the hours that belong to the days starting in a
// range: from the first midnight at or after from to the first at or after
// to.
func TestHoursOfDays(t *testing.T) {
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ from, to, wantFrom, wantTo time.Time }{
		{day, day.Add(24 * time.Hour), day, day.Add(24 * time.Hour)},
		{day.Add(time.Microsecond), day.Add(13 * time.Hour), day.Add(24 * time.Hour), day.Add(24 * time.Hour)},
		{day.Add(-time.Microsecond), day.Add(24*time.Hour - time.Microsecond), day, day.Add(24 * time.Hour)},
	} {
		f, to := tick.HoursOfDays(tc.from, tc.to)
		if !f.Equal(tc.wantFrom) || !to.Equal(tc.wantTo) {
			t.Errorf("HoursOfDays(%s, %s) = %s, %s; want %s, %s", tc.from, tc.to, f, to, tc.wantFrom, tc.wantTo)
		}
	}
}

// TestFoldMigration: hour rows written before the fold existed are in
// their days already and start folded (no check counted twice); going
// down folds what is not folded yet, for the older ingest that keeps days
// itself; up again, nothing is counted twice either.
func TestFoldMigration(t *testing.T) {
	for _, backend := range testenv.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			db := testenv.MustDatabase(t, backend)
			ids := MustMonitors(t, db, 1)
			now := time.Date(2026, 11, 23, 12, 30, 0, 0, time.UTC)
			day := now.Truncate(24 * time.Hour)
			svc := tick.New(db, nil, tick.Config{Now: func() time.Time { return now }}, discard, nil)
			p := testenv.Migrations(t, db)
			if _, err := p.DownTo(ctx, 13); err != nil {
				t.Fatal(err)
			}
			// As the older ingest left them: 3 checks (1 down) in an hour
			// row and in its day's row.
			for table, bucket := range map[string]time.Time{"rollups_hourly": day.Add(9 * time.Hour), "rollups_daily": day} {
				if err := db.Exec("INSERT INTO "+table+" (monitor_id, region, bucket, checks, failures, latency_sum, latency_min, latency_max, h00) "+
					"VALUES (?, 'eu', ?, 3, 1, 30, 10, 20, 2)", ids[0], bucket).Error; err != nil {
					t.Fatal(err)
				}
			}
			if _, err := p.Up(ctx); err != nil {
				t.Fatal(err)
			}
			dayChecks := func(when string, want int64) {
				t.Helper()
				sums, err := svc.DaySums(ctx, ids, day, day.Add(24*time.Hour))
				if err != nil {
					t.Fatal(err)
				}
				if got := sums[ids[0]].Checks; got != want {
					t.Errorf("%s: %d checks today, want %d", when, got, want)
				}
			}
			dayChecks("after up", 3)
			if err := svc.Store(ctx, []queue.Result{result(ids[0], "eu", day.Add(12*time.Hour+10*time.Minute)),
				result(ids[0], "eu", day.Add(9*time.Hour+50*time.Minute))}); err != nil {
				t.Fatal(err)
			}
			dayChecks("after two more checks", 5) // one into the folded 09:00, one into a new 12:00
			if _, err := p.DownTo(ctx, 13); err != nil {
				t.Fatal(err)
			}
			var daily struct {
				Checks, Failures       int64
				LatencyMin, LatencyMax float64
			}
			if err := db.Raw("SELECT checks, failures, latency_min, latency_max FROM rollups_daily").Scan(&daily).Error; err != nil {
				t.Fatal(err)
			}
			if daily.Checks != 5 || daily.Failures != 1 || daily.LatencyMin != 10 || daily.LatencyMax != 20 {
				t.Errorf("day after down = %+v, want 5 checks, 1 failure, latency 10 to 20", daily)
			}
			if _, err := p.Up(ctx); err != nil {
				t.Fatal(err)
			}
			dayChecks("up again", 5)
		})
	}
}
