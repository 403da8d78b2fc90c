package tick

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"sort"
	"strconv"
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
	sortRollups(out)
	return out
}

// rollupKey names a rollup row.
type rollupKey struct {
	MonitorID int64
	Region    string
	Start     int64 // unix seconds
}

func keyOf(r Rollup) rollupKey { return rollupKey{r.MonitorID, r.Region, r.Start.Unix()} }

// byDay adds up rs (rows of any width) into rows per monitor, region and
// UTC day, sorted like rollupsOf's.
func byDay(rs []Rollup) []Rollup {
	idx := make(map[rollupKey]int, len(rs))
	var out []Rollup
	for _, r := range rs {
		r.Start = r.Start.UTC().Truncate(24 * time.Hour)
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

// hoursOfTicks is, on PostgreSQL, the SELECT that sums the rows of
// fresh(m, r, s, st, lat) (monitor, region, slot, status, latency of the
// ticks just inserted) into hour rows, as rollupsOf and Rollup.observe do
// in Go: a down check is a failure without latency, a degraded one counts
// as degraded with its latency, histogram buckets include their upper
// bound (bucketOf). TestHoursSummedAsInGo holds the two to the same
// figures at every bound.
func hoursOfTicks() string {
	ok := "st <> 'down'"
	var b strings.Builder
	b.WriteString(`SELECT m, r, date_trunc('hour', s, 'UTC'), count(*), count(*) FILTER (WHERE st = 'down'),
		count(*) FILTER (WHERE st = 'degraded'), coalesce(sum(lat) FILTER (WHERE ` + ok + `), 0),
		coalesce(min(lat) FILTER (WHERE ` + ok + `), 0), coalesce(max(lat) FILTER (WHERE ` + ok + `), 0)`)
	for i, hi := range BucketBounds {
		cond := ok
		if i > 0 {
			cond += " AND lat > " + strconv.FormatFloat(BucketBounds[i-1], 'g', -1, 64)
		}
		if !math.IsInf(hi, 1) {
			cond += " AND lat <= " + strconv.FormatFloat(hi, 'g', -1, 64)
		}
		b.WriteString(", count(*) FILTER (WHERE " + cond + ")")
	}
	b.WriteString(", false FROM fresh GROUP BY 1, 2, 3 ORDER BY 1, 3, 2")
	return b.String()
}

// addRollups adds rs to table's rows in one statement. Rows it creates in
// the hourly table are not folded yet; for that table it returns the keys
// of the rows it added to that were already folded into their day's row
// (Fold), whose share of rs the caller adds to the day's row itself. (On
// PostgreSQL the ticks' statement adds the hours itself: insertTicks.)
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
	return scanRollups(rows)
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
	q, args := rowsOf(dailyTable, in, int64Args(monitorIDs), from, to)
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
// matching cond (with condArgs) with a bucket in [from, to). Of the daily
// table it is the days' rows and their hours not folded into them yet
// (Fold), in one statement: one snapshot.
func rowsOf(table, cond string, condArgs []any, from, to time.Time) (string, []any) {
	cols := rollupColumns + ", " + histColumns
	q := "SELECT " + cols + " FROM " + table + " WHERE " + cond + " AND bucket >= ? AND bucket < ?"
	args := append(append(make([]any, 0, 2*len(condArgs)+4), condArgs...), from.UTC(), to.UTC())
	if table != dailyTable {
		return q, args
	}
	hFrom, hTo := HoursOfDays(from, to)
	q += " UNION ALL SELECT " + cols + " FROM " + hourlyTable + " WHERE " + cond + " AND bucket >= ? AND bucket < ? AND NOT folded"
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
