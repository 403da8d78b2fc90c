package incident

import (
	"strings"
	"testing"
	"time"
)

func TestPlan(t *testing.T) {
	down := &Incident{Kind: KindDown}
	slow := &Incident{Kind: KindDegraded}
	for _, tc := range []struct {
		name        string
		open        *Incident
		status      string
		maintenance bool
		want        Action
	}{
		{"up with nothing open", nil, "up", false, Action{}},
		{"down opens", nil, "down", false, Action{Open: KindDown}},
		{"down stays open", down, "down", false, Action{}},
		{"up resolves", down, "up", false, Action{Resolve: true}},
		{"degraded opens its own kind", nil, "degraded", false, Action{Open: KindDegraded}},
		{"degraded to down escalates", slow, "down", false, Action{Resolve: true, Open: KindDown}},
		{"down to degraded resolves and opens degraded", down, "degraded", false, Action{Resolve: true, Open: KindDegraded}},
		{"maintenance suppresses opening", nil, "down", true, Action{}},
		{"maintenance still resolves", down, "up", true, Action{Resolve: true}},
		{"unknown changes nothing", down, "unknown", false, Action{}},
		{"unknown opens nothing", nil, "unknown", false, Action{}},
		{"paused changes nothing", down, "paused", false, Action{}},
		{"pending opens nothing", nil, "pending", false, Action{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Plan(tc.open, tc.status, tc.maintenance); got != tc.want {
				t.Fatalf("Plan = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestWindowActive(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	start, end := at("2026-11-23T10:00:00Z"), at("2026-11-23T12:00:00Z")
	oneOff := Window{StartsAt: &start, EndsAt: &end}
	// Mondays and Wednesdays 23:30 Berlin time for 60 minutes: crosses midnight.
	weekly := Window{Weekdays: []int{1, 3}, StartTime: "23:30", DurationMinutes: 60, TimeZone: "Europe/Berlin"}
	for _, tc := range []struct {
		name string
		w    Window
		now  string
		want bool
	}{
		{"one-off before", oneOff, "2026-11-23T09:59:59Z", false},
		{"one-off at start", oneOff, "2026-11-23T10:00:00Z", true},
		{"one-off inside", oneOff, "2026-11-23T11:00:00Z", true},
		{"one-off at end is over", oneOff, "2026-11-23T12:00:00Z", false},
		// 2026-11-23 is a Monday; 23:30 Berlin (CET, UTC+1) is 22:30 UTC.
		{"weekly before start", weekly, "2026-11-23T22:29:00Z", false},
		{"weekly inside on Monday", weekly, "2026-11-23T22:45:00Z", true},
		{"weekly past midnight into Tuesday", weekly, "2026-11-23T23:15:00Z", true},
		{"weekly over", weekly, "2026-11-23T23:31:00Z", false},
		{"weekly not on Tuesday", weekly, "2026-11-24T22:45:00Z", false},
		{"weekly Wednesday", weekly, "2026-11-25T22:45:00Z", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.w.Active(at(tc.now)); got != tc.want {
				t.Fatalf("Active(%s) = %v, want %v", tc.now, got, tc.want)
			}
		})
	}
}

func TestWindowValidate(t *testing.T) {
	start := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	before := start.Add(-time.Hour)
	for _, tc := range []struct {
		name  string
		w     Window
		field string
	}{
		{"no name", Window{MonitorIDs: []int64{1}, StartsAt: &before, EndsAt: &start}, "name"},
		{"no monitors", Window{Name: "x", StartsAt: &before, EndsAt: &start}, "monitor_ids"},
		{"end before start", Window{Name: "x", MonitorIDs: []int64{1}, StartsAt: &start, EndsAt: &before}, "ends_at"},
		{"neither kind", Window{Name: "x", MonitorIDs: []int64{1}}, "starts_at"},
		{"bad weekday", Window{Name: "x", MonitorIDs: []int64{1}, Weekdays: []int{7}, StartTime: "10:00", DurationMinutes: 5}, "weekdays"},
		{"bad time", Window{Name: "x", MonitorIDs: []int64{1}, Weekdays: []int{1}, StartTime: "25:00", DurationMinutes: 5}, "start_time"},
		{"bad zone", Window{Name: "x", MonitorIDs: []int64{1}, Weekdays: []int{1}, StartTime: "10:00", DurationMinutes: 5, TimeZone: "Mars/Base"}, "time_zone"},
		{"zero duration", Window{Name: "x", MonitorIDs: []int64{1}, Weekdays: []int{1}, StartTime: "10:00"}, "duration_minutes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.w.Validate()
			if err == nil {
				t.Fatal("want a validation error")
			}
			if !strings.Contains(err.Error(), tc.field+":") {
				t.Fatalf("error %q does not name %s", err, tc.field)
			}
		})
	}
	ok := Window{Name: "deploy", MonitorIDs: []int64{1}, Weekdays: []int{2}, StartTime: "03:00", DurationMinutes: 30}
	if err := ok.Validate(); err != nil || ok.TimeZone != "UTC" {
		t.Fatalf("valid weekly window: %v (zone %q)", err, ok.TimeZone)
	}
}
