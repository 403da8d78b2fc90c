package heartbeat

import (
	"fmt"
	"testing"
	"time"
)

// utc parses "2006-01-02 15:04" (seconds optional) as UTC.
func utc(t *testing.T, s string) time.Time {
	t.Helper()
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02 15:04:05"} {
		if v, err := time.Parse(layout, s); err == nil {
			return v
		}
	}
	t.Fatalf("bad time %q", s)
	return time.Time{}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// show writes times in UTC and in the zone, for failure messages.
func show(ts []time.Time, loc *time.Location) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.UTC().Format("01-02 15:04Z") + " (" + t.In(loc).Format("15:04 MST") + ")"
	}
	return out
}

func TestNextCronDaylightSaving(t *testing.T) {
	tests := []struct {
		name, tz, cron, after string
		want                  []string // UTC
	}{
		{
			// 2026-03-29 02:00 CET becomes 03:00 CEST (01:00 UTC): 02:30 never
			// happens; it is expected at the change, once.
			name: "Berlin spring forward, daily 02:30", tz: "Europe/Berlin", cron: "30 2 * * *",
			after: "2026-03-27 12:00",
			want:  []string{"2026-03-28 01:30", "2026-03-29 01:00", "2026-03-30 00:30", "2026-03-31 00:30"},
		},
		{
			// 2026-10-25 03:00 CEST becomes 02:00 CET (01:00 UTC): 02:30 happens
			// twice; only the first (CEST) is expected.
			name: "Berlin fall back, daily 02:30", tz: "Europe/Berlin", cron: "30 2 * * *",
			after: "2026-10-23 12:00",
			want:  []string{"2026-10-24 00:30", "2026-10-25 00:30", "2026-10-26 01:30", "2026-10-27 01:30"},
		},
		{
			name: "Berlin fall back, after the first 02:30", tz: "Europe/Berlin", cron: "30 2 * * *",
			after: "2026-10-25 00:30",
			want:  []string{"2026-10-26 01:30"},
		},
		{
			// 02:10 CET is in the repeated hour, after both 02:30s' first one.
			name: "Berlin fall back, from inside the repeated hour", tz: "Europe/Berlin", cron: "30 2 * * *",
			after: "2026-10-25 01:10",
			want:  []string{"2026-10-26 01:30"},
		},
		{
			// The four skipped quarter hours all land on 03:00 CEST, which is
			// also a match of its own: one expected time.
			name: "Berlin spring forward, every 15 minutes", tz: "Europe/Berlin", cron: "*/15 * * * *",
			after: "2026-03-29 00:40",
			want:  []string{"2026-03-29 00:45", "2026-03-29 01:00", "2026-03-29 01:15"},
		},
		{
			// The repeated hour expects nothing the second time.
			name: "Berlin fall back, every 30 minutes", tz: "Europe/Berlin", cron: "*/30 * * * *",
			after: "2026-10-25 00:10",
			want:  []string{"2026-10-25 00:30", "2026-10-25 02:00", "2026-10-25 02:30"},
		},
		{
			// 2026-03-08 02:00 EST becomes 03:00 EDT (07:00 UTC).
			name: "New York spring forward, daily 02:30", tz: "America/New_York", cron: "30 2 * * *",
			after: "2026-03-06 12:00",
			want:  []string{"2026-03-07 07:30", "2026-03-08 07:00", "2026-03-09 06:30"},
		},
		{
			// 2026-11-01 02:00 EDT becomes 01:00 EST (06:00 UTC): 01:30 happens
			// twice, first at 05:30 UTC.
			name: "New York fall back, daily 01:30", tz: "America/New_York", cron: "30 1 * * *",
			after: "2026-10-30 12:00",
			want:  []string{"2026-10-31 05:30", "2026-11-01 05:30", "2026-11-02 06:30"},
		},
		{
			name: "New York fall back, daily 02:00 happens once anyway", tz: "America/New_York", cron: "0 2 * * *",
			after: "2026-10-31 12:00",
			want:  []string{"2026-11-01 07:00", "2026-11-02 07:00"},
		},
		{
			// Lord Howe Island moves its clocks by 30 minutes (02:00 to 02:30 on
			// 2026-10-04, 15:30 UTC the day before).
			name: "Lord Howe half-hour change", tz: "Australia/Lord_Howe", cron: "15 2 * * *",
			after: "2026-10-02 12:00",
			want:  []string{"2026-10-02 15:45", "2026-10-03 15:30", "2026-10-04 15:15"},
		},
		{
			name: "UTC when no zone", tz: "", cron: "30 2 * * *",
			after: "2026-03-28 02:30",
			want:  []string{"2026-03-29 02:30"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Schedule{Cron: tt.cron, TZ: tt.tz, Grace: time.Minute}
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
			var want []time.Time
			for _, w := range tt.want {
				want = append(want, utc(t, w))
			}
			got := s.NextN(utc(t, tt.after), len(want))
			loc := mustZone(t, tt.tz)
			if fmt.Sprint(show(got, loc)) != fmt.Sprint(show(want, loc)) {
				t.Errorf("NextN =\n  %v\nwant\n  %v", show(got, loc), show(want, loc))
			}
			if len(got) > 0 && got[0].Location().String() != loc.String() {
				t.Errorf("Next is in %v, want the schedule's zone %v", got[0].Location(), loc)
			}
		})
	}
}

