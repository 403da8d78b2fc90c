package cmd

import (
	"crypto/hmac"
	"crypto/sha256"
	"github.com/betterstack/betterstack/modules/sso"

	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/errgroup"

	"github.com/betterstack/betterstack/modules/access"
	"github.com/betterstack/betterstack/modules/audit"
	"github.com/betterstack/betterstack/modules/auth"
	"github.com/betterstack/betterstack/modules/channel"
	"github.com/betterstack/betterstack/modules/checkin"
	"github.com/betterstack/betterstack/modules/config"
	"github.com/betterstack/betterstack/modules/dashboard"
	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/incident"
	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/notify"
	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/pusher"
	"github.com/betterstack/betterstack/modules/queue"
	"github.com/betterstack/betterstack/modules/selfcheck"
	"github.com/betterstack/betterstack/modules/server"
	"github.com/betterstack/betterstack/modules/sla"
	"github.com/betterstack/betterstack/modules/spool"
	"github.com/betterstack/betterstack/modules/statuspage"
	"github.com/betterstack/betterstack/modules/tick"
	"github.com/betterstack/betterstack/modules/web"
	"github.com/betterstack/betterstack/modules/worker"
	"github.com/betterstack/betterstack/modules/workspace"
	"github.com/betterstack/betterstack/ui"
)

// pipelineQueue is everything the roles need of a queue; both the Redis and
// the in-process implementations provide it.
type pipelineQueue interface {
	PublishJobs(ctx context.Context, jobs []queue.Job) (int, error)
	ReadJobs(ctx context.Context, region, consumer string, count int, block time.Duration) ([]queue.JobDelivery, error)
	ClaimJobs(ctx context.Context, region, consumer string, minIdle time.Duration, count int) ([]queue.JobDelivery, error)
	TouchJobs(ctx context.Context, region, consumer string, ids []string) error
	CompleteJobs(ctx context.Context, region string, cs []queue.Completion) (int, error)
	PublishResults(ctx context.Context, region string, rs []queue.Result) (int, error)
	DropJob(ctx context.Context, region, deliveryID string) error
	ReadResults(ctx context.Context, consumer string, count int, block time.Duration) ([]queue.ResultDelivery, error)
	ClaimResults(ctx context.Context, consumer string, minIdle time.Duration, count int) ([]queue.ResultDelivery, error)
	AckResults(ctx context.Context, ids ...string) error
	// ResultLate is how long the oldest result not yet stored has waited:
	// the pusher's admission and the silence sweep read it.
	ResultLate(ctx context.Context) (time.Duration, error)
	Heartbeat(ctx context.Context, region, workerID string) error
	Leave(ctx context.Context, region, workerID string) error
	Regions(ctx context.Context, liveWithin time.Duration) ([]queue.Region, error)
	Ping(ctx context.Context) error
	PublishPings(ctx context.Context, payloads [][]byte) error
	ReadPings(ctx context.Context, consumer string, count int, block time.Duration) ([]queue.PingDelivery, error)
	ClaimPings(ctx context.Context, consumer string, minIdle time.Duration, count int) ([]queue.PingDelivery, error)
	AckPings(ctx context.Context, ids ...string) error
}

var (
	_ pipelineQueue = (*queue.Redis)(nil)
	_ pipelineQueue = (*queue.Memory)(nil)
)

// liveWithin: a region is live while one of its workers heartbeated this
// recently (workers beat every 5 s).
const liveWithin = 20 * time.Second

// App is one BetterStack process: its connections, services and the
// long-running loops of its roles. Tests build it exactly as `serve` does.
type App struct {
	Cfg         config.Config
	Log         *slog.Logger
	DB          *database.DB          // nil when no role needs it (a lone worker)
	Redis       redis.UniversalClient // nil with the in-process queue
	Metrics     *prometheus.Registry
	HTTP        *server.Server
	Auth        *auth.Service
	Monitors    *monitor.Service
	Queue       pipelineQueue
	Ticks       *tick.Service
	Incidents   *incident.Service
	Channels    *channel.Service
	SLA         *sla.Service
	Audit       *audit.Service
	StatusPages *statuspage.Service
	Checkins    *checkin.Service
	Pusher      *pusher.Pusher
	Worker      *worker.Worker
	// Selfcheck watches the pipeline (nil in a lone worker).
	Selfcheck *selfcheck.Service

	queueAges selfcheck.Queue // the queue, as the self-check reads it

	assets    *web.Assets
	renderer  *web.Renderer
	dashboard *dashboard.Handler
	sso       *sso.Provider
	runners   []runner
}

