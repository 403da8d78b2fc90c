package statuspage_test

import (
	"math"
	"strings"
	"testing"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/chart"
	"github.com/betterstack/betterstack/modules/statuspage"
)

func TestOverall(t *testing.T) {
	const (
		op = statuspage.StateOperational
		dg = statuspage.StateDegraded
		dn = statuspage.StateDown
		mt = statuspage.StateMaintenance
		ps = statuspage.StatePaused
		un = statuspage.StateUnknown
	)
	tests := []struct {
		name   string
		states []statuspage.State
		want   statuspage.OverallState
		label  string
	}{
		{"no components", nil, statuspage.OverallOperational, "All systems operational"},
		{"all up", []statuspage.State{op, op, op}, statuspage.OverallOperational, "All systems operational"},
		{"paused and unknown do not count", []statuspage.State{op, ps, un}, statuspage.OverallOperational, "All systems operational"},
		{"one degraded", []statuspage.State{op, dg}, statuspage.OverallPartial, "Partial outage"},
		{"one of three down", []statuspage.State{op, op, dn}, statuspage.OverallPartial, "Partial outage"},
		{"exactly half down is partial", []statuspage.State{op, dn}, statuspage.OverallPartial, "Partial outage"},
		{"more than half down", []statuspage.State{dn, dn, op}, statuspage.OverallMajor, "Major outage"},
		{"the only component down", []statuspage.State{dn}, statuspage.OverallMajor, "Major outage"},
		{"down beats maintenance", []statuspage.State{mt, dn, op}, statuspage.OverallPartial, "Partial outage"},
		{"degraded beats maintenance", []statuspage.State{mt, dg}, statuspage.OverallPartial, "Partial outage"},
		{"maintenance, nothing down", []statuspage.State{mt, op, op}, statuspage.OverallMaintenance, "Maintenance"},
		{"everything in maintenance", []statuspage.State{mt, mt}, statuspage.OverallMaintenance, "Maintenance"},
		{"maintenance is not counted as down", []statuspage.State{mt, mt, dn}, statuspage.OverallPartial, "Partial outage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := statuspage.Overall(tt.states)
			if got != tt.want || got.Label() != tt.label {
				t.Errorf("Overall(%v) = %s (%q), want %s (%q)", tt.states, got, got.Label(), tt.want, tt.label)
			}
		})
	}
}

func TestComponentState(t *testing.T) {
	tests := []struct {
		status string
		maint  bool
		want   statuspage.State
	}{
		{"up", false, statuspage.StateOperational},
		{"degraded", false, statuspage.StateDegraded},
		{"down", false, statuspage.StateDown},
		{"paused", false, statuspage.StatePaused},
		{"pending", false, statuspage.StateUnknown},
		{"unknown", false, statuspage.StateUnknown},
		{"", false, statuspage.StateUnknown},
		{"down", true, statuspage.StateMaintenance},
		{"up", true, statuspage.StateMaintenance},
	}
	for _, tt := range tests {
		if got := statuspage.ComponentState(tt.status, tt.maint); got != tt.want {
			t.Errorf("ComponentState(%q, %v) = %s, want %s", tt.status, tt.maint, got, tt.want)
		}
	}
}

