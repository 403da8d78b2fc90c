package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/betterstack/betterstack/modules/channel"
	"github.com/betterstack/betterstack/modules/config"
	"github.com/betterstack/betterstack/modules/incident"
	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/worker"
)

type alertBenchFlags struct {
	trials      int
	duration    time.Duration
	interval    time.Duration
	failRate    float64
	databaseURL string
	redisURL    string
}

func newBenchAlertsCmd() *cobra.Command {
	f := &alertBenchFlags{}
	cmd := &cobra.Command{
		Use:   "alerts",
		Short: "Measure detection latency and false alarms, with workers in three regions",
		Long: `Runs every role in this process plus workers in three regions (r1, r2, r3), a webhook
receiver and two local targets. A monitor of a healthy target is taken down --trials times:
each time it reports how long until the incident opened and until the signed incident.opened
webhook arrived. Meanwhile a second monitor checks a target that fails --fail-rate of requests
at random for --duration, and the incidents it opened (false alarms) are counted.
Both monitors: --interval, failure_threshold 2, recovery_threshold 2, majority quorum.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runAlertBench(cmd.Context(), cmd.OutOrStdout(), *f) },
	}
	fl := cmd.Flags()
	fl.IntVar(&f.trials, "trials", 5, "outages to detect")
	fl.DurationVar(&f.duration, "duration", 10*time.Minute, "how long the flaky target is watched")
	fl.DurationVar(&f.interval, "interval", 10*time.Second, "check interval of both monitors")
	fl.Float64Var(&f.failRate, "fail-rate", 0.2, "share of the flaky target's responses that fail")
	fl.StringVar(&f.databaseURL, "database-url", "", "PostgreSQL admin URL; empty = embedded SQLite")
	fl.StringVar(&f.redisURL, "redis-url", "", "Redis URL; empty = in-process queue")
	return cmd
}

func runAlertBench(ctx context.Context, out io.Writer, f alertBenchFlags) error {
	dir, err := os.MkdirTemp("", "bsbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg := config.Defaults()
	cfg.DataDir, cfg.HTTPAddr, cfg.MinInterval, cfg.AllowPrivateWebhooks, cfg.Region = dir, "127.0.0.1:0", time.Second, true, "r1"
	if f.databaseURL != "" {
		dbURL, drop, err := benchDatabase(ctx, f.databaseURL)
		if err != nil {
			return err
		}
		defer drop()
		cfg.DatabaseURL, cfg.JWTSecret = dbURL, randomHex(32)
		on := true
		cfg.AutoMigrate = &on
	}
	if f.redisURL != "" {
		cfg.RedisURL, cfg.RedisPrefix = f.redisURL, "bsbench:"+randomHex(4)+":"
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	app, err := NewApp(ctx, cfg, log, Options{NotifyBackoff: time.Second})
	if err != nil {
		return err
	}
	defer app.Close()
	if app.Redis != nil {
		defer deleteKeys(app, cfg.RedisPrefix)
	}

	// Targets and the webhook receiver, on loopback.
	var down atomic.Bool
	outage := serveLocal(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	defer outage.Close()
	flaky := serveLocal(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if rand.Float64() < f.failRate {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	defer flaky.Close()
	var hookMu sync.Mutex
	hooks := map[string]time.Time{} // incident.opened per monitor name → arrival
	receiver := serveLocal(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev struct {
			Event   string `json:"event"`
			Monitor struct{ Name string }
		}
		if json.Unmarshal(body, &ev) == nil && ev.Event == "incident.opened" {
			hookMu.Lock()
			hooks[ev.Monitor.Name] = time.Now()
			hookMu.Unlock()
		}
	}))
	defer receiver.Close()

	u, err := app.Auth.CreateUser(ctx, "bench@example.com", "bench password")
	if err != nil {
		return err
	}
	ch, err := app.Channels.Create(ctx, u.WorkspaceID, channel.Input{Name: ptr("bench"), Type: ptr("webhook"),
		Config: ptrRaw(fmt.Sprintf(`{"url":"http://%s/","secret":"bench-secret-0123456789"}`, receiver.Addr))})
	if err != nil {
		return err
	}
	secs := int(f.interval / time.Second)
	mk := func(name, url string) (monitor.Monitor, error) {
		return app.Monitors.Create(ctx, u.WorkspaceID, monitor.Input{Name: ptr(name), LegacyHTTP: monitor.LegacyHTTP{URL: ptr(url)}, IntervalSeconds: &secs,
			Regions: &[]string{"r1", "r2", "r3"}, ChannelIDs: &[]int64{ch.ID}})
	}
	outMon, err := mk("outage", "http://"+outage.Addr+"/")
	if err != nil {
		return err
	}
	flakyMon, err := mk("flaky", "http://"+flaky.Addr+"/")
	if err != nil {
		return err
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(runCtx)
	if err := app.Listen(); err != nil {
		return err
	}
	g.Go(func() error { return app.Run(gctx) })
	for _, region := range []string{"r2", "r3"} {
		w := worker.New(app.Queue, app.Queue, probe.New(probe.Config{}), worker.Config{Region: region, ID: "bench-" + region}, log, app.Metrics)
		g.Go(func() error { return w.Run(gctx) })
	}
	fmt.Fprintf(out, "bench alerts: %d outages to detect; flaky target failing %.0f%% for %s; interval %s, thresholds 2, 3 regions, majority quorum\n",
		f.trials, f.failRate*100, f.duration, f.interval)

	openIncident := func(m monitor.Monitor) (int64, bool) {
		p, err := app.Incidents.List(ctx, u.WorkspaceID, incident.Filter{MonitorID: m.ID, Status: "open", Limit: 1})
		if err != nil || len(p.Data) == 0 {
			return 0, false
		}
		return p.Data[0].ID, true
	}
	waitFor := func(what string, limit time.Duration, cond func() bool) error {
		deadline := time.Now().Add(limit)
		for time.Now().Before(deadline) {
			if cond() {
				return nil
			}
			select {
			case <-time.After(50 * time.Millisecond):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return fmt.Errorf("timed out waiting for %s", what)
	}
	start := time.Now()
	if err := waitFor("the monitor to be up", 3*f.interval+10*time.Second, func() bool {
		m, err := app.Monitors.Get(ctx, u.WorkspaceID, outMon.ID)
		return err == nil && m.Status == monitor.StatusUp
	}); err != nil {
		return err
	}
	budget := 2*f.interval + 2*time.Second
	var worstOpen, worstHook time.Duration
	for i := 1; i <= f.trials; i++ {
		// Start each outage at a random point of the interval.
		time.Sleep(time.Duration(rand.Int64N(int64(f.interval))))
		hookMu.Lock()
		delete(hooks, "outage")
		hookMu.Unlock()
		t0 := time.Now()
		down.Store(true)
		var opened, hooked time.Duration
		if err := waitFor("the incident", 4*f.interval, func() bool {
			if _, ok := openIncident(outMon); ok && opened == 0 {
				opened = time.Since(t0)
			}
			hookMu.Lock()
			at, ok := hooks["outage"]
			hookMu.Unlock()
			if ok {
				hooked = at.Sub(t0)
			}
			return opened > 0 && ok
		}); err != nil {
			return err
		}
		worstOpen, worstHook = max(worstOpen, opened), max(worstHook, hooked)
		fmt.Fprintf(out, "  outage %d: incident opened after %5.1f s, webhook received after %5.1f s (budget %.0f s)\n",
			i, opened.Seconds(), hooked.Seconds(), budget.Seconds())
		down.Store(false)
		if err := waitFor("recovery", 4*f.interval, func() bool { _, ok := openIncident(outMon); return !ok }); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "  worst: incident %.1f s, webhook %.1f s (target ≤ %.0f s)\n", worstOpen.Seconds(), worstHook.Seconds(), budget.Seconds())
	if rest := f.duration - time.Since(start); rest > 0 {
		fmt.Fprintf(out, "  watching the flaky target for %s more\n", rest.Round(time.Second))
		select {
		case <-time.After(rest):
		case <-ctx.Done():
		}
	}
	p, err := app.Incidents.List(ctx, u.WorkspaceID, incident.Filter{MonitorID: flakyMon.ID, Limit: 500})
	if err != nil {
		return err
	}
	var checks, failed int64
	if err := app.DB.WithContext(ctx).Raw("SELECT count(*) FROM ticks WHERE monitor_id = ?", flakyMon.ID).Scan(&checks).Error; err != nil {
		return err
	}
	if err := app.DB.WithContext(ctx).Raw("SELECT count(*) FROM ticks WHERE monitor_id = ? AND status = 'down'", flakyMon.ID).Scan(&failed).Error; err != nil {
		return err
	}
	fmt.Fprintf(out, "  flaky target: %d checks over %s in 3 regions, %d reported down after the re-check, %d false alarms (incidents)\n",
		checks, time.Since(start).Round(time.Second), failed, len(p.Data))
	cancel()
	if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// localServer is an HTTP server on a loopback port.
type localServer struct {
	Addr string
	srv  *http.Server
}

func serveLocal(h http.Handler) *localServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	s := &localServer{Addr: ln.Addr().String(), srv: &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}}
	go func() { _ = s.srv.Serve(ln) }()
	return s
}

// Close stops the server.
func (s *localServer) Close() { _ = s.srv.Close() }

func ptr[T any](v T) *T { return &v }

func ptrRaw(s string) *json.RawMessage {
	r := json.RawMessage(s)
	return &r
}
