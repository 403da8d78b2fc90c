package incident

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestWindowActive_OneOffFromStartUntilBeforeEnd(t *testing.T) {
	start, end := mustTime(t, "2026-11-23T10:00:00Z"), mustTime(t, "2026-11-23T12:00:00Z")
	w := Window{StartsAt: &start, EndsAt: &end}
	for now, want := range map[string]bool{
		"2026-11-23T09:59:59.999Z": false,
		"2026-11-23T10:00:00Z":     true,
		"2026-11-23T11:59:59.999Z": true,
		"2026-11-23T12:00:00Z":     false,
	} {
		if got := w.Active(mustTime(t, now)); got != want {
			t.Errorf("Active(%s) = %v, want %v", now, got, want)
		}
	}
}

func TestWindowActive_WeeklyFromStartForItsDuration(t *testing.T) {
	// 2026-11-23 is a Monday. Mondays 10:00 UTC for 30 minutes.
	w := Window{Weekdays: []int{1}, StartTime: "10:00", DurationMinutes: 30, TimeZone: "UTC"}
	for now, want := range map[string]bool{
		"2026-11-23T09:59:59.999Z": false,
		"2026-11-23T10:00:00Z":     true,
		"2026-11-23T10:29:59.999Z": true,
		"2026-11-23T10:30:00Z":     false,
		"2026-11-30T10:15:00Z":     true,  // the next Monday
		"2026-11-24T10:15:00Z":     false, // Tuesday
		"2026-11-22T10:15:00Z":     false, // Sunday
	} {
		if got := w.Active(mustTime(t, now)); got != want {
			t.Errorf("Active(%s) = %v, want %v", now, got, want)
		}
	}
}

func TestWindowActive_WeeklyInItsTimeZone(t *testing.T) {
	// Sundays (0) and Saturdays (6) at 02:00 New York time (UTC-5 in
	// November) for an hour: 07:00 to 08:00 UTC.
	w := Window{Weekdays: []int{0, 6}, StartTime: "02:00", DurationMinutes: 60, TimeZone: "America/New_York"}
	for now, want := range map[string]bool{
		"2026-11-22T06:59:59Z": false, // Sunday, before
		"2026-11-22T07:00:00Z": true,  // Sunday
		"2026-11-21T07:30:00Z": true,  // Saturday
		"2026-11-22T08:00:00Z": false, // Sunday, over
		"2026-11-23T07:30:00Z": false, // Monday
		"2026-11-22T02:30:00Z": false, // 02:30 UTC is Saturday evening in New York
	} {
		if got := w.Active(mustTime(t, now)); got != want {
			t.Errorf("Active(%s) = %v, want %v", now, got, want)
		}
	}
}

// A window may run for up to a week, so a start up to seven days back can
// still be running: a week-long Monday window never lapses.
func TestWindowActive_AWeekLongWindowStartedSevenDaysAgoStillRuns(t *testing.T) {
	week := Window{Weekdays: []int{1}, StartTime: "10:00", DurationMinutes: 7 * 24 * 60, TimeZone: "UTC"}
	for now, want := range map[string]bool{
		"2026-11-23T09:59:59Z": true, // last Monday's, in its last second
		"2026-11-23T10:00:00Z": true, // this Monday's
		"2026-11-26T00:00:00Z": true,
	} {
		if got := week.Active(mustTime(t, now)); got != want {
			t.Errorf("Active(%s) = %v, want %v", now, got, want)
		}
	}
	// Six days long: a gap of a day before the next start.
	six := Window{Weekdays: []int{1}, StartTime: "10:00", DurationMinutes: 6 * 24 * 60, TimeZone: "UTC"}
	for now, want := range map[string]bool{
		"2026-11-22T09:59:59Z": true,  // Sunday: six days after last Monday 10:00, minus a second
		"2026-11-22T10:00:00Z": false, // over
		"2026-11-23T09:59:59Z": false,
	} {
		if got := six.Active(mustTime(t, now)); got != want {
			t.Errorf("six days: Active(%s) = %v, want %v", now, got, want)
		}
	}
}

