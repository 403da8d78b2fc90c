package cmd

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/config"
)

// TestMaintenanceShownWhereItApplies: a monitor whose checks fail inside a
// maintenance window reads "Maintenance" on the overview (and counts there,
// not as down, and is listed by the Maintenance filter, not the Down one)
// and on its page, which also says what the checks see.
func TestMaintenanceShownWhereItApplies(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		app := MustApp(t, cfg)
		b := mustWebSignup(t, app, "maint@example.com")
		token := webSessionToken(t, b)
		inWindow := mustWebMonitor(t, app, token, "in window")
		outside := mustWebMonitor(t, app, token, "outside")
		now := time.Now().UTC()
		r := do(t, app, "POST", "/api/v1/maintenance-windows", token, fmt.Sprintf(`{"name":"db upgrade","monitor_ids":[%d],
			"starts_at":%q,"ends_at":%q}`, inWindow, now.Add(-time.Hour).Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339)))
		if r.Status != http.StatusCreated {
			t.Fatalf("window: %d %s", r.Status, r.Body)
		}
		failIngest(t, app, now, inWindow, outside)

		overview := b.get("/").Body
		if !strings.Contains(overview, `<span class="pill pill-maintenance">Maintenance</span><b>1</b>`) ||
			!strings.Contains(overview, `<span class="pill pill-down">Down</span><b>1</b>`) {
			t.Errorf("overview counts: want one down and one in maintenance")
		}
		row := func(name string) string {
			i := strings.Index(overview, ">"+name+"</a>")
			if i < 0 {
				t.Fatalf("overview lacks %q", name)
			}
			return overview[max(0, i-300):min(len(overview), i+600)]
		}
		if r := row("in window"); !strings.Contains(r, "pill-maintenance") || !strings.Contains(r, "checks: down") {
			t.Errorf("the monitor in the window does not read maintenance: %s", r)
		}
		if r := row("outside"); strings.Contains(r, "pill-maintenance") {
			t.Errorf("the monitor outside the window reads maintenance: %s", r)
		}
		// The filters list what the counts count: "Down" the one down
		// outside the window, "Maintenance" the one in it.
		down := b.get("/?status=down").Body
		if !strings.Contains(down, ">outside</a>") || strings.Contains(down, ">in window</a>") {
			t.Errorf("?status=down lists other than the one down outside the window")
		}
		inMaint := b.get("/?status=maintenance").Body
		if !strings.Contains(inMaint, ">in window</a>") || strings.Contains(inMaint, ">outside</a>") {
			t.Errorf("?status=maintenance lists other than the one in the window")
		}
		page := b.get(fmt.Sprintf("/monitors/%d", inWindow)).Body
		if !strings.Contains(page, `pill-maintenance">Maintenance`) || !strings.Contains(page, "the checks say down") {
			t.Errorf("the monitor's page does not say maintenance")
		}
	})
}
