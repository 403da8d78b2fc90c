package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/betterstack/betterstack/modules/auth"
	"github.com/betterstack/betterstack/modules/config"
	"github.com/betterstack/betterstack/modules/dashboard"
	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/statuspage"
	"github.com/betterstack/betterstack/modules/web"
)

// webBenchFlags are `betterstack bench web`'s settings.
type webBenchFlags struct {
	databaseURL string
	monitors    int
	days        int
	components  int
	duration    time.Duration
	concurrency []int
	pages       string
	cpuProfile  string
	gzip        bool
}

func newBenchWebCmd() *cobra.Command {
	f := &webBenchFlags{}
	cmd := &cobra.Command{
		Use:   "web",
		Short: "Measure page render times under load: overview, monitor page, status page, SLA",
		Long: `Creates a throwaway PostgreSQL database and fills it with one user's N monitors
checked every minute from two regions: --days of hourly and daily rollups for all of them,
the raw ticks of the last 24 hours of the first monitor, 90 days of daily rollups for the
monitors of a status page of --components components, and 365 days for the first monitor.
Then it serves the api and dashboard roles on 127.0.0.1 and loads each page with
--concurrency clients over keep-alive HTTP for --duration, reporting p50/p95/p99 and
requests per second. The overview is loaded three ways: as if every monitor had a new check
since the last render (its sums of the current and previous hour and day are read again), with
no new checks (its sums are kept), and with nothing kept (every render reads all of them, as the
first one in an hour does). The status page's view cache is off, so every request renders, and
the API's per-workspace request quota is off, so the SLA page is not answered 429.
--concurrency takes a list (1,4): every page is loaded at each level on the same seeded data.
cpu/req is this process's CPU time (server and clients, not PostgreSQL) per request, and
db cpu/req that of the PostgreSQL backends serving the benchmark's database (read from /proc,
so only when PostgreSQL runs on this host; "-" otherwise): on a shared machine they move far
less than the latencies do.
The load comes from this process, on the same cores as the server, as wrk would.

  betterstack bench web --database-url 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable' \
      --monitors 5000 --concurrency 1,4 --pages overview --cpu-profile /tmp/web.pprof`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runWebBench(cmd.Context(), cmd.OutOrStdout(), *f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.databaseURL, "database-url", "", "PostgreSQL admin URL (a bsbench_* database is created and dropped); required")
	fl.IntVar(&f.monitors, "monitors", 5000, "monitors of the user")
	fl.IntVar(&f.days, "days", 30, "days of rollups for every monitor")
	fl.IntVar(&f.components, "components", 50, "components of the status page")
	fl.DurationVar(&f.duration, "duration", 20*time.Second, "load time per page")
	fl.IntSliceVar(&f.concurrency, "concurrency", []int{4}, "concurrent clients; a list (1,4) runs every page at each")
	fl.StringVar(&f.pages, "pages", "", "only the pages whose name contains this (overview, monitor, status, SLA)")
	fl.StringVar(&f.cpuProfile, "cpu-profile", "", "write a CPU profile of the load phase (server and clients) to this file")
	fl.BoolVar(&f.gzip, "gzip", true, "ask for gzip (Accept-Encoding: gzip) as browsers do; bytes are what went over the wire")
	return cmd
}

func runWebBench(ctx context.Context, out io.Writer, f webBenchFlags) error {
	if f.databaseURL == "" {
		return errors.New("--database-url: a PostgreSQL admin URL is required (the data is generated inside PostgreSQL)")
	}
	if f.monitors < f.components || f.components < 1 || f.days < 1 || len(f.concurrency) == 0 || slices.Min(f.concurrency) < 1 {
		return errors.New("--monitors must be at least --components, and --components, --days and --concurrency at least 1")
	}
	dbURL, drop, err := benchDatabase(ctx, f.databaseURL)
	if err != nil {
		return err
	}
	defer drop()
	cfg := config.Defaults()
	cfg.Roles = []string{config.RoleAPI, config.RoleDashboard}
	cfg.DatabaseURL, cfg.JWTSecret, cfg.HTTPAddr = dbURL, randomHex(32), "127.0.0.1:0"
	on := true
	cfg.AutoMigrate = &on
	cfg.MaxAPIRequests = 0 // the load is one workspace's: the quota would answer 429
	app, err := NewApp(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{StatusPageCache: -1})
	if err != nil {
		return err
	}
	defer app.Close()

	start := time.Now()
	user, token, err := app.Auth.Signup(ctx, "bench@example.com", "correct horse battery", auth.Client{IP: "192.0.2.1"})
	if err != nil {
		return err
	}
	if err := seedDashboardData(ctx, app.DB, user.WorkspaceID, f.monitors, f.days); err != nil {
		return err
	}
	var ids []int64
	if err := app.DB.Raw("SELECT id FROM monitors WHERE workspace_id = ? ORDER BY id LIMIT ?", user.WorkspaceID, f.components).Scan(&ids).Error; err != nil {
		return err
	}
	if err := seedLongHistory(ctx, app, ids, 90); err != nil {
		return err
	}
	if err := seedLongHistory(ctx, app, ids[:1], 365); err != nil {
		return err
	}
	comps := make([]statuspage.Component, len(ids))
	for i, id := range ids {
		comps[i] = statuspage.Component{MonitorID: id, DisplayName: fmt.Sprintf("Service %d", i+1)}
	}
	slug, title := "bench", "Bench status"
	sections := []statuspage.Section{{Name: "Services", Components: comps}}
	if _, err := app.StatusPages.Create(ctx, user.WorkspaceID, statuspage.Input{Slug: &slug, Title: &title, Sections: &sections}); err != nil {
		return err
	}
	fmt.Fprintf(out, "seeded %d monitors × %d days (+90 days for %d, 365 for 1) in %s\n", f.monitors, f.days, len(ids), time.Since(start).Round(time.Second))

	if err := app.Listen(); err != nil {
		return err
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- app.Run(rctx) }()
	base := "http://" + app.Addr()
	now := time.Now().UTC()
	pages := []struct {
		name, path string
		sums       dashboard.SummaryCache // what the overview keeps of its rollup sums between renders
	}{
		// As if every monitor had a new check since the last render: the
		// sums of the current and previous hour and day are read each time.
		{"overview, every monitor newly checked", "/", dashboard.SummaryCacheLiveOnly},
		{"overview, no new checks (cached sums)", "/", dashboard.SummaryCacheOn},
		// Every render reads all the sums, as the first one in an hour does.
		{"overview, nothing cached (hour's first)", "/", dashboard.SummaryCacheOff},
		{"monitor page, 24 h chart", fmt.Sprintf("/monitors/%d", ids[0]), dashboard.SummaryCacheOn},
		{"monitor page, 30 d chart", fmt.Sprintf("/monitors/%d?range=30d", ids[0]), dashboard.SummaryCacheOn},
		{fmt.Sprintf("status page, %d components, 90 days", len(ids)), "/status/" + slug, dashboard.SummaryCacheOn},
		{"SLA, 365 days, JSON", fmt.Sprintf("/api/v1/monitors/%d/sla?from=%s", ids[0], now.AddDate(-1, 0, 0).Format(time.RFC3339)), dashboard.SummaryCacheOn},
	}
	if f.cpuProfile != "" {
		pf, err := os.Create(f.cpuProfile)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	// Rows are printed as they are measured (a failure later keeps them);
	// fixed widths stand in for a tabwriter, which prints only at the end.
	fmt.Fprintf(out, "%-44s %7s %9s %9s %9s %7s %9s %9s %11s\n", "page", "clients", "p50", "p95", "p99", "req/s", "bytes", "cpu/req", "db cpu/req")
	for _, n := range f.concurrency {
		for _, p := range pages {
			if f.pages != "" && !strings.Contains(strings.ToLower(p.name), strings.ToLower(f.pages)) {
				continue
			}
			app.dashboard.SetSummaryCache(p.sums)
			cpu0, db0 := processCPU(), backendsCPU(ctx, app.DB)
			r, err := loadPage(ctx, base+p.path, token, n, f.duration, f.gzip)
			if err != nil {
				return fmt.Errorf("%s: %w", p.name, err)
			}
			cpu := (processCPU() - cpu0) / time.Duration(max(r.count, 1))
			dbCPU := "-"
			if db1 := backendsCPU(ctx, app.DB); db0 != nil && db1 != nil {
				var d time.Duration
				for pid, t := range db1 {
					d += t - db0[pid] // a backend started meanwhile counts whole
				}
				dbCPU = ms(d / time.Duration(max(r.count, 1)))
			}
			fmt.Fprintf(out, "%-44s %7d %9s %9s %9s %7.0f %9d %9s %11s\n", p.name, n, ms(r.p50), ms(r.p95), ms(r.p99), r.rate, r.bytes, ms(cpu), dbCPU)
		}
	}
	cancel()
	return <-done
}

// processCPU is the CPU time this process (server and load clients, not
// PostgreSQL) has used: per request it is a figure the machine's other
// load barely moves, unlike the latencies.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// backendsCPU is the CPU time used so far by each PostgreSQL client
// backend connected to db's database, by process id, from /proc/<pid>/stat;
// nil when it cannot be read (PostgreSQL on another host, or no /proc).
// The app's pool keeps its connections open for minutes, so the backends
// serving a page's load are there at both ends of it. Autovacuum's workers
// are left out: they come after the seeding, not the load.
func backendsCPU(ctx context.Context, db *database.DB) map[int]time.Duration {
	var pids []int
	if err := db.WithContext(ctx).Raw("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'").Scan(&pids).Error; err != nil {
		return nil
	}
	out := make(map[int]time.Duration, len(pids))
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return nil
		}
		// Fields after the command's closing parenthesis; utime and stime
		// are the 14th and 15th of the line, in USER_HZ (100 on Linux).
		stat := string(b)
		f := strings.Fields(stat[strings.LastIndexByte(stat, ')')+1:])
		if len(f) < 13 {
			return nil
		}
		utime, err1 := strconv.ParseInt(f[11], 10, 64)
		stime, err2 := strconv.ParseInt(f[12], 10, 64)
		if err1 != nil || err2 != nil {
			return nil
		}
		out[pid] = time.Duration(utime+stime) * 10 * time.Millisecond
	}
	return out
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// seedLongHistory adds daily rollups for ids back to days ago, before what
// seedDashboardData wrote (status pages show 90 days, SLA reports a year).
func seedLongHistory(ctx context.Context, app *App, ids []int64, days int) error {
	return app.DB.WithContext(ctx).Exec(`INSERT INTO rollups_daily (monitor_id, region, bucket, checks, failures, latency_sum,
			latency_min, latency_max, h02, h03)
		SELECT m, r, d, 1440, CASE WHEN (m + n) % 29 = 0 THEN 30 ELSE 0 END, 1440 * 120.0, 60, 300, 700, 740
		FROM unnest(CAST(? AS bigint[])) m
		CROSS JOIN (VALUES ('eu'), ('us')) rg(r)
		CROSS JOIN LATERAL (SELECT n, date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - make_interval(days => n) AS d
			FROM generate_series(1, ?) n) g
		ON CONFLICT (monitor_id, bucket, region) DO NOTHING`, pgInt64Array(ids), days).Error
}

func pgInt64Array(ids []int64) string {
	b := []byte{'{'}
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, "%d", id)
	}
	return string(append(b, '}'))
}

