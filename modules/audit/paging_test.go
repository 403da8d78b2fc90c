package audit_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/audit"
)

func TestLimits(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		f := MustFixture(t, backend, audit.Config{})
		err := f.db.Transaction(func(tx *gorm.DB) error { // one transaction: 201 SQLite commits are slow
			for i := range audit.MaxLimit + 1 {
				if err := f.svc.RecordTx(tx, audit.Entry{WorkspaceID: 1, Action: "monitor.create", RecordKey: fmt.Sprint(i)}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name      string
			limit     int
			want      int
			more      bool
			rest      int // entries on the page after, when more
			firstKey  string
			secondKey string
		}{
			{"0 is the default", 0, audit.DefaultLimit, true, audit.DefaultLimit, "200", "150"},
			{"1", 1, 1, true, 1, "200", "199"},
			{"the maximum", audit.MaxLimit, audit.MaxLimit, true, 1, "200", "0"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p := f.MustList(t, 1, audit.Filter{}, "", tc.limit)
				if len(p.Entries) != tc.want || (p.NextCursor != "") != tc.more || p.Entries[0].RecordKey != tc.firstKey {
					t.Fatalf("%d entries from %s, cursor %q; want %d from %s, more %v", len(p.Entries), p.Entries[0].RecordKey, p.NextCursor, tc.want, tc.firstKey, tc.more)
				}
				next := f.MustList(t, 1, audit.Filter{}, p.NextCursor, tc.limit)
				if len(next.Entries) != tc.rest || next.Entries[0].RecordKey != tc.secondKey {
					t.Fatalf("next page: %d entries from %s, want %d from %s", len(next.Entries), next.Entries[0].RecordKey, tc.rest, tc.secondKey)
				}
			})
		}
		// A page that ends exactly at the last entry has no cursor.
		p := f.MustList(t, 1, audit.Filter{RecordKey: "7"}, "", 1)
		if len(p.Entries) != 1 || p.NextCursor != "" {
			t.Fatalf("exact last page: %d entries, cursor %q; want 1 and none", len(p.Entries), p.NextCursor)
		}
	})
}

// TestPagingWhileRecording walks three pages while new entries arrive
// between them: every entry that existed when the walk began is seen exactly
// once, in order, and the new ones wait for the next walk.
func TestPagingWhileRecording(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		f := MustFixture(t, backend, audit.Config{})
		record := func(key string) {
			f.MustRecord(t, audit.Entry{WorkspaceID: 1, Action: "monitor.update", RecordKey: key})
		}
		var want []string
		for i := range 14 {
			record(fmt.Sprintf("old-%02d", i))
			want = append([]string{fmt.Sprintf("old-%02d", i)}, want...)
		}
		flt := audit.Filter{Action: "monitor."}
		var seen []string
		var lastID int64
		cursor := ""
		for page := 1; ; page++ {
			p := f.MustList(t, 1, flt, cursor, 5)
			for _, e := range p.Entries {
				if lastID != 0 && e.ID >= lastID {
					t.Fatalf("page %d: id %d after %d, not strictly newest first", page, e.ID, lastID)
				}
				lastID = e.ID
				seen = append(seen, e.RecordKey)
			}
			if p.NextCursor == "" {
				if page != 3 {
					t.Fatalf("walk ended on page %d, want 3", page)
				}
				break
			}
			for i := range page + 1 { // entries recorded while the client reads
				record(fmt.Sprintf("new-%d-%d", page, i))
			}
			cursor = p.NextCursor
		}
		if !reflect.DeepEqual(seen, want) {
			t.Fatalf("walk saw\n %v\nwant\n %v", seen, want)
		}
		fresh := f.MustList(t, 1, flt, "", 5)
		if got := keys(fresh.Entries); !reflect.DeepEqual(got, []string{"new-2-2", "new-2-1", "new-2-0", "new-1-1", "new-1-0"}) {
			t.Fatalf("a new walk starts with %v, want the five new entries", got)
		}
	})
}

