package audit_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/audit"
	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/testenv"
)

// fixture is a migrated database, an audit service and its clock.
type fixture struct {
	db  *database.DB
	svc *audit.Service
	mu  sync.Mutex
	now time.Time
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func MustFixture(t *testing.T, backend string, cfg audit.Config) *fixture {
	t.Helper()
	f := &fixture{db: testenv.MustDatabase(t, backend), now: t0}
	cfg.Now = func() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }
	f.svc = audit.New(f.db, cfg)
	return f
}

func (f *fixture) at(t time.Time) { f.mu.Lock(); f.now = t; f.mu.Unlock() }

// MustRecord records e at the clock's time.
func (f *fixture) MustRecord(t *testing.T, e audit.Entry) {
	t.Helper()
	if err := f.svc.Record(context.Background(), e); err != nil {
		t.Fatalf("Record %s: %v", e.Action, err)
	}
}

// MustList lists and fails the test on an error.
func (f *fixture) MustList(t *testing.T, ws int64, flt audit.Filter, cursor string, limit int) audit.Page {
	t.Helper()
	p, err := f.svc.List(context.Background(), ws, flt, cursor, limit)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return p
}

func backends(t *testing.T, fn func(t *testing.T, backend string)) {
	for _, b := range testenv.Backends {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			fn(t, b)
		})
	}
}

func ptr[T any](v T) *T { return &v }

func keys(es []audit.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.RecordKey
	}
	return out
}

func TestRecordAndList(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		f := MustFixture(t, backend, audit.Config{})
		before := shop()
		after := shop()
		after.Interval, after.Password = 30, "hunter2"
		// 255 bytes of ASCII, then a 3-byte character that crosses 256.
		ua := strings.Repeat("a", 255) + "€" + "tail"
		f.MustRecord(t, audit.Entry{WorkspaceID: 7, ActorUserID: ptr[int64](3), Actor: "ann@example.com",
			Action: audit.ActionMonitorUpdate, RecordType: "monitor", RecordID: ptr[int64](11), RecordKey: "shop",
			Changes: audit.Diff(before, after), Address: "203.0.113.9", UserAgent: ua})
		f.at(t0.Add(time.Second + 1500*time.Nanosecond)) // sub-microsecond part is dropped
		f.MustRecord(t, audit.Entry{WorkspaceID: 7, Action: "pusher.rebalance", UserAgent: "curl/8\x00\xff"})

		p := f.MustList(t, 7, audit.Filter{}, "", 0)
		if len(p.Entries) != 2 || p.NextCursor != "" {
			t.Fatalf("got %d entries, cursor %q; want 2 and none", len(p.Entries), p.NextCursor)
		}
		sys, upd := p.Entries[0], p.Entries[1]
		if sys.ID <= upd.ID {
			t.Fatalf("not newest first: ids %d then %d", sys.ID, upd.ID)
		}
		want := audit.Entry{ID: upd.ID, WorkspaceID: 7, ActorUserID: ptr[int64](3), Actor: "ann@example.com",
			Action: "monitor.update", RecordType: "monitor", RecordID: ptr[int64](11), RecordKey: "shop",
			Changes: map[string]audit.Change{
				"interval_seconds": c("60", "30"),
				"password":         {From: nil, To: audit.Masked},
			},
			Address: "203.0.113.9", UserAgent: strings.Repeat("a", 255), CreatedAt: t0}
		if !reflect.DeepEqual(upd, want) {
			t.Errorf("update entry =\n %+v\nwant\n %+v", upd, want)
		}
		if sys.Actor != audit.ActorSystem || sys.ActorUserID != nil || sys.RecordID != nil || len(sys.Changes) != 0 || sys.Changes == nil {
			t.Errorf("system entry = %+v; want actor system, no user, no record, empty changes", sys)
		}
		if sys.UserAgent != "curl/8\uFFFD" {
			t.Errorf("user agent %q: want NUL dropped and the invalid byte replaced", sys.UserAgent)
		}
		if !sys.CreatedAt.Equal(t0.Add(time.Second+time.Microsecond)) || sys.CreatedAt.Location() != time.UTC {
			t.Errorf("created_at %v, want %v in UTC", sys.CreatedAt, t0.Add(time.Second+time.Microsecond))
		}
	})
}

