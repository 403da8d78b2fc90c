package dashboard

import (
	"html/template"
	"sync"
	"time"

	"github.com/betterstack/betterstack/modules/tick"
)

// rollupSummary is what the overview shows of one monitor's rollups: its
// 24-hour and 30-day totals and its hourly 24-hour latency line, drawn
// (sparkSVG, titled with sparkName; drawing 100 lines was a tenth of a
// render's CPU).
type rollupSummary struct {
	day, month  tick.Rollup
	spark       []float64
	sparkSVG    template.HTML
	sparkName   string
	lastChecked time.Time // the monitor's last check when it was read
	hour        time.Time // the UTC hour the sparkline ends in
	at          time.Time
}

// summaryCache keeps rollup summaries between overview renders (the page
// polls itself every 15 s, and several people may watch it). An entry is
// used only while the monitor has had no new check since it was read (new
// ticks are what change its rollups), within the same UTC hour (the
// sparkline's window moves on the hour) and for at most summaryMaxAge (a
// late result of an earlier hour, or the 30-day window's day edge).
type summaryCache struct {
	mu  sync.Mutex
	m   map[int64]rollupSummary
	off bool
}

const (
	summaryMaxAge     = 5 * time.Minute
	summaryMaxEntries = 100_000 // past this the cache starts over
)

func newSummaryCache() *summaryCache { return &summaryCache{m: map[int64]rollupSummary{}} }

// lookup returns the usable entries for ids and the ids that need reading.
func (c *summaryCache) lookup(ids []int64, lastChecked map[int64]time.Time, now time.Time) (map[int64]rollupSummary, []int64) {
	hit := make(map[int64]rollupSummary, len(ids))
	var miss []int64
	hour := now.UTC().Truncate(time.Hour)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.off {
		return hit, ids
	}
	for _, id := range ids {
		s, ok := c.m[id]
		if ok && s.lastChecked.Equal(lastChecked[id]) && s.hour.Equal(hour) && now.Sub(s.at) < summaryMaxAge {
			hit[id] = s
			continue
		}
		miss = append(miss, id)
	}
	return hit, miss
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

// SetSummaryCache turns the overview's cache of rollup sums on (the
// default) or off, so a benchmark can measure renders that read them all.
func (h *Handler) SetSummaryCache(on bool) {
	h.summaries.mu.Lock()
	defer h.summaries.mu.Unlock()
	h.summaries.off, h.summaries.m = !on, map[int64]rollupSummary{}
}