// runner is a long-running loop owned by the App.
type runner struct {
	name string
	run  func(ctx context.Context) error
}

// checker runs one check; *probe.Prober is the real one.
type checker interface {
	Check(ctx context.Context, req probe.Request) probe.Result
}

// Options are the App's injectable parts; production leaves them zero.
type Options struct {
	// PasswordMemoryKiB lowers argon2id's cost (tests).
	PasswordMemoryKiB uint32
	// Probe overrides the checker (tests inject trust in a test CA).
	Probe *probe.Prober
	// Checker replaces the worker's checks altogether: `bench --kind null`
	// measures the pipeline around checks with one that answers at once.
	Checker checker
	// WorkerClaimIdle overrides how soon a dead worker's jobs are taken over.
	WorkerClaimIdle time.Duration
	// NotifyBackoff overrides the first notification retry delay.
	NotifyBackoff time.Duration
	// StatusPageCache overrides how long a status page's view is reused
	// (negative: not at all, so a benchmark measures every render).
	StatusPageCache time.Duration
	// Now overrides the alerter's clock (heartbeat deadlines and the
	// ingest's "now"): tests move it to a deadline instead of waiting.
	Now func() time.Time
	// SelfcheckEvery overrides how often the pipeline is sampled (15s).
	SelfcheckEvery time.Duration
}

