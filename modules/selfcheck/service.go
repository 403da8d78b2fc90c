package selfcheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/betterstack/betterstack/modules/channel"
	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/notify"
	"github.com/betterstack/betterstack/modules/queue"
)

// Queue is what the sampler reads of the queue; queue.Redis and
// queue.Memory provide it.
type Queue interface {
	Regions(ctx context.Context, liveWithin time.Duration) ([]queue.Region, error)
	Backlog(ctx context.Context, region string) (int64, error)
	OldestJob(ctx context.Context, region string) (time.Time, error)
	Skipped(ctx context.Context, region string, within time.Duration) (int64, error)
	ResultBacklog(ctx context.Context) (int64, error)
	OldestResult(ctx context.Context) (time.Time, error)
}

// Outbox is what the sampler reads of the notification outbox.
type Outbox interface {
	Outbox(ctx context.Context) (channel.Outbox, error)
}

// Announcer queues operator notifications; channel.Service is one.
type Announcer interface {
	Announce(ctx context.Context, channelID int64, ev notify.Event) error
	Announced(ctx context.Context, channelID int64) (map[string]bool, error)
}

var (
	_ Queue     = (*queue.Redis)(nil)
	_ Queue     = (*queue.Memory)(nil)
	_ Announcer = (*channel.Service)(nil)
)

// Config tunes the self-check. Zero durations take their defaults.
type Config struct {
	Every      time.Duration // how often Run samples (15s)
	Threshold  time.Duration // a stage lags above this (30s)
	LiveWithin time.Duration // a region is live while a worker beat this recently (20s)
	IngestWait time.Duration // the pushers' pusher_ingest_wait (Sample.IngestWait); 0 = unknown

	DeadmanURL      string        // "" = no dead-man's switch
	DeadmanInterval time.Duration // how often it is called (1m)

	OperatorChannel int64         // channel id; 0 = no operator alerts
	LagAlert        time.Duration // a stage lagging above this alerts (2m)
	RegionSilence   time.Duration // an expected region silent above this alerts (2m)

	HTTP *http.Client     // for the dead-man's switch (default: 10s timeout)
	Now  func() time.Time // injectable clock
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.Every, 15*time.Second)
	def(&c.Threshold, 30*time.Second)
	def(&c.LiveWithin, 20*time.Second)
	def(&c.DeadmanInterval, time.Minute)
	def(&c.LagAlert, 2*time.Minute)
	def(&c.RegionSilence, 2*time.Minute)
	if c.HTTP == nil {
		c.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Service samples the pipeline and runs the dead-man's switch and the
// operator alerts.
type Service struct {
	cfg      Config
	store    *store
	queue    Queue
	outbox   Outbox
	announce Announcer
	leader   *leader
	log      *slog.Logger

	lag, backlog, skipped *prometheus.GaugeVec
	pings                 *prometheus.CounterVec

	started time.Time // when this process began measuring (Sample.Since)

	mu       sync.Mutex
	lagging  map[string]bool      // stage names lagging at the last sample, for the log
	skipping map[string]time.Time // regions skipping at the last sample, and since when
}

// New returns the self-check; announce may be nil without an operator
// channel, reg nil in tests that do not read metrics.
func New(db *database.DB, q Queue, outbox Outbox, announce Announcer, cfg Config, log *slog.Logger, reg prometheus.Registerer) *Service {
	cfg = cfg.withDefaults()
	s := &Service{
		cfg: cfg, store: &store{db: db}, queue: q, outbox: outbox, announce: announce, started: cfg.Now(),
		leader: &leader{db: db}, log: log.With("module", "selfcheck"), lagging: map[string]bool{}, skipping: map[string]time.Time{},
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "betterstack_pipeline_lag_seconds",
			Help: "Age of the oldest item waiting at each pipeline stage (workers per region)."}, []string{"stage", "region"}),
		backlog: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "betterstack_pipeline_backlog",
			Help: "Items waiting at each pipeline stage (workers per region)."}, []string{"stage", "region"}),
		skipped: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "betterstack_pipeline_skipped",
			Help: "Slots of each region the pusher left out in about the last minute because its workers were not taking jobs."}, []string{"region"}),
		pings: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "betterstack_deadman_calls_total",
			Help: "Dead-man's switch rounds by outcome: sent, failed, or held back because the pipeline is stuck."}, []string{"outcome"}),
	}
	if reg != nil {
		reg.MustRegister(s.lag, s.backlog, s.skipped, s.pings)
	}
	return s
}

