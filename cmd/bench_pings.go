package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/betterstack/betterstack/modules/auth"
	"github.com/betterstack/betterstack/modules/config"
	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/probe"
)

// pingBenchFlags are `betterstack bench pings`' settings.
type pingBenchFlags struct {
	databaseURL string
	redisURL    string
	monitors    int
	duration    time.Duration
	concurrency int
}

func newBenchPingsCmd() *cobra.Command {
	f := &pingBenchFlags{}
	cmd := &cobra.Command{
		Use:   "pings",
		Short: "Measure heartbeat pings accepted per second by one api process on PostgreSQL + Redis",
		Long: `Creates a throwaway PostgreSQL database with --monitors heartbeat monitors and a random
Redis key prefix, serves the api role alone on 127.0.0.1 and sends GET /ping/<token> (round robin
over the monitors' tokens) from --concurrency keep-alive clients for --duration. Reports pings
accepted per second, latency percentiles, and checks that every accepted ping is in the Redis
stream. Rate limits stay on, set high enough not to refuse (so their cost is measured). The load
comes from this process, on the same cores as the server.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runPingBench(cmd.Context(), cmd.OutOrStdout(), *f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.databaseURL, "database-url", "", "PostgreSQL admin URL (a bsbench_* database is created and dropped); required")
	fl.StringVar(&f.redisURL, "redis-url", "", "Redis URL (a random key prefix is used and deleted); required")
	fl.IntVar(&f.monitors, "monitors", 1000, "heartbeat monitors (distinct tokens)")
	fl.DurationVar(&f.duration, "duration", 20*time.Second, "load time")
	fl.IntVar(&f.concurrency, "concurrency", 32, "concurrent clients")
	return cmd
}

func runPingBench(ctx context.Context, out io.Writer, f pingBenchFlags) error {
	if f.databaseURL == "" || f.redisURL == "" {
		return errors.New("--database-url and --redis-url are required: the benchmark is of PostgreSQL + Redis")
	}
	if f.monitors < 1 || f.concurrency < 1 || f.duration < time.Second {
		return errors.New("--monitors and --concurrency must be at least 1, --duration at least 1s")
	}
	dbURL, drop, err := benchDatabase(ctx, f.databaseURL)
	if err != nil {
		return err
	}
	defer drop()
	cfg := config.Defaults()
	cfg.Roles = []string{config.RoleAPI}
	cfg.DatabaseURL, cfg.RedisURL, cfg.RedisPrefix = dbURL, f.redisURL, "bsbench:"+randomHex(4)+":"
	cfg.JWTSecret, cfg.HTTPAddr, cfg.MaxMonitors = randomHex(32), "127.0.0.1:0", 0
	cfg.PingRatePerToken, cfg.PingRatePerAddress = 10_000_000, 10_000_000
	on := true
	cfg.AutoMigrate = &on
	app, err := NewApp(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{})
	if err != nil {
		return err
	}
	defer app.Close()
	defer deleteKeys(app, cfg.RedisPrefix)

	user, _, err := app.Auth.Signup(ctx, "bench@example.com", "correct horse battery", auth.Client{IP: "192.0.2.1"})
	if err != nil {
		return err
	}
	paths := make([]string, 0, f.monitors)
	sec := 60
	for i := range f.monitors {
		name := fmt.Sprintf("job %d", i)
		m, err := app.Monitors.Create(ctx, user.WorkspaceID, monitor.Input{Name: &name, IntervalSeconds: &sec,
			Check: &probe.Spec{Kind: "heartbeat", Config: json.RawMessage(`{"period":"1h","grace":"5m"}`)}})
		if err != nil {
			return err
		}
		u, err := app.Checkins.Rotate(ctx, m.ID)
		if err != nil {
			return err
		}
		paths = append(paths, u[strings.Index(u, "/ping/"):])
	}
	if err := app.Listen(); err != nil {
		return err
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- app.Run(rctx) }()
	base := "http://" + app.Addr()

	// Warm-up: every token once (fills the token cache, opens connections).
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: f.concurrency}, Timeout: 10 * time.Second}
	for _, p := range paths {
		if err := pingOnce(ctx, client, base+p); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}
	before, err := app.Redis.XLen(ctx, cfg.RedisPrefix+"pings").Result()
	if err != nil {
		return err
	}
	var (
		mu    sync.Mutex
		lats  []time.Duration
		first error
		next  atomic.Int64
	)
	cpu0, start := cpuTime(), time.Now()
	deadline := start.Add(f.duration)
	var wg sync.WaitGroup
	for range f.concurrency {
		wg.Go(func() {
			mine := make([]time.Duration, 0, 1<<16)
			for time.Now().Before(deadline) && ctx.Err() == nil {
				p := paths[int(next.Add(1))%len(paths)]
				t0 := time.Now()
				err := pingOnce(ctx, client, base+p)
				mine = append(mine, time.Since(t0))
				if err != nil {
					mu.Lock()
					first = cmp(first, err)
					mu.Unlock()
					break
				}
			}
			mu.Lock()
			lats = append(lats, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	wall, cpu := time.Since(start), cpuTime()-cpu0
	if first != nil {
		return first
	}
	after, err := app.Redis.XLen(ctx, cfg.RedisPrefix+"pings").Result()
	if err != nil {
		return err
	}
	cancel()
	if err := <-done; err != nil {
		return err
	}
	slices.Sort(lats)
	q := func(p float64) time.Duration { return lats[min(len(lats)-1, int(p*float64(len(lats))))] }
	fmt.Fprintf(out, "pings: %d accepted in %s by one api process (%d tokens, %d clients, load from this process)\n",
		len(lats), wall.Round(time.Millisecond), f.monitors, f.concurrency)
	fmt.Fprintf(out, "rate: %.0f pings/s   latency p50 %s  p90 %s  p99 %s  max %s\n",
		float64(len(lats))/wall.Seconds(), ms(q(.50)), ms(q(.90)), ms(q(.99)), ms(lats[len(lats)-1]))
	fmt.Fprintf(out, "queued in Redis: %d of %d   CPU of this process: %.0f%% of one core\n",
		after-before, len(lats), 100*cpu.Seconds()/wall.Seconds())
	if after-before != int64(len(lats)) {
		return fmt.Errorf("%d pings answered 200 but %d in the stream", len(lats), after-before)
	}
	return nil
}

func cmp(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// pingOnce GETs url and wants 200.
func pingOnce(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	return nil
}
