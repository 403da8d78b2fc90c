package dashboard

import (
	"html/template"
	"math"
	"sync"
	"time"

	"github.com/betterstack/betterstack/modules/tick"
)

// rollupSummary is what the overview shows of one monitor's rollups: its
// 24-hour and 30-day totals and its hourly 24-hour latency line, drawn
// (sparkSVG, titled with sparkName; drawing 100 lines was a tenth of a
// render's CPU).
//
// It is the sum of two parts over disjoint ranges (summaryWindows): the
// settled part, hours before the previous one and days before yesterday,
// which only a result more than an hour late changes, and the live part,
// the previous and current hour and day, where new checks land. A new
// check costs a read of the live part only: four rollup rows per region
// and monitor instead of 55.
type rollupSummary struct {
	settled     summaryPart
	day, month  tick.Rollup // settled plus live
	spark       []float64
	sparkSVG    template.HTML
	sparkName   string
	lastChecked time.Time // the monitor's last check when the live part was read
	hour        time.Time // the UTC hour the windows end in
	at          time.Time // when the settled part was read
}

// summaryPart is a monitor's sums over one part of the overview's windows:
// the hours' total, the days' total and the hours' mean latencies placed
// on the 24-hour line (NaN outside the part).
type summaryPart struct {
	day, month tick.Rollup
	spark      []float64
}

// plus is the summary of two parts over disjoint ranges. Counts add up
// exactly, and each hour of the line comes from the one part that read it,
// so the sum equals one read of the whole windows.
func (p summaryPart) plus(o summaryPart) summaryPart {
	out := summaryPart{day: p.day, month: p.month, spark: make([]float64, max(len(p.spark), len(o.spark)))}
	out.day.Add(o.day)
	out.month.Add(o.month)
	for i := range out.spark {
		out.spark[i] = math.NaN()
		if i < len(p.spark) {
			out.spark[i] = p.spark[i]
		}
		if math.IsNaN(out.spark[i]) && i < len(o.spark) {
			out.spark[i] = o.spark[i]
		}
	}
	return out
}

// summaryWindows are the ranges the overview sums at a moment, each split
// where the live part starts: hours [hoursFrom, hoursTo) are what
// tick.Service.Window(24h) reads (25 UTC hours, the first one partly
// outside the 24 hours), the last 30 UTC days [daysFrom, daysTo) include
// today. Checks land in the current hour and day, and a result late by
// less than an hour in the previous ones.
type summaryWindows struct {
	hoursFrom, liveHours, hoursTo time.Time
	daysFrom, liveDays, daysTo    time.Time
}

func windowsAt(now time.Time) summaryWindows {
	hour, today := now.UTC().Truncate(time.Hour), now.UTC().Truncate(24*time.Hour)
	return summaryWindows{
		hoursFrom: now.UTC().Add(-24 * time.Hour).Truncate(time.Hour), liveHours: hour.Add(-time.Hour), hoursTo: hour.Add(time.Hour),
		daysFrom: today.AddDate(0, 0, -29), liveDays: today.AddDate(0, 0, -1), daysTo: today.AddDate(0, 0, 1),
	}
}

// SummaryCache says what the overview keeps of rollup sums between renders.
type SummaryCache int

const (
	// SummaryCacheOn keeps both parts (the default).
	SummaryCacheOn SummaryCache = iota
	// SummaryCacheLiveOnly reads the live part at every render, as if every
	// monitor had a new check since the last one.
	SummaryCacheLiveOnly
	// SummaryCacheOff keeps nothing: every render reads both parts.
	SummaryCacheOff
)

// summaryCache keeps rollup summaries between overview renders (the page
// polls itself every 15 s, and several people may watch it). The settled
// part is used within the same UTC hour (the windows move on the hour) and
// for at most summaryMaxAge (a result later than an hour, such as a
// worker's spool sent after an outage, lands in it); the live part while
// the monitor has had no new check since it was read (new ticks are what
// change its rollups).
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
// part is usable but whose live part needs reading (live, the entries
// whose settled part is kept), and the ones that need both parts read
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
