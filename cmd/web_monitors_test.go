package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/betterstack/betterstack/modules/auth"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/config"
	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/queue"
)

// xssName is a monitor name that must only ever appear escaped.
const xssName = `<script>alert(1)</script>`

// checkResult is one check of monitor id from region at, as a worker
// reports it: up with latency ms, or down when ms is negative.
func checkResult(id int64, region string, at time.Time, ms float64) queue.Result {
	at = at.UTC().Truncate(time.Millisecond)
	r := probe.Result{Status: probe.StatusUp, StatusCode: 200, LatencyMS: ms, CheckedAt: at,
		Phases: probe.Phases{DNSMS: 3, ConnectMS: 10, TLSMS: 20, TTFBMS: ms - 37, TransferMS: 4}}
	if ms < 0 {
		r = probe.Result{Status: probe.StatusDown, StatusCode: 503, ErrorClass: probe.ClassHTTPStatus, Error: "status 503 not expected",
			LatencyMS: 40, CheckedAt: at}
	}
	return queue.Result{JobID: fmt.Sprintf("%d:%s:%d", id, region, at.UnixMilli()), MonitorID: id, Region: region,
		WorkerID: "w-" + region, ScheduledAt: at, Result: r}
}

// mustStore feeds results to the app's ingest, as the alerter would.
func mustStore(t *testing.T, app *App, rs ...queue.Result) {
	t.Helper()
	if err := app.Ticks.Store(context.Background(), rs); err != nil {
		t.Fatal(err)
	}
}

// checks returns n results per region of monitor id, one every 30 s up to
// a few seconds ago.
func checks(id int64, n int, ms float64, regions ...string) []queue.Result {
	var out []queue.Result
	now := time.Now()
	for i := range n {
		for _, r := range regions {
			out = append(out, checkResult(id, r, now.Add(-time.Duration(n-i)*30*time.Second), ms))
		}
	}
	return out
}

// apiMonitor creates a monitor through the JSON API with the browser's
// session (the API accepts the same token).
func apiMonitor(t *testing.T, app *App, b *browser, body string) int64 {
	t.Helper()
	r := do(t, app, "POST", "/api/v1/monitors", b.cookies["bs_session"].Value, body)
	if r.Status != http.StatusCreated {
		t.Fatalf("create monitor %s: %d %s", body, r.Status, r.Body)
	}
	var m struct{ ID int64 }
	r.JSON(t, &m)
	return m.ID
}

// workspaceID is the id of the browser's user.
func workspaceID(t *testing.T, app *App, b *browser) int64 {
	t.Helper()
	p, err := app.Auth.Authenticate(context.Background(), b.cookies["bs_session"].Value)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.Auth.Access(context.Background(), p, "", auth.Client{})
	if err != nil {
		t.Fatal(err)
	}
	return a.WorkspaceID
}

// wantPage fails unless r has status and every one of want and none of
// unwanted (checked case-sensitively).
func wantPage(t *testing.T, what string, r response, status int, want []string, unwanted ...string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, r.Status, status, r.Body)
	}
	for _, s := range want {
		if !strings.Contains(r.Body, s) {
			t.Errorf("%s: missing %q", what, s)
		}
	}
	for _, s := range unwanted {
		if strings.Contains(r.Body, s) {
			t.Errorf("%s: should not contain %q", what, s)
		}
	}
}

var rowName = regexp.MustCompile(`<td class="monitor-name"><a href="/monitors/\d+">([^<]*)</a>`)

