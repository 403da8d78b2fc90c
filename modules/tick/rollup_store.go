package tick

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/betterstack/betterstack/modules/database"
)

// Rollup tables and the width of their buckets.
const (
	hourlyTable = "rollups_hourly"
	dailyTable  = "rollups_daily"
)

var histColumns = func() string {
	cols := make([]string, NumBuckets)
	for i := range cols {
		cols[i] = fmt.Sprintf("h%02d", i)
	}
	return strings.Join(cols, ", ")
}()

const rollupColumns = "monitor_id, region, bucket, checks, failures, degraded, latency_sum, latency_min, latency_max"

// rollupsOf groups newly inserted ticks into rollups of width (an hour or a
// day), sorted by key so concurrent alerters lock rows in the same order.
func rollupsOf(ticks []newTick, width time.Duration) []Rollup {
	type key struct {
		id     int64
		region string
		start  int64
	}
	idx := map[key]int{}
	var out []Rollup
	for _, t := range ticks {
		start := t.ScheduledAt.UTC().Truncate(width)
		k := key{t.MonitorID, t.Region, start.Unix()}
		i, ok := idx[k]
		if !ok {
			idx[k] = len(out)
			out = append(out, Rollup{MonitorID: t.MonitorID, Region: t.Region, Start: start})
			i = len(out) - 1
		}
		out[i].observe(t.Tick)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.MonitorID != b.MonitorID {
			return a.MonitorID < b.MonitorID
		}
		if !a.Start.Equal(b.Start) {
			return a.Start.Before(b.Start)
		}
		return a.Region < b.Region
	})
	return out
}

// addRollups adds rs to table's rows in one statement.
func (s *store) addRollups(tx *gorm.DB, table string, rs []Rollup) error {
	if len(rs) == 0 {
		return nil
	}
	least, greatest := "LEAST", "GREATEST"
	if s.db.Dialect != database.Postgres {
		least, greatest = "min", "max"
	}
	types := []pgType{pgBigint, pgText, pgTime, pgBigint, pgBigint, pgBigint, pgFloat, pgFloat, pgFloat}
	for range NumBuckets {
		types = append(types, pgBigint)
	}
	args := make([]any, 0, len(rs)*(9+NumBuckets))
	for _, r := range rs {
		args = append(args, r.MonitorID, r.Region, r.Start.UTC(), int64(r.Checks), int64(r.Failures), int64(r.Degraded), r.LatencySum, r.LatencyMin, r.LatencyMax)
		for _, n := range r.Hist {
			args = append(args, int64(n))
		}
	}
	var b strings.Builder
	// min/max only count rows that have successful checks: a row with none
	// has 0 there, which is no latency at all.
	fmt.Fprintf(&b, `ON CONFLICT (monitor_id, bucket, region) DO UPDATE SET
		latency_min = CASE WHEN excluded.checks = excluded.failures THEN %[1]s.latency_min
			WHEN %[1]s.checks = %[1]s.failures THEN excluded.latency_min
			ELSE %[2]s(%[1]s.latency_min, excluded.latency_min) END,
		latency_max = CASE WHEN excluded.checks = excluded.failures THEN %[1]s.latency_max
			WHEN %[1]s.checks = %[1]s.failures THEN excluded.latency_max
			ELSE %[3]s(%[1]s.latency_max, excluded.latency_max) END,
		checks = %[1]s.checks + excluded.checks, failures = %[1]s.failures + excluded.failures,
		degraded = %[1]s.degraded + excluded.degraded, latency_sum = %[1]s.latency_sum + excluded.latency_sum`, table, least, greatest)
	for i := range NumBuckets {
		fmt.Fprintf(&b, ", h%02[2]d = %[1]s.h%02[2]d + excluded.h%02[2]d", table, i)
	}
	return s.run(tx, bulk{head: "INSERT INTO " + table + " (" + rollupColumns + ", " + histColumns + ")", types: types, args: args, tail: b.String()})
}

// rollups reads table's rows of monitorIDs with bucket in [from, to),
// ordered by monitor, bucket and region.
func (s *store) rollups(ctx context.Context, table string, monitorIDs []int64, from, to time.Time) ([]Rollup, error) {
	if len(monitorIDs) == 0 {
		return nil, nil
	}
	args := append(int64Args(monitorIDs), from.UTC(), to.UTC())
	rows, err := s.db.WithContext(ctx).Raw("SELECT "+rollupColumns+", "+histColumns+" FROM "+table+
		" WHERE monitor_id IN ("+placeholders(len(monitorIDs))+") AND bucket >= ? AND bucket < ? ORDER BY monitor_id, bucket, region", args...).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Rollup
	for rows.Next() {
		var r Rollup
		dest := []any{&r.MonitorID, &r.Region, &r.Start, &r.Checks, &r.Failures, &r.Degraded, &r.LatencySum, &r.LatencyMin, &r.LatencyMax}
		for i := range r.Hist {
			dest = append(dest, &r.Hist[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		r.Start = r.Start.UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}
