package statuspage

import (
	"encoding/json"
	"encoding/xml"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/incident"
)

func ptr[T any](v T) *T { return &v }

// viewFixture is a page of two components (monitors 1 and 2; monitor 3 is
// the owner's but not on the page) on 2026-11-23 10:00 UTC.
func viewFixture() viewInput {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	day := func(back int) time.Time { return time.Date(2026, 11, 23-back, 0, 0, 0, 0, time.UTC) }
	p := Page{ID: 7, Slug: "acme", Title: "Acme", UpdatedAt: now.Add(-48 * time.Hour), Sections: []Section{
		{Name: "Web", Components: []Component{{MonitorID: 1, DisplayName: "Website"}}},
		{Name: "Back end", Components: []Component{{MonitorID: 2, DisplayName: "API"}}},
	}}
	return viewInput{
		Page:     p,
		Now:      now,
		Statuses: map[int64]string{1: "down", 2: "up", 3: "down"},
		Days: []dayCount{ // per region
			{MonitorID: 1, Day: day(0), Checks: 100, Failures: 10},
			{MonitorID: 1, Day: day(0), Checks: 100, Failures: 0},
			{MonitorID: 1, Day: day(1), Checks: 100},
			{MonitorID: 1, Day: day(95), Checks: 100, Failures: 100}, // before the window
			{MonitorID: 3, Day: day(0), Checks: 100, Failures: 100},  // not on the page
			{MonitorID: 2, Day: day(3), Checks: 50},
		},
		Incidents: []incidentFact{ // newest first
			{ID: 30, MonitorID: 3, Kind: "down", Status: "open", StartedAt: now.Add(-time.Hour)},
			{ID: 20, MonitorID: 1, Kind: "down", Status: "open", StartedAt: now.Add(-2 * time.Hour)},
			{ID: 10, MonitorID: 2, Kind: "degraded", Status: "resolved", StartedAt: day(2).Add(23 * time.Hour),
				ResolvedAt: ptr(day(1).Add(2 * time.Hour))},
		},
		Updates: map[int64][]Update{
			20: {
				{ID: 1, IncidentID: 20, Status: UpdateInvestigating, Message: "Looking.", CreatedAt: now.Add(-90 * time.Minute)},
				{ID: 2, IncidentID: 20, Status: UpdateIdentified, Message: "Line one\r\nline two\n\n\nSecond <b>paragraph</b>", CreatedAt: now.Add(-30 * time.Minute)},
			},
			30: {{ID: 3, IncidentID: 30, Status: UpdateIdentified, Message: "hidden monitor's update", CreatedAt: now}},
		},
		Windows: []incident.Window{
			{ID: 1, Name: "internal db-7 patch", MonitorIDs: []int64{2}, StartsAt: ptr(now.Add(24 * time.Hour)), EndsAt: ptr(now.Add(25 * time.Hour))},
			{ID: 2, Name: "far", MonitorIDs: []int64{2}, StartsAt: ptr(now.Add(20 * 24 * time.Hour)), EndsAt: ptr(now.Add(21 * 24 * time.Hour))},
			{ID: 3, Name: "past", MonitorIDs: []int64{1}, StartsAt: ptr(now.Add(-48 * time.Hour)), EndsAt: ptr(now.Add(-47 * time.Hour))},
			{ID: 4, Name: "weekly", MonitorIDs: []int64{1, 3}, Weekdays: []int{3}, StartTime: "03:00", DurationMinutes: 30, TimeZone: "UTC"},
			{ID: 5, Name: "other monitor", MonitorIDs: []int64{3}, StartsAt: ptr(now.Add(time.Hour)), EndsAt: ptr(now.Add(2 * time.Hour))},
		},
	}
}

