package incident

import (
	"slices"
	"testing"
	"time"
)

// These tests pin the incident rules: what Plan decides for each status,
// and what feeds it (whether a maintenance window covers the monitor now,
// which regions and cause an incident opens with).

func TestPlan_EveryStatusWithAndWithoutAnOpenIncident(t *testing.T) {
	down, slow := &Incident{Kind: KindDown}, &Incident{Kind: KindDegraded}
	type row struct {
		open   *Incident
		status string
		want   Action // outside maintenance
		maint  Action // inside a maintenance window
	}
	resolve := Action{Resolve: true}
	for name, tc := range map[string]row{
		"nothing open, up":                   {nil, "up", Action{}, Action{}},
		"nothing open, down":                 {nil, "down", Action{Open: KindDown}, Action{}},
		"nothing open, degraded":             {nil, "degraded", Action{Open: KindDegraded}, Action{}},
		"nothing open, unknown":              {nil, "unknown", Action{}, Action{}},
		"nothing open, pending":              {nil, "pending", Action{}, Action{}},
		"nothing open, paused":               {nil, "paused", Action{}, Action{}},
		"nothing open, an unknown word":      {nil, "sideways", Action{}, Action{}},
		"down open, up":                      {down, "up", resolve, resolve},
		"down open, down":                    {down, "down", Action{}, Action{}},
		"down open, degraded":                {down, "degraded", Action{Resolve: true, Open: KindDegraded}, resolve},
		"down open, unknown":                 {down, "unknown", Action{}, Action{}},
		"down open, paused":                  {down, "paused", Action{}, Action{}},
		"down open, pending":                 {down, "pending", Action{}, Action{}},
		"degraded open, up":                  {slow, "up", resolve, resolve},
		"degraded open, degraded":            {slow, "degraded", Action{}, Action{}},
		"degraded open, down":                {slow, "down", Action{Resolve: true, Open: KindDown}, resolve},
		"degraded open, unknown":             {slow, "unknown", Action{}, Action{}},
		"acknowledged down open, still down": {&Incident{Kind: KindDown, Status: StatusAcknowledged}, "down", Action{}, Action{}},
	} {
		t.Run(name, func(t *testing.T) {
			if got := Plan(tc.open, tc.status, false); got != tc.want {
				t.Errorf("outside maintenance: Plan = %+v, want %+v", got, tc.want)
			}
			if got := Plan(tc.open, tc.status, true); got != tc.maint {
				t.Errorf("in maintenance: Plan = %+v, want %+v", got, tc.maint)
			}
		})
	}
}

func TestWindowCovers_OnlyItsMonitors(t *testing.T) {
	w := Window{MonitorIDs: []int64{3, 7, 11}}
	for id, want := range map[int64]bool{3: true, 7: true, 11: true, 1: false, 4: false, 12: false} {
		if got := w.Covers(id); got != want {
			t.Errorf("Covers(%d) = %v, want %v", id, got, want)
		}
	}
	if (Window{}).Covers(0) {
		t.Error("a window without monitors covers monitor 0")
	}
}

