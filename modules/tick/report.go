package tick

import (
	"context"
	"time"
)

// Hourly returns the hourly rollups, per region, of monitorIDs with a start
// in [from, to). The caller checks ownership.
func (s *Service) Hourly(ctx context.Context, monitorIDs []int64, from, to time.Time) ([]Rollup, error) {
	return s.store.rollups(ctx, hourlyTable, monitorIDs, from.UTC().Truncate(time.Hour), to)
}

// Daily returns the daily rollups (UTC days), per region, of monitorIDs with
// a start in [from, to). The caller checks ownership.
func (s *Service) Daily(ctx context.Context, monitorIDs []int64, from, to time.Time) ([]Rollup, error) {
	return s.store.rollups(ctx, dailyTable, monitorIDs, from.UTC().Truncate(24*time.Hour), to)
}

// Window returns, per monitor, its checks over the last d before now summed
// across regions. Whole days come from daily rollups and the partial hours
// at both ends from hourly ones, so a 90-day window reads ~90 rows per
// region, not 2,160.
func (s *Service) Window(ctx context.Context, monitorIDs []int64, now time.Time, d time.Duration) (map[int64]Rollup, error) {
	from := now.UTC().Add(-d).Truncate(time.Hour)
	end := now.UTC().Truncate(time.Hour).Add(time.Hour)
	dayFrom, dayTo := from.Truncate(24*time.Hour).Add(24*time.Hour), end.Truncate(24*time.Hour)
	if !dayFrom.Before(dayTo) {
		hours, err := s.Hourly(ctx, monitorIDs, from, end)
		return Totals(hours), err
	}
	days, err := s.Daily(ctx, monitorIDs, dayFrom, dayTo)
	if err != nil {
		return nil, err
	}
	head, err := s.Hourly(ctx, monitorIDs, from, dayFrom)
	if err != nil {
		return nil, err
	}
	tail, err := s.Hourly(ctx, monitorIDs, dayTo, end)
	if err != nil {
		return nil, err
	}
	return Totals(append(append(days, head...), tail...)), nil
}