func TestTamperedCursor(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		f := MustFixture(t, backend, audit.Config{})
		for i := range 4 {
			for _, ws := range []int64{1, 2} {
				f.MustRecord(t, audit.Entry{WorkspaceID: ws, Action: "monitor.update", ActorUserID: ptr[int64](3), Actor: "ann",
					RecordType: "monitor", RecordKey: "shop"})
			}
			f.at(t0.Add(time.Duration(i+1) * time.Minute))
		}
		flt := audit.Filter{Action: "monitor.", ActorUserID: ptr[int64](3), RecordType: "monitor", RecordKey: "shop",
			Since: t0, Until: t0.Add(time.Hour)}
		with := func(change func(f *audit.Filter)) audit.Filter { g := flt; change(&g); return g }
		good := f.MustList(t, 1, flt, "", 2).NextCursor
		if good == "" {
			t.Fatal("no cursor")
		}
		if p := f.MustList(t, 1, flt, good, 2); len(p.Entries) != 2 {
			t.Fatalf("the untouched cursor gives %d entries, want 2", len(p.Entries))
		}
		// The same query written in another time zone is the same query.
		sameInstant := with(func(f *audit.Filter) { f.Since = t0.In(time.FixedZone("x", 3600)) })
		if p := f.MustList(t, 1, sameInstant, good, 2); len(p.Entries) != 2 {
			t.Fatalf("the cursor with since in another zone gives %d entries, want 2", len(p.Entries))
		}
		raw, err := base64.RawURLEncoding.DecodeString(good)
		if err != nil {
			t.Fatal(err)
		}
		id, sum, _ := strings.Cut(string(raw), ".")
		enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
		otherWS := f.MustList(t, 2, flt, "", 2).NextCursor
		for _, tc := range []struct {
			name, cursor string
			ws           int64
			flt          audit.Filter
		}{
			{"not base64", "!!!", 1, flt},
			{"a character changed", flip(good, len(good)/2), 1, flt},
			{"truncated", good[:len(good)-3], 1, flt},
			{"another id with the old checksum", enc("99999." + sum), 1, flt},
			{"a plain id", enc(id), 1, flt},
			{"leading zero", enc("0" + id + "." + sum), 1, flt},
			{"empty checksum", enc(id + "."), 1, flt},
			{"from another workspace", otherWS, 1, flt},
			{"used in another workspace", good, 2, flt},
			{"used with another action", good, 1, with(func(f *audit.Filter) { f.Action = "monitor.update" })},
			{"used with another actor", good, 1, with(func(f *audit.Filter) { f.ActorUserID = ptr[int64](4) })},
			{"used without the actor", good, 1, with(func(f *audit.Filter) { f.ActorUserID = nil })},
			{"used with another record type", good, 1, with(func(f *audit.Filter) { f.RecordType = "" })},
			{"used with another key", good, 1, with(func(f *audit.Filter) { f.RecordKey = "sho" })},
			{"used with another since", good, 1, with(func(f *audit.Filter) { f.Since = t0.Add(-time.Microsecond) })},
			{"used without since", good, 1, with(func(f *audit.Filter) { f.Since = time.Time{} })},
			{"used with another until", good, 1, with(func(f *audit.Filter) { f.Until = t0.Add(2 * time.Hour) })},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := f.svc.List(context.Background(), tc.ws, tc.flt, tc.cursor, 2)
				ae := apperr.As(err)
				if !errors.Is(err, audit.ErrBadCursor) || ae.Kind != apperr.BadRequest || ae.Fields["cursor"] == "" {
					t.Fatalf("err = %v, want ErrBadCursor (400 naming cursor)", err)
				}
			})
		}
	})
}

// flip changes the character at i to another base64url character.
func flip(s string, i int) string {
	r := byte('A')
	if s[i] == 'A' {
		r = 'B'
	}
	return s[:i] + string(r) + s[i+1:]
}