// TestNextCronDaylightSavingOracle checks Next against a walk through real
// time, minute by minute, around every clock change of 2026 in zones with
// one-hour, half-hour and midnight changes in both hemispheres. The walk
// states the rules directly: a matching wall time is expected the first
// time the clocks show it; matching wall times the clocks skip are expected
// at the minute they jump.
func TestNextCronDaylightSavingOracle(t *testing.T) {
	zones := []string{"Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "Australia/Sydney", "Europe/London"}
	exprs := []string{"30 2 * * *", "*/15 * * * *", "0 0 * * *", "45 1 * * 0", "0 * * * *", "59 23 * * *", "30 0 * * *"}
	for _, zone := range zones {
		loc := mustZone(t, zone)
		changes := clockChanges(loc, 2026)
		if len(changes) < 2 {
			t.Fatalf("%s: found %d clock changes in 2026", zone, len(changes))
		}
		for _, expr := range exprs {
			c, err := parseCron(expr)
			if err != nil {
				t.Fatal(err)
			}
			for _, change := range changes {
				from, to := change.Add(-26*time.Hour), change.Add(26*time.Hour)
				want := oracle(c, loc, from, to)
				var got []time.Time
				for n := c.next(from, loc); n.Before(to); n = c.next(n, loc) {
					got = append(got, n)
				}
				if i := firstDiff(show(got, loc), show(want, loc)); i >= 0 {
					t.Errorf("%s %q around %v: expected time #%d:\n got %v\nwant %v", zone, expr, change, i,
						window(show(got, loc), i), window(show(want, loc), i))
				}
			}
		}
	}
}

// firstDiff returns the first index where a and b differ, or -1.
func firstDiff(a, b []string) int {
	for i := range max(len(a), len(b)) {
		if i >= len(a) || i >= len(b) || a[i] != b[i] {
			return i
		}
	}
	return -1
}

// window returns up to three elements of s from i-1.
func window(s []string, i int) []string {
	return s[min(max(i-1, 0), len(s)):min(i+2, len(s))]
}

func clockChanges(loc *time.Location, year int) []time.Time {
	var out []time.Time
	t := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).In(loc)
	for {
		_, end := t.ZoneBounds()
		if end.IsZero() || end.Year() > year {
			return out
		}
		out = append(out, end)
		t = end.In(loc)
	}
}

