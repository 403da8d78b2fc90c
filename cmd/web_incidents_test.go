package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/config"
	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/queue"
)

// TestWebIncidents covers the incidents list and page on both backends:
// the empty state, what an incident shows (cause, timeline, per-region
// evidence, all escaped), acknowledge/resolve/comment through the forms,
// the CSRF check, another user's ids, and paging of resolved incidents.
func TestWebIncidents(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		app := MustApp(t, cfg)
		alice := mustWebSignup(t, app, "alice@example.com")
		bob := mustWebSignup(t, app, "bob@example.com")
		aliceAPI := webSessionToken(t, alice)

		r := alice.get("/incidents")
		wantHTML(t, "empty incidents", r, http.StatusOK, []string{"No incidents yet", `href="/settings/channels"`}, []string{`id="open-heading"`})

		evil := "<script>alert(1)</script>"
		monitorID := mustWebMonitor(t, app, aliceAPI, evil)
		failIngest(t, app, time.Now(), monitorID)
		incID := incidentsOf(t, app, aliceAPI, monitorID)[0].ID
		incPath := fmt.Sprintf("/incidents/%d", incID)

		r = alice.get("/incidents")
		wantHTML(t, "list with an open incident", r, http.StatusOK, []string{
			`href="` + incPath + `"`, "&lt;script&gt;alert(1)&lt;/script&gt;", fmt.Sprintf(`href="/monitors/%d"`, monitorID),
			`pill-open">Open`, `pill-down">Down`, "<code>http_status</code>", "HTTP 503 &lt;i&gt;Service Unavailable&lt;/i&gt;",
			"eu-test", `data-refresh="/incidents"`, "Nothing resolved yet.",
		}, []string{"<script>alert(1)", "<i>Service", "No incidents yet"})
		r = alice.get("/incidents?fragment=1")
		wantHTML(t, "open incidents fragment", r, http.StatusOK, []string{`href="` + incPath + `"`}, []string{"<html", "Resolved"})

		r = alice.get(incPath)
		wantHTML(t, "incident page", r, http.StatusOK, []string{
			"&lt;script&gt;alert(1)&lt;/script&gt;", `pill-open">Open`, "Incident opened", "Region eu-test failing",
			"<dt>Status code</dt><dd>503</dd>", "203.0.113.7", "<td>DNS</td><td class=\"num\">4 ms</td>", "<td>First byte</td>",
			"<pre>&lt;script&gt;alert(2)&lt;/script&gt; maintenance</pre>", `<th scope="row">X-Evil</th><td>&lt;b&gt;bold&lt;/b&gt;</td>`,
			`action="` + incPath + `/acknowledge"`, `action="` + incPath + `/resolve" data-confirm=`, `name="text"`,
		}, []string{"<script>alert(", "<b>bold</b>", "<i>Service"})

		// Another user's incident, and ids that name nothing, are 404 pages
		// on GET and POST, and change nothing.
		bob.get("/incidents")
		for _, path := range []string{incPath, "/incidents/abc", "/incidents/0", "/incidents/999999"} {
			r = bob.get(path)
			wantHTML(t, "bob GET "+path, r, http.StatusNotFound, []string{"<html", "incident not found"}, []string{"alert(1)"})
		}
		for _, action := range []string{"/acknowledge", "/resolve", "/comments"} {
			r = bob.post(incPath+action, url.Values{"text": {"bob was here"}})
			wantHTML(t, "bob POST "+action, r, http.StatusNotFound, []string{"incident not found"}, nil)
		}
		if r = bob.get("/incidents"); strings.Contains(r.Body, "alert(1)") || !strings.Contains(r.Body, "No incidents yet") {
			t.Errorf("bob's list shows alice's incident: %s", r.Body)
		}
		// A form without the CSRF token is refused.
		r = alice.send(http.MethodPost, incPath+"/acknowledge", url.Values{})
		wantHTML(t, "acknowledge without CSRF", r, http.StatusForbidden, nil, nil)
		r = alice.send(http.MethodPost, incPath+"/comments", url.Values{"text": {"forged"}})
		wantHTML(t, "comment without CSRF", r, http.StatusForbidden, nil, nil)
		if inc := incidentDetailOf(t, app, aliceAPI, incID); inc.Status != "open" || len(inc.Events) != 2 {
			t.Fatalf("after refused posts: status %q, %d events; want open with 2", inc.Status, len(inc.Events))
		}

		// Acknowledge, comment, resolve through the forms.
		alice.get(incPath)
		r = alice.follow(alice.post(incPath+"/acknowledge", nil))
		wantHTML(t, "acknowledged", r, http.StatusOK, []string{
			`class="flash" role="status">Incident acknowledged.`, `pill-acknowledged">Acknowledged`,
			"<strong>Acknowledged</strong> <span class=\"muted\">by alice@example.com</span>", "<dt>Acknowledged</dt>",
		}, []string{incPath + "/acknowledge"})
		r = alice.post(incPath+"/comments", url.Values{"text": {"   "}})
		wantHTML(t, "empty comment", r, http.StatusUnprocessableEntity, []string{`class="field-error" role="alert">is required`, `aria-invalid="true"`}, nil)
		r = alice.post(incPath+"/comments", url.Values{"text": {"<b>looking</b> into it\nsecond line"}})
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != incPath+"#timeline" {
			t.Fatalf("comment: %d %q", r.Status, r.Header.Get("Location"))
		}
		r = alice.get(incPath) // a browser leaves the #fragment out of the request
		wantHTML(t, "commented", r, http.StatusOK, []string{
			"Comment added.", "<strong>Comment</strong>", "&lt;b&gt;looking&lt;/b&gt; into it\nsecond line",
		}, []string{"<b>looking</b>"})
		r = alice.follow(alice.post(incPath+"/resolve", nil))
		wantHTML(t, "resolved", r, http.StatusOK, []string{
			"Incident resolved.", `pill-resolved">Resolved`, "<dt>Resolved</dt>", "by alice@example.com",
		}, []string{incPath + "/resolve", incPath + "/acknowledge"})
		// Order on the timeline: opened first, resolved last.
		if a, b := strings.Index(r.Body, "Incident opened"), strings.Index(r.Body, "<strong>Resolved</strong>"); a < 0 || b < a {
			t.Errorf("timeline order: opened at %d, resolved at %d", a, b)
		}
		// An out-of-date page: the service's refusal is a flash, not a 500.
		for _, action := range []string{"/acknowledge", "/resolve"} {
			r = alice.post(incPath+action, nil)
			if r.Status != http.StatusSeeOther {
				t.Fatalf("%s a resolved incident: %d %s", action, r.Status, r.Body)
			}
			r = alice.follow(r)
			wantHTML(t, action+" again", r, http.StatusOK, []string{`role="status">The incident is already resolved.`}, nil)
		}
		// Resolved by hand while the monitor still fails: the list must not
		// claim every monitor is fine.
		wantHTML(t, "no open incidents while down", alice.get("/incidents"), http.StatusOK,
			[]string{"No open incidents, but 1 monitor is down or degraded right now"}, []string{"every monitor is fine"})
		inc := incidentDetailOf(t, app, aliceAPI, incID)
		if inc.Status != "resolved" || inc.ResolvedBy != "alice@example.com" || inc.AcknowledgedBy != "alice@example.com" {
			t.Fatalf("incident through the API: %+v", inc)
		}

		// Paging: 26 more resolved incidents (one per monitor: down, then up)
		// and one open; the open one comes first, resolved ones 25 a page.
		ids := make([]int64, 26)
		for i := range ids {
			ids[i] = mustWebMonitor(t, app, aliceAPI, fmt.Sprintf("svc-%02d", i))
		}
		start := time.Now().Add(-time.Minute)
		failIngest(t, app, start, ids...)
		recoverIngest(t, app, start.Add(10*time.Second), ids...)
		stillDown := mustWebMonitor(t, app, aliceAPI, "still down")
		failIngest(t, app, time.Now(), stillDown)
		openID := incidentsOf(t, app, aliceAPI, stillDown)[0].ID

		r = alice.get("/incidents")
		wantHTML(t, "first page", r, http.StatusOK, []string{"svc-25", "svc-01", `rel="next">Older</a>`}, []string{"svc-00", "alert(1)"})
		openAt := strings.Index(r.Body, fmt.Sprintf(`href="/incidents/%d"`, openID))
		if resolvedAt := strings.Index(r.Body, `id="resolved-heading"`); openAt < 0 || resolvedAt < openAt {
			t.Errorf("the open incident is not listed before the resolved ones (%d, %d)", openAt, resolvedAt)
		}
		if n := strings.Count(r.Body, `pill-resolved">Resolved`); n != 25 {
			t.Errorf("first page lists %d resolved incidents, want 25", n)
		}
		older := pageLink(t, r.Body, `href="(/incidents\?before=\d+)" rel="next"`)
		r = alice.get(older)
		wantHTML(t, "older page", r, http.StatusOK, []string{"svc-00", "&lt;script&gt;alert(1)&lt;/script&gt;", `href="/incidents">Newest</a>`},
			[]string{"svc-01", `id="open-heading"`, `rel="next"`, "still down"})
		if n := strings.Count(r.Body, `pill-resolved">Resolved`); n != 2 {
			t.Errorf("older page lists %d resolved incidents, want 2", n)
		}
	})
}