func TestRecordRefusesBrokenEntries(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		f := MustFixture(t, backend, audit.Config{})
		for name, e := range map[string]audit.Entry{
			"negative workspace":     {WorkspaceID: -1, Action: "monitor.create"},
			"no action":              {WorkspaceID: 1},
			"action of one word":     {WorkspaceID: 1, Action: "monitor"},
			"upper-case action":      {WorkspaceID: 1, Action: "Monitor.Create"},
			"action with a space":    {WorkspaceID: 1, Action: "monitor. create"},
			"user without the actor": {WorkspaceID: 1, Action: "monitor.create", ActorUserID: ptr[int64](1)},
			"action too long":        {WorkspaceID: 1, Action: "monitor." + strings.Repeat("x", 200)},
			"changes not JSON":       {WorkspaceID: 1, Action: "monitor.update", Changes: map[string]audit.Change{"x": {To: math.Inf(1)}}},
		} {
			if err := f.svc.Record(context.Background(), e); !errors.Is(err, audit.ErrInvalidEntry) {
				t.Errorf("%s: err = %v, want ErrInvalidEntry", name, err)
			}
		}
		if p := f.MustList(t, 1, audit.Filter{}, "", 0); len(p.Entries) != 0 {
			t.Errorf("refused entries were stored: %+v", p.Entries)
		}
	})
}

// TestRecordTx: an entry written in the caller's transaction exists exactly
// when the change it describes committed.
func TestRecordTx(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		f := MustFixture(t, backend, audit.Config{})
		boom := errors.New("change failed")
		err := f.db.Transaction(func(tx *gorm.DB) error {
			if err := f.svc.RecordTx(tx, audit.Entry{WorkspaceID: 1, Action: "monitor.delete", RecordKey: "rolled-back"}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("transaction: %v", err)
		}
		err = f.db.Transaction(func(tx *gorm.DB) error {
			return f.svc.RecordTx(tx, audit.Entry{WorkspaceID: 1, Action: "monitor.delete", RecordKey: "committed"})
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := keys(f.MustList(t, 1, audit.Filter{}, "", 0).Entries); !reflect.DeepEqual(got, []string{"committed"}) {
			t.Fatalf("entries %v, want only the committed one", got)
		}
	})
}

func TestFilters(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		f := MustFixture(t, backend, audit.Config{})
		for i, e := range []audit.Entry{
			{Action: "monitor.create", ActorUserID: ptr[int64](1), Actor: "ann", RecordType: "monitor", RecordKey: "m1"},
			{Action: "monitor.update", ActorUserID: ptr[int64](2), Actor: "bob", RecordType: "monitor", RecordKey: "m2"},
			{Action: "monitor.delete", ActorUserID: ptr[int64](1), Actor: "ann", RecordType: "monitor", RecordKey: "m3"},
			{Action: "member.role", ActorUserID: ptr[int64](1), Actor: "ann", RecordType: "member", RecordKey: "m4"},
			{Action: "login.failure", RecordType: "user", RecordKey: "m5"},
			// "_" must not act as a LIKE wildcard, and "monitor." must not match "monitor_group."
			{Action: "monitor_group.create", ActorUserID: ptr[int64](2), Actor: "bob", RecordType: "monitor_group", RecordKey: "m6"},
			{Action: "monitorxgroup.create", ActorUserID: ptr[int64](2), Actor: "bob", RecordType: "group", RecordKey: "m7"},
		} {
			f.at(t0.Add(time.Duration(i) * time.Hour))
			e.WorkspaceID = 1
			f.MustRecord(t, e)
		}
		hour := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Hour) }
		for _, tc := range []struct {
			name string
			flt  audit.Filter
			want []string
		}{
			{"everything, newest first", audit.Filter{}, []string{"m7", "m6", "m5", "m4", "m3", "m2", "m1"}},
			{"action prefix with a dot", audit.Filter{Action: "monitor."}, []string{"m3", "m2", "m1"}},
			{"action prefix without a dot", audit.Filter{Action: "monitor"}, []string{"m3", "m2", "m1"}},
			{"exact action", audit.Filter{Action: "monitor.update"}, []string{"m2"}},
			{"underscore is a letter", audit.Filter{Action: "monitor_group."}, []string{"m6"}},
			{"a partial word matches nothing", audit.Filter{Action: "monit"}, []string{}},
			{"actor", audit.Filter{ActorUserID: ptr[int64](1)}, []string{"m4", "m3", "m1"}},
			{"record type", audit.Filter{RecordType: "member"}, []string{"m4"}},
			{"record key", audit.Filter{RecordKey: "m2"}, []string{"m2"}},
			{"since is inclusive", audit.Filter{Since: hour(5)}, []string{"m7", "m6"}},
			{"until is exclusive", audit.Filter{Until: hour(2)}, []string{"m2", "m1"}},
			{"since and until", audit.Filter{Since: hour(1), Until: hour(3)}, []string{"m3", "m2"}},
			{"other time zones are the same instant", audit.Filter{Since: hour(5).In(time.FixedZone("x", 5*3600))}, []string{"m7", "m6"}},
			{"all together", audit.Filter{Action: "monitor.", ActorUserID: ptr[int64](1), RecordType: "monitor", Since: hour(1)}, []string{"m3"}},
			{"nothing matches", audit.Filter{RecordKey: "nope"}, []string{}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p := f.MustList(t, 1, tc.flt, "", 0)
				if got := keys(p.Entries); !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			})
		}
	})
}

