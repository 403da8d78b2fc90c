package tick

import (
	"strings"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/database"
)

func TestBulkRender(t *testing.T) {
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	b := bulk{head: "INSERT INTO t (a, b, c, d, e, f)", cols: []any{[]int64{1, 2}, []string{"x", "y"}, []*time.Time{&at, nil},
		[]float64{1.5, 2.5}, []bool{true, false}, []time.Time{at, at.Add(time.Hour)}}, tail: "ON CONFLICT DO NOTHING"}

	q, args, err := b.render(database.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	if q != "INSERT INTO t (a, b, c, d, e, f) VALUES (?,?,?,?,?,?),(?,?,?,?,?,?) ON CONFLICT DO NOTHING" || len(args) != 12 {
		t.Fatalf("sqlite: %q with %d args", q, len(args))
	}
	// Row by row, a NULL time as nil.
	want := []any{int64(1), "x", at, 1.5, true, at, int64(2), "y", nil, 2.5, false, at.Add(time.Hour)}
	for i := range want {
		if args[i] != want[i] {
			t.Fatalf("sqlite arg %d = %#v, want %#v", i, args[i], want[i])
		}
	}

	q, args, err = b.render(database.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	wantQ := "INSERT INTO t (a, b, c, d, e, f) SELECT * FROM unnest(CAST(? AS bigint[]),CAST(? AS text[]),CAST(? AS timestamptz[]),CAST(? AS float8[]),CAST(? AS boolean[]),CAST(? AS timestamptz[])) ON CONFLICT DO NOTHING"
	if q != wantQ {
		t.Fatalf("postgres:\n got %q\nwant %q", q, wantQ)
	}
	if len(args) != 6 {
		t.Fatalf("postgres: %d parameters, want one array per column", len(args))
	}
	if ids := args[0].([]int64); ids[0] != 1 || ids[1] != 2 {
		t.Fatalf("ids %v", ids)
	}

	for name, bad := range map[string]bulk{
		"uneven":     {head: "INSERT INTO t (a, b)", cols: []any{[]int64{1, 2}, []string{"x"}}},
		"no columns": {head: "INSERT INTO t ()"},
		"wrong type": {head: "INSERT INTO t (a)", cols: []any{[]int{1}}},
		"not a list": {head: "INSERT INTO t (a)", cols: []any{int64(1)}},
	} {
		for _, d := range []database.Dialect{database.Postgres, database.SQLite} {
			if _, _, err := bad.render(d); err == nil || !strings.Contains(err.Error(), "bulk") {
				t.Errorf("%s (%s): err %v, want a bulk error", name, d, err)
			}
		}
	}
}
