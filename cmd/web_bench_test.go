package cmd

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/betterstack/betterstack/modules/auth"
	"github.com/betterstack/betterstack/modules/config"
	"github.com/betterstack/betterstack/modules/testenv"
	"github.com/betterstack/betterstack/modules/web"
)

// Sizes of the dashboard benchmarks (the README's target).
const (
	benchMonitors = 5000
	benchDays     = 30
)

// dashFixture is a PostgreSQL database seeded by seedDashboardData and an
// App on it, built once per test binary: seeding takes a while, and
// benchmarks are run several times over (each b.N round, each -count).
// The database has a fixed name, bsbench_dashboard, and is dropped and
// created again when the next benchmark run starts, so at most one is left.
var dashFixture struct {
	once    sync.Once
	app     *App
	session *http.Cookie
	detail  string // path of the monitor page with raw ticks
	seeded  time.Duration
	err     error
	skip    string
}

func mustDashboardFixture(b *testing.B) {
	b.Helper()
	dashFixture.once.Do(func() {
		start := time.Now()
		dashFixture.err = buildDashboardFixture()
		dashFixture.seeded = time.Since(start)
	})
	switch {
	case dashFixture.skip != "" && testenv.Strict():
		b.Fatal(dashFixture.skip)
	case dashFixture.skip != "":
		b.Skip(dashFixture.skip)
	case dashFixture.err != nil:
		b.Fatal(dashFixture.err)
	}
}

func buildDashboardFixture() error {
	ctx := context.Background()
	admin := os.Getenv("BETTERSTACK_TEST_DATABASE_URL")
	if admin == "" {
		admin = testenv.DefaultPostgresURL
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		dashFixture.skip = fmt.Sprintf("PostgreSQL unreachable: %v", err)
		return nil
	}
	defer conn.Close(ctx)
	const name = "bsbench_dashboard"
	for _, q := range []string{"DROP DATABASE IF EXISTS " + name + " WITH (FORCE)", "CREATE DATABASE " + name} {
		if _, err := conn.Exec(ctx, q); err != nil {
			return err
		}
	}
	u, err := url.Parse(admin)
	if err != nil {
		return err
	}
	u.Path = "/" + name
	dir, err := os.MkdirTemp("", "bsbench-dashboard-")
	if err != nil {
		return err
	}
	cfg := testDefaults()
	cfg.Roles = []string{config.RoleAPI, config.RoleDashboard}
	cfg.DataDir, cfg.DatabaseURL, cfg.JWTSecret, cfg.HTTPAddr = dir, u.String(), testSecret, "127.0.0.1:0"
	on := true
	cfg.AutoMigrate = &on
	app, err := NewApp(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{PasswordMemoryKiB: 64})
	if err != nil {
		return err
	}
	user, token, err := app.Auth.Signup(ctx, "bench@example.com", "correct horse battery", auth.Client{IP: "192.0.2.1"})
	if err != nil {
		return err
	}
	if err := seedDashboardData(ctx, app.DB, user.WorkspaceID, benchMonitors, benchDays); err != nil {
		return err
	}
	var first int64
	if err := app.DB.Raw("SELECT MIN(id) FROM monitors WHERE workspace_id = ?", user.ID).Scan(&first).Error; err != nil {
		return err
	}
	dashFixture.app, dashFixture.detail = app, fmt.Sprintf("/monitors/%d", first)
	dashFixture.session = &http.Cookie{Name: web.SessionCookie, Value: token}
	return nil
}

// benchPage renders path (after the fixture's detail path replaces
// "{detail}") through the router as the signed-in user and reports the
// page size alongside the time.
func benchPage(b *testing.B, path string) {
	mustDashboardFixture(b)
	path = strings.ReplaceAll(path, "{detail}", dashFixture.detail)
	b.Logf("seeded %d monitors × %d days in %s", benchMonitors, benchDays, dashFixture.seeded.Round(time.Millisecond))
	var size int
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.AddCookie(dashFixture.session)
		rec := httptest.NewRecorder()
		dashFixture.app.HTTP.Echo().ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s: %d %.300s", path, rec.Code, rec.Body.String())
		}
		size = rec.Body.Len()
	}
	b.ReportMetric(float64(size), "bytes/page")
}

// BenchmarkOverview renders the first overview page of a user with 5,000
// monitors and 30 days of rollups from two regions.
func BenchmarkOverview(b *testing.B) { benchPage(b, "/") }

// BenchmarkOverviewFragment is the block the overview polls every 15 s.
func BenchmarkOverviewFragment(b *testing.B) { benchPage(b, "/?fragment=1") }

// BenchmarkMonitorDetail renders the page of a monitor with a day of raw
// ticks from two regions (the default 24-hour chart reads them all).
func BenchmarkMonitorDetail(b *testing.B) { benchPage(b, "{detail}") }

// BenchmarkMonitorDetail30d is the same page with the 30-day chart, from
// hourly rollups.
func BenchmarkMonitorDetail30d(b *testing.B) { benchPage(b, "{detail}?range=30d") }