func TestBuildView(t *testing.T) {
	in := viewFixture()
	v := buildView(in)

	if v.Overall != OverallPartial {
		t.Errorf("overall = %s, want partial (one of two down)", v.Overall)
	}
	if len(v.Sections) != 2 || v.Sections[0].Name != "Web" || v.Sections[1].Components[0].Name != "API" {
		t.Fatalf("sections = %+v", v.Sections)
	}
	web, api := v.Sections[0].Components[0], v.Sections[1].Components[0]
	if web.State != StateDown || api.State != StateOperational {
		t.Errorf("states = %s, %s", web.State, api.State)
	}
	if len(web.Daily) != Days || web.Daily[Days-1].Date != "2026-11-23" || web.Daily[0].Date != "2026-08-26" {
		t.Fatalf("days = %d, first %s, last %s", len(web.Daily), web.Daily[0].Date, web.Daily[Days-1].Date)
	}
	if u := web.Daily[Days-1].Uptime; u == nil || *u != 0.95 {
		t.Errorf("today's uptime merged across regions = %v, want 0.95", u)
	}
	if web.Daily[Days-3].Uptime != nil {
		t.Errorf("a day without checks must be null, got %v", *web.Daily[Days-3].Uptime)
	}
	if u := web.Uptime; u == nil || *u != 290.0/300 {
		t.Errorf("90-day uptime = %v, want %v (the rollup before the window ignored)", u, 290.0/300)
	}
	if web.Daily[Days-1].Incidents != 1 || api.Daily[Days-2].Incidents != 1 || api.Daily[Days-3].Incidents != 1 || api.Daily[Days-4].Incidents != 0 {
		t.Errorf("incident counts per day wrong: web today %d, api %d/%d/%d", web.Daily[Days-1].Incidents,
			api.Daily[Days-2].Incidents, api.Daily[Days-3].Incidents, api.Daily[Days-4].Incidents)
	}
	bars := string(web.Bars)
	if strings.Count(bars, "<rect") != Days || !strings.Contains(bars, "Nov 23: 95.00 % uptime, 1 incident") ||
		!strings.Contains(bars, `href="#day-2026-11-23"`) || !strings.Contains(bars, "Nov 21: no data") {
		t.Errorf("bars: %s", bars)
	}

	// Only the page's incidents, under display names, with their status
	// from the latest update.
	if len(v.Open) != 1 || v.Open[0].ID != 20 || v.Open[0].Title != "Outage of Website" || v.Open[0].Status != UpdateIdentified {
		t.Fatalf("open = %+v", v.Open)
	}
	if got := v.Open[0].Updates; len(got) != 2 || got[0].ID != 2 || !reflect.DeepEqual(got[0].Paragraphs, [][]string{{"Line one", "line two"}, {"Second <b>paragraph</b>"}}) {
		t.Errorf("updates newest first with paragraphs: %+v", got)
	}
	if len(v.History) != 2 || v.History[0].Date != "2026-11-23" || v.History[1].Date != "2026-11-21" ||
		v.History[1].Incidents[0].Title != "Degraded performance of API" || v.History[1].Incidents[0].Status != UpdateResolved {
		t.Errorf("history = %+v", v.History)
	}
	if !v.UpdatedAt.Equal(in.Now.Add(-30 * time.Minute)) {
		t.Errorf("updated = %s, want the latest update's time", v.UpdatedAt)
	}

	// Maintenance: tomorrow's one-off and the weekly window's next
	// Wednesday, not the past, far or other monitors' windows; no names.
	if len(v.Maintenance) != 2 {
		t.Fatalf("maintenance = %+v", v.Maintenance)
	}
	if m := v.Maintenance[0]; !m.StartsAt.Equal(in.Now.Add(24*time.Hour)) || !reflect.DeepEqual(m.Components, []string{"API"}) || m.Active {
		t.Errorf("one-off = %+v", m)
	}
	if m := v.Maintenance[1]; !m.StartsAt.Equal(time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)) || !reflect.DeepEqual(m.Components, []string{"Website"}) {
		t.Errorf("weekly = %+v", m)
	}

	// Nothing of monitor 3 or of window names leaks into any representation.
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	feed, err := Feed(v, "https://status.example.com", "https://status.example.com/feed.atom")
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{string(raw), string(feed)} {
		for _, bad := range []string{"hidden monitor", "internal db-7", `"id":30`, ":incident:30"} {
			if strings.Contains(out, bad) {
				t.Errorf("output holds %q: %s", bad, out)
			}
		}
	}
}

func TestMaintenanceState(t *testing.T) {
	in := viewFixture()
	in.Statuses = map[int64]string{1: "up", 2: "down"}
	in.Incidents = nil
	in.Windows = []incident.Window{{MonitorIDs: []int64{2}, StartsAt: ptr(in.Now.Add(-time.Hour)), EndsAt: ptr(in.Now.Add(time.Hour))}}
	v := buildView(in)
	if v.Overall != OverallMaintenance || v.Sections[1].Components[0].State != StateMaintenance {
		t.Errorf("a down monitor in maintenance: overall %s, component %s", v.Overall, v.Sections[1].Components[0].State)
	}
	if len(v.Maintenance) != 1 || !v.Maintenance[0].Active {
		t.Errorf("maintenance = %+v", v.Maintenance)
	}
}

func TestFeed(t *testing.T) {
	in := viewFixture()
	in.Page.Title = `Acme <script>alert(1)</script>`
	in.Updates[20][1].Message = `"><img src=x onerror=alert(1)>`
	v := buildView(in)
	body, err := Feed(v, "https://s.example/status/acme", "https://s.example/status/acme/feed.atom")
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{"<script>", "<img"} {
		if strings.Contains(string(body), raw) {
			t.Errorf("feed holds raw %q", raw)
		}
	}
	var f AtomFeed
	if err := xml.Unmarshal(body, &f); err != nil {
		t.Fatalf("parse feed: %v\n%s", err, body)
	}
	if f.ID != "urn:betterstack:status-page:7" || f.Title != in.Page.Title || f.Author.Name == "" {
		t.Errorf("feed head: %+v", f)
	}
	if _, err := time.Parse(time.RFC3339, f.Updated); err != nil {
		t.Errorf("updated %q: %v", f.Updated, err)
	}
	// Incidents 20 and 10, updates 1 and 2, newest first (an incident
	// updated at its update's time comes first).
	var ids []string
	for _, e := range f.Entries {
		ids = append(ids, strings.TrimPrefix(e.ID, "urn:betterstack:status-page:7:"))
		if _, err := time.Parse(time.RFC3339, e.Updated); err != nil || len(e.Links) == 0 || !strings.HasPrefix(e.Links[0].Href, "https://s.example/status/acme#incident-") {
			t.Errorf("entry %+v", e)
		}
	}
	want := []string{"incident:20", "update:2", "update:1", "incident:10"}
	if !reflect.DeepEqual(ids, want) {
		t.Errorf("entries = %v, want %v", ids, want)
	}
	if f.Entries[1].Content.Body != `"><img src=x onerror=alert(1)>` || f.Entries[1].Content.Type != "text" {
		t.Errorf("update entry content = %+v", f.Entries[1].Content)
	}
}