// Measure samples every stage now.
func (s *Service) Measure(ctx context.Context) (Sample, error) {
	now := s.cfg.Now()
	smp := Sample{At: now, Since: s.started, IngestWait: s.cfg.IngestWait}
	age := func(t time.Time) time.Duration {
		if t.IsZero() || !now.After(t) {
			return 0
		}
		return now.Sub(t)
	}

	d, err := s.store.pusherDue(ctx, now)
	if err != nil {
		return smp, fmt.Errorf("pusher stage: %w", err)
	}
	smp.Stages = append(smp.Stages, Measure{Stage: StagePusher, Backlog: d.Overdue, Lag: age(d.Oldest)})

	mons, err := s.store.scheduledMonitors(ctx)
	if err != nil {
		return smp, fmt.Errorf("monitors: %w", err)
	}
	smp.Monitors, smp.ShortestInterval = mons.Count, mons.Shortest

	regions, err := s.queue.Regions(ctx, s.cfg.LiveWithin)
	if err != nil {
		return smp, fmt.Errorf("regions: %w", err)
	}
	for _, r := range regions {
		n, err := s.queue.Backlog(ctx, r.Name)
		if err != nil {
			return smp, fmt.Errorf("workers stage in %s: %w", r.Name, err)
		}
		oldest, err := s.queue.OldestJob(ctx, r.Name)
		if err != nil {
			return smp, fmt.Errorf("workers stage in %s: %w", r.Name, err)
		}
		skipped, err := s.queue.Skipped(ctx, r.Name, SkippedWithin)
		if err != nil {
			return smp, fmt.Errorf("workers stage in %s: %w", r.Name, err)
		}
		smp.Stages = append(smp.Stages, Measure{Stage: StageWorkers, Region: r.Name, Backlog: n, Lag: age(oldest), Skipped: skipped})
		smp.Regions = append(smp.Regions, Region{Name: r.Name, LastSeen: r.LastSeenAt,
			Expected: mons.Count > 0 && (mons.AnyRegion || mons.Regions[r.Name])})
	}
	// Regions monitors name that no worker has ever reported from (none
	// started there yet, or a misspelt name): their checks there never run.
	for _, name := range slices.Sorted(maps.Keys(mons.Regions)) {
		if !slices.ContainsFunc(regions, func(r queue.Region) bool { return r.Name == name }) {
			smp.Regions = append(smp.Regions, Region{Name: name, Expected: true})
		}
	}

	n, err := s.queue.ResultBacklog(ctx)
	if err != nil {
		return smp, fmt.Errorf("ingest stage: %w", err)
	}
	oldest, err := s.queue.OldestResult(ctx)
	if err != nil {
		return smp, fmt.Errorf("ingest stage: %w", err)
	}
	smp.Stages = append(smp.Stages, Measure{Stage: StageIngest, Backlog: n, Lag: age(oldest)})
	if smp.NewestTick, err = s.store.newestTick(ctx); err != nil {
		return smp, fmt.Errorf("ingest stage: %w", err)
	}

	o, err := s.outbox.Outbox(ctx)
	if err != nil {
		return smp, fmt.Errorf("notifications stage: %w", err)
	}
	smp.Stages = append(smp.Stages, Measure{Stage: StageNotifications, Backlog: o.Pending, Lag: age(o.Oldest)})
	return smp, nil
}

// Status is a sample and its verdict, for the dashboard.
type Status struct {
	Sample
	Verdict
	Threshold time.Duration
}

// Status measures now and judges against the threshold.
func (s *Service) Status(ctx context.Context) (Status, error) {
	smp, err := s.Measure(ctx)
	if err != nil {
		return Status{}, err
	}
	return Status{Sample: smp, Verdict: Judge(smp, s.cfg.Threshold), Threshold: s.cfg.Threshold}, nil
}

// Run samples every Every and, on the leader, calls the dead-man's switch
// every DeadmanInterval and sends operator alerts, until ctx is done.
func (s *Service) Run(ctx context.Context) error {
	defer s.leader.release()
	sample := time.NewTicker(s.cfg.Every)
	defer sample.Stop()
	var deadman <-chan time.Time
	if s.cfg.DeadmanURL != "" {
		t := time.NewTicker(s.cfg.DeadmanInterval)
		defer t.Stop()
		deadman = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-sample.C:
			if smp, err := s.Sample(ctx); err == nil && s.cfg.OperatorChannel != 0 {
				if err := s.Operate(ctx, smp); err != nil && ctx.Err() == nil {
					s.log.Error("operator alerts", "err", err)
				}
			}
		case <-deadman:
			s.Deadman(ctx)
		}
	}
}