type loadResult struct {
	p50, p95, p99 time.Duration
	rate          float64
	bytes         int
	count         int
}

// loadPage GETs url as the signed-in user from n clients for d and returns
// the latency percentiles; any answer but 200 fails the run.
// With gz the request asks for gzip and the body is read as sent (the
// transport would otherwise ask and decompress behind our back, hiding the
// wire size); without, it asks for identity.
func loadPage(ctx context.Context, url, token string, n int, d time.Duration, gz bool) (loadResult, error) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n, DisableCompression: true}, Timeout: 30 * time.Second}
	var (
		mu    sync.Mutex
		lats  []time.Duration
		bytes int
		first error
	)
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for time.Now().Before(deadline) && ctx.Err() == nil {
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				if err != nil {
					mu.Lock()
					first = err
					mu.Unlock()
					return
				}
				req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: token})
				req.Header.Set("Authorization", "Bearer "+token)
				if gz {
					req.Header.Set("Accept-Encoding", "gzip")
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				var size int64
				if err == nil {
					size, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				lat := time.Since(t0)
				mu.Lock()
				if err != nil && first == nil {
					first = err
				}
				lats, bytes = append(lats, lat), int(size)
				mu.Unlock()
				if err != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	if first != nil {
		return loadResult{}, first
	}
	slices.Sort(lats)
	q := func(p float64) time.Duration { return lats[min(len(lats)-1, int(p*float64(len(lats))))] }
	return loadResult{p50: q(.50), p95: q(.95), p99: q(.99), rate: float64(len(lats)) / d.Seconds(), bytes: bytes, count: len(lats)}, nil
}
