package tick

import (
	"strings"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/database"
)

func TestBulkRender(t *testing.T) {
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	b := bulk{head: "INSERT INTO t (a, b, c, d, e)", types: []pgType{pgBigint, pgText, pgTime, pgFloat, pgBool},
		args: []any{int64(1), "x", at, 1.5, true, 2, "y", nil, 2.5, false}, tail: "ON CONFLICT DO NOTHING"}

	q, args, err := b.render(database.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	if q != "INSERT INTO t (a, b, c, d, e) VALUES (?,?,?,?,?),(?,?,?,?,?) ON CONFLICT DO NOTHING" || len(args) != 10 {
		t.Fatalf("sqlite: %q with %d args", q, len(args))
	}

	q, args, err = b.render(database.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	want := "INSERT INTO t (a, b, c, d, e) SELECT * FROM unnest(CAST(? AS bigint[]),CAST(? AS text[]),CAST(? AS timestamptz[]),CAST(? AS float8[]),CAST(? AS boolean[])) ON CONFLICT DO NOTHING"
	if q != want {
		t.Fatalf("postgres:\n got %q\nwant %q", q, want)
	}
	if len(args) != 5 {
		t.Fatalf("postgres: %d parameters, want one array per column", len(args))
	}
	if ids := args[0].([]int64); ids[0] != 1 || ids[1] != 2 {
		t.Fatalf("ids %v", ids)
	}
	if times := args[2].([]*time.Time); !times[0].Equal(at) || times[1] != nil {
		t.Fatalf("times %v", times)
	}
	if fs, bs := args[3].([]float64), args[4].([]bool); fs[1] != 2.5 || !bs[0] || bs[1] {
		t.Fatalf("floats %v bools %v", fs, bs)
	}

	for name, bad := range map[string]bulk{
		"short row":  {head: "INSERT INTO t (a, b)", types: []pgType{pgBigint, pgText}, args: []any{int64(1), "x", int64(2)}},
		"no columns": {head: "INSERT INTO t ()"},
		"wrong type": {head: "INSERT INTO t (a)", types: []pgType{pgBigint}, args: []any{"1"}},
		"text":       {head: "INSERT INTO t (a)", types: []pgType{pgText}, args: []any{1}},
		"time":       {head: "INSERT INTO t (a)", types: []pgType{pgTime}, args: []any{"now"}},
		"float":      {head: "INSERT INTO t (a)", types: []pgType{pgFloat}, args: []any{1}},
		"bool":       {head: "INSERT INTO t (a)", types: []pgType{pgBool}, args: []any{1}},
		"unknown":    {head: "INSERT INTO t (a)", types: []pgType{"money"}, args: []any{1}},
	} {
		if _, _, err := bad.render(database.Postgres); err == nil || !strings.Contains(err.Error(), "bulk") {
			t.Errorf("%s: err %v, want a bulk error", name, err)
		}
	}
}
