package incident

import (
	"fmt"
	"testing"
	"time"
)

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func spans(ss []Span) string {
	out := ""
	for _, s := range ss {
		out += fmt.Sprintf("[%s, %s) ", s.Start.Format("01-02 15:04"), s.End.Format("01-02 15:04"))
	}
	return out
}

// Europe/Berlin springs forward on Sunday 2026-03-29 (02:00 CET → 03:00
// CEST) and falls back on Sunday 2026-10-25 (03:00 CEST → 02:00 CET).
func TestOccurrences(t *testing.T) {
	weekly := func(days []int, start string, minutes int) Window {
		return Window{Weekdays: days, StartTime: start, DurationMinutes: minutes, TimeZone: "Europe/Berlin"}
	}
	oneOff := func(a, b string) Window {
		s, e := utc(a), utc(b)
		return Window{StartsAt: &s, EndsAt: &e}
	}
	for _, tc := range []struct {
		name     string
		w        Window
		from, to string
		want     string
	}{
		{"one-off inside", oneOff("2026-03-02 10:00", "2026-03-02 11:00"), "2026-03-01 00:00", "2026-03-03 00:00", "[03-02 10:00, 03-02 11:00) "},
		{"one-off overlapping from, unclipped", oneOff("2026-02-28 22:00", "2026-03-01 01:00"), "2026-03-01 00:00", "2026-03-03 00:00", "[02-28 22:00, 03-01 01:00) "},
		{"one-off ending at from", oneOff("2026-02-28 22:00", "2026-03-01 00:00"), "2026-03-01 00:00", "2026-03-03 00:00", ""},
		{"one-off starting at to", oneOff("2026-03-03 00:00", "2026-03-03 01:00"), "2026-03-01 00:00", "2026-03-03 00:00", ""},
		// 09:00 local is 08:00 UTC in winter, 07:00 UTC in summer.
		{"Sundays 09:00 across spring forward", weekly([]int{0}, "09:00", 60), "2026-03-20 00:00", "2026-04-01 00:00",
			"[03-22 08:00, 03-22 09:00) [03-29 07:00, 03-29 08:00) "},
		{"Sundays 09:00 across fall back", weekly([]int{0}, "09:00", 60), "2026-10-17 00:00", "2026-10-31 00:00",
			"[10-18 07:00, 10-18 08:00) [10-25 08:00, 10-25 09:00) "},
		// 01:00 CET for 120 real minutes ends at 04:00 CEST local.
		{"a window spanning the change lasts its real duration", weekly([]int{0}, "01:00", 120), "2026-03-29 00:00", "2026-03-30 00:00",
			"[03-29 00:00, 03-29 02:00) "},
		// 02:30 does not exist on 2026-03-29: it falls at 03:30 CEST.
		{"a start the spring forward skips", weekly([]int{0}, "02:30", 30), "2026-03-29 00:00", "2026-03-30 00:00",
			"[03-29 01:30, 03-29 02:00) "},
		// A week-long window that began before from still runs.
		{"started a week before from", weekly([]int{1}, "00:00", 7*24*60), "2026-03-08 12:00", "2026-03-09 12:00",
			"[03-01 23:00, 03-08 23:00) [03-08 23:00, 03-15 23:00) "},
		// Mon, Wed, Fri 22:30 CET; the range starts inside Monday's.
		{"several weekdays", weekly([]int{1, 3, 5}, "22:30", 90), "2026-03-02 22:00", "2026-03-07 00:00",
			"[03-02 21:30, 03-02 23:00) [03-04 21:30, 03-04 23:00) [03-06 21:30, 03-06 23:00) "},
		{"empty range", weekly([]int{0, 1, 2, 3, 4, 5, 6}, "00:00", 60), "2026-03-02 00:00", "2026-03-02 00:00", ""},
		{"bad zone", Window{Weekdays: []int{1}, StartTime: "10:00", DurationMinutes: 60, TimeZone: "Mars/Olympus"}, "2026-03-01 00:00", "2026-03-31 00:00", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := spans(tc.w.Occurrences(utc(tc.from), utc(tc.to))); got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestOccurrencesAgreeWithActive: minute by minute around both DST changes,
// a weekly window is in an occurrence exactly when Active says it is in
// force, so the SLA counts the maintenance the incident rules applied.
func TestOccurrencesAgreeWithActive(t *testing.T) {
	for _, w := range []Window{
		{Weekdays: []int{0}, StartTime: "02:30", DurationMinutes: 90, TimeZone: "Europe/Berlin"},
		{Weekdays: []int{6, 0}, StartTime: "23:45", DurationMinutes: 200, TimeZone: "Europe/Berlin"},
		{Weekdays: []int{0}, StartTime: "01:30", DurationMinutes: 60, TimeZone: "America/New_York"},
	} {
		for _, around := range []string{"2026-03-29 00:00", "2026-10-25 00:00", "2026-03-08 06:00", "2026-11-01 06:00"} {
			from := utc(around).Add(-36 * time.Hour)
			to := from.Add(72 * time.Hour)
			occ := w.Occurrences(from, to)
			for at := from; at.Before(to); at = at.Add(time.Minute) {
				in := false
				for _, o := range occ {
					in = in || (!at.Before(o.Start) && at.Before(o.End))
				}
				if in != w.Active(at) {
					t.Fatalf("%s %s at %s: in an occurrence %v, Active %v (%s)", w.TimeZone, w.StartTime, at, in, w.Active(at), spans(occ))
				}
			}
		}
	}
}
