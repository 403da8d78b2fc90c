package dashboard

import (
	"html/template"
	"math"
	"sync"
	"time"

	"github.com/betterstack/betterstack/modules/tick"
)

// rollupSummary is what the overview shows of one monitor's rollups: its
// 24-hour and 30-day uptime and its hourly 24-hour latency line, drawn
// (sparkSVG, titled with sparkName; drawing 100 lines was a tenth of a
// render's CPU).
//
// It is kept as a settled part, read once an hour, plus the live hours,
// the previous and the current one, where new checks land (a result late
// by less than an hour included): after a new check only the live hours
// are read again, two rollup rows per region and monitor instead of 55.
type rollupSummary struct {
	settled     settledSums
	day, month  checkCounts
	spark       []float64
	sparkSVG    template.HTML
	sparkName   string
	lastChecked time.Time // the monitor's last check when the live hours were read
	hour        time.Time // the UTC hour the windows end in
	at          time.Time // when the settled part was read
}

// settledSums is the part of a monitor's sums that new checks leave alone:
// the 24-hour window's checks and latency line before the live hours, and
// the 30 days' checks less those of the live hours, read from one snapshot
// (tick.Service.HoursAndDays). The ingest adds each check to its hour's and
// its day's rows in one transaction, so the 30 days' checks at any later
// moment are these plus the live hours' checks then: exact, without
// reading daily rows again.
type settledSums struct {
	day, month checkCounts
	spark      []float64 // NaN in the live hours
}

// checkCounts is what an uptime is made of; counts add and subtract
// exactly.
type checkCounts struct{ checks, failures int64 }

func checkCountsOf(r tick.Rollup) checkCounts { return checkCounts{r.Checks, r.Failures} }

func (c checkCounts) plus(o checkCounts) checkCounts {
	return checkCounts{c.checks + o.checks, c.failures + o.failures}
}

func (c checkCounts) minus(o checkCounts) checkCounts {
	return checkCounts{c.checks - o.checks, c.failures - o.failures}
}

// uptime is tick.Rollup.Uptime of the counts: the share of checks that did
// not fail, NaN without checks.
func (c checkCounts) uptime() float64 {
	if c.checks == 0 {
		return math.NaN()
	}
	return float64(c.checks-c.failures) / float64(c.checks)
}

// settle makes the settled part of a monitor's sums from one snapshot of
// its hourly rollups over the whole 24-hour window (merged across regions)
// and its checks over the 30 days; it returns the live hours' rollups too.
func settle(hours []tick.Rollup, days tick.Rollup, w summaryWindows, now time.Time) (settledSums, []tick.Rollup) {
	var before, live []tick.Rollup
	s := settledSums{month: checkCountsOf(days)}
	for _, r := range hours {
		if r.Start.Before(w.liveHours) {
			before = append(before, r)
			s.day = s.day.plus(checkCountsOf(r))
			continue
		}
		live = append(live, r)
		s.month = s.month.minus(checkCountsOf(r))
	}
	s.spark = sparkValues(before, now, 24)
	return s, live
}

// withLive is a monitor's summary from its settled part and its live hours'
// rollups (merged across regions) as they are now.
func (s settledSums) withLive(live []tick.Rollup, now time.Time) (day, month checkCounts, spark []float64) {
	day, month = s.day, s.month
	for _, r := range live {
		day, month = day.plus(checkCountsOf(r)), month.plus(checkCountsOf(r))
	}
	spark = make([]float64, len(s.spark))
	for i, v := range sparkValues(live, now, len(s.spark)) {
		spark[i] = s.spark[i]
		if math.IsNaN(spark[i]) {
			spark[i] = v
		}
	}
	return day, month, spark
}

// summaryWindows are the ranges the overview sums at a moment: hours
// [hoursFrom, hoursTo) are what tick.Service.Window(24h) reads (25 UTC
// hours, the first one partly outside the 24 hours), the live ones from
// liveHours on; days [daysFrom, daysTo) are the last 30 UTC days, today
// included.
type summaryWindows struct {
	hoursFrom, liveHours, hoursTo time.Time
	daysFrom, daysTo              time.Time
}

func windowsAt(now time.Time) summaryWindows {
	hour, today := now.UTC().Truncate(time.Hour), now.UTC().Truncate(24*time.Hour)
	return summaryWindows{
		hoursFrom: now.UTC().Add(-24 * time.Hour).Truncate(time.Hour), liveHours: hour.Add(-time.Hour), hoursTo: hour.Add(time.Hour),
		daysFrom: today.AddDate(0, 0, -29), daysTo: today.AddDate(0, 0, 1),
	}
}

// SummaryCache says what the overview keeps of rollup sums between renders.
type SummaryCache int

const (
	// SummaryCacheOn keeps the settled part and the live hours (the
	// default).
	SummaryCacheOn SummaryCache = iota
	// SummaryCacheLiveOnly reads the live hours at every render, as if
	// every monitor had a new check since the last one.
	SummaryCacheLiveOnly
	// SummaryCacheOff keeps nothing: every render reads everything.
	SummaryCacheOff
)

// summaryCache keeps rollup summaries between overview renders (the page
// polls itself every 15 s, and several people may watch it). The settled
// part is used within the same UTC hour (the windows move on the hour) and
// for at most summaryMaxAge (a result later than an hour, such as a
// worker's spool sent after an outage, changes it); the live hours while
// the monitor has had no new check since they were read (new ticks are
// what change its rollups).
type summaryCache struct {
	mu   sync.Mutex
	m    map[int64]rollupSummary
	mode SummaryCache
}

const (
	summaryMaxAge     = 5 * time.Minute
	summaryMaxEntries = 100_000 // past this the cache starts over
)

func newSummaryCache() *summaryCache { return &summaryCache{m: map[int64]rollupSummary{}} }

// lookup sorts ids into the usable entries (hit), the ones whose settled
// part is usable but whose live hours need reading (live, the entries
// whose settled part is kept), and the ones that need everything read
// (cold).
func (c *summaryCache) lookup(ids []int64, lastChecked map[int64]time.Time, now time.Time) (hit, live map[int64]rollupSummary, cold []int64) {
	hit, live = make(map[int64]rollupSummary, len(ids)), map[int64]rollupSummary{}
	hour := now.UTC().Truncate(time.Hour)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mode == SummaryCacheOff {
		return hit, live, ids
	}
	for _, id := range ids {
		s, ok := c.m[id]
		switch {
		case !ok || !s.hour.Equal(hour) || now.Sub(s.at) >= summaryMaxAge:
			cold = append(cold, id)
		case !s.lastChecked.Equal(lastChecked[id]) || c.mode == SummaryCacheLiveOnly:
			live[id] = s
		default:
			hit[id] = s
		}
	}
	return hit, live, cold
}

// store keeps fresh entries.
func (c *summaryCache) store(fresh map[int64]rollupSummary) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m)+len(fresh) > summaryMaxEntries {
		c.m = map[int64]rollupSummary{}
	}
	for id, s := range fresh {
		c.m[id] = s
	}
}

// SetSummaryCache sets what the overview keeps of rollup sums between
// renders (SummaryCacheOn by default) and empties it, so a benchmark can
// measure renders with nothing new, with every monitor newly checked, and
// with nothing kept.
func (h *Handler) SetSummaryCache(mode SummaryCache) {
	h.summaries.mu.Lock()
	defer h.summaries.mu.Unlock()
	h.summaries.mode, h.summaries.m = mode, map[int64]rollupSummary{}
}
