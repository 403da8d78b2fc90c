package tick_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/queue"
	"github.com/betterstack/betterstack/modules/testenv"
	"github.com/betterstack/betterstack/modules/tick"
)

func TestRollupPercentile(t *testing.T) {
	// 100 checks: 50 at 10 ms (bucket <=25), 45 at 120 ms (<=200), 5 at 900 ms (<=1000).
	var r tick.Rollup
	add := func(n int, ms float64) {
		for range n {
			one := tick.Rollup{Checks: 1, LatencySum: ms, LatencyMin: ms, LatencyMax: ms}
			for i, b := range tick.BucketBounds {
				if ms <= b {
					one.Hist[i] = 1
					break
				}
			}
			r.Add(one)
		}
	}
	add(50, 10)
	add(45, 120)
	add(5, 900)
	tests := []struct {
		p      float64
		lo, hi float64
	}{
		{50, 10, 25},   // the 50th check is the last of the first bucket, clamped to min 10
		{90, 100, 200}, // inside the 100-200 bucket
		{99, 750, 900}, // inside the 750-1000 bucket, clamped to max 900
		{100, 900, 900},
	}
	for _, tt := range tests {
		got := r.Percentile(tt.p)
		if got < tt.lo || got > tt.hi {
			t.Errorf("p%v = %v, want within [%v, %v]", tt.p, got, tt.lo, tt.hi)
		}
	}
	if got := r.AvgLatency(); math.Abs(got-(50*10+45*120+5*900)/100.0) > 1e-9 {
		t.Errorf("avg = %v", got)
	}
	if r.LatencyMin != 10 || r.LatencyMax != 900 {
		t.Errorf("min/max = %v/%v", r.LatencyMin, r.LatencyMax)
	}
	var empty tick.Rollup
	if !math.IsNaN(empty.Percentile(50)) || !math.IsNaN(empty.Uptime()) || !math.IsNaN(empty.AvgLatency()) {
		t.Error("an empty rollup must report NaN, not 0")
	}
}

func TestRollupAddIgnoresMinOfFailuresOnly(t *testing.T) {
	r := tick.Rollup{Checks: 2, Failures: 2} // only failures: no latency
	r.Add(tick.Rollup{Checks: 1, LatencySum: 40, LatencyMin: 40, LatencyMax: 40})
	if r.LatencyMin != 40 || r.LatencyMax != 40 || r.Uptime() != 1.0/3 {
		t.Errorf("got min %v max %v uptime %v", r.LatencyMin, r.LatencyMax, r.Uptime())
	}
}

