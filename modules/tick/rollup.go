package tick

import (
	"cmp"
	"math"
	"slices"
	"sort"
	"time"
)

// NumBuckets is the number of latency histogram buckets in a rollup.
const NumBuckets = 15

// BucketBounds are the histogram buckets' upper bounds in milliseconds; the
// last is open. Fixed, so rollups of any range add up bucket by bucket and
// percentiles can be estimated from them without raw ticks.
var BucketBounds = [NumBuckets]float64{25, 50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000, 30000, math.Inf(1)}

// Rollup sums a monitor's checks over one UTC hour or day, per region (or
// across regions when merged). Latency figures cover successful checks only:
// a failed check's latency is how long it took to fail (often the timeout),
// not how fast the service answers.
type Rollup struct {
	MonitorID  int64
	Region     string    // "" when merged across regions
	Start      time.Time // start of the UTC hour or day
	Checks     int64
	Failures   int64 // checks with status down
	Degraded   int64 // checks slower than the monitor's degraded threshold
	LatencySum float64
	LatencyMin float64
	LatencyMax float64
	Hist       [NumBuckets]int64
}

// Successes is the number of checks that did not fail.
func (r Rollup) Successes() int64 { return r.Checks - r.Failures }

// Uptime is the share of checks that did not fail, NaN without checks.
func (r Rollup) Uptime() float64 {
	if r.Checks == 0 {
		return math.NaN()
	}
	return float64(r.Successes()) / float64(r.Checks)
}

// AvgLatency is the mean latency of successful checks, NaN without any.
func (r Rollup) AvgLatency() float64 {
	if r.Successes() == 0 {
		return math.NaN()
	}
	return r.LatencySum / float64(r.Successes())
}

// Percentile estimates the p-th percentile (0..100) of successful checks'
// latency by interpolating inside its histogram bucket, clamped to the
// observed min and max. NaN without data.
func (r Rollup) Percentile(p float64) float64 {
	var total int64
	for _, n := range r.Hist {
		total += n
	}
	if total == 0 {
		return math.NaN()
	}
	rank := p / 100 * float64(total)
	var seen int64
	for i, n := range r.Hist {
		if n == 0 || float64(seen+n) < rank {
			seen += n
			continue
		}
		lo := 0.0
		if i > 0 {
			lo = BucketBounds[i-1]
		}
		hi := BucketBounds[i]
		if math.IsInf(hi, 1) {
			hi = r.LatencyMax
		}
		// Clamped to the observed min and max; where those miss the bucket
		// altogether (rows that disagree), lo falls back to hi.
		hi = min(hi, r.LatencyMax)
		lo = min(max(lo, r.LatencyMin), hi)
		return lo + (hi-lo)*(rank-float64(seen))/float64(n)
	}
	return r.LatencyMax
}

// Add folds o into r.
func (r *Rollup) Add(o Rollup) {
	switch {
	case o.Successes() <= 0:
	case r.Successes() <= 0:
		r.LatencyMin, r.LatencyMax = o.LatencyMin, o.LatencyMax
	default:
		r.LatencyMin, r.LatencyMax = min(r.LatencyMin, o.LatencyMin), max(r.LatencyMax, o.LatencyMax)
	}
	r.Checks += o.Checks
	r.Failures += o.Failures
	r.Degraded += o.Degraded
	r.LatencySum += o.LatencySum
	for i := range r.Hist {
		r.Hist[i] += o.Hist[i]
	}
}

// observe adds one tick.
func (r *Rollup) observe(t Tick) {
	one := Rollup{Checks: 1}
	switch t.Status {
	case "down":
		one.Failures = 1
	default:
		if t.Status == "degraded" {
			one.Degraded = 1
		}
		one.LatencySum, one.LatencyMin, one.LatencyMax = t.LatencyMS, t.LatencyMS, t.LatencyMS
		one.Hist[bucketOf(t.LatencyMS)] = 1
	}
	r.Add(one)
}

func bucketOf(ms float64) int {
	return sort.SearchFloat64s(BucketBounds[:], ms)
}

// MergeRegions folds rollups of the same monitor and start across regions,
// sorted by monitor then start.
func MergeRegions(rs []Rollup) []Rollup {
	type key struct {
		id    int64
		start int64
	}
	idx := map[key]int{}
	var out []Rollup
	for _, r := range rs {
		k := key{r.MonitorID, r.Start.Unix()}
		i, ok := idx[k]
		if !ok {
			idx[k] = len(out)
			out = append(out, Rollup{MonitorID: r.MonitorID, Start: r.Start})
			i = len(out) - 1
		}
		out[i].Add(r)
	}
	slices.SortFunc(out, func(a, b Rollup) int {
		return cmp.Or(cmp.Compare(a.MonitorID, b.MonitorID), a.Start.Compare(b.Start))
	})
	return out
}

// Totals folds rollups into one per monitor, across regions and time.
func Totals(rs []Rollup) map[int64]Rollup {
	out := map[int64]Rollup{}
	for _, r := range rs {
		t := out[r.MonitorID]
		t.MonitorID = r.MonitorID
		t.Add(r)
		out[r.MonitorID] = t
	}
	return out
}