func TestInMaintenance_AWindowThatCoversTheMonitorAndIsActive(t *testing.T) {
	start := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	end := start.Add(time.Hour)
	inside, after := start.Add(time.Minute), end
	covering := Window{MonitorIDs: []int64{1, 2}, StartsAt: &start, EndsAt: &end}
	other := Window{MonitorIDs: []int64{9}, StartsAt: &start, EndsAt: &end}
	for _, tc := range []struct {
		name    string
		windows []Window
		id      int64
		at      time.Time
		want    bool
	}{
		{"no windows", nil, 1, inside, false},
		{"covering and active", []Window{covering}, 2, inside, true},
		{"covering, over", []Window{covering}, 1, after, false},
		{"active, another monitor's", []Window{other}, 1, inside, false},
		{"the second window covers it", []Window{other, covering}, 1, inside, true},
	} {
		if got := inMaintenance(tc.windows, tc.id, tc.at); got != tc.want {
			t.Errorf("%s: inMaintenance = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestNewIncident_RegionsThatConfirmItAndTheMajorityCause(t *testing.T) {
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	snap := func(region string, failing bool, status, class, msg string, code int, ago time.Duration, evidence string) RegionSnapshot {
		return RegionSnapshot{Region: region, Failing: failing, Status: status, ErrorClass: class, Error: msg, StatusCode: code,
			CheckedAt: at.Add(-ago), Evidence: evidence}
	}
	m := monitorInfo{ID: 4, WorkspaceID: 2}
	t.Run("down: failing regions, sorted; the class most agree on; the latest message", func(t *testing.T) {
		c := Change{MonitorID: 4, Status: "down", At: at, Regions: []RegionSnapshot{
			snap("us", true, "down", "timeout", "timed out after 5s", 0, 3*time.Second, `{"error":"timed out"}`),
			snap("eu", true, "down", "connect", "refused", 0, 4*time.Second, ""),
			snap("ap", true, "down", "timeout", "timed out after 4s", 0, 5*time.Second, "not json"),
			snap("sa", false, "down", "connect", "refused", 0, time.Second, ""), // not confirmed
			snap("af", false, "up", "", "", 200, time.Second, ""),
		}}
		r := newIncident(c, m, KindDown)
		if !slices.Equal(r.Regions, []string{"ap", "eu", "us"}) {
			t.Errorf("regions = %v, want ap, eu, us", r.Regions)
		}
		if r.Cause.ErrorClass != "timeout" || r.Cause.Message != "timed out after 5s" {
			t.Errorf("cause = %+v, want class timeout (2 of 3), message of the latest check (us)", r.Cause)
		}
		if len(r.Evidence) != 1 || r.Evidence[0].Region != "us" {
			t.Errorf("evidence = %+v, want us's only (the others have none or unreadable)", r.Evidence)
		}
		if r.Kind != "down" || r.Status != "open" || !r.StartedAt.Equal(at) || r.MonitorID != 4 || r.WorkspaceID != 2 {
			t.Errorf("incident = %+v", r)
		}
	})
	t.Run("a tie between classes goes to the first by name", func(t *testing.T) {
		for _, order := range [][]string{{"tls", "dns"}, {"dns", "tls"}} {
			c := Change{Status: "down", At: at, Regions: []RegionSnapshot{
				snap("a", true, "down", order[0], "x", 0, time.Second, ""),
				snap("b", true, "down", order[1], "y", 0, 2*time.Second, ""),
			}}
			if got := newIncident(c, m, KindDown).Cause.ErrorClass; got != "dns" {
				t.Errorf("classes %v: cause %q, want dns", order, got)
			}
		}
	})
	t.Run("degraded: slow regions, a fixed cause, no evidence", func(t *testing.T) {
		c := Change{Status: "degraded", At: at, Regions: []RegionSnapshot{
			snap("eu", false, "degraded", "", "", 200, time.Second, `{"error":"slow"}`),
			snap("us", false, "up", "", "", 204, time.Second, ""),
			snap("ap", true, "down", "connect", "refused", 0, time.Second, `{"error":"refused"}`),
		}}
		r := newIncident(c, m, KindDegraded)
		if !slices.Equal(r.Regions, []string{"eu"}) || r.Cause.ErrorClass != "degraded" || r.Cause.StatusCode != 200 || len(r.Evidence) != 0 {
			t.Errorf("incident = regions %v, cause %+v, evidence %v", r.Regions, r.Cause, r.Evidence)
		}
	})
	t.Run("no confirming region: empty lists, not null", func(t *testing.T) {
		r := newIncident(Change{Status: "down", At: at}, m, KindDown)
		if r.Regions == nil || r.Evidence == nil || len(r.Regions) != 0 {
			t.Errorf("regions %#v, evidence %#v", r.Regions, r.Evidence)
		}
	})
}

func TestRegionMessage_ClassAndErrorOrStatus(t *testing.T) {
	for _, tc := range []struct {
		r    RegionSnapshot
		want string
	}{
		{RegionSnapshot{ErrorClass: "dns", Error: "no such host", Status: "down"}, "dns: no such host"},
		{RegionSnapshot{ErrorClass: "dns", Status: "down"}, "dns"},
		{RegionSnapshot{Error: "odd", Status: "degraded"}, "degraded"},
		{RegionSnapshot{Status: "degraded"}, "degraded"},
	} {
		if got := regionMessage(tc.r); got != tc.want {
			t.Errorf("regionMessage(%+v) = %q, want %q", tc.r, got, tc.want)
		}
	}
}
