package tick

import (
	"context"
	"time"
)

// Hourly returns the hourly rollups, per region, of monitorIDs with a start
// in [from, to). The caller checks ownership.
func (s *Service) Hourly(ctx context.Context, monitorIDs []int64, from, to time.Time) ([]Rollup, error) {
	return s.store.hours(ctx, monitorIDs, from.UTC().Truncate(time.Hour), to)
}

// Daily returns the daily rollups (UTC days), per region, of monitorIDs with
// a start in [from, to). The caller checks ownership.
func (s *Service) Daily(ctx context.Context, monitorIDs []int64, from, to time.Time) ([]Rollup, error) {
	return s.store.days(ctx, monitorIDs, from.UTC().Truncate(24*time.Hour), to)
}

// Window returns, per monitor, its checks over the last d before now summed
// across regions by the database. Whole days come from daily rollups and
// the partial hours at both ends from hourly ones, so a 90-day window reads
// ~90 rows per region, not 2,160. The caller checks ownership.
func (s *Service) Window(ctx context.Context, monitorIDs []int64, now time.Time, d time.Duration) (map[int64]Rollup, error) {
	from := now.UTC().Add(-d).Truncate(time.Hour)
	end := now.UTC().Truncate(time.Hour).Add(time.Hour)
	dayFrom, dayTo := from.Truncate(24*time.Hour).Add(24*time.Hour), end.Truncate(24*time.Hour)
	type part struct {
		table    string
		from, to time.Time
	}
	parts := []part{{hourlyTable, from, end}}
	if dayFrom.Before(dayTo) {
		parts = []part{{dailyTable, dayFrom, dayTo}, {hourlyTable, from, dayFrom}, {hourlyTable, dayTo, end}}
	}
	var all []Rollup
	for _, p := range parts {
		rs, err := s.store.sums(ctx, p.table, monitorIDs, p.from, p.to, false, true)
		if err != nil {
			return nil, err
		}
		all = append(all, rs...)
	}
	return Totals(all), nil
}
