package dashboard

import (
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/tick"
)

// TestSummaryCache: an entry is used whole while its monitor has no new
// check; after a new check its settled part is still used; in the next hour
// or past summaryMaxAge neither is.
func TestSummaryCache(t *testing.T) {
	at := time.Date(2026, 11, 23, 10, 20, 0, 0, time.UTC)
	checked := at.Add(-30 * time.Second)
	entry := rollupSummary{settled: settledSums{day: checkCounts{checks: 3}}, day: checkCounts{checks: 5}, lastChecked: checked,
		hour: at.Truncate(time.Hour), at: at}
	tests := []struct {
		name    string
		mode    SummaryCache
		checked time.Time
		now     time.Time
		want    string // hit, live or cold
	}{
		{"no new check since", SummaryCacheOn, checked, at.Add(time.Minute), "hit"},
		{"a new check", SummaryCacheOn, checked.Add(time.Minute), at.Add(time.Minute), "live"},
		{"the next hour", SummaryCacheOn, checked, at.Add(45 * time.Minute), "cold"},
		{"a new check in the next hour", SummaryCacheOn, checked.Add(time.Minute), at.Add(45 * time.Minute), "cold"},
		{"settled part too old", SummaryCacheOn, checked, at.Add(summaryMaxAge), "cold"},
		{"every monitor taken as newly checked", SummaryCacheLiveOnly, checked, at.Add(time.Minute), "live"},
		{"nothing kept", SummaryCacheOff, checked, at.Add(time.Minute), "cold"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newSummaryCache()
			c.mode = tt.mode
			c.store(map[int64]rollupSummary{1: entry})
			hit, live, cold := c.lookup([]int64{1, 2}, map[int64]time.Time{1: tt.checked}, tt.now)
			got := "cold"
			if h, ok := hit[1]; ok {
				got = "hit"
				if h.day.checks != 5 {
					t.Errorf("hit day checks = %d, want the entry's 5", h.day.checks)
				}
			}
			if l, ok := live[1]; ok {
				got = "live"
				if l.settled.day.checks != 3 || !l.at.Equal(at) {
					t.Errorf("live entry = %+v, want the settled part read at %s", l, at)
				}
			}
			if got != tt.want {
				t.Errorf("monitor 1 is %s, want %s", got, tt.want)
			}
			if len(cold) == 0 || cold[len(cold)-1] != 2 || len(hit)+len(live)+len(cold) != 2 {
				t.Errorf("hit %v, live %v, cold %v: monitor 2 (never read) must be cold, each monitor in one place", hit, live, cold)
			}
		})
	}
}

func TestLastDays(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	day := func(back int, checks, failures int64) tick.Rollup {
		return tick.Rollup{Start: now.Truncate(24*time.Hour).AddDate(0, 0, -back), Checks: checks, Failures: failures}
	}
	days := []tick.Rollup{day(40, 100, 100), day(8, 100, 50), day(6, 100, 10), day(0, 100, 0)}
	tests := []struct {
		n              int
		checks, failed int64
	}{{1, 100, 0}, {7, 200, 10}, {30, 300, 60}, {90, 400, 160}}
	for _, tt := range tests {
		got := lastDays(days, now, tt.n)
		if got.Checks != tt.checks || got.Failures != tt.failed {
			t.Errorf("last %d days: %d checks, %d failed; want %d, %d", tt.n, got.Checks, got.Failures, tt.checks, tt.failed)
		}
	}
}
