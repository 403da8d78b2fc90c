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

// pgType names the array type a column travels as on PostgreSQL; the
// INSERT's assignment casts it to the column's own type (bigint to
// integer, float8 to real).
type pgType string

const (
	pgBigint pgType = "bigint"
	pgText   pgType = "text"
	pgTime   pgType = "timestamptz" // time.Time, *time.Time or nil
	pgFloat  pgType = "float8"
	pgBool   pgType = "boolean"
)

// bulk is one multi-row statement: head is "INSERT INTO t (a, b, …)", types
// the columns' array types in order, args the rows' values row after row,
// tail what follows the rows (ON CONFLICT …, RETURNING …).
type bulk struct {
	head  string
	types []pgType
	args  []any
	tail  string
}

// render returns the statement and its parameters for dialect.
func (b bulk) render(dialect database.Dialect) (string, []any, error) {
	n := len(b.types)
	if n == 0 || len(b.args)%n != 0 {
		return "", nil, fmt.Errorf("bulk: %d values for %d columns", len(b.args), n)
	}
	rows := len(b.args) / n
	var q strings.Builder
	q.WriteString(b.head)
	if dialect != database.Postgres {
		row := "(" + strings.TrimSuffix(strings.Repeat("?,", n), ",") + ")"
		q.Grow(len(b.head) + rows*(len(row)+1) + len(b.tail) + 8)
		q.WriteString(" VALUES ")
		for i := range rows {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString(row)
		}
		q.WriteString(" " + b.tail)
		return q.String(), b.args, nil
	}
	params := make([]any, n)
	q.WriteString(" SELECT * FROM unnest(")
	for c, t := range b.types {
		if c > 0 {
			q.WriteByte(',')
		}
		// Placeholders stay "?": store.rebind numbers them.
		q.WriteString("CAST(? AS " + string(t) + "[])")
		col, err := column(t, b.args, c, n, rows)
		if err != nil {
			return "", nil, fmt.Errorf("bulk column %d: %w", c+1, err)
		}
		params[c] = col
	}
	q.WriteString(") " + b.tail)
	return q.String(), params, nil
}

// column gathers column c of the row-major args into a typed slice pgx
// encodes as one array.
func column(t pgType, args []any, c, n, rows int) (any, error) {
	switch t {
	case pgBigint:
		out := make([]int64, rows)
		for i := range out {
			switch v := args[i*n+c].(type) {
			case int64:
				out[i] = v
			case int:
				out[i] = int64(v)
			default:
				return nil, fmt.Errorf("want an integer, got %T", v)
			}
		}
		return out, nil
	case pgText:
		out := make([]string, rows)
		for i := range out {
			v, ok := args[i*n+c].(string)
			if !ok {
				return nil, fmt.Errorf("want a string, got %T", args[i*n+c])
			}
			out[i] = v
		}
		return out, nil
	case pgTime:
		out := make([]*time.Time, rows)
		for i := range out {
			switch v := args[i*n+c].(type) {
			case nil:
			case time.Time:
				out[i] = &v
			case *time.Time:
				out[i] = v
			default:
				return nil, fmt.Errorf("want a time, got %T", v)
			}
		}
		return out, nil
	case pgFloat:
		out := make([]float64, rows)
		for i := range out {
			v, ok := args[i*n+c].(float64)
			if !ok {
				return nil, fmt.Errorf("want a float64, got %T", args[i*n+c])
			}
			out[i] = v
		}
		return out, nil
	case pgBool:
		out := make([]bool, rows)
		for i := range out {
			v, ok := args[i*n+c].(bool)
			if !ok {
				return nil, fmt.Errorf("want a bool, got %T", args[i*n+c])
			}
			out[i] = v
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown type %q", t)
}

// inList is "IN (?,?,…)" on SQLite and "= ANY(?)" with one bigint[]
// parameter on PostgreSQL, for ids.
func (s *store) inList(ids []int64) (string, []any) {
	if s.db.Dialect == database.Postgres {
		return "= ANY(CAST(? AS bigint[]))", []any{ids}
	}
	return "IN (" + placeholders(len(ids)) + ")", int64Args(ids)
}
