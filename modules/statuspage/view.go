package statuspage

import (
	"fmt"
	"html/template"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/betterstack/betterstack/modules/chart"
	"github.com/betterstack/betterstack/modules/incident"
	"github.com/betterstack/betterstack/modules/tick"
	"github.com/betterstack/betterstack/modules/web"
)

// Days is how many days of uptime and incident history a page shows.
const Days = 90

// MaintenanceAhead is how far ahead scheduled maintenance is announced.
const MaintenanceAhead = 14 * 24 * time.Hour

// View is everything the public may see of a page, ready for the HTML page,
// the feed and the JSON API alike. It holds display names, states, uptime,
// times and the owner's own words — nothing else — and is shared by
// concurrent requests once built, so it is never modified.
type View struct {
	ID           int64            `json:"-"`
	Slug         string           `json:"slug"`
	Title        string           `json:"title"`
	Description  string           `json:"description"`
	LogoURL      string           `json:"logo_url"`
	Overall      OverallState     `json:"overall"`
	OverallLabel string           `json:"overall_label"`
	Sections     []ViewSection    `json:"sections"`
	Open         []PublicIncident `json:"open_incidents"`
	Maintenance  []Maintenance    `json:"maintenance"`
	History      []HistoryDay     `json:"history"`
	UpdatedAt    time.Time        `json:"updated_at"`   // the latest change anything on the page shows
	GeneratedAt  time.Time        `json:"generated_at"` // when this view was built
}

// ViewSection is a section as shown.
type ViewSection struct {
	Name       string          `json:"name"`
	Components []ViewComponent `json:"components"`
}

// ViewComponent is one component as shown.
type ViewComponent struct {
	Name       string   `json:"name"`
	State      State    `json:"state"`
	StateLabel string   `json:"state_label"`
	Uptime     *float64 `json:"uptime"` // over the days shown, null without checks
	Daily      []Day    `json:"daily"`  // oldest first

	UptimeText string        `json:"-"` // "99.95 %"
	Bars       template.HTML `json:"-"` // the SVG uptime bars
}

// Day is one UTC day of a component's uptime.
type Day struct {
	Date      string   `json:"date"`   // 2006-01-02
	Uptime    *float64 `json:"uptime"` // null without checks
	Incidents int      `json:"incidents"`
}

