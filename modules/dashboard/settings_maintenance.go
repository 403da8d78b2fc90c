package dashboard

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/incident"
	"github.com/betterstack/betterstack/modules/server"
)

// windowItem is a maintenance window described for people.
type windowItem struct {
	incident.Window
	Schedule string   // "Every Tue, Thu at 03:00 for 30 min (Europe/Berlin)"
	State    string   // active, scheduled or ended: the pill's class
	Label    string   // the state in words
	Monitors []string // names of the monitors it covers
}

// windowsPage lists the maintenance windows.
type windowsPage struct {
	settingsPage
	Windows     []windowItem
	HasMonitors bool
}

func (h *Handler) windowList(c echo.Context) error {
	ctx, uid := c.Request().Context(), server.WorkspaceID(c)
	ws, err := h.deps.Incidents.ListWindows(ctx, uid)
	if err != nil {
		return err
	}
	names, err := h.userMonitorNames(ctx, uid)
	if err != nil {
		return err
	}
	p := windowsPage{settingsPage: h.settingsPage(c, "Maintenance windows", "maintenance"), HasMonitors: len(names) > 0}
	now := h.cfg.Now()
	for _, w := range ws {
		p.Windows = append(p.Windows, describeWindow(w, names, now))
	}
	return h.r.Render(c, http.StatusOK, "pages/settings_maintenance", p)
}

// windowPage is one maintenance window.
type windowPage struct {
	settingsPage
	Window windowItem
}

func (h *Handler) windowShow(c echo.Context) error {
	id, err := server.PathID(c, incident.ErrWindowNotFound)
	if err != nil {
		return err
	}
	ctx, uid := c.Request().Context(), server.WorkspaceID(c)
	w, err := h.deps.Incidents.GetWindow(ctx, uid, id)
	if err != nil {
		return err
	}
	names, err := h.userMonitorNames(ctx, uid)
	if err != nil {
		return err
	}
	return h.r.Render(c, http.StatusOK, "pages/settings_window",
		windowPage{settingsPage: h.settingsPage(c, w.Name, "maintenance"), Window: describeWindow(w, names, h.cfg.Now())})
}

func (h *Handler) windowDelete(c echo.Context) error {
	id, err := server.PathID(c, incident.ErrWindowNotFound)
	if err != nil {
		return err
	}
	if err := h.deps.Incidents.DeleteWindow(c.Request().Context(), server.WorkspaceID(c), id); err != nil {
		return err
	}
	return redirect(c, "/settings/maintenance", "Maintenance window deleted.")
}

// windowFormPage creates a maintenance window.
type windowFormPage struct {
	settingsPage
	Name, Kind, StartsAt, EndsAt, TimeZone, StartTime, Duration string
	Days                                                        []windowChoice
	Monitors                                                    []windowChoice
	Zones                                                       []string
	Error                                                       string
	Errors                                                      map[string]string
}

// windowChoice is one checkbox.
type windowChoice struct {
	Value   int64
	Label   string
	Checked bool
}

func (h *Handler) windowNew(c echo.Context) error {
	p, err := h.windowForm(c, nil)
	if err != nil {
		return err
	}
	p.Kind, p.TimeZone, p.Duration = "oneoff", "UTC", "60"
	p.Days = windowDays(nil)
	return h.r.Render(c, http.StatusOK, "pages/settings_window_form", p)
}