// NewApp validates cfg, connects to what the roles need and builds every
// service. It starts nothing; Run does.
func NewApp(ctx context.Context, cfg config.Config, log *slog.Logger, opts Options) (_ *App, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, errInvalidConfig(err)
	}
	a := &App{Cfg: cfg, Log: log, Metrics: prometheus.NewRegistry()}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	a.Metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	needDB := cfg.HasRole(config.RoleAPI) || cfg.HasRole(config.RoleDashboard) ||
		cfg.HasRole(config.RolePusher) || cfg.HasRole(config.RoleAlerter)
	ready := map[string]server.Check{}
	if needDB {
		a.DB, err = database.Open(ctx, database.Config{URL: cfg.DatabaseURL, DataDir: cfg.DataDir, MaxConns: cfg.DatabaseMaxConns, Logger: log})
		if err != nil {
			return nil, fmt.Errorf("BETTERSTACK_DATABASE_URL: %w", err)
		}
		if err := a.DB.EnsureSchema(ctx, cfg.AutoMigrateEnabled(), log); err != nil {
			return nil, err
		}
		ready["database"] = a.DB.Ping
	}
	waitReplicas := 0
	if cfg.RedisURL != "" {
		ru, err := queue.ParseRedisURL(cfg.RedisURL) // one server, Sentinel or Cluster
		if err != nil {
			return nil, fmt.Errorf("BETTERSTACK_REDIS_URL: %w", err)
		}
		// go-redis writes its own log lines; route them through slog.
		redis.SetLogger(redisLogger{log.With("module", "redis")})
		a.Redis, waitReplicas = ru.NewClient(), ru.WaitReplicas
		if err := a.Redis.Ping(ctx).Err(); err != nil {
			return nil, fmt.Errorf("BETTERSTACK_REDIS_URL: redis unreachable: %w", err)
		}
		ready["redis"] = func(ctx context.Context) error { return a.Redis.Ping(ctx).Err() }
	}

	var htmlError func(c echo.Context, status int, message string) error
	if cfg.HasRole(config.RoleDashboard) {
		if a.assets, err = web.NewAssets(ui.FS); err != nil {
			return nil, err
		}
		if a.renderer, err = web.NewRenderer(ui.FS, a.assets, nil, log); err != nil {
			return nil, err
		}
		htmlError = a.renderer.Error
	}
	proxies, err := cfg.ProxyRanges()
	if err != nil {
		return nil, fmt.Errorf("trusted_proxies: %w", err) // Validate has said so already
	}
	a.HTTP = server.New(server.Config{
		Addr: cfg.HTTPAddr, ShutdownTimeout: cfg.ShutdownTimeout, Logger: log.With("module", "server"),
		Registry: a.Metrics, Ready: ready, HTMLError: htmlError,
		TrustedProxies: proxies, MetricsToken: cfg.MetricsToken,
	})

	if cfg.HasRole(config.RoleAPI) || cfg.HasRole(config.RoleDashboard) {
		secret, err := jwtSecret(cfg)
		if err != nil {
			return nil, err
		}
		var limiter auth.Limiter
		if a.Redis != nil {
			limiter = auth.NewRedisLimiter(a.Redis, cfg.RedisPrefix, cfg.LoginWindow)
		}
		a.Auth, err = auth.New(a.DB, auth.Config{
			JWTSecret: secret, JWTTTL: cfg.JWTTTL, Signup: cfg.SignupPolicy(),
			LoginMaxFails: cfg.LoginMaxFails, LoginWindow: cfg.LoginWindow, PasswordMemoryKiB: opts.PasswordMemoryKiB,
			Limiter: limiter,
		}, log)
		if err != nil {
			return nil, err
		}
		if cfg.SSOEnabled() {
			// The login cookie's key is derived from the session secret, so
			// every dashboard process shares it.
			mac := hmac.New(sha256.New, secret)
			mac.Write([]byte("betterstack sso login cookie"))
			if a.sso, err = sso.New(cfg.SSO(), mac.Sum(nil), nil, nil); err != nil {
				return nil, err
			}
		}
	}
	if a.Redis != nil {
		// The dedupe window only has to outlive a pusher that published and
		// died before committing (its slot is re-claimed within a second);
		// 2 minutes keeps the markers' memory small at 100k monitors.
		q := queue.NewRedis(a.Redis, queue.Config{Prefix: cfg.RedisPrefix, JobDedupeTTL: 2 * time.Minute, WaitReplicas: waitReplicas})
		a.Queue, a.queueAges = q, q
	} else {
		q := queue.NewMemory(queue.Config{})
		a.Queue, a.queueAges = q, q
	}
	if needDB {
		a.Monitors = monitor.New(a.DB, monitor.Config{MinInterval: cfg.MinInterval, MaxPerAccount: cfg.MaxMonitors}, log)
		a.Channels = channel.New(a.DB, channel.Config{AllowPrivate: cfg.AllowPrivateWebhooks, PublicURL: cfg.PublicURL, MaxPerAccount: cfg.MaxChannels,
			BaseBackoff: opts.NotifyBackoff}, log, a.Metrics)
		a.Incidents = incident.New(a.DB, a.Channels, incident.Config{}, log)
		a.Channels.SetTimeline(a.Incidents)
		a.Ticks = tick.New(a.DB, a.Incidents, tick.Config{Consumer: workerID(cfg), Now: opts.Now}, log, a.Metrics)
		a.SLA = sla.New(a.Incidents, a.Ticks, a.Monitors, sla.Config{})
		a.Audit = audit.New(a.DB, audit.Config{})
		hbCfg := checkin.Config{PublicURL: cfg.PublicURL, MaxBody: cfg.PingMaxBody, Consumer: workerID(cfg), Now: opts.Now,
			PerTokenPerMinute: orNone(cfg.PingRatePerToken), PerAddressPerMinute: orNone(cfg.PingRatePerAddress)}
		if cfg.HasRole(config.RoleAPI) || cfg.HasRole(config.RoleDashboard) {
			// Tokens are derived from the server secret; an alerter alone
			// has none and leaves new monitors' tokens to the api.
			secret, err := jwtSecret(cfg)
			if err != nil {
				return nil, err
			}
			hbCfg.Key = checkin.KeyFrom(secret)
		}
		a.Checkins = checkin.New(a.DB, a.Queue, a.Ticks, hbCfg, log, a.Metrics)
	}
	if a.Auth != nil {
		secret, err := jwtSecret(cfg)
		if err != nil {
			return nil, err
		}
		spCfg := statuspage.Config{Key: secret, PublicURL: cfg.PublicURL, PasswordMemoryKiB: opts.PasswordMemoryKiB,
			CacheTTL: opts.StatusPageCache, MaxPerAccount: cfg.MaxStatusPages}
		if a.Redis != nil {
			spCfg.Limiter = auth.NewRedisLimiter(a.Redis, cfg.RedisPrefix+"statuspage:", statuspage.DefaultLoginWindow)
		}
		if a.StatusPages, err = statuspage.New(a.DB, a.Incidents, a.Ticks, spCfg, log); err != nil {
			return nil, err
		}
	}
	if needDB {
		if err := a.buildSelfcheck(ctx, opts); err != nil {
			return nil, err
		}
	}
	if err := a.buildPipeline(opts); err != nil {
		return nil, err
	}
	if a.Audit != nil && (cfg.HasRole(config.RoleAPI) || cfg.HasRole(config.RoleDashboard)) {
		// Every request carries the audit recorder: the services record
		// the changes they make (and logins) through it.
		a.HTTP.Echo().Use(audit.Middleware(a.Audit))
	}
	if cfg.HasRole(config.RoleAPI) {
		a.registerAPI(a.HTTP.Echo())
		a.runners = append(a.runners, runner{name: "heartbeat ping publisher", run: a.Checkins.RunPublisher})
	}
	if cfg.HasRole(config.RoleDashboard) {
		a.registerDashboard(a.HTTP.Echo())
	}
	a.runners = append(a.runners, runner{name: "http", run: a.HTTP.Run})
	return a, nil
}

