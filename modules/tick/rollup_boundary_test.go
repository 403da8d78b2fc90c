package tick

import (
	"math"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/probe"
)

// rollupOf observes successful checks of the given latencies and failed
// checks, as the ingest does.
func rollupOf(failures int, latencies ...float64) Rollup {
	var r Rollup
	for _, ms := range latencies {
		r.observe(Tick{Status: probe.StatusUp, LatencyMS: ms})
	}
	for range failures {
		r.observe(Tick{Status: probe.StatusDown, LatencyMS: 10000})
	}
	return r
}

func TestRollupUptime_ShareOfChecksThatDidNotFail(t *testing.T) {
	for _, tc := range []struct {
		r    Rollup
		want float64
	}{
		{Rollup{Checks: 4, Failures: 1}, 0.75},
		{Rollup{Checks: 4}, 1},
		{Rollup{Checks: 4, Failures: 4}, 0},
		{Rollup{Checks: 1, Failures: 1}, 0},
	} {
		if got := tc.r.Uptime(); got != tc.want {
			t.Errorf("%d checks, %d failures: uptime %v, want %v", tc.r.Checks, tc.r.Failures, got, tc.want)
		}
	}
	if got := (Rollup{}).Uptime(); !math.IsNaN(got) {
		t.Errorf("no checks: uptime %v, want NaN", got)
	}
}

func TestRollupAvgLatency_OfSuccessfulChecksOnly(t *testing.T) {
	if got := rollupOf(2, 100, 200, 600).AvgLatency(); got != 300 {
		t.Errorf("avg of 100, 200, 600 and two failures = %v, want 300", got)
	}
	if got := rollupOf(0, 40).AvgLatency(); got != 40 {
		t.Errorf("avg of one 40 ms check = %v, want 40", got)
	}
	if got := rollupOf(3).AvgLatency(); !math.IsNaN(got) {
		t.Errorf("avg of failures only = %v, want NaN", got)
	}
}

func TestBucketOf_UpperBoundsAreInclusive(t *testing.T) {
	for _, tc := range []struct {
		ms   float64
		want int
	}{
		{0, 0},
		{25, 0},
		{25.001, 1},
		{50, 1},
		{1000, 7},
		{1000.5, 8},
		{30000, 13},
		{30000.001, 14},
		{1e9, 14},
	} {
		if got := bucketOf(tc.ms); got != tc.want {
			t.Errorf("bucketOf(%v) = %d, want %d", tc.ms, got, tc.want)
		}
	}
}

func TestRollupPercentile_InterpolatesInsideTheBucket(t *testing.T) {
	// 10 ms in (0, 25]; 120 and 180 ms in (100, 200], observed up to 180.
	r := rollupOf(1, 10, 120, 180)
	for _, tc := range []struct{ p, want float64 }{
		{0, 10},    // the first bucket's start, raised to the observed min
		{50, 120},  // rank 1.5: a quarter into (100, 180]
		{100, 180}, // rank 3: the observed max
	} {
		if got := r.Percentile(tc.p); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("p%v = %v, want %v", tc.p, got, tc.want)
		}
	}
}

func TestRollupPercentile_RankAtABucketsEndStaysInIt(t *testing.T) {
	// Two checks: p50 is rank 1, the end of the first check's bucket.
	r := rollupOf(0, 10, 150)
	if got := r.Percentile(50); got != 25 {
		t.Errorf("p50 = %v, want 25 (the end of (0, 25])", got)
	}
	if got := r.Percentile(75); got != 125 {
		t.Errorf("p75 = %v, want 125 (half way into (100, 150])", got)
	}
}

func TestRollupPercentile_OpenLastBucketEndsAtTheMax(t *testing.T) {
	r := rollupOf(0, 35000, 45000)
	if got := r.Percentile(50); got != 40000 {
		t.Errorf("p50 = %v, want 40000", got)
	}
	if got := r.Percentile(100); got != 45000 {
		t.Errorf("p100 = %v, want 45000", got)
	}
}

func TestRollupPercentile_MinAndMaxThatMissTheBucketGiveItsBound(t *testing.T) {
	// Rows that disagree: the histogram says 25 ms or less, min and max say
	// 30 to 40. The estimate stays at the bucket's upper bound.
	r := Rollup{Checks: 1, LatencySum: 30, LatencyMin: 30, LatencyMax: 40}
	r.Hist[0] = 1
	if got := r.Percentile(50); got != 25 {
		t.Errorf("p50 = %v, want 25", got)
	}
}