// pageLink returns the first submatch of pattern in body (a link's path).
func pageLink(t *testing.T, body, pattern string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no link matching %s in:\n%s", pattern, body)
	}
	return html.UnescapeString(m[1])
}

// webSessionToken returns the browser's session token; the API accepts it
// as a bearer token, which lets tests check what a form changed.
func webSessionToken(t *testing.T, b *browser) string {
	t.Helper()
	c := b.cookies["bs_session"]
	if c == nil {
		t.Fatal("the browser has no session")
	}
	return c.Value
}

// wantHTML checks a response's status and what its body must and must not
// contain.
func wantHTML(t *testing.T, what string, r response, status int, contains, absent []string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, r.Status, status, r.Body)
	}
	ok := true
	for _, s := range contains {
		if !strings.Contains(r.Body, s) {
			t.Errorf("%s: body lacks %q", what, s)
			ok = false
		}
	}
	for _, s := range absent {
		if strings.Contains(r.Body, s) {
			t.Errorf("%s: body contains %q", what, s)
			ok = false
		}
	}
	if !ok {
		t.Fatalf("%s: body:\n%s", what, r.Body)
	}
}

// mustWebMonitor creates a monitor through the API that fails on the first
// failing check; nothing checks it (the app is not running).
func mustWebMonitor(t *testing.T, app *App, token, name string) int64 {
	t.Helper()
	body, err := json.Marshal(map[string]any{"name": name, "url": "https://app.example.test/health", "failure_threshold": 1, "recovery_threshold": 1})
	if err != nil {
		t.Fatal(err)
	}
	r := do(t, app, "POST", "/api/v1/monitors", token, string(body))
	if r.Status != http.StatusCreated {
		t.Fatalf("create monitor %q: %d %s", name, r.Status, r.Body)
	}
	var m struct{ ID int64 }
	r.JSON(t, &m)
	return m.ID
}

