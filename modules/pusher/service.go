package pusher

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/queue"
)

// claimer hands out due monitors; monitor.Service implements it.
type claimer interface {
	ClaimDue(ctx context.Context, now time.Time, limit int, fn func([]monitor.Monitor) (map[int64]time.Time, error)) (int, error)
}

// publisher takes jobs; both queue implementations satisfy it.
type publisher interface {
	PublishJobs(ctx context.Context, jobs []queue.Job) (int, error)
	Regions(ctx context.Context, liveWithin time.Duration) ([]queue.Region, error)
}

// noRegionRetry is how soon a monitor with no live region is looked at again.
const noRegionRetry = 2 * time.Second

// Config tunes the pusher.
type Config struct {
	Tick       time.Duration // how often to look for due monitors (default 250ms)
	Lookahead  time.Duration // publish slots due this soon; workers wait for the slot (default Tick + 100ms)
	Batch      int           // monitors claimed per transaction (default 1000)
	LiveWithin time.Duration // a region is live if a worker heartbeated this recently (default 30s)
	Now        func() time.Time
}

// Pusher publishes due checks.
type Pusher struct {
	cfg       Config
	monitors  claimer
	queue     publisher
	log       *slog.Logger
	published prometheus.Counter
	missed    prometheus.Counter
	noRegion  prometheus.Counter
	lag       prometheus.Histogram
}

// New returns a pusher; Run starts it.
func New(monitors claimer, q publisher, cfg Config, log *slog.Logger, reg prometheus.Registerer) *Pusher {
	if cfg.Tick <= 0 {
		cfg.Tick = 250 * time.Millisecond
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 1000
	}
	if cfg.Lookahead <= 0 {
		cfg.Lookahead = cfg.Tick + 100*time.Millisecond
	}
	if cfg.LiveWithin <= 0 {
		cfg.LiveWithin = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	p := &Pusher{cfg: cfg, monitors: monitors, queue: q, log: log.With("module", "pusher"),
		published: prometheus.NewCounter(prometheus.CounterOpts{Name: "betterstack_pusher_jobs_published_total", Help: "Check jobs published to region streams."}),
		missed:    prometheus.NewCounter(prometheus.CounterOpts{Name: "betterstack_pusher_slots_missed_total", Help: "Slots skipped because they were more than an interval late."}),
		noRegion:  prometheus.NewCounter(prometheus.CounterOpts{Name: "betterstack_pusher_no_region_total", Help: "Due checks not published because no region was live."}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "betterstack_pusher_publish_lag_seconds", Help: "Time from a slot to its job's publication.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2, 5, 10}}),
	}
	reg.MustRegister(p.published, p.missed, p.noRegion, p.lag)
	return p
}

// Run publishes due checks until ctx is done.
func (p *Pusher) Run(ctx context.Context) error {
	p.log.Info("pusher started")
	t := time.NewTicker(p.cfg.Tick)
	defer t.Stop()
	for {
		if err := p.Tick(ctx); err != nil && ctx.Err() == nil {
			p.log.Error("schedule tick failed", "err", err)
		}
		select {
		case <-ctx.Done():
			p.log.Info("pusher stopped")
			return nil
		case <-t.C:
		}
	}
}

// Tick publishes everything due now, batch by batch, and returns when
// nothing more is due.
func (p *Pusher) Tick(ctx context.Context) error {
	var live []string
	liveLoaded := false
	for ctx.Err() == nil {
		now := p.cfg.Now().UTC()
		// Slots due before the next tick are published now; the worker holds
		// each job until its slot, so checks start on time, not up to a tick late.
		n, err := p.monitors.ClaimDue(ctx, now.Add(p.cfg.Lookahead), p.cfg.Batch, func(ms []monitor.Monitor) (map[int64]time.Time, error) {
			if !liveLoaded {
				regions, err := p.queue.Regions(ctx, p.cfg.LiveWithin)
				if err != nil {
					return nil, fmt.Errorf("live regions: %w", err)
				}
				for _, r := range regions {
					if r.Live {
						live = append(live, r.Name)
					}
				}
				liveLoaded = true
			}
			return p.publish(ctx, ms, live, now)
		})
		if err != nil {
			return err
		}
		if n < p.cfg.Batch {
			return nil
		}
	}
	return nil
}

// publish builds and publishes the jobs of claimed monitors and returns each
// one's next due time.
func (p *Pusher) publish(ctx context.Context, ms []monitor.Monitor, live []string, now time.Time) (map[int64]time.Time, error) {
	jobs := make([]queue.Job, 0, len(ms))
	next := make(map[int64]time.Time, len(ms))
	for _, m := range ms {
		interval := time.Duration(m.IntervalSeconds) * time.Second
		due := now
		if m.NextRunAt != nil {
			due = *m.NextRunAt
		}
		slot, missed := Slot(due, now, interval)
		if missed {
			p.missed.Inc()
		}
		next[m.ID] = NextSlot(m.ID, interval, slot)
		regions := m.Regions
		if len(regions) == 0 {
			regions = live
		}
		if len(regions) == 0 {
			// No worker has announced itself yet (or all are gone): look
			// again soon rather than an interval later.
			p.noRegion.Inc()
			p.log.Debug("no live region for monitor", "monitor_id", m.ID)
			next[m.ID] = now.Add(min(interval, noRegionRetry))
			continue
		}
		req := m.ProbeRequest()
		for _, region := range regions {
			jobs = append(jobs, queue.Job{
				ID: JobID(m.ID, slot), MonitorID: m.ID, Region: region, ScheduledAt: slot,
				IntervalSeconds: m.IntervalSeconds, Request: req,
			})
		}
		p.lag.Observe(max(now.Sub(slot), 0).Seconds())
	}
	if len(jobs) > 0 {
		n, err := p.queue.PublishJobs(ctx, jobs)
		if err != nil {
			return nil, fmt.Errorf("publish %d jobs: %w", len(jobs), err)
		}
		p.published.Add(float64(n))
	}
	return next, nil
}

func formatID(monitorID, slotMillis int64) string {
	return strconv.FormatInt(monitorID, 10) + ":" + strconv.FormatInt(slotMillis, 10)
}