func workerID(cfg config.Config) string {
	if cfg.WorkerID != "" {
		return cfg.WorkerID
	}
	return worker.DefaultID()
}

// buildSelfcheck builds the pipeline's self-check (the dashboard reads it;
// the alerter runs it) and resolves operator_channel, which must name an
// existing channel.
func (a *App) buildSelfcheck(ctx context.Context, opts Options) error {
	cfg := a.Cfg
	sc := selfcheck.Config{Every: opts.SelfcheckEvery, Threshold: cfg.PipelineLagThreshold, LiveWithin: liveWithin, IngestWait: cfg.PusherIngestWait,
		DeadmanURL: cfg.DeadmanURL, DeadmanInterval: cfg.DeadmanInterval,
		LagAlert: cfg.OperatorLagAlert, RegionSilence: cfg.OperatorRegionSilence, Now: opts.Now}
	if cfg.OperatorChannel != "" && cfg.HasRole(config.RoleAlerter) {
		wsKey, chKey, err := cfg.OperatorChannelKeys()
		if err != nil {
			return fmt.Errorf("BETTERSTACK_OPERATOR_CHANNEL (operator_channel): %w", err)
		}
		ch, err := a.Channels.Find(ctx, wsKey, chKey)
		if errors.Is(err, channel.ErrNotFound) {
			return fmt.Errorf("BETTERSTACK_OPERATOR_CHANNEL (operator_channel): no channel %q in a workspace %q: create it first, or leave the setting empty", chKey, wsKey)
		}
		if err != nil {
			return fmt.Errorf("BETTERSTACK_OPERATOR_CHANNEL (operator_channel): %w", err)
		}
		sc.OperatorChannel = ch.ID
	}
	a.Selfcheck = selfcheck.New(a.DB, a.queueAges, a.Channels, a.Channels, sc, a.Log, a.Metrics)
	return nil
}

