package cmd

import (
	"context"
	"encoding/csv"
	"fmt"
	"github.com/betterstack/betterstack/modules/auth"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/config"
	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/queue"
)

// TestWebReport covers the monthly SLA report page and its CSV download on
// both backends: an empty month, a month with a scripted outage, the month
// parameter, tenant isolation and escaping.
func TestWebReport(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		app := MustApp(t, cfg)
		alice := mustWebSignup(t, app, "alice@example.com")
		bob := mustWebSignup(t, app, "bob@example.com")
		aliceID := reportUserID(t, app, alice)
		shop := mustReportMonitor(t, app, aliceID, "Shop", "https://shop.example/health")
		quiet := mustReportMonitor(t, app, aliceID, "Quiet", "https://quiet.example")
		evil := mustReportMonitor(t, app, aliceID, "<script>alert(1)</script>", "https://evil.example/")
		bobs := mustReportMonitor(t, app, reportUserID(t, app, bob), "Bob's secret", "https://bob.example")

		// Shop (and evil) have been monitored since January 2026; Quiet is new. October 2026 (31 days,
		// always past): one outage of 2 h 30 min on the 10th, ten checks at
		// 40 ms that day and 5 min degraded on the 12th.
		if err := app.DB.Exec("UPDATE monitors SET created_at = ? WHERE id IN (?, ?)", time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC), shop, evil).Error; err != nil {
			t.Fatal(err)
		}
		mustReportIncident(t, app, shop, aliceID, "down", "2026-10-10T10:00:00Z", "2026-10-10T12:30:00Z")
		mustReportIncident(t, app, shop, aliceID, "degraded", "2026-10-12T08:00:00Z", "2026-10-12T08:05:00Z")
		mustReportChecks(t, app, shop, time.Date(2026, 10, 10, 6, 0, 0, 0, time.UTC), 10)

		now := time.Now().UTC()
		current := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
		page := func(id int64, query string) string { return fmt.Sprintf("/monitors/%d/report%s", id, query) }
		csvPath := func(id int64, query string) string { return fmt.Sprintf("/monitors/%d/report.csv%s", id, query) }

		for _, tc := range []struct {
			name     string
			b        *browser
			path     string
			status   int
			contains []string
			absent   []string
		}{
			{"outage month", alice, page(shop, "?month=2026-10"), http.StatusOK, []string{
				"Shop", "https://shop.example/health", "October 2026",
				// 100 × (1 − 9000 / (31 × 86400)) = 99.66397… rounded down.
				"<b>99.663 %</b>SLA uptime", "<b>2 h 30 min</b>Downtime", "<b>5 min</b>Degraded", "<b>1</b>Incidents",
				"<b>2 h 30 min</b>Longest incident", "<b>2 h 30 min</b>MTTR", "<b>10</b>Checks", "<b>0</b>Failed checks",
				`<tr class="report-down"><th scope="row"><time datetime="2026-10-10">2026-10-10</time></th><td class="num">89.583 %</td><td class="num">2 h 30 min</td>`,
				`href="/monitors/` + fmt.Sprint(shop) + `/report?month=2026-09"`, `href="/monitors/` + fmt.Sprint(shop) + `/report?month=2026-11"`,
				`href="/monitors/` + fmt.Sprint(shop) + `/report.csv?month=2026-10"`, "Download CSV",
				"2026-10-01 00:00:00 UTC", "2026-11-01 00:00:00 UTC", "browser's Print", "rounded down to 3 decimals",
			}, []string{"month in progress", "Monitored since", "<b>—</b>Latency p95"}},
			{"the month the monitor was created", alice, page(shop, "?month=2026-01"), http.StatusOK, []string{
				"January 2026", "Monitored since", "2026-01-15 09:00:00 UTC", "the report starts then (time not monitored is not uptime)", `rel="next"`,
			}, []string{`rel="prev"`, "counts as up"}},
			{"month without data", alice, page(shop, "?month=2026-02"), http.StatusOK, []string{
				"Shop", "February 2026", "<b>100 %</b>SLA uptime", "<b>0 s</b>Downtime", "<b>0</b>Incidents", "<b>—</b>MTTR",
				"<b>—</b>Latency p50", "<b>—</b>Latency p99", "<b>0</b>Checks", `datetime="2026-02-28"`,
			}, []string{`datetime="2026-02-29"`, `class="report-down"`, "Monitored since"}},
			{"current month by default", alice, page(shop, ""), http.StatusOK, []string{
				current.Format("January 2006"), "month in progress", "<b>100 %</b>SLA uptime", "<b>0 s</b>Downtime",
				fmt.Sprintf(`/report.csv?month=%s"`, current.Format("2006-01")),
				fmt.Sprintf(`/report?month=%s" rel="prev"`, current.AddDate(0, -1, 0).Format("2006-01")),
			}, []string{`rel="next"`}},
			{"new monitor, current month", alice, page(quiet, ""), http.StatusOK, []string{
				current.Format("January 2006"), "month in progress", "<b>100 %</b>SLA uptime", "<b>—</b>Latency p95", "Monitored since",
			}, []string{`rel="next"`, `rel="prev"`}},
			{"escaped name", alice, page(evil, "?month=2026-10"), http.StatusOK, []string{
				"&lt;script&gt;alert(1)&lt;/script&gt;",
			}, []string{"<script>alert(1)</script>"}},
			// Unmonitored time is not uptime: a month before the monitor existed is refused.
			{"month before the monitor existed", alice, page(shop, "?month=2025-12"), http.StatusUnprocessableEntity,
				[]string{"before the monitor was created", "<html"}, []string{"Uptime"}},
			{"bad month", alice, page(shop, "?month=2026-13"), http.StatusUnprocessableEntity, []string{"YYYY-MM", "<html"}, []string{"Uptime"}},
			{"month not zero-padded", alice, page(shop, "?month=2026-1"), http.StatusUnprocessableEntity, []string{"YYYY-MM"}, nil},
			{"a date is not a month", alice, page(shop, "?month=2026-10-01"), http.StatusUnprocessableEntity, []string{"YYYY-MM"}, nil},
			{"month in the future", alice, page(shop, "?month="+current.AddDate(0, 1, 0).Format("2006-01")), http.StatusUnprocessableEntity,
				[]string{"has not begun"}, []string{"Uptime"}},
			{"CSV bad month", alice, csvPath(shop, "?month=oct"), http.StatusUnprocessableEntity, []string{"YYYY-MM"}, nil},
			{"another user's monitor", bob, page(shop, "?month=2026-10"), http.StatusNotFound, []string{"monitor not found"}, []string{"Shop", "99.663"}},
			{"another user's monitor, CSV", bob, csvPath(shop, "?month=2026-10"), http.StatusNotFound, []string{"monitor not found"}, []string{"2026-10-10"}},
			{"another user's monitor, the other way", alice, page(bobs, ""), http.StatusNotFound, nil, []string{"Bob&#39;s secret", "bob.example"}},
			{"unknown monitor", alice, page(bobs+1000, ""), http.StatusNotFound, nil, nil},
			{"non-numeric id", alice, "/monitors/abc/report", http.StatusNotFound, nil, nil},
			{"non-numeric id, CSV", alice, "/monitors/abc/report.csv", http.StatusNotFound, nil, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := tc.b.get(tc.path)
				if r.Status != tc.status {
					t.Fatalf("GET %s: %d, want %d: %s", tc.path, r.Status, tc.status, r.Body)
				}
				for _, s := range tc.contains {
					if !strings.Contains(r.Body, s) {
						t.Errorf("GET %s: missing %q in %s", tc.path, s, r.Body)
					}
				}
				for _, s := range tc.absent {
					if strings.Contains(r.Body, s) {
						t.Errorf("GET %s: unexpected %q", tc.path, s)
					}
				}
			})
		}

		t.Run("signed out", func(t *testing.T) {
			r := newBrowser(t, app).get(csvPath(shop, "?month=2026-10"))
			if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login?next=") {
				t.Fatalf("anonymous CSV: %d %q", r.Status, r.Header.Get("Location"))
			}
		})

		t.Run("page rows", func(t *testing.T) {
			for path, want := range map[string]int{
				page(shop, "?month=2026-10"): 31,
				page(shop, "?month=2026-09"): 30,
				page(shop, ""):               now.Day(),
			} {
				if got := strings.Count(alice.get(path).Body, `<th scope="row">`); got != want {
					t.Errorf("%s: %d day rows, want %d", path, got, want)
				}
			}
		})

		t.Run("CSV", func(t *testing.T) {
			r := alice.get(csvPath(shop, "?month=2026-10"))
			if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") ||
				!strings.Contains(r.Header.Get("Content-Disposition"), fmt.Sprintf(`filename="sla-monitor-%d-2026-10.csv"`, shop)) {
				t.Fatalf("CSV: %d %v %s", r.Status, r.Header, r.Body)
			}
			rows, err := csv.NewReader(strings.NewReader(r.Body)).ReadAll()
			if err != nil {
				t.Fatalf("parse CSV: %v\n%s", err, r.Body)
			}
			if len(rows) != 1+31 || rows[0][0] != "date" || rows[0][2] != "downtime_seconds" {
				t.Fatalf("want a header and 31 days, got %d rows: %v", len(rows), rows)
			}
			for i, row := range rows[1:] {
				if want := fmt.Sprintf("2026-10-%02d", i+1); row[0] != want {
					t.Errorf("row %d is %s, want %s", i+1, row[0], want)
				}
			}
			if day := rows[10]; day[0] != "2026-10-10" || day[1] != "89.583" || day[2] != "9000" || day[5] != "1" || day[7] == "" {
				t.Errorf("the outage day: %v", day)
			}
			if day := rows[12]; day[3] != "300" || day[2] != "0" || day[7] != "" {
				t.Errorf("the degraded day: %v", day)
			}
			// The same file as the API's, which needs a token instead.
			api := do(t, app, "GET", fmt.Sprintf("/api/v1/monitors/%d/sla?from=2026-10-01&to=2026-11-01&format=csv", shop),
				alice.cookies["bs_session"].Value, "")
			if api.Status != http.StatusOK || api.Body != r.Body {
				t.Errorf("API CSV differs: %d\n%s\nvs dashboard\n%s", api.Status, api.Body, r.Body)
			}

			r = alice.get(csvPath(shop, "?month=2026-09"))
			rows, err = csv.NewReader(strings.NewReader(r.Body)).ReadAll()
			if err != nil || len(rows) != 1+30 {
				t.Fatalf("September: %v, %d rows: %s", err, len(rows), r.Body)
			}
			if day := rows[30]; day[0] != "2026-09-30" || day[1] != "100" || day[2] != "0" || day[6] != "" {
				t.Errorf("a day without data: %v", day)
			}
		})
	})
}

