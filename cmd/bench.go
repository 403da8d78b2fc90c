package cmd

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/betterstack/betterstack/modules/config"
	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/pusher"
	"github.com/betterstack/betterstack/modules/selfcheck"
)

// benchFlags are `betterstack bench`'s settings.
type benchFlags struct {
	monitors    int
	interval    time.Duration
	duration    time.Duration
	databaseURL string // admin URL: a throwaway database is created next to it
	redisURL    string
	https       bool
	kind        string // one of benchKinds
	cpuProfile  string // where to write a CPU profile of the measured window
	memProfile  string // where to write a heap profile at the end of the window
	warmup      time.Duration
	admitWait   time.Duration // pusher_admit_wait
}

func newBenchCmd() *cobra.Command {
	f := &benchFlags{}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure the check pipeline: N monitors against a local target, all roles in this process",
		Long: `Runs pusher, worker and alerter in this process against a target server in a child
process, with N monitors at the given interval, and reports checks/s achieved vs scheduled,
lateness of check start vs the slot (p50/p99, from the stored ticks), ticks/s stored,
slots missed, peak RSS and CPU of this process.

With --database-url (an admin URL) and --redis-url it uses a throwaway PostgreSQL database and
Redis prefix; without them it uses the embedded SQLite + in-process queue in a temporary directory.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runBench(cmd.Context(), cmd.OutOrStdout(), *f) },
	}
	fl := cmd.Flags()
	fl.IntVar(&f.monitors, "monitors", 1000, "number of monitors")
	fl.DurationVar(&f.interval, "interval", 60*time.Second, "check interval of every monitor")
	fl.DurationVar(&f.duration, "duration", 60*time.Second, "measured time, after one interval of warm-up")
	fl.StringVar(&f.databaseURL, "database-url", "", "PostgreSQL admin URL (a bsbench_* database is created and dropped); empty = embedded SQLite")
	fl.StringVar(&f.redisURL, "redis-url", "", "Redis URL (a random key prefix is used and deleted); empty = in-process queue")
	fl.DurationVar(&f.admitWait, "admit-wait", 0, "the pusher's pusher_admit_wait (default 2s): how late a region's oldest untaken job may be before checks are skipped")
	fl.DurationVar(&f.warmup, "warmup", 0, "time before measuring (default: one interval); a large install's first checks each create their state rows, so its steady state comes later")
	fl.StringVar(&f.cpuProfile, "cpu-profile", "", "write a CPU profile (go tool pprof) of the measured window to this file")
	fl.StringVar(&f.memProfile, "mem-profile", "", "write a heap profile (go tool pprof) at the end of the measured window to this file")
	// The names before they were spelled as every other flag (and as
	// bench web's --cpu-profile): still taken, hidden, with a notice.
	for old, name := range map[string]string{"cpuprofile": "cpu-profile", "memprofile": "mem-profile"} {
		fl.AddFlag(&pflag.Flag{Name: old, Usage: "same as --" + name, Value: fl.Lookup(name).Value})
		_ = fl.MarkDeprecated(old, "use --"+name)
	}
	fl.BoolVar(&f.https, "https", false, "check an HTTPS target (a fresh TLS handshake per check)")
	fl.StringVar(&f.kind, "kind", "http", "what each monitor checks: http, http-conditions (three conditions on the JSON answer), tcp (a connect to the target's port) or null (no check at all: every check answers up at once, to measure the pipeline itself)")
	cmd.AddCommand(newBenchTargetCmd(), newBenchAlertsCmd(), newBenchWebCmd(), newBenchPingsCmd())
	return cmd
}

func runBench(ctx context.Context, out io.Writer, f benchFlags) error {
	if f.warmup <= 0 {
		f.warmup = f.interval
	}
	if f.monitors < 1 || f.interval < time.Second || f.duration < time.Second {
		return errors.New("--monitors must be ≥ 1, --interval and --duration ≥ 1s")
	}
	if _, _, err := benchCheck(f.kind, "http://127.0.0.1:1", 1); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "bsbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	targetURL, roots, stopTarget, err := startBenchTarget(ctx, dir, f.https)
	if err != nil {
		return err
	}
	defer stopTarget()

	cfg := config.Defaults()
	cfg.DataDir = dir
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.MinInterval = time.Second
	cfg.LogLevel = "warn"
	cfg.DatabaseMaxConns = 20
	if f.admitWait > 0 {
		cfg.PusherAdmitWait = f.admitWait
	}
	backend := "embedded (SQLite + in-process queue)"
	if f.databaseURL != "" {
		dbURL, drop, err := benchDatabase(ctx, f.databaseURL)
		if err != nil {
			return err
		}
		defer drop()
		cfg.DatabaseURL = dbURL
		cfg.JWTSecret = randomHex(32)
		on := true
		cfg.AutoMigrate = &on
		backend = "PostgreSQL"
	}
	if f.redisURL != "" {
		cfg.RedisURL = f.redisURL
		cfg.RedisPrefix = "bsbench:" + randomHex(4) + ":"
		backend += " + Redis"
	} else if f.databaseURL != "" {
		backend += " + in-process queue"
	}

	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	opts := Options{Probe: probe.New(probe.Config{RootCAs: roots})}
	if f.kind == "null" {
		opts.Checker = nullChecker{}
	}
	app, err := NewApp(ctx, cfg, log, opts)
	if err != nil {
		return err
	}
	defer app.Close()
	if app.Redis != nil {
		defer deleteKeys(app, cfg.RedisPrefix)
	}

	start := time.Now().UTC()
	if err := seedBenchMonitors(ctx, app, f, targetURL, start.Add(2*time.Second)); err != nil {
		return fmt.Errorf("seed monitors: %w", err)
	}
	target := map[bool]string{true: "HTTPS", false: "HTTP"}[f.https] + " target"
	switch f.kind {
	case "tcp":
		target = "TCP target"
	case "null":
		target = "no target (null checks)"
	}
	fmt.Fprintf(out, "bench: %d %s monitors every %s, %s, %s; warm-up %s, measuring %s\n",
		f.monitors, f.kind, f.interval, target, backend, f.warmup, f.duration)

	runCtx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	if err := app.Listen(); err != nil {
		cancel()
		return err
	}
	go func() { errc <- app.Run(runCtx) }()

	from := start.Add(2*time.Second + f.warmup)
	until := from.Add(f.duration)
	// CPU is counted over the measured window only, as is wall time.
	select {
	case <-time.After(time.Until(from)):
	case <-ctx.Done():
	}
	var prof *os.File
	if f.cpuProfile != "" {
		if prof, err = os.Create(f.cpuProfile); err != nil {
			cancel()
			return err
		}
		if err := pprof.StartCPUProfile(prof); err != nil {
			cancel()
			return err
		}
	}
	cpu0 := cpuTime()
	skipped0 := gatherSum(app, "betterstack_pusher_slots_skipped_total")
	select {
	case <-time.After(time.Until(until)):
	case <-ctx.Done():
	}
	skipped := gatherSum(app, "betterstack_pusher_slots_skipped_total") - skipped0
	// Where the slots of the window that are not stored yet wait, as the
	// settings page's self-check sees it at the window's end.
	stages, stagesErr := app.Selfcheck.Measure(ctx)
	if f.memProfile != "" {
		if err := writeHeapProfile(f.memProfile); err != nil {
			cancel()
			return err
		}
	}
	select {
	case <-time.After(3 * time.Second): // let the last slots finish and be stored
	case <-ctx.Done():
	}
	cpu := cpuTime() - cpu0
	wall := time.Since(from)
	if prof != nil {
		pprof.StopCPUProfile()
		_ = prof.Close()
	}
	cancel()
	if err := <-errc; err != nil {
		return err
	}
	if err := reportBench(ctx, out, app, f, from, until, cpu, wall, skipped); err != nil {
		return err
	}
	if stagesErr != nil {
		fmt.Fprintf(out, "  waiting at the end       (not measured: %v)\n", stagesErr)
		return nil
	}
	reportStages(out, stages.Stages)
	return nil
}

// reportStages prints what waited at each pipeline stage when the window
// ended: slots of the window that were neither stored nor skipped are
// there (a stage that could not keep up), not lost.
func reportStages(out io.Writer, stages []selfcheck.Measure) {
	for _, m := range stages {
		if m.Stage == selfcheck.StageNotifications {
			continue
		}
		what := "items"
		switch m.Stage {
		case selfcheck.StagePusher:
			what = "slots overdue, not yet published"
		case selfcheck.StageWorkers:
			what = "jobs queued, not yet taken"
		case selfcheck.StageIngest:
			what = "results not yet stored"
		}
		fmt.Fprintf(out, "  waiting at the end: %-12s %7d %s (oldest %.1f s)\n", m.Name(), m.Backlog, what, m.Lag.Seconds())
	}
}

// seedBenchMonitors stores the monitors with ids 1..N through the monitor
// module, their first slot already spread over the interval, as a
// long-running install would have.
func seedBenchMonitors(ctx context.Context, app *App, f benchFlags, target string, after time.Time) error {
	u, err := app.Auth.CreateUser(ctx, "bench@example.com", "bench password")
	if err != nil {
		return err
	}
	secs := int(f.interval / time.Second)
	timeout := min(5000, secs*1000-500)
	const batch = 5000
	for lo := 1; lo <= f.monitors; lo += batch {
		hi := min(lo+batch-1, f.monitors)
		ms := make([]monitor.Monitor, 0, hi-lo+1)
		for id := lo; id <= hi; id++ {
			spec, targetText, err := benchCheck(f.kind, target, id)
			if err != nil {
				return err
			}
			next := pusher.NextSlot(int64(id), f.interval, after)
			ms = append(ms, monitor.Monitor{ID: int64(id), Name: fmt.Sprintf("m%d", id), Check: spec, Target: targetText,
				IntervalSeconds: secs, TimeoutMS: timeout, FailureThreshold: 2, RecoveryThreshold: 2, NextRunAt: &next})
		}
		if err := app.Monitors.Seed(ctx, u.WorkspaceID, ms); err != nil {
			return err
		}
	}
	return nil
}

// benchKinds are the checks `bench --kind` can run against the target.
var benchKinds = []string{"http", "http-conditions", "tcp", "null"}

// nullChecker answers every check at once with "up": `--kind null`
// measures pusher → queue → worker → alerter → database without the
// checks' own network and CPU cost.
type nullChecker struct{}

func (nullChecker) Check(_ context.Context, req probe.Request) probe.Result {
	return probe.Result{Status: probe.StatusUp, LatencyMS: 0.1, CheckedAt: time.Now()}
}

// benchCheck is monitor id's check of the target for a bench kind: an
// HTTP GET, the same with three conditions on the JSON answer, or a TCP
// connect to the target's port.
func benchCheck(kind, target string, id int) (probe.Spec, string, error) {
	var c probe.Check
	switch kind {
	case "http", "http-conditions":
		h := probe.NewHTTP()
		h.URL = fmt.Sprintf("%s/m/%d", target, id)
		h.ExpectedStatus = []string{"2xx"}
		if kind == "http-conditions" {
			h.Conditions = []string{"[STATUS] == 200", "[BODY] == ok", "[RESPONSE_TIME] < 1000"} // the target answers "ok"
		}
		c = h
	case "tcp", "null":
		u, err := url.Parse(target)
		if err != nil {
			return probe.Spec{}, "", err
		}
		port, err := strconv.Atoi(u.Port())
		if err != nil {
			return probe.Spec{}, "", fmt.Errorf("target %q has no port", target)
		}
		c = &probe.TCP{Host: u.Hostname(), Port: port}
	default:
		return probe.Spec{}, "", fmt.Errorf("--kind %q: must be one of %s", kind, strings.Join(benchKinds, ", "))
	}
	name := strings.TrimSuffix(kind, "-conditions")
	if kind == "null" {
		name = "tcp" // stored as TCP monitors; the worker's checker answers them
	}
	spec, err := probe.SpecOf(name, c)
	return spec, c.Target(), err
}

// skipped is how many slots the pusher's admission left out during the
// measured window (the workers were not taking jobs fast enough).
func reportBench(ctx context.Context, out io.Writer, app *App, f benchFlags, from, until time.Time, cpu, wall time.Duration, skipped float64) error {
	var lateness []float64
	rows, err := app.DB.WithContext(ctx).Raw(`SELECT scheduled_at, checked_at, status FROM ticks WHERE scheduled_at >= ? AND scheduled_at < ?`,
		from, until).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	up := 0
	for rows.Next() {
		var sched, checked time.Time
		var status string
		if err := rows.Scan(&sched, &checked, &status); err != nil {
			return err
		}
		lateness = append(lateness, checked.Sub(sched).Seconds()*1000)
		if status == "up" {
			up++
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	sort.Float64s(lateness)
	window := until.Sub(from).Seconds()
	scheduled := float64(f.monitors) * window / f.interval.Seconds()
	var total int64
	if err := app.DB.WithContext(ctx).Raw("SELECT count(*) FROM ticks").Scan(&total).Error; err != nil {
		return err
	}
	stale := gatherSum(app, "betterstack_worker_stale_jobs_dropped_total")
	missed := gatherSum(app, "betterstack_pusher_slots_missed_total")
	fmt.Fprintf(out, "  checks/s scheduled      %8.0f\n", scheduled/window)
	fmt.Fprintf(out, "  checks/s achieved       %8.0f  (%d of ~%.0f slots in the window; %d up)\n", float64(len(lateness))/window, len(lateness), scheduled, up)
	fmt.Fprintf(out, "  lateness p50 / p99      %8.1f / %.1f ms (check start - slot)\n", pct(lateness, 50), pct(lateness, 99))
	fmt.Fprintf(out, "  ticks/s stored          %8.0f  (%d ticks in all)\n", float64(len(lateness))/window, total)
	fmt.Fprintf(out, "  slots missed / stale    %8.0f / %.0f\n", missed, stale)
	fmt.Fprintf(out, "  slots skipped           %8.0f  (in the window: not published, the workers or the ingest were not keeping up)\n", skipped)
	fmt.Fprintf(out, "  CPU                     %8.2f cores (%.1fs over %.1fs)\n", cpu.Seconds()/wall.Seconds(), cpu.Seconds(), wall.Seconds())
	fmt.Fprintf(out, "  peak RSS                %8.0f MB\n", peakRSSMB())
	return nil
}

func pct(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p / 100)
	return sorted[i]
}

func gatherSum(app *App, name string) float64 {
	mfs, err := app.Metrics.Gather()
	if err != nil {
		return 0
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSSMB reads the process's high-water resident set size.
func peakRSSMB() float64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:")), "%f", &kb)
			return kb / 1024
		}
	}
	return 0
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// benchDatabase creates a throwaway database beside adminURL.
func benchDatabase(ctx context.Context, adminURL string) (string, func(), error) {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", nil, fmt.Errorf("--database-url: %w", err)
	}
	defer conn.Close(ctx)
	name := "bsbench_" + randomHex(4)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, err
	}
	cfg, err := pgx.ParseConfig(adminURL)
	if err != nil {
		return "", nil, err
	}
	u := fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, name)
	drop := func() {
		c, err := pgx.Connect(context.Background(), adminURL)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	}
	return u, drop, nil
}

// deleteKeys deletes the bench's keys a thousand to a round trip: one at a
// time, the 1.4 million dedupe markers of a 300,000-monitor run took six
// minutes after the figures were printed, a load on the next run.
func deleteKeys(app *App, prefix string) {
	ctx := context.Background()
	iter := app.Redis.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	pipe := app.Redis.Pipeline()
	for iter.Next(ctx) {
		pipe.Unlink(ctx, iter.Val())
		if pipe.Len() >= 1000 {
			_, _ = pipe.Exec(ctx)
		}
	}
	_, _ = pipe.Exec(ctx)
}

// startBenchTarget runs `betterstack bench target` as a child process, so the
// target's CPU and memory are not counted as the pipeline's.
func startBenchTarget(ctx context.Context, dir string, tls bool) (string, *x509.CertPool, func(), error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, nil, err
	}
	certFile := filepath.Join(dir, "target.pem")
	args := []string{"bench", "target", "--cert-out", certFile}
	if tls {
		args = append(args, "--https")
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, nil, err
	}
	stop := func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		stop()
		return "", nil, nil, fmt.Errorf("bench target did not start: %w", err)
	}
	var roots *x509.CertPool
	if tls {
		pem, err := os.ReadFile(certFile)
		if err != nil {
			stop()
			return "", nil, nil, err
		}
		roots = x509.NewCertPool()
		roots.AppendCertsFromPEM(pem)
	}
	return strings.TrimSpace(line), roots, stop, nil
}

// writeHeapProfile writes what is live on the heap (after a collection) to
// path.
func writeHeapProfile(path string) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.Lookup("heap").WriteTo(out, 0); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
