package tick

import (
	"context"
	"database/sql"
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

// rollupKey names a rollup row.
type rollupKey struct {
	MonitorID int64
	Region    string
	Start     int64 // unix seconds
}

func keyOf(r Rollup) rollupKey { return rollupKey{r.MonitorID, r.Region, r.Start.Unix()} }

// byKey adds up rs by monitor, region and start (rows of one width),
// sorted like rollupsOf's.
func byKey(rs []Rollup) []Rollup {
	idx := make(map[rollupKey]int, len(rs))
	out := make([]Rollup, 0, len(rs))
	for _, r := range rs {
		k := keyOf(r)
		if i, ok := idx[k]; ok {
			out[i].Add(r)
			continue
		}
		idx[k] = len(out)
		out = append(out, r)
	}
	sortRollups(out)
	return out
}

// byDay adds up rs (rows of any width) into rows per monitor, region and
// UTC day, sorted like byKey's.
func byDay(rs []Rollup) []Rollup {
	days := make([]Rollup, len(rs))
	for i, r := range rs {
		r.Start = r.Start.UTC().Truncate(24 * time.Hour)
		days[i] = r
	}
	return byKey(days)
}

// sortRollups sorts by monitor, start and region: the order rows are
// locked in, the same in every transaction that writes rollups.
func sortRollups(rs []Rollup) {
	sort.Slice(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		if a.MonitorID != b.MonitorID {
			return a.MonitorID < b.MonitorID
		}
		if !a.Start.Equal(b.Start) {
			return a.Start.Before(b.Start)
		}
		return a.Region < b.Region
	})
}

// addTo is the ON CONFLICT clause that adds a new rollup row's figures to
// table's existing one. min/max only count rows that have successful
// checks: a row with none has 0 there, which is no latency at all.
func (s *store) addTo(table string) string {
	least, greatest := "LEAST", "GREATEST"
	if s.db.Dialect != database.Postgres {
		least, greatest = "min", "max"
	}
	var b strings.Builder
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
	return b.String()
}

// addRollups adds rs to table's rows in one statement. Rows it creates in
// the hourly table are not folded yet; for that table it returns the keys
// of the rows it added to that were already folded into their day's row
// (Fold), whose share of rs the caller adds to the day's row itself.
func (s *store) addRollups(tx *gorm.DB, table string, rs []Rollup) (folded map[rollupKey]bool, err error) {
	if len(rs) == 0 {
		return nil, nil
	}
	hourly := table == hourlyTable
	names := rollupColumns + ", " + histColumns
	n := len(rs)
	ids, checks, failures, degraded := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	regions := make([]string, n)
	starts := make([]time.Time, n)
	sum, lo, hi := make([]float64, n), make([]float64, n), make([]float64, n)
	var hist [NumBuckets][]int64
	for b := range hist {
		hist[b] = make([]int64, n)
	}
	for i, r := range rs {
		ids[i], regions[i], starts[i], checks[i], failures[i], degraded[i] = r.MonitorID, r.Region, r.Start.UTC(), r.Checks, r.Failures, r.Degraded
		sum[i], lo[i], hi[i] = r.LatencySum, r.LatencyMin, r.LatencyMax
		for b, c := range r.Hist {
			hist[b][i] = c
		}
	}
	cols := []any{ids, regions, starts, checks, failures, degraded, sum, lo, hi}
	for _, h := range hist {
		cols = append(cols, h)
	}
	if hourly {
		names += ", folded"
		cols = append(cols, make([]bool, n)) // false: a new hour row waits for its fold
	}
	st := bulk{head: "INSERT INTO " + table + " (" + names + ")", cols: cols, tail: s.addTo(table)}
	if !hourly {
		return nil, s.run(tx, st)
	}
	// The folded flag as of this statement: the fold flags a row under
	// its lock, which this statement takes too, so a row it reports
	// unfolded is folded later with this batch's checks in it, and one it
	// reports folded was folded without them.
	st.tail += " RETURNING monitor_id, region, bucket, folded"
	q, params, err := st.render(s.db.Dialect)
	if err != nil {
		return nil, err
	}
	rows, err := s.query(tx, q, params...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var k rollupKey
		var at time.Time
		var f bool
		if err := rows.Scan(&k.MonitorID, &k.Region, &at, &f); err != nil {
			return nil, err
		}
		if f {
			if folded == nil {
				folded = map[rollupKey]bool{}
			}
			k.Start = at.Unix()
			folded[k] = true
		}
	}
	return folded, rows.Err()
}