// Sample measures, exports the gauges and logs the stages that start or
// stop lagging and the regions that start or stop skipping.
func (s *Service) Sample(ctx context.Context) (Sample, error) {
	smp, err := s.Measure(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("pipeline sample failed", "err", err)
		}
		return smp, err
	}
	s.lag.Reset()
	s.backlog.Reset()
	s.skipped.Reset()
	for _, m := range smp.Stages {
		s.lag.WithLabelValues(string(m.Stage), m.Region).Set(m.Lag.Seconds())
		s.backlog.WithLabelValues(string(m.Stage), m.Region).Set(float64(m.Backlog))
		if m.Stage == StageWorkers {
			s.skipped.WithLabelValues(m.Region).Set(float64(m.Skipped))
		}
	}
	v := Judge(smp, s.cfg.Threshold)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := map[string]bool{}
	for _, m := range v.Lagging {
		now[m.Name()] = true
		if !s.lagging[m.Name()] {
			s.log.Warn("pipeline stage lagging", "stage", m.Name(), "lag_seconds", int(m.Lag.Seconds()), "backlog", m.Backlog,
				"bottleneck", v.Bottleneck.Name(), "threshold", s.cfg.Threshold.String())
		}
	}
	for name := range s.lagging {
		if !now[name] {
			s.log.Info("pipeline stage caught up", "stage", name)
		}
	}
	s.lagging = now
	skipping := map[string]time.Time{}
	for _, m := range v.Skipping {
		since, was := s.skipping[m.Region]
		if !was {
			since = smp.At
			if v.SkipCause == StageIngest {
				s.log.Warn("checks are being skipped: results wait too long to be stored", "region", m.Region,
					"skipped_last_minute", m.Skipped, "ingest_wait", s.cfg.IngestWait.String())
			} else {
				s.log.Warn("checks are being skipped: the region's workers are at capacity", "region", m.Region,
					"skipped_last_minute", m.Skipped, "lag_seconds", int(m.Lag.Seconds()), "backlog", m.Backlog)
			}
		}
		skipping[m.Region] = since
	}
	for region := range s.skipping {
		if _, still := skipping[region]; !still {
			s.log.Info("checks no longer skipped", "region", region)
		}
	}
	s.skipping = skipping
	for i, m := range smp.Stages {
		if since, ok := skipping[m.Region]; ok && m.Stage == StageWorkers {
			smp.Stages[i].SkippingFor = smp.At.Sub(since)
		}
	}
	return smp, nil
}

// Deadman calls the dead-man's switch when this process leads and checks
// flow; it reports whether it called successfully.
func (s *Service) Deadman(ctx context.Context) bool {
	if !s.leader.lead(ctx, s.log) {
		return false
	}
	smp, err := s.Measure(ctx)
	if err != nil {
		s.pings.WithLabelValues("held").Inc()
		s.log.Warn("dead-man's switch held back: the pipeline cannot be measured", "err", err)
		return false
	}
	if ok, why := Flowing(smp, Judge(smp, s.cfg.Threshold), s.cfg.DeadmanInterval); !ok {
		s.pings.WithLabelValues("held").Inc()
		s.log.Warn("dead-man's switch held back", "reason", why)
		return false
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.cfg.DeadmanURL, nil)
	if err != nil {
		s.pings.WithLabelValues("failed").Inc()
		s.log.Error("dead-man's switch", "err", err)
		return false
	}
	req.Header.Set("User-Agent", "BetterStack-Deadman/1")
	resp, err := s.cfg.HTTP.Do(req)
	if err == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			err = fmt.Errorf("answered %d", resp.StatusCode)
		}
	}
	if err != nil {
		s.pings.WithLabelValues("failed").Inc()
		// The error may carry the URL, a credential: name the host only.
		s.log.Warn("dead-man's switch call failed", "host", req.URL.Host, "err", redact(err, s.cfg.DeadmanURL))
		return false
	}
	s.pings.WithLabelValues("sent").Inc()
	return true
}

// redact removes the URL from an error message.
func redact(err error, url string) string {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) && ue.Unwrap() != nil {
		err = ue.Unwrap()
	}
	return strings.ReplaceAll(err.Error(), url, "<deadman_url>")
}

// Operate announces the problems in smp that start and those that cleared,
// when this process leads.
func (s *Service) Operate(ctx context.Context, smp Sample) error {
	if s.cfg.OperatorChannel == 0 || s.announce == nil || !s.leader.lead(ctx, s.log) {
		return nil
	}
	told, err := s.announce.Announced(ctx, s.cfg.OperatorChannel)
	if err != nil {
		return err
	}
	start, clear := Changes(told, Problems(smp, s.cfg.LagAlert, s.cfg.RegionSilence))
	at := smp.At.UTC()
	for _, p := range start {
		ev := notify.Event{Type: notify.EventOperatorAlert, Key: eventKey(p.Subject, "alert", at), OccurredAt: at,
			Monitor: notify.Monitor{Name: p.Subject}, Comment: p.Message}
		if err := s.announce.Announce(ctx, s.cfg.OperatorChannel, ev); err != nil {
			return err
		}
		s.log.Warn("operator alert", "subject", p.Subject, "message", p.Message)
	}
	for _, subject := range clear {
		ev := notify.Event{Type: notify.EventOperatorResolved, Key: eventKey(subject, "resolved", at), OccurredAt: at,
			Monitor: notify.Monitor{Name: subject}, Comment: "Resolved: " + subject + " is back to normal."}
		if err := s.announce.Announce(ctx, s.cfg.OperatorChannel, ev); err != nil {
			return err
		}
		s.log.Info("operator alert resolved", "subject", subject)
	}
	return nil
}

// eventKey is an operator notification's idempotency key.
func eventKey(subject, what string, at time.Time) string {
	return fmt.Sprintf("operator-%s-%s-%d", strings.ReplaceAll(subject, " ", "-"), what, at.UnixMilli())
}

// Lagging lists the names of the stages lagging at the last sample, sorted.
func (s *Service) Lagging() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.lagging))
	for n := range s.lagging {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