func TestWindowActive_NeverWhenItCannotMatch(t *testing.T) {
	now := mustTime(t, "2026-11-23T10:10:00Z") // a Monday
	for name, w := range map[string]Window{
		"no weekdays":         {StartTime: "10:00", DurationMinutes: 30, TimeZone: "UTC"},
		"zero duration":       {Weekdays: []int{1}, StartTime: "10:00", TimeZone: "UTC"},
		"negative duration":   {Weekdays: []int{1}, StartTime: "10:00", DurationMinutes: -30, TimeZone: "UTC"},
		"unknown zone":        {Weekdays: []int{1}, StartTime: "10:00", DurationMinutes: 30, TimeZone: "Mars/Base"},
		"unparseable time":    {Weekdays: []int{1}, StartTime: "ten", DurationMinutes: 30, TimeZone: "UTC"},
		"a start but no end":  {StartsAt: &now},
		"an end but no start": {EndsAt: &now},
	} {
		if w.Active(now) {
			t.Errorf("%s: active", name)
		}
	}
}

// validWeekly is a valid weekly window to change one field of.
func validWeekly() Window {
	return Window{Name: "deploy", MonitorIDs: []int64{1}, Weekdays: []int{1}, StartTime: "10:00", DurationMinutes: 30}
}

// checkValidate reports whether Validate names field (valid when field is "").
func checkValidate(t *testing.T, name string, w Window, field string) {
	t.Helper()
	err := w.Validate()
	switch {
	case field == "" && err != nil:
		t.Errorf("%s: want valid, got %v", name, err)
	case field != "" && err == nil:
		t.Errorf("%s: want an error naming %s, got none", name, field)
	case field != "" && !strings.Contains(err.Error(), field+":"):
		t.Errorf("%s: error %q does not name %s", name, err, field)
	}
}

func TestWindowValidate_NameOf1To200Characters(t *testing.T) {
	for _, tc := range []struct {
		name, field string
	}{
		{"", "name"},
		{"   ", "name"},
		{"x", ""},
		{strings.Repeat("n", 200), ""},
		{strings.Repeat("n", 201), "name"},
		{"  " + strings.Repeat("n", 200) + "  ", ""}, // trimmed first
	} {
		w := validWeekly()
		w.Name = tc.name
		checkValidate(t, "name of "+strconv.Itoa(len(tc.name)), w, tc.field)
	}
}

func TestWindowValidate_1To1000Monitors(t *testing.T) {
	ids := func(n int) []int64 {
		out := make([]int64, n)
		for i := range out {
			out[i] = int64(i + 1)
		}
		return out
	}
	for n, field := range map[int]string{0: "monitor_ids", 1: "", 1000: "", 1001: "monitor_ids"} {
		w := validWeekly()
		w.MonitorIDs = ids(n)
		checkValidate(t, strconv.Itoa(n)+" monitors", w, field)
	}
}

func TestWindowValidate_OneOffEndsAfterItStarts(t *testing.T) {
	start := mustTime(t, "2026-11-23T10:00:00Z")
	for _, tc := range []struct {
		name       string
		start, end *time.Time
		field      string
	}{
		{"end a second later", &start, ptr(start.Add(time.Second)), ""},
		{"end at the start", &start, &start, "ends_at"},
		{"end before the start", &start, ptr(start.Add(-time.Second)), "ends_at"},
		{"a start alone", &start, nil, "ends_at"},
		{"an end alone", nil, &start, "starts_at"},
	} {
		w := Window{Name: "x", MonitorIDs: []int64{1}, StartsAt: tc.start, EndsAt: tc.end}
		checkValidate(t, tc.name, w, tc.field)
	}
	// A one-off window is in absolute time: a time zone is dropped.
	end := start.Add(time.Hour)
	oneOff := Window{Name: "x", MonitorIDs: []int64{1}, StartsAt: &start, EndsAt: &end, TimeZone: "Europe/Berlin"}
	if err := oneOff.Validate(); err != nil || oneOff.TimeZone != "" {
		t.Errorf("one-off with a zone: zone %q, err %v; want no zone, nil", oneOff.TimeZone, err)
	}
	// A start alone names only ends_at, an end alone only starts_at.
	w := Window{Name: "x", MonitorIDs: []int64{1}, StartsAt: &start}
	if err := w.Validate(); err == nil || strings.Contains(err.Error(), "starts_at:") {
		t.Errorf("a start alone: %v", err)
	}
	w = Window{Name: "x", MonitorIDs: []int64{1}, EndsAt: &start}
	if err := w.Validate(); err == nil || strings.Contains(err.Error(), "ends_at:") {
		t.Errorf("an end alone: %v", err)
	}
}