// tableNames lists the overview table's monitor names, top to bottom.
func tableNames(body string) []string {
	var out []string
	for _, m := range rowName.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestWebMonitorPages walks the monitor pages as a user: empty states,
// creating through the form and the API, checks arriving, the overview,
// the detail page, editing, the actions, and what another user and a
// forged form can do (nothing).
func TestWebMonitorPages(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		app := MustApp(t, cfg)
		b := mustWebSignup(t, app, "ada@example.com")

		// A new user sees what a monitor is and how to make one.
		wantPage(t, "empty overview", b.get("/"), 200, []string{"No monitors yet", `href="/monitors/new"`, "Create your first monitor"}, "<table")
		wantPage(t, "empty fragment", b.get("/?fragment=1"), 200, []string{"No monitors yet"}, "<html", "<nav")
		if r := b.get("/monitors"); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/" {
			t.Errorf("/monitors: %d %q", r.Status, r.Header.Get("Location"))
		}
		wantPage(t, "new form", b.get("/monitors/new"), 200, []string{`name="check.url"`, `name="interval_seconds" inputmode="numeric" value="60"`,
			">2xx\n3xx</textarea>", `name="check.follow_redirects" value="1" checked`, "No notification channels yet", "<legend>Alerting</legend>"})

		// A form without the CSRF token is refused and creates nothing.
		form := url.Values{"kind": {"http"}, "name": {xssName}, "check.url": {"https://example.com/health"}, "check.method": {"GET"}, "interval_seconds": {"30"},
			"check.expected_status": {"200, 3xx"}, "check.headers": {"X-Probe: 1\nAccept: text/html"}, "regions_other": {"eu, us"},
			"failure_threshold": {"2"}, "recovery_threshold": {"2"}, "check.follow_redirects": {"1"}}
		if r := b.send(http.MethodPost, "/monitors/new", form); r.Status != http.StatusForbidden {
			t.Fatalf("create without CSRF: %d", r.Status)
		}
		wantPage(t, "overview after a forged form", b.get("/"), 200, []string{"No monitors yet"})

		// Invalid input comes back as typed, each problem next to its field.
		b.get("/monitors/new")
		bad := url.Values{"kind": {"http"}, "name": {"Keep me"}, "check.url": {"ftp://example.com"}, "check.method": {"GET"}, "interval_seconds": {"often"},
			"check.headers": {"no colon here"}, "check.expected_status": {"200, 7xx"}, "timeout_ms": {"1.5"}}
		r := b.post("/monitors/new", bad)
		wantPage(t, "invalid form", r, http.StatusUnprocessableEntity, []string{`value="Keep me"`, `value="ftp://example.com"`,
			`value="often"`, `value="1.5"`, "no colon here", ">200, 7xx</textarea>", "must start with http:// or https://",
			"must be a whole number", `line 1 is not &#34;Name: value&#34;`, `&#34;7xx&#34; is not a status code`, `aria-invalid="true"`})
		if n := strings.Count(r.Body, "must be a whole number"); n != 2 {
			t.Errorf("interval and timeout should both be named: %d messages", n)
		}
		wantPage(t, "overview after an invalid form", b.get("/"), 200, []string{"No monitors yet"})

		// Created through the form, with a name that must stay text.
		b.get("/monitors/new")
		r = b.post("/monitors/new", form)
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/monitors/") {
			t.Fatalf("create: %d %q %s", r.Status, r.Header.Get("Location"), r.Body)
		}
		xss, err := strconv.ParseInt(strings.TrimPrefix(r.Header.Get("Location"), "/monitors/"), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		wantPage(t, "new monitor's page", b.follow(r), 200, []string{"Created &lt;script&gt;alert(1)&lt;/script&gt;; the first check runs now.",
			"<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>", "No checks yet", "No region has reported yet", "No incidents"}, xssName)
		m, err := app.Monitors.Get(context.Background(), workspaceID(t, app, b), xss)
		if err != nil {
			t.Fatal(err)
		}
		if m.IntervalSeconds != 30 || m.TimeoutMS != monitor.DefaultTimeoutFor(30) || strings.Join(m.Regions, ",") != "eu,us" ||
			httpOf(t, m).Headers["X-Probe"] != "1" || httpOf(t, m).Headers["Accept"] != "text/html" ||
			strings.Join(httpOf(t, m).ExpectedStatus, ",") != "200,3xx" {
			t.Errorf("stored monitor = %+v", m)
		}

		// Two more through the API; checks arrive for all three.
		down := apiMonitor(t, app, b, `{"name":"api down","url":"https://down.example.com/","interval_seconds":30}`)
		apiMonitor(t, app, b, `{"name":"api pending","url":"https://pending.example.com/","interval_seconds":30}`)
		mustStore(t, app, checks(xss, 3, 87, "eu", "us")...)
		mustStore(t, app, checks(down, 3, -1, "eu", "us")...)

		r = b.get("/")
		wantPage(t, "overview", r, 200, []string{
			`data-refresh="/" data-every="15"`, "Showing 1–3 of 3 monitors",
			`<span class="pill pill-down">Down</span>`, `<span class="pill pill-up">Up</span>`, `<span class="pill pill-pending">Pending</span>`,
			"&lt;script&gt;alert(1)&lt;/script&gt;", "https://example.com/health", "100 %", "0.00 %", "87 ms",
			`class="chart" role="img" aria-label="Response time of api down, last 24 hours"`, "eu, us",
			`<a href="/incidents?status=open">Open incidents</a><b>1</b>`,
		}, xssName)
		if got := tableNames(r.Body); strings.Join(got, "|") != "api down|api pending|&lt;script&gt;alert(1)&lt;/script&gt;" {
			t.Errorf("overview order = %q, want down, pending, up", got)
		}
		wantPage(t, "filter by status", b.get("/?status=down"), 200, []string{"api down", "Showing 1–1 of 1 monitor matching the filter",
			`<option value="down" selected>`, `data-refresh="/?status=down"`}, "api pending")
		wantPage(t, "filter by name", b.get("/?q=PENDING"), 200, []string{"api pending", `value="PENDING"`}, "api down")
		wantPage(t, "filter without a match", b.get("/?q=nothing"), 200, []string{"No monitors match this filter"})

		// The fragment the page polls is the counts and table, no layout.
		r = b.get("/?fragment=1")
		wantPage(t, "fragment", r, 200, []string{`<ul class="counts"`, "<table", "api down"}, "<html", "<nav", `role="search"`, "data-refresh")
		if !strings.HasPrefix(strings.TrimSpace(r.Body), `<ul class="counts"`) {
			t.Errorf("fragment starts with %.60q", strings.TrimSpace(r.Body))
		}

		// The detail page of a monitor with checks from two regions.
		path := "/monitors/" + strconv.FormatInt(xss, 10)
		wantPage(t, "detail", b.get(path), 200, []string{
			`<span class="pill pill-up">Up</span>`, "since", "Checks passed 24 hours</span><b>100 %", "Checks passed 90 days", "SLA uptime",
			`href="` + path + `?range=1h" aria-current="page"`, "Response time of &lt;script&gt;alert(1)&lt;/script&gt;, last 1h",
			"TTFB 50 ms", "chart-s1", ">eu</text>", ">us</text>", "Recent checks", "transfer 4 ms",
			`action="` + path + `/pause"`, `href="` + path + `/edit"`, `href="` + path + `/report"`, `data-confirm="Delete the monitor &lt;script&gt;`,
			`action="` + path + `/check"`, "100 % uptime, 0 incidents",
		}, xssName, "No checks yet")
		// A new monitor opens on the last hour (its whole life); every range
		// still shows its checks.
		for _, rng := range []string{"24h", "7d", "30d"} {
			wantPage(t, "detail "+rng, b.get(path+"?range="+rng), 200, []string{`?range=` + rng + `" aria-current="page"`, ">eu</text>"}, xssName)
		}
		downPath := "/monitors/" + strconv.FormatInt(down, 10)
		r = b.get(downPath)
		wantPage(t, "down detail", r, 200, []string{`<span class="pill pill-down">Down</span>`, "0.00 % uptime, 1 incident",
			`<span class="pill pill-open">Open</span>`, "status 503 not expected", "http_status", `<span class="pill pill-down">Failing</span>`})
		if !regexp.MustCompile(`<a href="/incidents/\d+">#\d+ Down</a>`).MatchString(r.Body) {
			t.Errorf("down detail: no link to its incident")
		}

		// The edit form shows the stored values and keeps invalid input.
		editPath := path + "/edit"
		wantPage(t, "edit form", b.get(editPath), 200, []string{`value="&lt;script&gt;alert(1)&lt;/script&gt;"`, `value="30"`,
			`value="eu" checked`, `value="us" checked`, "Accept: text/html\nX-Probe: 1", ">200\n3xx</textarea>"}, xssName)
		r = b.post(editPath, url.Values{"kind": {"http"}, "name": {"renamed"}, "check.url": {"https://example.com/health"}, "check.method": {"GET"},
			"interval_seconds": {"30"}, "timeout_ms": {"60000"}, "check.expected_status": {"2xx"}, "regions": {"eu", "us"}})
		wantPage(t, "invalid edit", r, http.StatusUnprocessableEntity, []string{`value="renamed"`, `value="60000"`, "must be below the interval"})
		if m, _ := app.Monitors.Get(context.Background(), workspaceID(t, app, b), xss); m.Name != xssName {
			t.Errorf("an invalid edit changed the name to %q", m.Name)
		}
		r = b.post(editPath, url.Values{"kind": {"http"}, "name": {xssName}, "check.url": {"https://example.com/health"}, "check.method": {"HEAD"},
			"interval_seconds": {"60"}, "check.expected_status": {"2xx"}, "regions": {"eu"}, "check.keyword": {"ok"}, "check.keyword_absent": {"1"}})
		wantPage(t, "edited", b.follow(r), 200, []string{"Saved &lt;script&gt;alert(1)&lt;/script&gt;.", "HEAD https://example.com/health", "checked every 60 s"}, xssName)
		if m, _ := app.Monitors.Get(context.Background(), workspaceID(t, app, b), xss); httpOf(t, m).Method != "HEAD" || !httpOf(t, m).KeywordAbsent ||
			strings.Join(m.Regions, ",") != "eu" || m.TimeoutMS != monitor.DefaultTimeoutFor(60) || httpOf(t, m).FollowRedirects {
			t.Errorf("edited monitor = %+v", m)
		}

		// Channels to notify are ticked by name; another user's is refused.
		eve := mustWebSignup(t, app, "eve@example.com")
		channel := func(who *browser, name string) string {
			r := do(t, app, "POST", "/api/v1/channels", who.cookies["bs_session"].Value,
				`{"name":"`+name+`","type":"webhook","config":{"url":"https://hooks.example/`+name+`","secret":"secret-0123456789abcdef"}}`)
			var ch struct{ ID int64 }
			r.JSON(t, &ch)
			if r.Status != http.StatusCreated {
				t.Fatalf("channel %s: %d %s", name, r.Status, r.Body)
			}
			return strconv.FormatInt(ch.ID, 10)
		}
		mine, theirs := channel(b, "ops-hook"), channel(eve, "eve-hook")
		wantPage(t, "form with a channel", b.get(editPath), 200, []string{`name="channel_ids" value="` + mine + `"> ops-hook (webhook)`}, "eve-hook")
		edit := url.Values{"kind": {"http"}, "name": {xssName}, "check.url": {"https://example.com/health"}, "check.method": {"HEAD"}, "interval_seconds": {"60"},
			"check.expected_status": {"2xx"}, "regions": {"eu"}, "check.keyword": {"ok"}, "check.keyword_absent": {"1"}, "channel_ids": {mine, theirs}}
		wantPage(t, "another user's channel", b.post(editPath, edit), http.StatusUnprocessableEntity, []string{"lists a channel that does not exist"})
		edit["channel_ids"] = []string{mine}
		if r := b.post(editPath, edit); r.Status != http.StatusSeeOther {
			t.Fatalf("link a channel: %d %s", r.Status, r.Body)
		}
		wantPage(t, "form with the channel ticked", b.get(editPath), 200, []string{`name="channel_ids" value="` + mine + `" checked> ops-hook`})

		// Another user sees none of it and changes none of it.
		eve.get("/")
		for _, p := range []string{path, editPath, path + "?range=7d", "/monitors/abc", "/monitors/abc/edit", "/monitors/0"} {
			wantPage(t, "eve GET "+p, eve.get(p), http.StatusNotFound, []string{"404"}, xssName, "&lt;script&gt;")
		}
		for _, action := range []string{"pause", "resume", "check", "delete", "edit"} {
			for _, p := range []string{path, "/monitors/abc"} {
				wantPage(t, "eve POST "+p+"/"+action, eve.post(p+"/"+action, url.Values{"kind": {"http"}, "name": {"pwned"}, "check.url": {"https://evil.example"}}),
					http.StatusNotFound, nil, xssName)
			}
		}
		wantPage(t, "eve's overview", eve.get("/"), 200, []string{"No monitors yet"}, "api down")
		if m, err := app.Monitors.Get(context.Background(), workspaceID(t, app, b), xss); err != nil || m.Paused || m.Name != xssName {
			t.Fatalf("after eve: %+v %v", m, err)
		}

		// Actions: check now, pause, check while paused, resume, delete.
		before := time.Now().Add(-time.Second)
		if err := app.DB.Exec("UPDATE monitor_schedule SET next_run_at = ? WHERE monitor_id = ?", time.Now().Add(time.Hour), xss).Error; err != nil {
			t.Fatal(err)
		}
		b.get(path)
		if r := b.send(http.MethodPost, path+"/check", url.Values{}); r.Status != http.StatusForbidden {
			t.Errorf("check without CSRF: %d", r.Status)
		}
		wantPage(t, "check now", b.follow(b.post(path+"/check", nil)), 200, []string{"A check was scheduled"})
		if m, _ := app.Monitors.Get(context.Background(), workspaceID(t, app, b), xss); m.NextRunAt == nil || m.NextRunAt.Before(before) || m.NextRunAt.After(time.Now()) {
			t.Errorf("check now: next run at %v", m.NextRunAt)
		}
		wantPage(t, "paused", b.follow(b.post(path+"/pause", nil)), 200, []string{"Paused: no checks run", `<span class="pill pill-paused">Paused</span>`,
			`action="` + path + `/resume"`}, `action="`+path+`/pause"`)
		wantPage(t, "check while paused", b.follow(b.post(path+"/check", nil)), 200, []string{"This monitor is paused; resume it to check it."})
		r = b.get("/")
		if got := tableNames(r.Body); len(got) != 3 || got[2] != "&lt;script&gt;alert(1)&lt;/script&gt;" {
			t.Errorf("paused monitor should be last: %q", got)
		}
		wantPage(t, "resumed", b.follow(b.post(path+"/resume", nil)), 200, []string{"Resumed: the first check runs now.", `action="` + path + `/pause"`})
		r = b.post(path+"/delete", nil)
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/" {
			t.Fatalf("delete: %d %q", r.Status, r.Header.Get("Location"))
		}
		wantPage(t, "after delete", b.follow(r), 200, []string{"Deleted monitor &lt;script&gt;alert(1)&lt;/script&gt;.", "Showing 1–2 of 2"}, xssName)
		wantPage(t, "deleted detail", b.get(path), http.StatusNotFound, nil)
	})
}

