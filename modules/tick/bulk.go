package tick

import (
	"fmt"
	"strings"
	"time"

	"github.com/betterstack/betterstack/modules/database"
)

// Set-based statements of the ingest.
//
// Every write of a batch is one statement over all its rows. On SQLite it is
// a multi-row VALUES list with one placeholder per value. On PostgreSQL the
// same rows travel as one array per column and the statement reads them with
// unnest(): 17 parameters for 2,000 ticks instead of 34,000. That is what
// made ingest fast there. With one parameter per value, pgx spent most of
// the alerter's CPU encoding parameters one by one, and PostgreSQL spent its
// time parsing and planning a statement with thousands of expressions, for
// the same row work. (COPY was measured too, see BenchmarkRawInsert: it is
// faster for bare rows, but it cannot say which rows were duplicates. Ingest
// needs to know that, because a redelivered result must not be counted in
// state or rollups twice.)

// bulk is one multi-row statement: head is "INSERT INTO t (a, b, …)", cols
// the columns' values, one slice per column in head's order, all of one
// length (the rows): []int64, []string, []float64, []bool, []time.Time,
// or []*time.Time (NULL where nil); tail what follows the rows (ON
// CONFLICT …, RETURNING …). Columns travel as typed slices, never as one
// boxed value per cell: at 25 columns of 1,000 rows, boxing and unboxing
// them was a large part of the alerter's allocations.
type bulk struct {
	head string
	cols []any
	tail string
}

// arrayType is the PostgreSQL array type a column travels as; the
// INSERT's assignment casts it to the column's own type (bigint to
// integer, float8 to real).
func arrayType(col any) (string, int, error) {
	switch c := col.(type) {
	case []int64:
		return "bigint", len(c), nil
	case []string:
		return "text", len(c), nil
	case []float64:
		return "float8", len(c), nil
	case []bool:
		return "boolean", len(c), nil
	case []time.Time:
		return "timestamptz", len(c), nil
	case []*time.Time:
		return "timestamptz", len(c), nil
	}
	return "", 0, fmt.Errorf("unsupported column type %T", col)
}

// cell is row i of col, for a statement with a parameter per value.
func cell(col any, i int) any {
	switch c := col.(type) {
	case []int64:
		return c[i]
	case []string:
		return c[i]
	case []float64:
		return c[i]
	case []bool:
		return c[i]
	case []time.Time:
		return c[i]
	case []*time.Time:
		if c[i] == nil {
			return nil
		}
		return *c[i]
	}
	return nil
}

// split is b as statements of at most maxVars parameters each, for a
// dialect with a parameter per value; b itself on PostgreSQL (a
// parameter per column).
func (b bulk) split(dialect database.Dialect, maxVars int) []bulk {
	rows := 0
	if len(b.cols) > 0 {
		_, rows, _ = arrayType(b.cols[0])
	}
	per := max(1, maxVars/max(1, len(b.cols)))
	if dialect == database.Postgres || rows <= per {
		return []bulk{b}
	}
	var parts []bulk
	for lo := 0; lo < rows; lo += per {
		hi := min(lo+per, rows)
		part := bulk{head: b.head, tail: b.tail, cols: make([]any, len(b.cols))}
		for c, col := range b.cols {
			part.cols[c] = sliceRows(col, lo, hi)
		}
		parts = append(parts, part)
	}
	return parts
}

// sliceRows is rows [lo, hi) of col.
func sliceRows(col any, lo, hi int) any {
	switch c := col.(type) {
	case []int64:
		return c[lo:hi]
	case []string:
		return c[lo:hi]
	case []float64:
		return c[lo:hi]
	case []bool:
		return c[lo:hi]
	case []time.Time:
		return c[lo:hi]
	case []*time.Time:
		return c[lo:hi]
	}
	return col
}

// render returns the statement and its parameters for dialect.
func (b bulk) render(dialect database.Dialect) (string, []any, error) {
	n := len(b.cols)
	if n == 0 {
		return "", nil, fmt.Errorf("bulk: no columns")
	}
	types := make([]string, n)
	rows := -1
	for c, col := range b.cols {
		t, l, err := arrayType(col)
		if err != nil {
			return "", nil, fmt.Errorf("bulk column %d: %w", c+1, err)
		}
		if rows >= 0 && l != rows {
			return "", nil, fmt.Errorf("bulk column %d: %d rows, column 1 has %d", c+1, l, rows)
		}
		types[c], rows = t, l
	}
	var q strings.Builder
	q.WriteString(b.head)
	if dialect != database.Postgres {
		row := "(" + strings.TrimSuffix(strings.Repeat("?,", n), ",") + ")"
		q.Grow(len(b.head) + rows*(len(row)+1) + len(b.tail) + 8)
		q.WriteString(" VALUES ")
		args := make([]any, 0, rows*n)
		for i := range rows {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString(row)
			for _, col := range b.cols {
				args = append(args, cell(col, i))
			}
		}
		q.WriteString(" " + b.tail)
		return q.String(), args, nil
	}
	q.WriteString(" SELECT * FROM unnest(")
	for c, t := range types {
		if c > 0 {
			q.WriteByte(',')
		}
		// Placeholders stay "?": store.rebind numbers them.
		q.WriteString("CAST(? AS " + t + "[])")
	}
	q.WriteString(") " + b.tail)
	return q.String(), b.cols, nil
}

// inList is "IN (?,?,…)" on SQLite and "= ANY(?)" with one bigint[]
// parameter on PostgreSQL, for ids.
func (s *store) inList(ids []int64) (string, []any) {
	if s.db.Dialect == database.Postgres {
		return "= ANY(CAST(? AS bigint[]))", []any{ids}
	}
	return "IN (" + placeholders(len(ids)) + ")", int64Args(ids)
}
