package tick

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/queue"
	"github.com/betterstack/betterstack/modules/testenv"
)

// oneMonitorAt is an ingest on a database of backend with monitor 1,
// whose clock stands at now.
func oneMonitorAt(t *testing.T, backend string, now time.Time) *Service {
	t.Helper()
	db := testenv.MustDatabase(t, backend)
	seedMonitors(t, db, 1)
	return New(db, nil, Config{Now: func() time.Time { return now }}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
}

// TestFoldTakesEveryChunk: Fold goes on until a transaction folds fewer
// than a chunk, whether the last full chunk ended the work or not.
func TestFoldTakesEveryChunk(t *testing.T) {
	defer func(n int) { foldChunk = n }(foldChunk)
	foldChunk = 2
	for _, backend := range testenv.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			day := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
			svc := oneMonitorAt(t, backend, day.Add(12*time.Hour))
			for i, hours := range []int{4, 5} { // two full chunks; two and a half
				region := []string{"eu", "us"}[i] // rows of their own
				var results []queue.Result
				for h := range hours + 1 { // the last hour stays open, in the region's state row
					at := day.Add(time.Duration(h)*time.Hour + time.Duration(hours)*time.Minute)
					results = append(results, queue.Result{JobID: fmt.Sprint(h), MonitorID: 1, Region: region, WorkerID: "w", ScheduledAt: at,
						Result: probe.Result{Status: probe.StatusUp, LatencyMS: 5, CheckedAt: at}})
				}
				if err := svc.Store(ctx, results); err != nil {
					t.Fatal(err)
				}
				n, err := svc.Fold(ctx, day.Add(12*time.Hour))
				if err != nil {
					t.Fatal(err)
				}
				if n != hours {
					t.Errorf("%d closed hours: folded %d", hours, n)
				}
			}
		})
	}
}

// TestHoursSummedAsInGo stores checks at every histogram bound and just
// past it, down and degraded ones among them, and reads the hour back: on
// PostgreSQL the ticks' statement sums the hour in SQL (hoursOfTicks), on
// SQLite Go does (rollupsOf); both must give what Rollup.observe gives.
func TestHoursSummedAsInGo(t *testing.T) {
	for _, backend := range testenv.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			hour := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
			svc := oneMonitorAt(t, backend, hour.Add(2*time.Hour))
			var latencies []float64
			for _, b := range BucketBounds {
				if !math.IsInf(b, 1) {
					latencies = append(latencies, b, math.Nextafter(b, math.Inf(1)))
				}
			}
			latencies = append(latencies, 0.4, 45000)
			// Down checks faster and slower than any other: no latency.
			downs := map[int]bool{len(latencies): true, len(latencies) + 1: true}
			latencies = append(latencies, 0.01, 99999)
			var results []queue.Result
			var want Rollup
			for i, ms := range latencies {
				st := probe.StatusUp
				switch {
				case downs[i] || i%7 == 5:
					st = probe.StatusDown
				case i%7 == 3:
					st = probe.StatusDegraded
				}
				at := hour.Add(time.Duration(i) * time.Minute)
				r := queue.Result{JobID: fmt.Sprint(i), MonitorID: 1, Region: "eu", WorkerID: "w", ScheduledAt: at,
					Result: probe.Result{Status: st, LatencyMS: ms, CheckedAt: at}}
				results = append(results, r)
				want.observe(fromResult(r))
			}
			if err := svc.Store(ctx, results); err != nil {
				t.Fatal(err)
			}
			got, err := svc.Hourly(ctx, []int64{1}, hour, hour.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("%d hour rows, want 1", len(got))
			}
			g := got[0]
			if g.Checks != want.Checks || g.Failures != want.Failures || g.Degraded != want.Degraded || g.Hist != want.Hist ||
				g.LatencyMin != want.LatencyMin || g.LatencyMax != want.LatencyMax || math.Abs(g.LatencySum-want.LatencySum) > 1e-6 {
				t.Errorf("hour = %+v\nwant   %+v", g, want)
			}
			// A second batch into the same hour adds to it the same way.
			more := []queue.Result{{JobID: "x", MonitorID: 1, Region: "eu", WorkerID: "w", ScheduledAt: hour.Add(59 * time.Minute),
				Result: probe.Result{Status: probe.StatusUp, LatencyMS: 60000, CheckedAt: hour.Add(59 * time.Minute)}}}
			if err := svc.Store(ctx, more); err != nil {
				t.Fatal(err)
			}
			want.observe(fromResult(more[0]))
			got, err = svc.Hourly(ctx, []int64{1}, hour, hour.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if g := got[0]; g.Checks != want.Checks || g.Hist != want.Hist || g.LatencyMax != want.LatencyMax {
				t.Errorf("after a second batch: hour = %+v\nwant %+v", g, want)
			}
		})
	}
}
