package incident

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/betterstack/betterstack/modules/apperr"
	usertext "github.com/betterstack/betterstack/modules/text"
)

// Window is a maintenance window: one-off (StartsAt..EndsAt) or weekly
// (Weekdays at StartTime in TimeZone for DurationMinutes).
type Window struct {
	ID              int64      `json:"id"`
	Key             string     `json:"key"`
	Name            string     `json:"name"`
	MonitorIDs      []int64    `json:"monitor_ids"`
	StartsAt        *time.Time `json:"starts_at,omitempty"`
	EndsAt          *time.Time `json:"ends_at,omitempty"`
	Weekdays        []int      `json:"weekdays,omitempty"` // 0 = Sunday
	StartTime       string     `json:"start_time,omitempty"`
	DurationMinutes int        `json:"duration_minutes,omitempty"`
	TimeZone        string     `json:"time_zone,omitempty"`
	CreatedAt       time.Time  `json:"created_at"`

	WorkspaceID int64 `json:"-"`
}

// Covers reports whether the window applies to monitorID.
func (w Window) Covers(monitorID int64) bool {
	for _, id := range w.MonitorIDs {
		if id == monitorID {
			return true
		}
	}
	return false
}

// Active reports whether the window is in force at now.
func (w Window) Active(now time.Time) bool {
	if w.StartsAt != nil && w.EndsAt != nil {
		return !now.Before(*w.StartsAt) && now.Before(*w.EndsAt)
	}
	// No guard for an empty Weekdays or a duration of 0 or less: such a
	// window matches no start below, so it is never active anyway.
	loc, err := time.LoadLocation(w.TimeZone)
	if err != nil {
		return false
	}
	var hh, mm int
	if _, err := fmt.Sscanf(w.StartTime, "%d:%d", &hh, &mm); err != nil {
		return false
	}
	local := now.In(loc)
	dur := time.Duration(w.DurationMinutes) * time.Minute
	// A window may have started on an earlier day and still run (it may be
	// up to a week long): look back over the last 7 days' starts.
	for back := 0; back <= 7; back++ {
		day := local.AddDate(0, 0, -back)
		start := time.Date(day.Year(), day.Month(), day.Day(), hh, mm, 0, 0, loc)
		if !slices.Contains(w.Weekdays, int(start.Weekday())) {
			continue
		}
		if !now.Before(start) && now.Before(start.Add(dur)) {
			return true
		}
	}
	return false
}

// Validate checks a window and names the wrong fields.
func (w *Window) Validate() error {
	f := apperr.Fields{}
	w.Name = strings.TrimSpace(w.Name)
	if w.Name == "" {
		f.Add("name", "is required (at most 200 characters)")
	} else if msg := usertext.Line(w.Name, 200); msg != "" {
		f.Add("name", msg)
	}
	if len(w.MonitorIDs) == 0 || len(w.MonitorIDs) > 1000 {
		f.Add("monitor_ids", "must list 1 to 1000 monitors")
	}
	oneOff := w.StartsAt != nil || w.EndsAt != nil
	weekly := len(w.Weekdays) > 0 || w.StartTime != "" || w.DurationMinutes != 0
	switch {
	case oneOff && weekly:
		f.Add("starts_at", "give either starts_at/ends_at (one-off) or weekdays/start_time/duration_minutes (weekly), not both")
	case oneOff:
		if w.StartsAt == nil {
			f.Add("starts_at", "is required with ends_at")
		}
		if w.EndsAt == nil {
			f.Add("ends_at", "is required with starts_at")
		}
		if w.StartsAt != nil && w.EndsAt != nil && !w.EndsAt.After(*w.StartsAt) {
			f.Add("ends_at", "must be after starts_at")
		}
		w.TimeZone = ""
	case weekly:
		if w.TimeZone == "" {
			w.TimeZone = "UTC"
		}
		if _, err := time.LoadLocation(w.TimeZone); err != nil {
			f.Add("time_zone", "is not a time zone name like Europe/Berlin")
		}
		sort.Ints(w.Weekdays)
		for _, d := range w.Weekdays {
			if d < 0 || d > 6 {
				f.Add("weekdays", "must be numbers 0 (Sunday) to 6 (Saturday)")
			}
		}
		if len(w.Weekdays) == 0 {
			f.Add("weekdays", "must list at least one day, 0 (Sunday) to 6 (Saturday)")
		}
		var hh, mm int
		if n, err := fmt.Sscanf(w.StartTime, "%d:%d", &hh, &mm); err != nil || n != 2 || hh < 0 || hh > 23 || mm < 0 || mm > 59 || len(w.StartTime) != 5 {
			f.Add("start_time", `must be "HH:MM" (24-hour)`)
		}
		if w.DurationMinutes < 1 || w.DurationMinutes > 7*24*60 {
			f.Add("duration_minutes", "must be between 1 and 10080 (a week)")
		}
	default:
		f.Add("starts_at", "give starts_at and ends_at (one-off), or weekdays, start_time and duration_minutes (weekly)")
	}
	return f.Err()
}