// buildPipeline adds the pusher, worker and alerter loops the roles ask for.
func (a *App) buildPipeline(opts Options) (err error) {
	cfg, log := a.Cfg, a.Log
	if cfg.HasRole(config.RolePusher) {
		a.Pusher = pusher.New(a.Monitors, a.Queue, pusher.Config{LiveWithin: liveWithin, AdmitWait: cfg.PusherAdmitWait, IngestWait: cfg.PusherIngestWait}, log, a.Metrics)
		a.runners = append(a.runners, runner{name: "pusher", run: a.Pusher.Run})
	}
	if cfg.HasRole(config.RoleWorker) {
		var c checker
		switch {
		case opts.Checker != nil:
			c = opts.Checker
		case opts.Probe != nil:
			c = opts.Probe
		default:
			p := probe.New(probe.Config{BlockPrivate: cfg.BlockPrivate()})
			p.Log = log.With("module", "probe")
			c = p
		}
		wcfg := worker.Config{
			Region: cfg.Region, ID: workerID(cfg), ClaimIdle: opts.WorkerClaimIdle, DrainTimeout: cfg.ShutdownTimeout,
			Concurrency: cfg.WorkerConcurrency,
		}
		var sp *spool.Spool
		if !cfg.InProcessQueue() {
			// Only Redis can be out of reach; the in-process queue cannot.
			if sp, err = spool.Open(filepath.Join(cfg.DataDir, "spool", cfg.Region), cfg.WorkerSpoolMax); err != nil {
				return fmt.Errorf("worker spool: %w", err)
			}
			wcfg.Spool, wcfg.OfflineFor = sp, cfg.WorkerOfflineChecksFor
			if cfg.WorkerFallbackWebhook != "" {
				// The URL is the operator's, not a workspace user's: the
				// private-address guard that keeps users' notifications off
				// the internal network does not apply, and a relay on the
				// internal network is a fair place for it.
				wcfg.Fallback = notify.FallbackHook{URL: cfg.WorkerFallbackWebhook, Secret: cfg.WorkerFallbackSecret,
					Transport: notify.NewTransport(true, 10*time.Second)}
				wcfg.FallbackPerMinute = cfg.WorkerFallbackPerMinute
			}
		} else if cfg.WorkerFallbackWebhook != "" {
			log.Warn("worker_fallback_webhook is ignored: with the in-process queue the worker never loses its control plane")
		}
		a.Worker = worker.New(a.Queue, a.Queue, c, wcfg, log, a.Metrics)
		a.runners = append(a.runners, runner{name: "worker", run: func(ctx context.Context) error {
			err := a.Worker.Run(ctx)
			if sp != nil {
				_ = sp.Close() // every append was fsync'd
			}
			return err
		}})
	}
	if cfg.HasRole(config.RoleAlerter) {
		a.runners = append(a.runners,
			runner{name: "alerter", run: func(ctx context.Context) error { return a.Ticks.Run(ctx, a.Queue) }},
			runner{name: "silence", run: func(ctx context.Context) error { return a.Ticks.RunSweep(ctx, 10*time.Second, a.Queue) }},
			runner{name: "notifications", run: a.Channels.Run},
			runner{name: "heartbeat pings", run: func(ctx context.Context) error { return a.Checkins.RunIngest(ctx, a.Queue) }},
			runner{name: "heartbeat decider", run: a.Checkins.RunDecider},
			runner{name: "reminders", run: func(ctx context.Context) error { return a.Incidents.RunReminders(ctx, 15*time.Second) }},
			runner{name: "tick partitions", run: func(ctx context.Context) error { return a.Ticks.RunPartitions(ctx, time.Hour) }},
			runner{name: "rollup fold", run: func(ctx context.Context) error { return a.Ticks.RunFold(ctx, time.Minute) }},
			runner{name: "retention", run: func(ctx context.Context) error {
				return a.Ticks.RunRetention(ctx, tick.Retention{Ticks: cfg.RetentionTicks, Rollups: cfg.RetentionRollups}, time.Hour)
			}},
			runner{name: "selfcheck", run: a.Selfcheck.Run},
			runner{name: "audit-retention", run: func(ctx context.Context) error { return a.Audit.RunRetention(ctx, cfg.AuditRetention, time.Hour) }},
		)
	}
	return nil
}

func (a *App) registerAPI(e *echo.Echo) {
	public := e.Group("/api/v1")
	var quota auth.Limiter = auth.NewMemoryLimiter(time.Minute, time.Now)
	if a.Redis != nil {
		quota = auth.NewRedisLimiter(a.Redis, a.Cfg.RedisPrefix+"quota:", time.Minute)
	}
	private := e.Group("/api/v1", a.Auth.Middleware, a.Auth.APIQuota(quota, a.Cfg.MaxAPIRequests), access.Enforce)
	auth.RegisterAPI(public, private, a.Auth)
	workspace.RegisterAPI(private, a.Auth.Workspaces(), a.inviteURL)
	audit.RegisterAPI(private, a.Audit, server.WorkspaceID)
	monitor.RegisterAPI(private, a.Monitors)
	tick.RegisterAPI(private, a.Ticks, a.Monitors)
	incident.RegisterAPI(private, a.Incidents)
	sla.RegisterAPI(private, a.SLA)
	channel.RegisterAPI(private, a.Channels)
	worker.RegisterAPI(private, a.Queue, liveWithin)
	statuspage.RegisterAPI(public, private, a.StatusPages)
	checkin.RegisterAPI(private, a.Checkins, a.Monitors)
	checkin.RegisterPing(e, a.Checkins)
}

// orNone turns the config's 0 (no limit) into checkin's "none" (negative).
func orNone(perMinute int) int {
	if perMinute == 0 {
		return -1
	}
	return perMinute
}