// TestRollupsKeptByIngest stores results, a redelivered duplicate and a
// failure, and reads the rollups back per hour, per day and over a window.
func TestRollupsKeptByIngest(t *testing.T) {
	for _, backend := range testenv.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			db := testenv.MustDatabase(t, backend)
			ids := MustMonitors(t, db, 2)
			now := time.Date(2026, 11, 23, 10, 30, 0, 0, time.UTC)
			svc := tick.New(db, nil, tick.Config{Now: func() time.Time { return now }}, discard, nil)

			at := func(h, m int) time.Time { return time.Date(2026, 11, 23, h, m, 0, 0, time.UTC) }
			slow := result(ids[0], "eu", at(9, 2))
			slow.Result.LatencyMS = 400
			down := result(ids[0], "eu", at(9, 3))
			down.Result = probe.Result{Status: probe.StatusDown, LatencyMS: 10000, ErrorClass: probe.ClassTimeout, CheckedAt: at(9, 3)}
			degraded := result(ids[0], "us", at(9, 1))
			degraded.Result.Status, degraded.Result.LatencyMS = probe.StatusDegraded, 2500
			first := []queue.Result{result(ids[0], "eu", at(9, 1)), slow, down, degraded, result(ids[1], "eu", at(8, 59))}
			if err := svc.Store(ctx, first); err != nil {
				t.Fatal(err)
			}
			// Redelivered (the whole first batch again) plus one new tick.
			if err := svc.Store(ctx, append(first, result(ids[0], "eu", at(10, 0)))); err != nil {
				t.Fatal(err)
			}

			hours, err := svc.Hourly(ctx, ids, at(0, 0), at(23, 0))
			if err != nil {
				t.Fatal(err)
			}
			// ids[0]: eu@9 (12, 400, down), us@9 (degraded 2500), eu@10 (12); ids[1]: eu@8 (12).
			if len(hours) != 4 {
				t.Fatalf("want 4 hourly rows, got %d: %+v", len(hours), hours)
			}
			eu9 := hours[0]
			if eu9.Region != "eu" || !eu9.Start.Equal(at(9, 0)) || eu9.Checks != 3 || eu9.Failures != 1 || eu9.Degraded != 0 ||
				eu9.LatencySum != 412 || eu9.LatencyMin != 12 || eu9.LatencyMax != 400 {
				t.Errorf("eu 09:00 = %+v", eu9)
			}
			if eu9.Hist[0] != 1 || eu9.Hist[5] != 1 { // 12 ms <= 25; 400 ms in (300, 500]
				t.Errorf("eu 09:00 histogram = %v", eu9.Hist)
			}
			if us9 := hours[1]; us9.Region != "us" || us9.Checks != 1 || us9.Degraded != 1 || us9.LatencyMax != 2500 {
				t.Errorf("us 09:00 = %+v", us9)
			}

			days, err := svc.Daily(ctx, ids, at(0, 0), at(23, 0))
			if err != nil {
				t.Fatal(err)
			}
			merged := tick.MergeRegions(days)
			if len(merged) != 2 || merged[0].Checks != 5 || merged[0].Failures != 1 || merged[1].Checks != 1 {
				t.Fatalf("daily merged = %+v", merged)
			}
			if got := merged[0].Uptime(); got != 0.8 {
				t.Errorf("day uptime = %v, want 0.8", got)
			}

			win, err := svc.Window(ctx, ids, now, 24*time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if win[ids[0]].Checks != 5 || win[ids[0]].Failures != 1 || win[ids[1]].Checks != 1 {
				t.Errorf("24h window = %+v", win)
			}
			// A window spanning whole days reads them from daily rollups.
			later := now.Add(72 * time.Hour)
			if err := svc.Store(ctx, []queue.Result{result(ids[1], "eu", later.Add(-time.Minute))}); err != nil {
				t.Fatal(err)
			}
			win, err = svc.Window(ctx, ids, later, 7*24*time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if win[ids[0]].Checks != 5 || win[ids[1]].Checks != 2 {
				t.Errorf("7d window = %+v", win)
			}
			win, err = svc.Window(ctx, ids, later, 24*time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if win[ids[0]].Checks != 0 || win[ids[1]].Checks != 1 {
				t.Errorf("24h window 3 days later = %+v", win)
			}
		})
	}
}

// TestPrune deletes ticks and rollups past their retention, in batches
// smaller than the data, and keeps the rest.
func TestPrune(t *testing.T) {
	for _, backend := range testenv.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			db := testenv.MustDatabase(t, backend)
			ids := MustMonitors(t, db, 1)
			now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
			svc := tick.New(db, nil, tick.Config{Now: func() time.Time { return now }}, discard, nil)
			var results []queue.Result
			for d := range 10 { // one tick a day for 10 days
				for m := range 3 {
					results = append(results, result(ids[0], "eu", now.Add(-time.Duration(d)*24*time.Hour-time.Duration(m)*time.Minute)))
				}
			}
			if err := svc.Store(ctx, results); err != nil {
				t.Fatal(err)
			}
			n, err := svc.Prune(ctx, tick.Retention{Ticks: 3*24*time.Hour + time.Hour, Rollups: 5*24*time.Hour + time.Hour, Batch: 4, Pause: time.Millisecond}, now)
			if err != nil {
				t.Fatal(err)
			}
			count := func(table string) int64 {
				var c int64
				if err := db.Raw("SELECT count(*) FROM " + table).Scan(&c).Error; err != nil {
					t.Fatal(err)
				}
				return c
			}
			// Each day has ticks at 11:58, 11:59 and 12:00: two hourly rollups
			// and one daily. Ticks of days 0..3 stay (12 of 30), hourly rollups
			// of days 0..5 (12 of 20, today's 12:00 the region's open hour,
			// in its state row), daily rollups starting at or after the
			// cutoff (day 5, 11:00): days 1..4 (4 of 10). Today has no daily
			// row yet: its 11:00 hour closed at 12:00, less than FoldGrace
			// ago, and Prune folded every older hour first.
			if got := count("ticks"); got != 12 {
				t.Errorf("ticks left = %d, want 12", got)
			}
			if got := count("rollups_hourly"); got != 11 {
				t.Errorf("hourly rollups left = %d, want 11", got)
			}
			if got := count("monitor_region_state WHERE hour_checks = 1"); got != 1 {
				t.Errorf("open hours = %d, want 1 (today's 12:00)", got)
			}
			if got := count("rollups_daily"); got != 4 {
				t.Errorf("daily rollups left = %d, want 4", got)
			}
			if n != 18+8+5 {
				t.Errorf("deleted = %d, want 31", n)
			}
		})
	}
}
