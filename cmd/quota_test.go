package cmd

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestMonitorQuota: an account may have max_monitors_per_account monitors;
// the next is refused with 403 naming the setting and nothing is stored;
// deleting one makes room. Another account has its own count.
func TestMonitorQuota(t *testing.T) {
	cfg := testDefaults()
	cfg.DataDir, cfg.MaxMonitors = t.TempDir(), 2
	app := MustApp(t, cfg)
	a, b := mustSignup(t, app, "a@example.com"), mustSignup(t, app, "b@example.com")
	body := `{"check":{"kind":"tcp","host":"db.example","port":5432}}`
	var ids []int64
	for i := 0; i < 2; i++ {
		r := do(t, app, "POST", "/api/v1/monitors", a, body)
		if r.Status != http.StatusCreated {
			t.Fatalf("monitor %d: %d %s", i+1, r.Status, r.Body)
		}
		var m struct{ ID int64 }
		r.JSON(t, &m)
		ids = append(ids, m.ID)
	}
	r := do(t, app, "POST", "/api/v1/monitors", a, body)
	if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "max_monitors_per_account") {
		t.Fatalf("third monitor: %d %s", r.Status, r.Body)
	}
	if r := do(t, app, "GET", "/api/v1/monitors", a, ""); strings.Count(r.Body, `"kind":"tcp"`) != 2 {
		t.Errorf("the refused monitor was stored: %s", r.Body)
	}
	if r := do(t, app, "POST", "/api/v1/monitors", b, body); r.Status != http.StatusCreated {
		t.Errorf("another account's first monitor: %d %s", r.Status, r.Body)
	}
	if r := do(t, app, "DELETE", "/api/v1/monitors/"+strconv.FormatInt(ids[0], 10), a, ""); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if r := do(t, app, "POST", "/api/v1/monitors", a, body); r.Status != http.StatusCreated {
		t.Errorf("after deleting one: %d %s", r.Status, r.Body)
	}
}

// TestChannelAndStatusPageQuotas: the same rule for channels and status
// pages, each at its own limit.
func TestChannelAndStatusPageQuotas(t *testing.T) {
	cfg := testDefaults()
	cfg.DataDir, cfg.MaxChannels, cfg.MaxStatusPages = t.TempDir(), 1, 1
	app := MustApp(t, cfg)
	a := mustSignup(t, app, "quota@example.com")
	channel := `{"name":"hook","type":"webhook","config":{"url":"https://hooks.example/x","secret":"secret-0123456789abcdef"}}`
	if r := do(t, app, "POST", "/api/v1/channels", a, channel); r.Status != http.StatusCreated {
		t.Fatalf("first channel: %d %s", r.Status, r.Body)
	}
	if r := do(t, app, "POST", "/api/v1/channels", a, channel); r.Status != http.StatusForbidden || !strings.Contains(r.Body, "max_channels_per_account") {
		t.Errorf("second channel: %d %s", r.Status, r.Body)
	}
	page := func(slug string) string { return `{"slug":"` + slug + `","title":"Status","sections":[]}` }
	if r := do(t, app, "POST", "/api/v1/status-pages", a, page("one")); r.Status != http.StatusCreated {
		t.Fatalf("first page: %d %s", r.Status, r.Body)
	}
	if r := do(t, app, "POST", "/api/v1/status-pages", a, page("two")); r.Status != http.StatusForbidden || !strings.Contains(r.Body, "max_status_pages_per_account") {
		t.Errorf("second page: %d %s", r.Status, r.Body)
	}
}
