package statuspage_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/incident"
	"github.com/betterstack/betterstack/modules/statuspage"
	"github.com/betterstack/betterstack/modules/testenv"
	"github.com/betterstack/betterstack/modules/tick"
	"github.com/betterstack/betterstack/modules/web"
	"github.com/betterstack/betterstack/ui"
)

// BenchmarkStatusPage renders /status/:slug through the router, with the
// view cache off, for a page of 50 components in 5 sections with 90 days of
// daily rollups in 2 regions (9,000 rows), a few incidents and updates, on
// PostgreSQL. It reports the 95th percentile as p95-ms; the target is
// under 50 ms.
func BenchmarkStatusPage(b *testing.B) {
	ctx := context.Background()
	db := testenv.MustDatabase(b, "postgres")
	exec := func(q string, args ...any) {
		b.Helper()
		if err := db.Exec(q, args...).Error; err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	var uid int64
	if err := db.Raw("INSERT INTO users (email, password_hash) VALUES ('bench@example.com', 'x') RETURNING id").Scan(&uid).Error; err != nil {
		b.Fatal(err)
	}
	uid = testenv.Workspace(b, db, uid)
	exec(`INSERT INTO monitors (workspace_id, key, name, kind, check_spec, target, interval_seconds, timeout_ms)
		SELECT ?, 'm' || i, 'm' || i, 'http', '{}', 'https://example.com/' || i, 60, 10000 FROM generate_series(1, 50) i`, uid)
	var ids []int64
	if err := db.Raw("SELECT id FROM monitors WHERE workspace_id = ? ORDER BY id", uid).Scan(&ids).Error; err != nil {
		b.Fatal(err)
	}
	exec(`INSERT INTO monitor_state (monitor_id, status, status_since, last_checked_at, updated_at)
		SELECT id, CASE WHEN id % 17 = 0 THEN 'down' ELSE 'up' END, now(), now(), now() FROM monitors WHERE workspace_id = ?`, uid)
	exec(`INSERT INTO rollups_daily (monitor_id, region, bucket, checks, failures, latency_sum, latency_min, latency_max, h02, h03)
		SELECT m.id, r.region, d.day, 1440, (m.id + extract(day from d.day)::int) % 4, 1440 * 120.0, 40, 900, 1000, 440
		FROM monitors m CROSS JOIN (VALUES ('eu'), ('us')) AS r(region)
		CROSS JOIN generate_series(date_trunc('day', now(), 'UTC') - interval '89 days', date_trunc('day', now(), 'UTC'), interval '1 day') AS d(day)
		WHERE m.workspace_id = ?`, uid)
	exec("ANALYZE") // as autovacuum would have by now on a live installation
	now := time.Now().UTC()
	for i, id := range ids[:6] {
		start := now.Add(-time.Duration(i*13+1) * 24 * time.Hour)
		var resolved any = start.Add(40 * time.Minute)
		status := "resolved"
		if i == 0 {
			resolved, status = nil, "open"
		}
		var iid int64
		if err := db.Raw(`INSERT INTO incidents (monitor_id, workspace_id, kind, status, started_at, resolved_at, cause, evidence, updated_at)
			VALUES (?, ?, 'down', ?, ?, ?, '{"message":"SECRET"}', '[]', ?) RETURNING id`, id, uid, status, start, resolved, start).Scan(&iid).Error; err != nil {
			b.Fatal(err)
		}
		for j := range 2 {
			exec(`INSERT INTO incident_updates (incident_id, workspace_id, status, message, created_at) VALUES (?, ?, ?, ?, ?)`,
				iid, uid, "identified", fmt.Sprintf("Update %d\nWe are on it.", j), start.Add(time.Duration(j+1)*10*time.Minute))
		}
	}

	svc, err := statuspage.New(db, incident.New(db, nil, incident.Config{}, discard), tick.New(db, nil, tick.Config{}, discard, nil),
		statuspage.Config{Key: []byte("0123456789abcdef0123456789abcdef"), CacheTTL: -1}, discard)
	if err != nil {
		b.Fatal(err)
	}
	var sections []statuspage.Section
	for s := range 5 {
		sec := statuspage.Section{Name: fmt.Sprintf("Section %d", s)}
		for _, id := range ids[s*10 : s*10+10] {
			sec.Components = append(sec.Components, statuspage.Component{MonitorID: id, DisplayName: fmt.Sprintf("Component %d", id)})
		}
		sections = append(sections, sec)
	}
	if _, err := svc.Create(ctx, uid, statuspage.Input{Slug: str("bench"), Title: str("Bench"), Sections: &sections}); err != nil {
		b.Fatal(err)
	}
	assets, err := web.NewAssets(ui.FS)
	if err != nil {
		b.Fatal(err)
	}
	r, err := web.NewRenderer(ui.FS, assets, nil, discard)
	if err != nil {
		b.Fatal(err)
	}
	e := echo.New()
	statuspage.RegisterWeb(e, svc, r, discard)

	get := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/status/bench", nil))
		return rec
	}
	first := get()
	if first.Code != http.StatusOK || strings.Count(first.Body.String(), `class="component"`) != 50 {
		b.Fatalf("page: %d, %d components", first.Code, strings.Count(first.Body.String(), `class="component"`))
	}
	took := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if rec := get(); rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
		took = append(took, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(took)
	if len(took) > 0 {
		b.ReportMetric(float64(took[len(took)*95/100].Microseconds())/1000, "p95-ms")
	}
	b.ReportMetric(float64(first.Body.Len()), "page-bytes")
}
