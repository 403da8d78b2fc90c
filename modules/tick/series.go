package tick

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/probe"
)

// The overview shows a page of monitors at once, each with its uptime over
// a day and a month and an hourly latency line. Reading the rollups row by
// row (a row per monitor, region and hour or day) would move some 20,000
// rows per page into Go only to add them up; the queries here add them up
// in the database and return a row per monitor, or per monitor and hour.

// RegionsOf returns the per-region state of several monitors at once, keyed
// by monitor id, each monitor's regions by name: the overview reads a page
// of monitors' current latency and regions with one query. It scans rows
// directly rather than through gorm's reflection, which cost more than the
// query. The caller checks ownership.
func (s *Service) RegionsOf(ctx context.Context, monitorIDs []int64) (map[int64][]RegionState, error) {
	out := make(map[int64][]RegionState, len(monitorIDs))
	if len(monitorIDs) == 0 {
		return out, nil
	}
	rows, err := s.store.db.WithContext(ctx).Raw(`SELECT monitor_id, region, status, status_code, error_class, error, latency_ms,
		consecutive_failures, consecutive_successes, failing, last_scheduled_at, last_checked_at
		FROM monitor_region_state WHERE monitor_id IN ?`, monitorIDs).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var r RegionState
		if err := rows.Scan(&r.MonitorID, &r.Region, &r.Status, &r.StatusCode, &r.ErrorClass, &r.Error, &r.LatencyMS,
			&r.ConsecutiveFailures, &r.ConsecutiveSuccesses, &r.Failing, &r.LastScheduledAt, &r.LastCheckedAt); err != nil {
			return nil, err
		}
		out[r.MonitorID] = append(out[r.MonitorID], r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, rs := range out {
		sort.Slice(rs, func(i, j int) bool { return rs[i].Region < rs[j].Region })
	}
	return out, nil
}

// HourlyMerged returns the hourly rollups of monitorIDs with a start in
// [from, to) merged across regions (what MergeRegions makes of Hourly),
// summed by the database; sorted by monitor, then hour. It is for uptime
// and mean-latency lines of many monitors at once, so it leaves out the
// latency histogram (Hist is zero, Percentile NaN): scanning it would cost
// more than the query. Hourly has it.
func (s *Service) HourlyMerged(ctx context.Context, monitorIDs []int64, from, to time.Time) ([]Rollup, error) {
	return s.store.sums(ctx, hourlyTable, monitorIDs, from.UTC().Truncate(time.Hour), to, true, false)
}

// DaySums returns, per monitor, its checks over the UTC days starting in
// [from, to) across regions, summed by the database from daily rows only
// (no histogram): the cheapest long-range uptime, at day granularity.
// A day is its daily row plus its hours not folded into it yet (Fold), so
// a range ending tomorrow includes today's checks so far.
func (s *Service) DaySums(ctx context.Context, monitorIDs []int64, from, to time.Time) (map[int64]Rollup, error) {
	rs, err := s.store.sums(ctx, dailyTable, monitorIDs, from.UTC().Truncate(24*time.Hour), to, false, false)
	if err != nil {
		return nil, err
	}
	return Totals(rs), nil
}

// HoursAndDays returns what HourlyMerged returns for [hoursFrom, hoursTo)
// and DaySums for [daysFrom, daysTo), read by one statement: one round
// trip instead of two, and both from the same snapshot of the rollups, so
// a check stored meanwhile is in both or in neither. The overview reads a
// page of monitors' sums with it, and relies on that to take the hours'
// checks out of the days'.
func (s *Service) HoursAndDays(ctx context.Context, monitorIDs []int64, hoursFrom, hoursTo, daysFrom, daysTo time.Time) ([]Rollup, map[int64]Rollup, error) {
	if len(monitorIDs) == 0 {
		return nil, map[int64]Rollup{}, nil
	}
	hq, hargs := s.store.sumsQuery(hourlyTable, monitorIDs, hoursFrom.UTC().Truncate(time.Hour), hoursTo, "r.bucket", false)
	// The daily part's bucket is not used; it is a column of the hourly
	// part's type, which on SQLite the first part of a UNION decides.
	dq, dargs := s.store.sumsQuery(dailyTable, monitorIDs, daysFrom.UTC().Truncate(24*time.Hour), daysTo, "MIN(r.bucket)", false)
	rows, err := s.store.db.WithContext(ctx).Raw("SELECT * FROM (SELECT 0 AS part, "+hq+") h UNION ALL SELECT * FROM (SELECT 1 AS part, "+dq+
		") d ORDER BY 1, 2, 3", append(hargs, dargs...)...).Rows()
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var hours, days []Rollup
	for rows.Next() {
		var part int
		var r Rollup
		if err := rows.Scan(&part, &r.MonitorID, &r.Start, &r.Checks, &r.Failures, &r.Degraded, &r.LatencySum, &r.LatencyMin, &r.LatencyMax); err != nil {
			return nil, nil, err
		}
		r.Start = r.Start.UTC()
		if part == 0 {
			hours = append(hours, r)
		} else {
			days = append(days, r)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	return hours, Totals(days), nil
}

// sums adds up table's rows of monitorIDs with bucket in [from, to) across
// regions, per monitor, and per bucket too when byBucket; the latency
// histogram only when withHist; sorted by monitor, then bucket.
func (s *store) sums(ctx context.Context, table string, monitorIDs []int64, from, to time.Time, byBucket, withHist bool) ([]Rollup, error) {
	if len(monitorIDs) == 0 {
		return nil, nil
	}
	bucket, order := "", "1"
	if byBucket {
		bucket, order = "r.bucket", "1, 2"
	}
	q, args := s.sumsQuery(table, monitorIDs, from, to, bucket, withHist)
	rows, err := s.db.WithContext(ctx).Raw("SELECT "+q+" ORDER BY "+order, args...).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]Rollup, 0, len(monitorIDs))
	for rows.Next() {
		var r Rollup
		dest := []any{&r.MonitorID, &r.Start, &r.Checks, &r.Failures, &r.Degraded, &r.LatencySum, &r.LatencyMin, &r.LatencyMax}
		if !byBucket {
			dest = append(dest[:1], dest[2:]...)
		}
		if withHist {
			for i := range r.Hist {
				dest = append(dest, &r.Hist[i])
			}
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		r.Start = r.Start.UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// sumsQuery is sums' statement after its SELECT and before its ORDER BY:
// the columns monitor_id, then bucket (an expression of r.bucket: grouped
// by when it is "r.bucket", left out when ""), then the sums. Of the daily
// table it reads the days' hours not folded yet too (their r.bucket is
// their hour's), so grouping its rows by r.bucket is not supported. Latency min
// and max only count rows with successful checks (others hold 0 there).
//
// On PostgreSQL the rows are read monitor by monitor (a lateral join, kept
// from being flattened by OFFSET 0): the ingest writes rollups in time
// order, so for "these 100 monitors, the last day" the planner prefers the
// bucket index and filters every monitor's rows of the period (250,000 at
// 5,000 monitors), where a primary-key range per monitor reads 50 each.
func (s *store) sumsQuery(table string, monitorIDs []int64, from, to time.Time, bucket string, withHist bool) (string, []any) {
	var hist string
	if withHist {
		for i := range NumBuckets {
			hist += fmt.Sprintf(", SUM(r.h%02d)", i)
		}
	}
	cols, group := "r.monitor_id", "r.monitor_id"
	if bucket != "" {
		cols += ", " + bucket
	}
	if bucket == "r.bucket" {
		group += ", r.bucket"
	}
	// Of the daily table, a day's figures are its daily row plus its
	// hours not folded into it yet (rowsOf).
	var src string
	var args []any
	if s.db.Dialect == database.Postgres {
		ids := make([]string, len(monitorIDs))
		for i, id := range monitorIDs {
			ids[i] = strconv.FormatInt(id, 10)
		}
		inner, innerArgs := rowsOf(s.db.Dialect, table, "monitor_id = m.id", nil, from, to)
		src = "unnest(CAST(? AS BIGINT[])) AS m(id) CROSS JOIN LATERAL (" + inner + " OFFSET 0) r"
		args = append([]any{"{" + strings.Join(ids, ",") + "}"}, innerArgs...)
	} else {
		inner, innerArgs := rowsOf(s.db.Dialect, table, "monitor_id IN ("+placeholders(len(monitorIDs))+")", int64Args(monitorIDs), from, to)
		src, args = "("+inner+") r", innerArgs
	}
	return cols + `, SUM(r.checks), SUM(r.failures), SUM(r.degraded), SUM(r.latency_sum),
		COALESCE(MIN(CASE WHEN r.checks > r.failures THEN r.latency_min END), 0),
		COALESCE(MAX(CASE WHEN r.checks > r.failures THEN r.latency_max END), 0)` + hist + " FROM " + src + " GROUP BY " + group, args
}

// Since returns a monitor's ticks scheduled from since on, newest first, at
// most limit: what a response-time chart draws (no worker, certificate or
// address). It scans rows directly rather than through gorm's reflection,
// which costs more than the query for a day of ticks. The caller checks
// ownership.
func (s *Service) Since(ctx context.Context, monitorID int64, since time.Time, limit int) ([]Tick, error) {
	rows, err := s.store.db.WithContext(ctx).Raw(`SELECT region, status, status_code, error_class, error, latency_ms,
		dns_ms, connect_ms, tls_ms, ttfb_ms, transfer_ms, checked_at, scheduled_at
		FROM ticks WHERE monitor_id = ? AND scheduled_at >= ? ORDER BY scheduled_at DESC, region LIMIT ?`,
		monitorID, since.UTC(), limit).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Tick
	for rows.Next() {
		var t Tick
		var status string
		if err := rows.Scan(&t.Region, &status, &t.StatusCode, &t.ErrorClass, &t.Error, &t.LatencyMS, &t.Phases.DNSMS,
			&t.Phases.ConnectMS, &t.Phases.TLSMS, &t.Phases.TTFBMS, &t.Phases.TransferMS, &t.CheckedAt, &t.ScheduledAt); err != nil {
			return nil, err
		}
		t.Status, t.CheckedAt, t.ScheduledAt = probe.Status(status), t.CheckedAt.UTC(), t.ScheduledAt.UTC()
		out = append(out, t)
	}
	return out, rows.Err()
}
