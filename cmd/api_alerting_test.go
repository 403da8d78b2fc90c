package cmd

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/config"
)

func TestAlertingAPI(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		f := newFixture(t, cfg)
		r := do(t, f.app, "POST", "/api/v1/channels", f.bob, `{"name":"bob hook","type":"webhook","config":{"url":"https://hooks.example/bob","secret":"bob-secret-0123456789"}}`)
		if r.Status != 201 {
			t.Fatalf("bob's channel: %d %s", r.Status, r.Body)
		}
		var bobCh struct{ ID int64 }
		r.JSON(t, &bobCh)
		start := time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)
		end := time.Now().UTC().Add(time.Hour).Format(time.RFC3339)
		f.run(t, []scenario{
			{name: "channel: unknown type", method: "POST", path: "/api/v1/channels", auth: "alice", body: `{"name":"x","type":"carrier-pigeon","config":{}}`,
				status: 422, contains: []string{`"type"`}},
			{name: "channel: missing url", method: "POST", path: "/api/v1/channels", auth: "alice", body: `{"name":"x","type":"webhook","config":{"secret":"0123456789abcdef0"}}`,
				status: 422, contains: []string{`"config.url"`}},
			{name: "channel: unknown config field", method: "POST", path: "/api/v1/channels", auth: "alice", body: `{"name":"x","type":"slack","config":{"url":"https://h.example","channel":"#ops"}}`,
				status: 422, contains: []string{`"config.channel"`}},
			{name: "channel: missing name", method: "POST", path: "/api/v1/channels", auth: "alice", body: `{"type":"slack","config":{"url":"https://h.example"}}`,
				status: 422, contains: []string{`"name"`}},
			{name: "channel: created with the secret masked", method: "POST", path: "/api/v1/channels", auth: "alice",
				body:   `{"name":"pd","type":"pagerduty","config":{"routing_key":"R0UT1NGKEY0123456789abcdef012345"}}`,
				status: 201, contains: []string{`"type":"pagerduty"`}, notContains: []string{"R0UT1NGKEY"}},
			{name: "channel: list hides secrets", method: "GET", path: "/api/v1/channels", auth: "alice", status: 200, notContains: []string{"R0UT1NGKEY", "bob hook"}},
			{name: "channel: other's is 404", method: "GET", path: fmt.Sprintf("/api/v1/channels/%d", bobCh.ID), auth: "alice", status: 404, notContains: []string{"bob-secret"}},
			{name: "channel: other's test is 404", method: "POST", path: fmt.Sprintf("/api/v1/channels/%d/test", bobCh.ID), auth: "alice", status: 404},
			{name: "channel: other's deliveries 404", method: "GET", path: fmt.Sprintf("/api/v1/channels/%d/deliveries", bobCh.ID), auth: "alice", status: 404},
			{name: "channel: delete other's is 404", method: "DELETE", path: fmt.Sprintf("/api/v1/channels/%d", bobCh.ID), auth: "alice", status: 404},
			{name: "monitor: linking another user's channel", method: "PATCH", path: "/api/v1/monitors/{alice_monitor}", auth: "alice",
				body: fmt.Sprintf(`{"channel_ids":[%d]}`, bobCh.ID), status: 422, contains: []string{`"channel_ids"`}},
			{name: "monitor: linking own channel", method: "PATCH", path: "/api/v1/monitors/{bob_monitor}", auth: "bob",
				body: fmt.Sprintf(`{"channel_ids":[%d]}`, bobCh.ID), status: 200, contains: []string{fmt.Sprintf(`"channel_ids":[%d]`, bobCh.ID)}},
			{name: "incidents: empty list", method: "GET", path: "/api/v1/incidents", auth: "alice", status: 200, contains: []string{`"data":[]`}},
			{name: "incidents: bad status", method: "GET", path: "/api/v1/incidents?status=burning", auth: "alice", status: 422, contains: []string{`"status"`}},
			{name: "incidents: missing is 404", method: "GET", path: "/api/v1/incidents/999", auth: "alice", status: 404},
			{name: "incidents: ack missing is 404", method: "POST", path: "/api/v1/incidents/999/acknowledge", auth: "alice", status: 404},
			{name: "incidents: comment missing is 404", method: "POST", path: "/api/v1/incidents/999/comments", auth: "alice", body: `{"text":"hi"}`, status: 404},
			{name: "window: bad time", method: "POST", path: "/api/v1/maintenance-windows", auth: "alice",
				body: `{"name":"w","monitor_ids":[{alice_monitor}],"starts_at":"tomorrow","ends_at":"` + end + `"}`, status: 422, contains: []string{`"starts_at"`}},
			{name: "window: other's monitor", method: "POST", path: "/api/v1/maintenance-windows", auth: "alice",
				body: `{"name":"w","monitor_ids":[{bob_monitor}],"starts_at":"` + start + `","ends_at":"` + end + `"}`, status: 422, contains: []string{`"monitor_ids"`}},
			{name: "window: weekly without days", method: "POST", path: "/api/v1/maintenance-windows", auth: "alice",
				body: `{"name":"w","monitor_ids":[{alice_monitor}],"start_time":"03:00","duration_minutes":30}`, status: 422, contains: []string{`"weekdays"`}},
			{name: "window: created", method: "POST", path: "/api/v1/maintenance-windows", auth: "alice",
				body:   `{"name":"deploy","monitor_ids":[{alice_monitor}],"weekdays":[2,4],"start_time":"03:00","duration_minutes":30,"time_zone":"Europe/Berlin"}`,
				status: 201, contains: []string{`"time_zone":"Europe/Berlin"`, `"weekdays":[2,4]`}},
			{name: "window: bob does not see it", method: "GET", path: "/api/v1/maintenance-windows", auth: "bob", status: 200, notContains: []string{"deploy"}},
		})
	})
}