func (h *Handler) windowCreate(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	w, bad := windowFromForm(form.Get, form["weekdays"], form["monitor_ids"])
	p, err := h.windowForm(c, w.MonitorIDs)
	if err != nil {
		return err
	}
	p.Name, p.Kind, p.TimeZone = form.Get("name"), form.Get("kind"), form.Get("time_zone")
	p.StartsAt, p.EndsAt = form.Get("starts_at"), form.Get("ends_at")
	p.StartTime, p.Duration = form.Get("start_time"), form.Get("duration_minutes")
	var days []int // kept as ticked, even when the window is one-off
	for _, v := range form["weekdays"] {
		if d, err := strconv.Atoi(v); err == nil {
			days = append(days, d)
		}
	}
	p.Days = windowDays(days)
	if p.TimeZone != "" && !slices.Contains(p.Zones, p.TimeZone) && bad["time_zone"] == "" {
		p.Zones = append([]string{p.TimeZone}, p.Zones...)
	}
	if len(bad) > 0 {
		// Say everything that is wrong at once: the service's checks too.
		if ae := apperr.As(w.Validate()); ae != nil {
			for k, v := range ae.Fields {
				bad.Add(k, v)
			}
		}
		p.Error, p.Errors = "Please correct the fields below.", bad
		return h.r.Render(c, http.StatusUnprocessableEntity, "pages/settings_window_form", p)
	}
	if _, err := h.deps.Incidents.CreateWindow(c.Request().Context(), server.WorkspaceID(c), w); err != nil {
		msg, fields, err := formErrors(err)
		if err != nil {
			return err
		}
		p.Error, p.Errors = msg, fields
		return h.r.Render(c, http.StatusUnprocessableEntity, "pages/settings_window_form", p)
	}
	return redirect(c, "/settings/maintenance", "Maintenance window saved.")
}

// windowForm returns the form with the user's monitors to choose from.
func (h *Handler) windowForm(c echo.Context, checked []int64) (windowFormPage, error) {
	ms, err := h.userMonitors(c.Request().Context(), server.WorkspaceID(c))
	if err != nil {
		return windowFormPage{}, err
	}
	p := windowFormPage{settingsPage: h.settingsPage(c, "New maintenance window", "maintenance"), Zones: windowZones, Errors: map[string]string{}}
	for _, m := range ms {
		p.Monitors = append(p.Monitors, windowChoice{Value: m.ID, Label: m.Name, Checked: slices.Contains(checked, m.ID)})
	}
	return p, nil
}

// windowFromForm reads a window from the form. One-off times are the
// browser's datetime-local values, read in the chosen time zone.
func windowFromForm(get func(string) string, days, monitors []string) (incident.Window, apperr.Fields) {
	bad := apperr.Fields{}
	w := incident.Window{Name: get("name")}
	for _, v := range monitors {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id < 1 {
			bad.Add("monitor_ids", "lists a monitor that does not exist")
			continue
		}
		w.MonitorIDs = append(w.MonitorIDs, id)
	}
	zone := strings.TrimSpace(get("time_zone"))
	if zone == "" {
		zone = "UTC"
	}
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "Local" {
		bad.Add("time_zone", "is not a time zone name like Europe/Berlin")
		loc = time.UTC
	}
	switch get("kind") {
	case "oneoff":
		w.StartsAt = windowTime(bad, "starts_at", get("starts_at"), loc)
		w.EndsAt = windowTime(bad, "ends_at", get("ends_at"), loc)
	case "weekly":
		w.TimeZone, w.StartTime = zone, strings.TrimSpace(get("start_time"))
		for _, v := range days {
			d, err := strconv.Atoi(v)
			if err != nil {
				bad.Add("weekdays", "must be days of the week")
				continue
			}
			w.Weekdays = append(w.Weekdays, d)
		}
		if len(w.Weekdays) == 0 {
			bad.Add("weekdays", "choose at least one day")
		}
		if w.StartTime == "" {
			bad.Add("start_time", "is required")
		}
		n, err := strconv.Atoi(strings.TrimSpace(get("duration_minutes")))
		if err != nil || n < 1 {
			bad.Add("duration_minutes", "must be a number of minutes, at least 1")
		}
		w.DurationMinutes = n
	default:
		bad.Add("kind", "choose a one-off or a weekly window")
	}
	return w, bad
}

// windowTime parses a datetime-local value ("2026-01-02T15:04", seconds
// optional) in loc.
func windowTime(bad apperr.Fields, field, v string, loc *time.Location) *time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		bad.Add(field, "is required")
		return nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			t = t.UTC()
			return &t
		}
	}
	bad.Add(field, "must be a date and time like 2026-01-02T15:04")
	return nil
}

