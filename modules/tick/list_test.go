package tick

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/queue"
	"github.com/betterstack/betterstack/modules/testenv"
)

// TestListPagesAcrossDays: a monitor's ticks come newest first (slot, then
// region), page after page, the same on both backends, whichever side of
// the first query's cut (the start of the day before the page's top) a
// tick falls on: at the cut, a millisecond before it, days before it, in
// the future, and two regions at one slot on either side of a page's end.
// Every limit from 1 to past the end pages through all of them once.
func TestListPagesAcrossDays(t *testing.T) {
	for _, backend := range []string{"postgres", "sqlite"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := testenv.MustDatabase(t, backend)
			seedMonitors(t, db, 2)
			now := time.Date(2026, 12, 5, 10, 30, 0, 0, time.UTC)
			cut := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC) // the day before now's
			svc := New(db, nil, Config{Now: func() time.Time { return now }}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
			if _, err := svc.EnsurePartitions(ctx, now.AddDate(0, 0, -5)); err != nil {
				t.Fatal(err)
			}
			slots := []time.Time{
				now.Add(2 * time.Minute), // a slot after the clock
				now.Add(-time.Minute),
				cut.Add(time.Millisecond),
				cut,
				cut.Add(-time.Millisecond),
				cut.Add(-time.Hour),
				cut.AddDate(0, 0, -3),
				time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), // no partition: the default one
			}
			var batch []queue.Result
			for _, at := range slots {
				for _, region := range []string{"us", "eu"} {
					batch = append(batch, queue.Result{MonitorID: 1, Region: region, WorkerID: "w", ScheduledAt: at,
						Result: probe.Result{Status: probe.StatusUp, StatusCode: 200, LatencyMS: 1, CheckedAt: at}})
				}
			}
			// Another monitor's tick (its own region, so it would show) is never listed.
			batch = append(batch, queue.Result{MonitorID: 2, Region: "zz", WorkerID: "w", ScheduledAt: cut,
				Result: probe.Result{Status: probe.StatusUp, CheckedAt: cut}})
			if err := svc.Store(ctx, batch); err != nil {
				t.Fatal(err)
			}
			label := func(ticks []Tick) []string {
				out := []string{}
				for _, tk := range ticks {
					out = append(out, tk.ScheduledAt.UTC().Format("01-02T15:04:05.000")+"/"+tk.Region)
				}
				return out
			}
			// want is the ticks of monitor 1 passing keep, newest first.
			want := func(keep func(at time.Time, region string) bool) []string {
				var out []Tick
				for _, r := range batch {
					if r.MonitorID == 1 && keep(r.ScheduledAt, r.Region) {
						out = append(out, Tick{ScheduledAt: r.ScheduledAt, Region: r.Region})
					}
				}
				slices.SortFunc(out, func(a, b Tick) int {
					if c := b.ScheduledAt.Compare(a.ScheduledAt); c != 0 {
						return c
					}
					return strings.Compare(a.Region, b.Region)
				})
				return label(out)
			}
			all := func(time.Time, string) bool { return true }
			at := func(t time.Time) *time.Time { return &t }
			for _, tc := range []struct {
				name string
				f    TickFilter
				keep func(time.Time, string) bool
			}{
				{"everything", TickFilter{}, all},
				{"one region", TickFilter{Region: "us"}, func(_ time.Time, r string) bool { return r == "us" }},
				{"since the cut: one query", TickFilter{Since: at(cut)}, func(a time.Time, _ string) bool { return !a.Before(cut) }},
				{"since just before the cut", TickFilter{Since: at(cut.Add(-time.Millisecond))},
					func(a time.Time, _ string) bool { return !a.Before(cut.Add(-time.Millisecond)) }},
				{"until the cut moves the cut a day back", TickFilter{Until: at(cut)}, func(a time.Time, _ string) bool { return a.Before(cut) }},
				{"until just after the cut", TickFilter{Until: at(cut.Add(time.Millisecond))},
					func(a time.Time, _ string) bool { return !a.After(cut) }},
				{"a window across the cut", TickFilter{Since: at(cut.Add(-time.Hour)), Until: at(now)},
					func(a time.Time, _ string) bool { return !a.Before(cut.Add(-time.Hour)) && a.Before(now) }},
			} {
				for limit := 1; limit <= len(slots)*2+1; limit++ {
					f := tc.f
					f.Limit = limit
					var got []string
					for page := 0; ; page++ {
						if page > len(slots)*2 {
							t.Fatalf("%s, limit %d: paging does not end", tc.name, limit)
						}
						p, err := svc.List(ctx, 1, f)
						if err != nil {
							t.Fatal(err)
						}
						if len(p.Data) > limit || (p.NextCursor != nil && len(p.Data) != limit) {
							t.Fatalf("%s, limit %d: a page of %d with next cursor %v", tc.name, limit, len(p.Data), p.NextCursor != nil)
						}
						got = append(got, label(p.Data)...)
						if p.NextCursor == nil {
							break
						}
						c, err := decodeCursor(*p.NextCursor)
						if err != nil {
							t.Fatal(err)
						}
						f.Before = &c
					}
					if w := want(tc.keep); !slices.Equal(got, w) {
						t.Fatalf("%s, limit %d:\n got %v\nwant %v", tc.name, limit, got, w)
					}
				}
			}
		})
	}
}