// TestMaintenanceSuppressesIncidents (embedded): a monitor that goes down
// inside a maintenance window opens no incident and sends nothing; once the
// window is deleted, the next results open the incident.
func TestMaintenanceSuppressesIncidents(t *testing.T) {
	dead := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(503) }))
	defer dead.Close()
	var hooks int
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { hooks++ }))
	defer rcv.Close()

	cfg := testDefaults()
	cfg.DataDir, cfg.MinInterval, cfg.AllowPrivateWebhooks = t.TempDir(), time.Second, true
	app := MustApp(t, cfg)
	base, _ := startApp(t, app)
	c := client{t: t, base: base, token: mustSignup(t, app, "maint@example.com")}
	_, body := c.call("POST", "/api/v1/channels", `{"name":"hook","type":"webhook","config":{"url":"`+rcv.URL+`","secret":"maint-secret-0123456789"}}`)
	var ch struct{ ID int64 }
	if err := json.Unmarshal([]byte(body), &ch); err != nil {
		t.Fatal(err)
	}
	// Create paused, add the window, then resume: no result ever arrives
	// outside the window.
	st, body := c.call("POST", "/api/v1/monitors", fmt.Sprintf(`{"name":"api","url":"%s","interval_seconds":1,"timeout_ms":500,"paused":true,"channel_ids":[%d]}`, dead.URL, ch.ID))
	if st != 201 {
		t.Fatalf("monitor: %d %s", st, body)
	}
	var m struct{ ID int64 }
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatal(err)
	}
	st, body = c.call("POST", "/api/v1/maintenance-windows", fmt.Sprintf(`{"name":"upgrade","monitor_ids":[%d],"starts_at":"%s","ends_at":"%s"}`,
		m.ID, time.Now().UTC().Add(-time.Minute).Format(time.RFC3339), time.Now().UTC().Add(time.Hour).Format(time.RFC3339)))
	if st != 201 {
		t.Fatalf("window: %d %s", st, body)
	}
	var w struct{ ID int64 }
	if err := json.Unmarshal([]byte(body), &w); err != nil {
		t.Fatal(err)
	}
	if st, body := c.call("POST", fmt.Sprintf("/api/v1/monitors/%d/resume", m.ID), ""); st != 200 {
		t.Fatalf("resume: %d %s", st, body)
	}
	eventually(t, 15*time.Second, "monitor down during maintenance", func() bool { return c.monitorStatus(m.ID) == "down" })
	time.Sleep(2 * time.Second) // more down results inside the window
	if n := len(c.incidents(m.ID)); n != 0 || hooks != 0 {
		t.Fatalf("inside maintenance: %d incidents, %d webhooks; want none", n, hooks)
	}
	if st, _ := c.call("DELETE", fmt.Sprintf("/api/v1/maintenance-windows/%d", w.ID), ""); st != 204 {
		t.Fatalf("delete window: %d", st)
	}
	eventually(t, 15*time.Second, "the incident once the window is gone", func() bool { return len(c.incidents(m.ID)) == 1 })
	if inc := c.incidents(m.ID)[0]; inc.Kind != "down" || !strings.Contains(inc.Cause.ErrorClass, "http_status") {
		t.Fatalf("incident = %+v", inc)
	}
}

// TestManualResolveWhileDownOpensANewIncidentAtTheNextFailure (embedded):
// resolving by hand while the target is still down holds only until the
// next failed check, which opens a new incident; recovery resolves it.
func TestManualResolveWhileDownOpensANewIncidentAtTheNextFailure(t *testing.T) {
	target := newFlaky(t)
	cfg := testDefaults()
	cfg.DataDir, cfg.MinInterval = t.TempDir(), time.Second
	app := MustApp(t, cfg)
	base, _ := startApp(t, app)
	c := client{t: t, base: base, token: mustSignup(t, app, "resolver@example.com")}
	st, body := c.call("POST", "/api/v1/monitors", `{"name":"api","url":"`+target.srv.URL+`","interval_seconds":1,"timeout_ms":500}`)
	if st != 201 {
		t.Fatalf("monitor: %d %s", st, body)
	}
	var m struct{ ID int64 }
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "up", func() bool { return c.monitorStatus(m.ID) == "up" })
	target.healthy.Store(false)
	eventually(t, 15*time.Second, "an incident", func() bool { return len(c.incidents(m.ID)) == 1 })
	id := c.incidents(m.ID)[0].ID
	if st, body := c.call("POST", fmt.Sprintf("/api/v1/incidents/%d/resolve", id), ""); st != 200 || !strings.Contains(body, `"resolved_by":"resolver@example.com"`) {
		t.Fatalf("resolve: %d %s", st, body)
	}
	if st, _ := c.call("POST", fmt.Sprintf("/api/v1/incidents/%d/resolve", id), ""); st != 409 {
		t.Fatalf("resolving twice: %d, want 409", st)
	}
	// The monitor still fails: the next failed check opens a new incident
	// (a resolve must not silence it until it recovers and fails again).
	eventually(t, 15*time.Second, "a new incident at the next failure", func() bool {
		incs := c.incidents(m.ID)
		return len(incs) == 2 && incs[0].Status == "open" && incs[1].ID == id && incs[1].Status == "resolved"
	})
	target.healthy.Store(true)
	eventually(t, 15*time.Second, "up again, the new incident resolved", func() bool {
		incs := c.incidents(m.ID)
		return c.monitorStatus(m.ID) == "up" && len(incs) == 2 && incs[0].Status == "resolved"
	})
}