// failIngest feeds one failing check per monitor from region eu-test
// through the ingest, as the alerter would: each monitor goes down and
// opens an incident with evidence.
func failIngest(t *testing.T, app *App, at time.Time, monitorIDs ...int64) {
	t.Helper()
	ingestResults(t, app, at, monitorIDs, probe.Result{
		Status: probe.StatusDown, StatusCode: 503, ErrorClass: probe.ClassHTTPStatus, Error: "HTTP 503 <i>Service Unavailable</i>",
		LatencyMS: 40, Phases: probe.Phases{DNSMS: 4, ConnectMS: 6, TTFBMS: 30}, ResolvedIP: "203.0.113.7",
		ResponseHeaders: map[string]string{"Content-Type": "text/html", "X-Evil": "<b>bold</b>"},
		BodyExcerpt:     "<script>alert(2)</script> maintenance",
	})
}

// recoverIngest feeds one passing check per monitor.
func recoverIngest(t *testing.T, app *App, at time.Time, monitorIDs ...int64) {
	t.Helper()
	ingestResults(t, app, at, monitorIDs, probe.Result{Status: probe.StatusUp, StatusCode: 200, LatencyMS: 20})
}

func ingestResults(t *testing.T, app *App, at time.Time, monitorIDs []int64, res probe.Result) {
	t.Helper()
	at = at.UTC().Truncate(time.Millisecond)
	res.CheckedAt = at
	batch := make([]queue.Result, 0, len(monitorIDs))
	for _, id := range monitorIDs {
		batch = append(batch, queue.Result{JobID: fmt.Sprintf("%d:%d", id, at.UnixMilli()), MonitorID: id, Region: "eu-test",
			WorkerID: "w-test", ScheduledAt: at, Result: res})
	}
	if err := app.Ticks.Store(context.Background(), batch); err != nil {
		t.Fatalf("ingest: %v", err)
	}
}

// webIncident is an incident as the API shows it.
type webIncident struct {
	ID             int64  `json:"id"`
	Status         string `json:"status"`
	AcknowledgedBy string `json:"acknowledged_by"`
	ResolvedBy     string `json:"resolved_by"`
	Events         []struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"events"`
}

// incidentsOf lists a monitor's incidents through the API, newest first,
// failing the test if there is none.
func incidentsOf(t *testing.T, app *App, token string, monitorID int64) []webIncident {
	t.Helper()
	r := do(t, app, "GET", fmt.Sprintf("/api/v1/incidents?monitor_id=%d", monitorID), token, "")
	var page struct{ Data []webIncident }
	r.JSON(t, &page)
	if r.Status != http.StatusOK || len(page.Data) == 0 {
		t.Fatalf("incidents of monitor %d: %d %s", monitorID, r.Status, r.Body)
	}
	return page.Data
}

// incidentDetailOf reads one incident with its timeline through the API.
func incidentDetailOf(t *testing.T, app *App, token string, id int64) webIncident {
	t.Helper()
	r := do(t, app, "GET", fmt.Sprintf("/api/v1/incidents/%d", id), token, "")
	if r.Status != http.StatusOK {
		t.Fatalf("incident %d: %d %s", id, r.Status, r.Body)
	}
	var inc webIncident
	r.JSON(t, &inc)
	return inc
}
