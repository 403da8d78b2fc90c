package dashboard

import (
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/tick"
)

func TestSummaryCache(t *testing.T) {
	at := time.Date(2026, 11, 23, 10, 20, 0, 0, time.UTC)
	checked := at.Add(-30 * time.Second)
	c := newSummaryCache()
	c.store(map[int64]rollupSummary{1: {day: tick.Rollup{Checks: 5}, lastChecked: checked, hour: at.Truncate(time.Hour), at: at}})
	tests := []struct {
		name    string
		checked time.Time
		now     time.Time
		hit     bool
	}{
		{"no new check since", checked, at.Add(time.Minute), true},
		{"a new check", checked.Add(time.Minute), at.Add(time.Minute), false},
		{"the next hour", checked, at.Add(45 * time.Minute), false},
		{"too old", checked, at.Add(summaryMaxAge), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hit, miss := c.lookup([]int64{1, 2}, map[int64]time.Time{1: tt.checked}, tt.now)
			if _, ok := hit[1]; ok != tt.hit {
				t.Errorf("monitor 1 cached = %v, want %v", ok, tt.hit)
			}
			if hit[1].day.Checks != 0 && hit[1].day.Checks != 5 {
				t.Errorf("cached checks = %d", hit[1].day.Checks)
			}
			wantMiss := 1
			if !tt.hit {
				wantMiss = 2
			}
			if len(miss) != wantMiss || miss[len(miss)-1] != 2 {
				t.Errorf("miss = %v", miss)
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