// foldHours folds up to limit hourly rows not folded yet with a bucket
// before `before` into their days' rows and flags them folded, in one
// transaction, and returns how many it folded. Rows another transaction
// holds (a batch adding to them, or another alerter's fold) are left for
// the next call rather than waited for.
func (s *store) foldHours(ctx context.Context, before time.Time, limit int) (int, error) {
	lock := ""
	if s.db.Dialect == database.Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	n := 0
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		rows, err := s.query(tx, `UPDATE rollups_hourly SET folded = ? WHERE (monitor_id, bucket, region) IN (
			SELECT monitor_id, bucket, region FROM rollups_hourly WHERE NOT folded AND bucket < ?
			ORDER BY monitor_id, bucket, region LIMIT ?`+lock+`) RETURNING `+rollupColumns+", "+histColumns, true, before.UTC(), limit)
		if err != nil {
			return err
		}
		rs, err := scanRollups(rows)
		if err != nil {
			return err
		}
		n = len(rs)
		_, err = s.addRollups(tx, dailyTable, byDay(rs))
		return err
	})
	return n, err
}

// hours returns the hourly rollups of monitorIDs with a start in
// [from, to) (rows and open hours, one per hour and region), sorted by
// monitor, hour and region.
func (s *store) hours(ctx context.Context, monitorIDs []int64, from, to time.Time) ([]Rollup, error) {
	if len(monitorIDs) == 0 {
		return nil, nil
	}
	q, args := rowsOf(s.db.Dialect, hourlyTable, "monitor_id IN ("+placeholders(len(monitorIDs))+")", int64Args(monitorIDs), from, to)
	rows, err := s.db.WithContext(ctx).Raw(q, args...).Rows()
	if err != nil {
		return nil, err
	}
	rs, err := scanRollups(rows)
	if err != nil {
		return nil, err
	}
	return byKey(rs), nil
}

// scanRollups reads rows of rollupColumns and histColumns, and closes them.
func scanRollups(rows *sql.Rows) ([]Rollup, error) {
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

// days returns the daily rollups of monitorIDs with a start in [from, to):
// each day's row plus its hours not folded into it yet, in one snapshot
// (one statement on PostgreSQL; SQLite has one writer), sorted by monitor,
// day and region.
func (s *store) days(ctx context.Context, monitorIDs []int64, from, to time.Time) ([]Rollup, error) {
	if len(monitorIDs) == 0 {
		return nil, nil
	}
	in := "monitor_id IN (" + placeholders(len(monitorIDs)) + ")"
	q, args := rowsOf(s.db.Dialect, dailyTable, in, int64Args(monitorIDs), from, to)
	rows, err := s.db.WithContext(ctx).Raw(q, args...).Rows()
	if err != nil {
		return nil, err
	}
	rs, err := scanRollups(rows)
	if err != nil {
		return nil, err
	}
	return byDay(rs), nil
}

// rowsOf is the SELECT of table's rows (rollupColumns and histColumns)
// matching cond (with condArgs) with a bucket in [from, to), in one
// statement: one snapshot. Of the hourly table it is the hour rows and
// the regions' open hours (RegionState.Hour) in the range. Of the daily
// table it is the days' rows, their hours not folded into them yet (Fold)
// and the open hours of those days, each with its hour as its bucket. A
// check is in exactly one of them; an hour may come in two rows (an open
// hour and a row for the same hour written before migration 00015), to be
// added up.
func rowsOf(dialect database.Dialect, table, cond string, condArgs []any, from, to time.Time) (string, []any) {
	cols := rollupColumns + ", " + histColumns
	q := "SELECT " + cols + " FROM " + table + " WHERE " + cond + " AND bucket >= ? AND bucket < ?"
	args := append(append(make([]any, 0, 3*len(condArgs)+6), condArgs...), from.UTC(), to.UTC())
	hFrom, hTo := from.UTC(), to.UTC()
	if table == dailyTable {
		hFrom, hTo = HoursOfDays(from, to)
		q += " UNION ALL SELECT " + cols + " FROM " + hourlyTable + " WHERE " + cond + " AND bucket >= ? AND bucket < ? AND NOT folded"
		args = append(append(args, condArgs...), hFrom, hTo)
	}
	q += " UNION ALL SELECT " + openHourSelect[dialect] + " FROM monitor_region_state WHERE " + cond + " AND hour_bucket >= ? AND hour_bucket < ? AND hour_checks > 0"
	return q, append(append(args, condArgs...), hFrom, hTo)
}

// HoursOfDays is the range of hour buckets of the UTC days starting in
// [from, to): from the first day start at or after from to the first at or
// after to.
func HoursOfDays(from, to time.Time) (time.Time, time.Time) {
	ceil := func(t time.Time) time.Time {
		t = t.UTC()
		if d := t.Truncate(24 * time.Hour); d.Before(t) {
			return d.Add(24 * time.Hour)
		}
		return t
	}
	return ceil(from), ceil(to)
}