func TestRollupPercentile_NaNWithoutSuccessfulChecks(t *testing.T) {
	if got := rollupOf(3).Percentile(50); !math.IsNaN(got) {
		t.Errorf("p50 of failures only = %v, want NaN", got)
	}
}

func TestRollupAdd_LatencyBoundsOfSuccessfulChecksOnly(t *testing.T) {
	for _, tc := range []struct {
		name     string
		r, o     Rollup
		min, max float64
	}{
		{"failures added to successes keep the bounds", rollupOf(0, 20, 50), rollupOf(2), 20, 50},
		{"successes added to failures take theirs", rollupOf(2), rollupOf(0, 20, 50), 20, 50},
		{"a lower min", rollupOf(0, 20, 50), rollupOf(0, 10, 40), 10, 50},
		{"a higher max", rollupOf(0, 20, 50), rollupOf(0, 30, 60), 20, 60},
		{"inside", rollupOf(0, 20, 50), rollupOf(0, 30, 40), 20, 50},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.r
			r.Add(tc.o)
			if r.LatencyMin != tc.min || r.LatencyMax != tc.max {
				t.Fatalf("min/max = %v/%v, want %v/%v", r.LatencyMin, r.LatencyMax, tc.min, tc.max)
			}
		})
	}
}

func TestRollupAdd_SumsEveryCount(t *testing.T) {
	r := rollupOf(1, 10, 120)
	o := rollupOf(2, 120, 900)
	o.observe(Tick{Status: probe.StatusDegraded, LatencyMS: 2500})
	r.Add(o)
	if r.Checks != 8 || r.Failures != 3 || r.Degraded != 1 || r.LatencySum != 10+120+120+900+2500 {
		t.Fatalf("sums = %d checks, %d failures, %d degraded, %v ms; want 8, 3, 1, 3650", r.Checks, r.Failures, r.Degraded, r.LatencySum)
	}
	want := [NumBuckets]int64{0: 1, 3: 2, 7: 1, 10: 1}
	if r.Hist != want {
		t.Fatalf("hist = %v, want %v", r.Hist, want)
	}
}

func TestRollupObserve_FailuresHaveNoLatency(t *testing.T) {
	var r Rollup
	r.observe(Tick{Status: probe.StatusDown, LatencyMS: 5000})
	if r.Checks != 1 || r.Failures != 1 || r.Degraded != 0 || r.LatencySum != 0 || r.Hist != [NumBuckets]int64{} {
		t.Fatalf("a failed check: %+v", r)
	}
	r.observe(Tick{Status: probe.StatusDegraded, LatencyMS: 700})
	if r.Checks != 2 || r.Failures != 1 || r.Degraded != 1 || r.LatencySum != 700 || r.LatencyMin != 700 || r.LatencyMax != 700 || r.Hist[6] != 1 {
		t.Fatalf("then a slow one: %+v", r)
	}
}

func TestMergeRegions_SumsPerMonitorAndStartSorted(t *testing.T) {
	h1 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	h2 := h1.Add(time.Hour)
	in := []Rollup{
		{MonitorID: 2, Region: "eu", Start: h1, Checks: 1},
		{MonitorID: 1, Region: "us", Start: h2, Checks: 2},
		{MonitorID: 1, Region: "eu", Start: h1, Checks: 3, Failures: 1},
		{MonitorID: 1, Region: "us", Start: h1, Checks: 4},
		{MonitorID: 2, Region: "us", Start: h2, Checks: 5},
	}
	got := MergeRegions(in)
	want := []Rollup{
		{MonitorID: 1, Start: h1, Checks: 7, Failures: 1},
		{MonitorID: 1, Start: h2, Checks: 2},
		{MonitorID: 2, Start: h1, Checks: 1},
		{MonitorID: 2, Start: h2, Checks: 5},
	}
	if len(got) != len(want) {
		t.Fatalf("merged = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("merged[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestTotals_OnePerMonitor(t *testing.T) {
	h1 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	got := Totals([]Rollup{
		{MonitorID: 1, Region: "eu", Start: h1, Checks: 3, Failures: 1},
		{MonitorID: 2, Region: "eu", Start: h1, Checks: 1},
		{MonitorID: 1, Region: "us", Start: h1.Add(time.Hour), Checks: 4},
	})
	if len(got) != 2 || got[1].Checks != 7 || got[1].Failures != 1 || got[1].MonitorID != 1 || got[2].Checks != 1 || got[2].MonitorID != 2 {
		t.Fatalf("totals = %+v", got)
	}
}