// weekdayNames are Go's weekdays (0 = Sunday), as the service numbers them.
var weekdayNames = []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

// windowDays returns the weekday checkboxes, Monday first.
func windowDays(checked []int) []windowChoice {
	out := make([]windowChoice, 0, 7)
	for i := 1; i <= 7; i++ {
		d := i % 7
		out = append(out, windowChoice{Value: int64(d), Label: weekdayNames[d], Checked: slices.Contains(checked, d)})
	}
	return out
}

// describeWindow says when a window applies and whether it does now.
func describeWindow(w incident.Window, names map[int64]string, now time.Time) windowItem {
	it := windowItem{Window: w}
	for _, id := range w.MonitorIDs {
		it.Monitors = append(it.Monitors, monitorLabel(names, id))
	}
	switch {
	case w.Active(now):
		it.State, it.Label = "active", "In progress"
	case w.EndsAt != nil && !now.Before(*w.EndsAt):
		it.State, it.Label = "ended", "Ended"
	default:
		it.State, it.Label = "scheduled", "Scheduled"
	}
	if w.StartsAt != nil && w.EndsAt != nil {
		const layout = "Jan 2, 2006 15:04"
		it.Schedule = w.StartsAt.UTC().Format(layout) + " – " + w.EndsAt.UTC().Format(layout) + " UTC"
		return it
	}
	days := make([]string, 0, len(w.Weekdays))
	for _, d := range w.Weekdays {
		if d >= 0 && d < len(weekdayNames) {
			days = append(days, weekdayNames[d])
		}
	}
	every := "Every " + strings.Join(days, ", ")
	if len(days) == 7 {
		every = "Every day"
	}
	it.Schedule = fmt.Sprintf("%s at %s for %s (%s)", every, w.StartTime, durationMinutes(w.DurationMinutes), w.TimeZone)
	return it
}

// durationMinutes says a window's length: "30 min", "2 h", "1 d 6 h".
func durationMinutes(n int) string {
	var parts []string
	for _, u := range []struct {
		size int
		name string
	}{{1440, "d"}, {60, "h"}, {1, "min"}} {
		if n >= u.size {
			parts = append(parts, fmt.Sprintf("%d %s", n/u.size, u.name))
			n %= u.size
		}
	}
	if len(parts) == 0 {
		return "0 min"
	}
	return strings.Join(parts, " ")
}

// windowZones are the time zones the form offers; any IANA name the server
// knows is accepted.
var windowZones = []string{
	"UTC",
	"Africa/Cairo", "Africa/Johannesburg", "Africa/Lagos", "Africa/Nairobi",
	"America/Anchorage", "America/Bogota", "America/Chicago", "America/Denver", "America/Halifax",
	"America/Los_Angeles", "America/Mexico_City", "America/New_York", "America/Phoenix",
	"America/Santiago", "America/Sao_Paulo", "America/Toronto", "America/Vancouver",
	"Asia/Bangkok", "Asia/Dubai", "Asia/Hong_Kong", "Asia/Jakarta", "Asia/Jerusalem", "Asia/Karachi",
	"Asia/Kolkata", "Asia/Manila", "Asia/Seoul", "Asia/Shanghai", "Asia/Singapore", "Asia/Tokyo",
	"Atlantic/Reykjavik",
	"Australia/Adelaide", "Australia/Brisbane", "Australia/Melbourne", "Australia/Perth", "Australia/Sydney",
	"Europe/Amsterdam", "Europe/Athens", "Europe/Berlin", "Europe/Dublin", "Europe/Helsinki", "Europe/Istanbul",
	"Europe/Kyiv", "Europe/Lisbon", "Europe/London", "Europe/Madrid", "Europe/Moscow", "Europe/Paris",
	"Europe/Rome", "Europe/Stockholm", "Europe/Warsaw", "Europe/Zurich",
	"Pacific/Auckland", "Pacific/Honolulu",
}