// PublicIncident is an incident as the public sees it: which component,
// what kind of trouble, when, and the owner's updates.
type PublicIncident struct {
	ID          int64          `json:"id"`
	Title       string         `json:"title"`
	Component   string         `json:"component"`
	Impact      string         `json:"impact"` // outage | degraded
	Status      UpdateStatus   `json:"status"`
	StartedAt   time.Time      `json:"started_at"`
	ResolvedAt  *time.Time     `json:"resolved_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
	Updates     []PublicUpdate `json:"updates"` // newest first
	StatusLabel string         `json:"-"`
	Duration    float64        `json:"-"` // seconds, until now while open
}

// PublicUpdate is an owner's update as shown.
type PublicUpdate struct {
	ID          int64        `json:"id"`
	Status      UpdateStatus `json:"status"`
	Message     string       `json:"message"`
	CreatedAt   time.Time    `json:"created_at"`
	StatusLabel string       `json:"-"`
	Paragraphs  [][]string   `json:"-"` // paragraphs of lines, for <p> and <br>
}

// Maintenance is a maintenance window in force or coming, without its name
// (owners name windows for themselves, not for the public).
type Maintenance struct {
	Components []string  `json:"components"`
	StartsAt   time.Time `json:"starts_at"`
	EndsAt     time.Time `json:"ends_at"`
	Active     bool      `json:"active"`
}

// HistoryDay is the incidents that started on one UTC day.
type HistoryDay struct {
	Date      string           `json:"date"` // 2006-01-02
	Incidents []PublicIncident `json:"incidents"`
	Anchor    string           `json:"-"`
	Label     string           `json:"-"`
}

// viewInput is what a view is built from: all of it read through columns a
// public page may show.
type viewInput struct {
	Page      Page // with its sections
	Statuses  map[int64]string
	Days      []dayCount // per region
	Incidents []incidentFact
	Updates   map[int64][]Update
	Windows   []incident.Window
	Now       time.Time
}

// buildView assembles a page's public view. Pure.
func buildView(in viewInput) *View {
	now := in.Now.UTC()
	p := in.Page
	v := &View{ID: p.ID, Slug: p.Slug, Title: p.Title, Description: p.Description, LogoURL: p.LogoURL,
		Sections: []ViewSection{}, Open: []PublicIncident{}, Maintenance: []Maintenance{}, History: []HistoryDay{},
		UpdatedAt: p.UpdatedAt, GeneratedAt: now}

	names := map[int64]string{}
	for _, s := range p.Sections {
		for _, c := range s.Components {
			names[c.MonitorID] = c.DisplayName
		}
	}

	// Incidents, newest first, each under its component's display name.
	var incidents []PublicIncident
	byMonitor := map[int64][]incidentFact{}
	for _, f := range in.Incidents {
		name, ok := names[f.MonitorID]
		if !ok {
			continue
		}
		byMonitor[f.MonitorID] = append(byMonitor[f.MonitorID], f)
		pi := publicIncident(f, name, in.Updates[f.ID], now)
		if pi.UpdatedAt.After(v.UpdatedAt) {
			v.UpdatedAt = pi.UpdatedAt
		}
		if pi.ResolvedAt == nil {
			v.Open = append(v.Open, pi)
		}
		incidents = append(incidents, pi)
	}
	v.History = history(incidents)
	hasDay := map[string]bool{}
	for _, d := range v.History {
		hasDay[d.Date] = true
	}

	// Maintenance in force decides component states; windows in force or
	// starting within MaintenanceAhead are announced.
	inMaint := map[int64]bool{}
	for _, w := range in.Windows {
		var covered []string
		for _, s := range p.Sections {
			for _, c := range s.Components {
				if w.Covers(c.MonitorID) {
					covered = append(covered, c.DisplayName)
					if w.Active(now) {
						inMaint[c.MonitorID] = true
					}
				}
			}
		}
		if len(covered) == 0 {
			continue
		}
		if occ := w.Occurrences(now, now.Add(MaintenanceAhead)); len(occ) > 0 {
			o := occ[0]
			v.Maintenance = append(v.Maintenance, Maintenance{Components: covered, StartsAt: o.Start, EndsAt: o.End,
				Active: !now.Before(o.Start) && now.Before(o.End)})
		}
	}
	sort.SliceStable(v.Maintenance, func(i, j int) bool { return v.Maintenance[i].StartsAt.Before(v.Maintenance[j].StartsAt) })

	// Daily uptime, merged across regions, in one dense table: a page of
	// 50 components reads 9,000 rows and draws 4,500 bars per view.
	today := now.Truncate(24 * time.Hour)
	days, dates, labels := make([]time.Time, Days), make([]string, Days), make([]string, Days)
	for i := range days {
		days[i] = today.AddDate(0, 0, i-(Days-1))
		dates[i], labels[i] = days[i].Format(time.DateOnly), days[i].Format("Jan 2")
	}
	row := map[int64]int{}
	for _, id := range p.monitorIDs() {
		row[id] = len(row)
	}
	counts := make([]tick.Rollup, len(row)*Days) // Checks and Failures only
	for _, d := range in.Days {
		r, ok := row[d.MonitorID]
		i := int(d.Day.UTC().Sub(days[0]) / (24 * time.Hour))
		if !ok || d.Day.Before(days[0]) || i >= Days {
			continue
		}
		counts[r*Days+i].Checks += d.Checks
		counts[r*Days+i].Failures += d.Failures
	}

	var states []State
	for _, s := range p.Sections {
		vs := ViewSection{Name: s.Name, Components: make([]ViewComponent, 0, len(s.Components))}
		for _, c := range s.Components {
			st := ComponentState(in.Statuses[c.MonitorID], inMaint[c.MonitorID])
			states = append(states, st)
			vc := ViewComponent{Name: c.DisplayName, State: st, StateLabel: st.Label(), Daily: make([]Day, 0, Days)}
			bars := make([]chart.Bar, 0, Days)
			var total tick.Rollup
			for i, day := range days {
				r := counts[row[c.MonitorID]*Days+i]
				total.Add(r)
				n := incidentsOn(byMonitor[c.MonitorID], day, now)
				date := dates[i]
				vc.Daily = append(vc.Daily, Day{Date: date, Uptime: fraction(r.Uptime()), Incidents: n})
				bar := chart.Bar{Label: labels[i], Uptime: r.Uptime(), Tooltip: dayTooltip(labels[i], r.Uptime(), n)}
				if n > 0 && hasDay[date] {
					bar.Href = "#" + anchor(date)
				}
				bars = append(bars, bar)
			}
			vc.Uptime = fraction(total.Uptime())
			vc.UptimeText = web.Percent(total.Uptime())
			vc.Bars = chart.UptimeBars(bars, 0, 0, fmt.Sprintf("%s: uptime of the last %d days", c.DisplayName, Days))
			vs.Components = append(vs.Components, vc)
		}
		v.Sections = append(v.Sections, vs)
	}
	v.Overall = Overall(states)
	v.OverallLabel = v.Overall.Label()
	return v
}

func publicIncident(f incidentFact, component string, updates []Update, now time.Time) PublicIncident {
	pi := PublicIncident{ID: f.ID, Component: component, StartedAt: f.StartedAt, ResolvedAt: f.ResolvedAt,
		UpdatedAt: f.StartedAt, Updates: make([]PublicUpdate, 0, len(updates)), Impact: "outage"}
	pi.Title = "Outage of " + component
	if f.Kind == string(incident.KindDegraded) {
		pi.Impact, pi.Title = "degraded", "Degraded performance of "+component
	}
	end := now
	if f.ResolvedAt != nil {
		end = *f.ResolvedAt
		if end.After(pi.UpdatedAt) {
			pi.UpdatedAt = end
		}
	}
	pi.Duration = end.Sub(f.StartedAt).Seconds()
	pi.Status = UpdateInvestigating
	for i := len(updates) - 1; i >= 0; i-- {
		u := updates[i]
		pi.Updates = append(pi.Updates, PublicUpdate{ID: u.ID, Status: u.Status, Message: u.Message, CreatedAt: u.CreatedAt,
			StatusLabel: u.Status.Label(), Paragraphs: paragraphs(u.Message)})
		if u.CreatedAt.After(pi.UpdatedAt) {
			pi.UpdatedAt = u.CreatedAt
		}
	}
	if len(updates) > 0 {
		pi.Status = updates[len(updates)-1].Status
	}
	switch {
	case f.ResolvedAt != nil:
		pi.Status = UpdateResolved
	case pi.Status == UpdateResolved: // the owner said resolved, the monitor did not agree yet
		pi.Status = UpdateMonitoring
	}
	pi.StatusLabel = pi.Status.Label()
	return pi
}

// history groups incidents (newest first) by the UTC day they started.
func history(incidents []PublicIncident) []HistoryDay {
	out := []HistoryDay{}
	for _, pi := range incidents {
		date := pi.StartedAt.UTC().Format(time.DateOnly)
		if n := len(out); n == 0 || out[n-1].Date != date {
			out = append(out, HistoryDay{Date: date, Anchor: anchor(date), Label: pi.StartedAt.UTC().Format("January 2, 2006")})
		}
		out[len(out)-1].Incidents = append(out[len(out)-1].Incidents, pi)
	}
	return out
}

func anchor(date string) string { return "day-" + date }

// incidentsOn counts the incidents open at some time during day.
func incidentsOn(fs []incidentFact, day, now time.Time) int {
	end := day.Add(24 * time.Hour)
	n := 0
	for _, f := range fs {
		stop := now
		if f.ResolvedAt != nil {
			stop = *f.ResolvedAt
		}
		if f.StartedAt.Before(end) && stop.After(day) {
			n++
		}
	}
	return n
}

// dayTooltip is "Nov 23: 99.95 % uptime, 1 incident". It runs for every
// bar of every component (4,500 on a page of 50), so it appends rather
// than formats; percent matches web.Percent.
func dayTooltip(label string, uptime float64, incidents int) string {
	b := make([]byte, 0, 48)
	b = append(b, label...)
	b = append(b, ": "...)
	switch {
	case math.IsNaN(uptime):
		b = append(b, "no data"...)
	case uptime >= 1:
		b = append(b, "100 % uptime"...)
	default:
		b = strconv.AppendFloat(b, math.Floor(uptime*10000)/100, 'f', 2, 64)
		b = append(b, " % uptime"...)
	}
	switch {
	case incidents == 1:
		b = append(b, ", 1 incident"...)
	case incidents > 1:
		b = append(b, ", "...)
		b = strconv.AppendInt(b, int64(incidents), 10)
		b = append(b, " incidents"...)
	}
	return string(b)
}

// fraction is u for JSON: nil for NaN (no data), which JSON cannot hold.
func fraction(u float64) *float64 {
	if math.IsNaN(u) {
		return nil
	}
	return &u
}

var blankLines = regexp.MustCompile(`\n[ \t]*\n\s*`)

// paragraphs splits plain text into paragraphs (at blank lines) of lines,
// for the template to join with <p> and <br>; each line is escaped there.
func paragraphs(text string) [][]string {
	text = strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n"))
	var out [][]string
	for _, p := range blankLines.Split(text, -1) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, strings.Split(p, "\n"))
		}
	}
	return out
}