func oracle(c cronSpec, loc *time.Location, from, to time.Time) []time.Time {
	wall := func(t time.Time) time.Time {
		l := t.In(loc)
		return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), 0, 0, time.UTC)
	}
	matches := func(w time.Time) bool {
		_, ok := c.nextWall(w, w.Add(time.Minute))
		return ok
	}
	seen := map[time.Time]bool{}
	var out []time.Time
	expect := func(t time.Time) {
		if t.After(from) && (len(out) == 0 || !out[len(out)-1].Equal(t)) {
			out = append(out, t)
		}
	}
	// Start a few hours early so that "first time shown" is known.
	prev := wall(from.Add(-3 * time.Hour).Truncate(time.Minute))
	for t := from.Add(-3 * time.Hour).Truncate(time.Minute); t.Before(to); t = t.Add(time.Minute) {
		w := wall(t)
		for s := prev.Add(time.Minute); s.Before(w); s = s.Add(time.Minute) {
			if matches(s) { // skipped by the clocks
				expect(t)
			}
		}
		if w.After(prev) {
			prev = w
		}
		if matches(w) && !seen[w] {
			expect(t)
		}
		seen[w] = true
	}
	return out
}

func TestNextCronFields(t *testing.T) {
	tests := []struct {
		name, cron, after string
		want              []string
	}{
		{"day of month or day of week when both are set", "0 0 1 * 1", "2026-06-24 00:00",
			[]string{"2026-06-29 00:00", "2026-07-01 00:00", "2026-07-06 00:00"}}, // Mon, Wed the 1st, Mon
		{"day of month alone", "0 0 1 * *", "2026-06-24 00:00",
			[]string{"2026-07-01 00:00", "2026-08-01 00:00"}},
		{"day of week alone", "0 0 * * MON", "2026-06-24 00:00",
			[]string{"2026-06-29 00:00", "2026-07-06 00:00"}},
		{"month, across a year", "0 0 1 JAN *", "2026-02-01 00:00",
			[]string{"2027-01-01 00:00", "2028-01-01 00:00"}},
		{"29 February", "0 12 29 2 *", "2026-01-01 00:00",
			[]string{"2028-02-29 12:00", "2032-02-29 12:00"}},
		{"hour and minute lists", "5,35 3,15 * * *", "2026-06-01 03:05",
			[]string{"2026-06-01 03:35", "2026-06-01 15:05", "2026-06-01 15:35", "2026-06-02 03:05"}},
		{"strictly after, to the second", "* * * * *", "2026-06-01 10:00:59",
			[]string{"2026-06-01 10:01", "2026-06-01 10:02"}},
		{"an exact match is not after itself", "0 10 * * *", "2026-06-01 10:00",
			[]string{"2026-06-02 10:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Schedule{Cron: tt.cron, Grace: time.Minute}
			got := s.NextN(utc(t, tt.after), len(tt.want))
			var want []time.Time
			for _, w := range tt.want {
				want = append(want, utc(t, w))
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("NextN = %v, want %v", got, want)
			}
		})
	}
}

func TestNextPeriod(t *testing.T) {
	s := Schedule{Period: time.Hour, Grace: 5 * time.Minute}
	at := utc(t, "2026-06-01 12:00:30")
	if got, want := s.Next(at), utc(t, "2026-06-01 13:00:30"); !got.Equal(want) {
		t.Errorf("Next = %v, want %v", got, want)
	}
	got := s.NextN(at, 3)
	want := []time.Time{utc(t, "2026-06-01 13:00:30"), utc(t, "2026-06-01 14:00:30"), utc(t, "2026-06-01 15:00:30")}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("NextN = %v, want %v", got, want)
	}
}

func TestNextInvalidScheduleExpectsNothing(t *testing.T) {
	at := utc(t, "2026-06-01 12:00")
	for _, s := range []Schedule{{}, {Period: -time.Hour}, {Cron: "61 * * * *"}, {Cron: "* * * * *", TZ: "Nowhere/Else"}} {
		if got := s.Next(at); !got.IsZero() {
			t.Errorf("%+v: Next = %v, want the zero time", s, got)
		}
		if got := s.NextN(at, 5); len(got) != 0 {
			t.Errorf("%+v: NextN = %v, want none", s, got)
		}
	}
}

func TestFmtDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		5 * time.Minute:                  "5m",
		time.Hour:                        "1h",
		90 * time.Minute:                 "1h30m",
		10 * time.Hour:                   "10h",
		2 * time.Second:                  "2s",
		time.Hour + time.Second:          "1h0m1s",
		59*time.Second + time.Nanosecond: "59.000000001s",
	} {
		if got := fmtDuration(d); got != want {
			t.Errorf("fmtDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