// TestWebOverviewPagination: 100 monitors a page, down ones first whatever
// their name, page links that keep the filter, counts of everything.
func TestWebOverviewPagination(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		app := MustApp(t, cfg)
		b := mustWebSignup(t, app, "ada@example.com")
		uid := workspaceID(t, app, b)
		ctx := context.Background()
		var last int64
		for i := range 205 {
			name, u := fmt.Sprintf("site %03d", i), fmt.Sprintf("https://example.com/%d", i)
			m, err := app.Monitors.Create(ctx, uid, monitor.Input{Name: &name, LegacyHTTP: monitor.LegacyHTTP{URL: &u}})
			if err != nil {
				t.Fatal(err)
			}
			last = m.ID
		}
		mustStore(t, app, checks(last, 3, -1, "eu")...) // "site 204" goes down

		r := b.get("/")
		names := tableNames(r.Body)
		wantPage(t, "page 1", r, 200, []string{"Showing 1–100 of 205 monitors", `<a href="/?page=2">2</a>`, `<a href="/?page=3">3</a>`,
			`<a href="/?page=2">Next ›</a>`, `<a href="/" aria-current="page">1</a>`, `<span class="pill pill-pending">Pending / unknown</span><b>204</b>`,
			`<span class="pill pill-down">Down</span><b>1</b>`})
		if len(names) != 100 || names[0] != "site 204" || names[1] != "site 000" || names[99] != "site 098" {
			t.Errorf("page 1 = %d rows: %q … %q", len(names), names[:min(2, len(names))], names[max(len(names)-1, 0):])
		}
		r = b.get("/?page=3")
		names = tableNames(r.Body)
		wantPage(t, "page 3", r, 200, []string{"Showing 201–205 of 205", `<a href="/?page=2">‹ Previous</a>`, `data-refresh="/?page=3"`}, "Next ›")
		if len(names) != 5 || names[0] != "site 199" || names[4] != "site 203" {
			t.Errorf("page 3 = %q", names)
		}
		wantPage(t, "past the end", b.get("/?page=9"), 200, []string{"This page is past the last monitor"}, "<table")
		wantPage(t, "bad page number", b.get("/?page=x"), 200, []string{"Showing 1–100 of 205"})

		// A filter keeps to its matches and its page links keep the filter.
		r = b.get("/?q=site+1&status=pending")
		wantPage(t, "filtered", r, 200, []string{"Showing 1–100 of 100 monitors matching the filter"}, "?page=2")
		r = b.get("/?q=site&status=pending&page=2")
		wantPage(t, "filtered page 2", r, 200, []string{"Showing 101–200 of 204", `href="/?page=3&amp;q=site&amp;status=pending"`,
			`href="/?q=site&amp;status=pending"`})
		wantPage(t, "unknown status is no filter", b.get("/?status=bogus"), 200, []string{"Showing 1–100 of 205"})

		// The JSON API sees the same monitors (the pages add no state).
		api := do(t, app, "GET", "/api/v1/monitors?limit=500", b.cookies["bs_session"].Value, "")
		var list struct{ Data []json.RawMessage }
		api.JSON(t, &list)
		if len(list.Data) != 205 {
			t.Errorf("API lists %d monitors", len(list.Data))
		}
	})
}

// httpOf is the HTTP settings of an http monitor.
func httpOf(t *testing.T, m monitor.Monitor) probe.HTTP {
	t.Helper()
	var h probe.HTTP
	if m.Check.Kind != "http" || json.Unmarshal(m.Check.Config, &h) != nil {
		t.Fatalf("monitor %d is not an http monitor: %+v", m.ID, m.Check)
	}
	return h
}