func TestListValidation(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		f := MustFixture(t, backend, audit.Config{})
		for _, tc := range []struct {
			name, field string
			flt         audit.Filter
			limit       int
			ok          *audit.Filter // just inside the rule, when it has a boundary
		}{
			{"upper-case action", "action", audit.Filter{Action: "Monitor."}, 0, nil},
			{"double dot", "action", audit.Filter{Action: "monitor..update"}, 0, nil},
			{"LIKE wildcard", "action", audit.Filter{Action: "monitor.%"}, 0, nil},
			{"actor 0", "actor", audit.Filter{ActorUserID: ptr[int64](0)}, 0, &audit.Filter{ActorUserID: ptr[int64](1)}},
			{"NUL in key", "key", audit.Filter{RecordKey: "a\x00b"}, 0, nil},
			{"long action", "action", audit.Filter{Action: strings.Repeat("x", 201)}, 0, &audit.Filter{Action: strings.Repeat("x", 200)}},
			{"long record type", "record_type", audit.Filter{RecordType: strings.Repeat("x", 201)}, 0, &audit.Filter{RecordType: strings.Repeat("x", 200)}},
			{"long key", "key", audit.Filter{RecordKey: strings.Repeat("é", 101)}, 0, &audit.Filter{RecordKey: strings.Repeat("é", 100)}},
			{"invalid UTF-8 in record type", "record_type", audit.Filter{RecordType: "a\xffb"}, 0, nil},
			{"until equals since", "until", audit.Filter{Since: t0, Until: t0}, 0, &audit.Filter{Since: t0, Until: t0.Add(time.Microsecond)}},
			{"until before since", "until", audit.Filter{Since: t0, Until: t0.Add(-time.Second)}, 0, nil},
			{"negative limit", "limit", audit.Filter{}, -1, nil},                         // 0 is the default: TestLimits
			{"limit over the maximum", "limit", audit.Filter{}, audit.MaxLimit + 1, nil}, // the maximum: TestLimits
		} {
			t.Run(tc.name, func(t *testing.T) {
				if ok := tc.ok; ok != nil {
					if _, err := f.svc.List(context.Background(), 1, *ok, "", tc.limit); err != nil {
						t.Fatalf("the value just inside the rule is refused: %v", err)
					}
				}
				_, err := f.svc.List(context.Background(), 1, tc.flt, "", tc.limit)
				ae := apperr.As(err)
				if ae == nil || ae.Kind != apperr.Invalid || ae.Fields[tc.field] == "" {
					t.Fatalf("err = %v, want a validation error naming %s", err, tc.field)
				}
			})
		}
	})
}