func (a *App) registerDashboard(e *echo.Echo) {
	// Every answer, the router's own 404 and 405 pages included, carries the
	// security headers; pages with other needs (status pages, badges) set
	// their own over these.
	e.Use(web.Headers(web.DashboardCSP))
	a.assets.Register(e)
	a.dashboard = dashboard.New(dashboard.Config{SessionTTL: a.Cfg.JWTTTL, LiveWithin: liveWithin, PublicURL: strings.TrimRight(a.Cfg.PublicURL, "/")},
		dashboard.Deps{Auth: a.Auth, Monitors: a.Monitors, Ticks: a.Ticks, Incidents: a.Incidents, Channels: a.Channels, Regions: a.Queue,
			SLA: a.SLA, StatusPages: a.StatusPages, SSO: a.sso, Audit: a.Audit, Heartbeats: a.Checkins, Pipeline: a.Selfcheck,
			SSOJoin: auth.SSOJoin{Workspace: a.Cfg.SSOWorkspace, Role: access.Role(a.Cfg.SSORole)}},
		a.renderer, a.Log)
	a.dashboard.Register(e)
	statuspage.RegisterWeb(e, a.StatusPages, a.renderer, a.Log)
}

// jwtSecret returns the configured secret or, in embedded mode, the one kept
// in the data directory (generated on first start).
func jwtSecret(cfg config.Config) ([]byte, error) {
	if cfg.JWTSecret != "" {
		return []byte(cfg.JWTSecret), nil
	}
	if !cfg.Embedded() {
		return nil, errors.New("BETTERSTACK_JWT_SECRET (jwt_secret) is required on PostgreSQL")
	}
	path := filepath.Join(cfg.DataDir, "jwt_secret")
	if raw, err := os.ReadFile(path); err == nil {
		s := strings.TrimSpace(string(raw))
		if len(s) < 32 {
			return nil, fmt.Errorf("%s: the stored secret is shorter than 32 characters; delete the file to generate a new one", path)
		}
		return []byte(s), nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	s := hex.EncodeToString(b)
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("BETTERSTACK_DATA_DIR (data_dir) %s: %w", cfg.DataDir, err)
	}
	// O_EXCL: when two processes start at once, the loser reads the winner's.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return jwtSecret(cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.WriteString(s + "\n"); err != nil {
		f.Close()
		return nil, err
	}
	return []byte(s), f.Close()
}

// Listen binds the HTTP address, so Addr is known before Run.
func (a *App) Listen() error { return a.HTTP.Listen() }

// Addr is the bound HTTP address.
func (a *App) Addr() string { return a.HTTP.Addr() }

// Run runs every role until ctx is done or one of them fails, then waits for
// all of them to drain.
func (a *App) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	for _, r := range a.runners {
		g.Go(func() error {
			err := r.run(ctx)
			if err != nil && !errors.Is(err, context.Canceled) {
				return fmt.Errorf("%s: %w", r.name, err)
			}
			return nil
		})
	}
	a.Log.Info("betterstack started", "roles", strings.Join(a.Cfg.ExpandedRoles(), ","), "region", a.Cfg.Region,
		"database", a.dbKind(), "queue", a.queueKind())
	return g.Wait()
}

func (a *App) dbKind() string {
	if a.DB == nil {
		return "none"
	}
	if a.DB.Path != "" {
		return "sqlite:" + a.DB.Path
	}
	return string(a.DB.Dialect)
}

func (a *App) queueKind() string {
	if a.Redis != nil {
		return "redis"
	}
	return "in-process"
}

// Close releases connections; safe on a partly built App.
func (a *App) Close() {
	if a.Redis != nil {
		if err := a.Redis.Close(); err != nil {
			a.Log.Warn("close redis", "err", err)
		}
	}
	if a.DB != nil {
		if err := a.DB.Close(); err != nil {
			a.Log.Warn("close database", "err", err)
		}
	}
}

// redisLogger adapts slog to go-redis's logger.
type redisLogger struct{ log *slog.Logger }

// Printf implements go-redis's internal logging interface.
func (l redisLogger) Printf(_ context.Context, format string, v ...any) {
	l.log.Warn(fmt.Sprintf(format, v...))
}

// inviteURL is the link that accepts an invitation in the dashboard, on
// the address the request came to (public_url when set).
func (a *App) inviteURL(c echo.Context, token string) string {
	return workspace.InviteLink(a.Cfg.PublicURL, c, token)
}