func TestPageValidate(t *testing.T) {
	valid := func() statuspage.Page {
		return statuspage.Page{Slug: "acme", Title: "Acme", Sections: []statuspage.Section{
			{Name: "Core", Components: []statuspage.Component{{MonitorID: 1, DisplayName: "API"}, {MonitorID: 2}}},
		}}
	}
	tests := []struct {
		name   string
		change func(p *statuspage.Page)
		fields []string // "" = valid
	}{
		{"valid", func(p *statuspage.Page) {}, nil},
		{"no sections", func(p *statuspage.Page) { p.Sections = nil }, nil},
		{"slug upper case", func(p *statuspage.Page) { p.Slug = "Acme" }, []string{"slug"}},
		{"slug with a slash", func(p *statuspage.Page) { p.Slug = "a/b" }, []string{"slug"}},
		{"slug leading hyphen", func(p *statuspage.Page) { p.Slug = "-acme" }, []string{"slug"}},
		{"slug 64 ok", func(p *statuspage.Page) { p.Slug = strings.Repeat("a", 64) }, nil},
		{"slug 65", func(p *statuspage.Page) { p.Slug = strings.Repeat("a", 65) }, []string{"slug"}},
		{"slug one char", func(p *statuspage.Page) { p.Slug = "x" }, nil},
		{"no title", func(p *statuspage.Page) { p.Title = "" }, []string{"title"}},
		{"logo http", func(p *statuspage.Page) { p.LogoURL = "http://example.com/l.png" }, []string{"logo_url"}},
		{"logo javascript", func(p *statuspage.Page) { p.LogoURL = "javascript:alert(1)" }, []string{"logo_url"}},
		{"logo https", func(p *statuspage.Page) { p.LogoURL = "https://cdn.example.com/l.png" }, nil},
		{"domain with scheme", func(p *statuspage.Page) { p.CustomDomain = "https://status.example.com" }, []string{"custom_domain"}},
		{"domain with port", func(p *statuspage.Page) { p.CustomDomain = "status.example.com:8080" }, []string{"custom_domain"}},
		{"domain an IP", func(p *statuspage.Page) { p.CustomDomain = "10.0.0.1" }, []string{"custom_domain"}},
		{"domain single label", func(p *statuspage.Page) { p.CustomDomain = "localhost" }, []string{"custom_domain"}},
		{"domain ok", func(p *statuspage.Page) { p.CustomDomain = "status.example.com" }, nil},
		{"section without name", func(p *statuspage.Page) { p.Sections[0].Name = "" }, []string{"sections[0].name"}},
		{"section without components", func(p *statuspage.Page) {
			p.Sections = append(p.Sections, statuspage.Section{Name: "Empty"})
		}, []string{"sections[1].components"}},
		{"missing monitor id", func(p *statuspage.Page) { p.Sections[0].Components[1].MonitorID = 0 }, []string{"sections[0].components[1].monitor_id"}},
		{"duplicate monitor", func(p *statuspage.Page) { p.Sections[0].Components[1].MonitorID = 1 }, []string{"sections[0].components[1].monitor_id"}},
		{"long display name", func(p *statuspage.Page) {
			p.Sections[0].Components[0].DisplayName = strings.Repeat("x", 101)
		}, []string{"sections[0].components[0].display_name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := valid()
			tt.change(&p)
			err := p.Validate()
			if len(tt.fields) == 0 {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			ae := apperr.As(err)
			if ae == nil || ae.Kind != apperr.Invalid {
				t.Fatalf("want a validation error, got %v", err)
			}
			for _, f := range tt.fields {
				if ae.Fields[f] == "" {
					t.Errorf("no message for %s: %v", f, ae.Fields)
				}
			}
		})
	}
}

func TestUpdateValidate(t *testing.T) {
	tests := []struct {
		name  string
		in    statuspage.UpdateInput
		field string
	}{
		{"ok", statuspage.UpdateInput{Status: "identified", Message: "We found it."}, ""},
		{"bad status", statuspage.UpdateInput{Status: "fixed", Message: "x"}, "status"},
		{"blank message", statuspage.UpdateInput{Status: "monitoring", Message: " \n "}, "message"},
		{"5000 characters", statuspage.UpdateInput{Status: "monitoring", Message: strings.Repeat("é", 5000)}, ""},
		{"5001 characters", statuspage.UpdateInput{Status: "monitoring", Message: strings.Repeat("é", 5001)}, "message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.in.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if ae := apperr.As(err); ae == nil || ae.Fields[tt.field] == "" {
				t.Fatalf("want a message for %s, got %v", tt.field, err)
			}
		})
	}
}

func TestBadgeMessages(t *testing.T) {
	status := []struct{ in, msg, colour string }{
		{"up", "up", chart.Green}, {"degraded", "degraded", chart.Yellow}, {"down", "down", chart.Red},
		{"paused", "paused", chart.Grey}, {"pending", "pending", chart.Grey}, {"unknown", "unknown", chart.Grey}, {"", "unknown", chart.Grey},
	}
	for _, tt := range status {
		if msg, c := statuspage.StatusBadge(tt.in); msg != tt.msg || c != tt.colour {
			t.Errorf("StatusBadge(%q) = %q %s, want %q %s", tt.in, msg, c, tt.msg, tt.colour)
		}
	}
	uptime := []struct {
		u           float64
		msg, colour string
	}{
		{math.NaN(), "no data", chart.Grey}, {1, "100%", chart.Green}, {0.99999, "99.99%", chart.Green},
		{0.999, "99.90%", chart.Green}, {0.995, "99.50%", chart.Yellow}, {0.96, "96.00%", chart.Orange}, {0.5, "50.00%", chart.Red},
	}
	for _, tt := range uptime {
		if msg, c := statuspage.UptimeBadge(tt.u); msg != tt.msg || c != tt.colour {
			t.Errorf("UptimeBadge(%v) = %q %s, want %q %s", tt.u, msg, c, tt.msg, tt.colour)
		}
	}
	latency := []struct {
		ms          float64
		msg, colour string
	}{
		{math.NaN(), "no data", chart.Grey}, {87.4, "87 ms", chart.Green}, {450, "450 ms", chart.Yellow},
		{1240, "1.24 s", chart.Orange}, {5000, "5.00 s", chart.Red},
	}
	for _, tt := range latency {
		if msg, c := statuspage.ResponseTimeBadge(tt.ms); msg != tt.msg || c != tt.colour {
			t.Errorf("ResponseTimeBadge(%v) = %q %s, want %q %s", tt.ms, msg, c, tt.msg, tt.colour)
		}
	}
	for _, w := range []string{"", "24h", "7d", "30d", "90d"} {
		if _, _, err := statuspage.ParseBadgeWindow(w); err != nil {
			t.Errorf("window %q: %v", w, err)
		}
	}
	for _, w := range []string{"1y", "30", "7D", "-1d"} {
		if _, _, err := statuspage.ParseBadgeWindow(w); apperr.KindOf(err) != apperr.BadRequest {
			t.Errorf("window %q: %v, want a bad request", w, err)
		}
	}
}