func TestWindowValidate_NotBothKinds(t *testing.T) {
	start := mustTime(t, "2026-11-23T10:00:00Z")
	end := start.Add(time.Hour)
	w := validWeekly()
	w.StartsAt, w.EndsAt = &start, &end
	checkValidate(t, "one-off and weekly", w, "starts_at")
	for name, mod := range map[string]func(*Window){
		"weekdays only":   func(w *Window) { w.StartTime, w.DurationMinutes = "", 0 },
		"start time only": func(w *Window) { w.Weekdays, w.DurationMinutes = nil, 0 },
		"duration only":   func(w *Window) { w.Weekdays, w.StartTime = nil, "" },
	} {
		w := validWeekly()
		w.StartsAt, w.EndsAt = &start, &end
		mod(&w)
		checkValidate(t, name+" with one-off", w, "starts_at")
	}
}

func TestWindowValidate_WeekdaysFrom0To6(t *testing.T) {
	for _, tc := range []struct {
		days  []int
		field string
	}{
		{[]int{0}, ""},
		{[]int{6}, ""},
		{[]int{0, 1, 2, 3, 4, 5, 6}, ""},
		{[]int{-1}, "weekdays"},
		{[]int{7}, "weekdays"},
		{[]int{1, 7}, "weekdays"},
		{[]int{}, "weekdays"},
	} {
		w := validWeekly()
		w.Weekdays = tc.days
		checkValidate(t, "weekdays "+fmt.Sprint(tc.days), w, tc.field)
	}
	w := validWeekly()
	w.Weekdays = []int{5, 0, 3}
	if err := w.Validate(); err != nil || fmt.Sprint(w.Weekdays) != "[0 3 5]" {
		t.Errorf("weekdays are kept sorted: %v, %v", w.Weekdays, err)
	}
}

func TestWindowValidate_StartTimeIsHHMM(t *testing.T) {
	for start, field := range map[string]string{
		"00:00":  "",
		"23:59":  "",
		"09:05":  "",
		"24:00":  "start_time",
		"23:60":  "start_time",
		"-1:00":  "start_time",
		"10:-1":  "start_time",
		"9:05":   "start_time",
		"09:5":   "start_time",
		"09:050": "start_time",
		"0905":   "start_time",
		"":       "start_time",
	} {
		w := validWeekly()
		w.StartTime = start
		checkValidate(t, "start "+start, w, field)
	}
}

func TestWindowValidate_DurationFromAMinuteToAWeek(t *testing.T) {
	for minutes, field := range map[int]string{
		-1:    "duration_minutes",
		1:     "",
		10080: "",
		10081: "duration_minutes",
	} {
		w := validWeekly()
		w.DurationMinutes = minutes
		checkValidate(t, "duration "+strconv.Itoa(minutes), w, field)
	}
	// 0 alone is "not weekly" when nothing else is set; with weekdays it is
	// a duration out of range.
	w := validWeekly()
	w.DurationMinutes = 0
	checkValidate(t, "duration 0", w, "duration_minutes")
}

func TestWindowValidate_TimeZoneDefaultsToUTC(t *testing.T) {
	w := validWeekly()
	if err := w.Validate(); err != nil || w.TimeZone != "UTC" {
		t.Fatalf("zone %q, err %v; want UTC, nil", w.TimeZone, err)
	}
	w = validWeekly()
	w.TimeZone = "Europe/Berlin"
	if err := w.Validate(); err != nil || w.TimeZone != "Europe/Berlin" {
		t.Fatalf("zone %q, err %v; want Europe/Berlin kept", w.TimeZone, err)
	}
	w = validWeekly()
	w.TimeZone = "Mars/Base"
	checkValidate(t, "unknown zone", w, "time_zone")
}

func ptr[T any](v T) *T { return &v }