// TestPurge pins the boundary: an entry stamped exactly at `before` is
// kept; only older ones go, from every workspace, in batches.
func TestPurge(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		f := MustFixture(t, backend, audit.Config{PurgeBatch: 2})
		cut := t0.Add(24 * time.Hour)
		for i, at := range []time.Time{t0, t0.Add(time.Hour), cut.Add(-time.Microsecond), cut, cut.Add(time.Microsecond)} {
			f.at(at)
			for _, ws := range []int64{audit.Installation, 1} {
				f.MustRecord(t, audit.Entry{WorkspaceID: ws, Action: "login.failure", RecordKey: fmt.Sprint(i)})
			}
		}
		// Nanoseconds below the stored precision do not move the boundary.
		n, err := f.svc.Purge(context.Background(), cut.Add(999*time.Nanosecond))
		if err != nil || n != 6 {
			t.Fatalf("Purge = %d, %v; want 6 (three old entries in each of two workspaces, batches of 2)", n, err)
		}
		for _, ws := range []int64{audit.Installation, 1} {
			if got := keys(f.MustList(t, ws, audit.Filter{}, "", 0).Entries); !reflect.DeepEqual(got, []string{"4", "3"}) {
				t.Errorf("workspace %d keeps %v, want [4 3]: the entry at the cut stays", ws, got)
			}
		}
		if n, err := f.svc.Purge(context.Background(), cut); err != nil || n != 0 {
			t.Fatalf("second Purge = %d, %v; want 0", n, err)
		}
		if n, err := f.svc.Purge(context.Background(), cut.Add(time.Microsecond)); err != nil || n != 2 {
			t.Fatalf("Purge one microsecond later = %d, %v; want the 2 entries at the cut", n, err)
		}
	})
}

// TestIsolation: a workspace sees its own entries only, whatever it asks.
func TestIsolation(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		f := MustFixture(t, backend, audit.Config{})
		for i := range 3 {
			for _, ws := range []int64{1, 2, audit.Installation} {
				f.MustRecord(t, audit.Entry{WorkspaceID: ws, ActorUserID: ptr[int64](5), Actor: "ann", Action: "monitor.update",
					RecordType: "monitor", RecordKey: fmt.Sprintf("ws%d-%d", ws, i)})
			}
		}
		for _, ws := range []int64{1, 2, audit.Installation} {
			all := f.MustList(t, ws, audit.Filter{Action: "monitor.", ActorUserID: ptr[int64](5), RecordType: "monitor"}, "", 0)
			if len(all.Entries) != 3 {
				t.Fatalf("workspace %d sees %d entries, want its 3", ws, len(all.Entries))
			}
			for _, e := range all.Entries {
				if e.WorkspaceID != ws || !strings.HasPrefix(e.RecordKey, fmt.Sprintf("ws%d-", ws)) {
					t.Errorf("workspace %d sees %+v", ws, e)
				}
			}
		}
		if p := f.MustList(t, 1, audit.Filter{RecordKey: "ws2-0"}, "", 0); len(p.Entries) != 0 {
			t.Errorf("workspace 1 finds workspace 2's entry by key: %+v", p.Entries)
		}
		// Paging workspace 1 one entry at a time never crosses into the
		// others, whose ids sit between its own.
		var seen []string
		cursor := ""
		for {
			p := f.MustList(t, 1, audit.Filter{}, cursor, 1)
			seen = append(seen, keys(p.Entries)...)
			if cursor = p.NextCursor; cursor == "" {
				break
			}
		}
		if !reflect.DeepEqual(seen, []string{"ws1-2", "ws1-1", "ws1-0"}) {
			t.Errorf("paging workspace 1 saw %v", seen)
		}
	})
}