// reportUserID returns the id of the user signed in on b.
func reportUserID(t *testing.T, app *App, b *browser) int64 {
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

// mustReportMonitor creates a monitor of the user.
func mustReportMonitor(t *testing.T, app *App, workspaceID int64, name, url string) int64 {
	t.Helper()
	interval := 60
	m, err := app.Monitors.Create(context.Background(), workspaceID, monitor.Input{Name: &name, LegacyHTTP: monitor.LegacyHTTP{URL: &url}, IntervalSeconds: &interval})
	if err != nil {
		t.Fatal(err)
	}
	return m.ID
}

// mustReportIncident inserts a resolved incident of kind "down" or
// "degraded" between two RFC 3339 times.
func mustReportIncident(t *testing.T, app *App, monitorID, workspaceID int64, kind, started, resolved string) {
	t.Helper()
	from, err := time.Parse(time.RFC3339, started)
	if err != nil {
		t.Fatal(err)
	}
	to, err := time.Parse(time.RFC3339, resolved)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.DB.Exec("INSERT INTO incidents (monitor_id, workspace_id, kind, status, started_at, resolved_at, updated_at) VALUES (?, ?, ?, 'resolved', ?, ?, ?)",
		monitorID, workspaceID, kind, from, to, to).Error; err != nil {
		t.Fatal(err)
	}
}

// mustReportChecks stores n successful checks at 40 ms, a minute apart
// from first, through the ingest (which keeps the daily rollups).
func mustReportChecks(t *testing.T, app *App, monitorID int64, first time.Time, n int) {
	t.Helper()
	batch := make([]queue.Result, 0, n)
	for i := range n {
		at := first.Add(time.Duration(i) * time.Minute)
		batch = append(batch, queue.Result{JobID: fmt.Sprintf("%d:eu:%d", monitorID, at.UnixMilli()), MonitorID: monitorID, Region: "eu",
			WorkerID: "w-eu", ScheduledAt: at, Result: probe.Result{Status: probe.StatusUp, StatusCode: 200, LatencyMS: 40, CheckedAt: at}})
	}
	if err := app.Ticks.Store(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
}
