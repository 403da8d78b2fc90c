package pusher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/probe"
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
	Lookahead  time.Duration // publish slots due this soon; workers wait for the slot (default Tick + 750ms)
	Batch      int           // monitors claimed per transaction (default 1000)
	LiveWithin time.Duration // a region is live if a worker heartbeated this recently (default 30s)
	// ClaimTimeout bounds each claim (default 5s): past it the database is
	// asked to answer a ping, and if it does it is slow, not down, and
	// scheduling stays with it. A tick also starts no new claim after
	// spending ClaimTimeout; what is still due waits for the next tick.
	ClaimTimeout time.Duration
	// AdmitWait is how late a region's oldest untaken job may be before
	// the pusher publishes only part of what is due there (default 2s;
	// admission.go).
	AdmitWait time.Duration
	// IngestWait is how late the oldest result not yet stored may be
	// before the pusher publishes only part of what is due (default 10s;
	// admission.go).
	IngestWait time.Duration
	Now        func() time.Time
}

// Pusher publishes due checks. Run owns it: its methods are not safe for
// concurrent use.
type Pusher struct {
	cfg      Config
	monitors claimer
	queue    publisher
	log      *slog.Logger

	// remembered holds every monitor this pusher claimed recently with its
	// next slot, so it can go on scheduling while the database is down.
	// Only tickFromMemory reads it: while the database answers, its
	// next_run_at is the schedule.
	remembered map[int64]*memo
	// claimedUpTo is the horizon of the last complete claim: every slot
	// due by then went through the database (this pusher or a peer).
	claimedUpTo time.Time
	// memoryUpTo is the horizon of the last tick from memory: every slot
	// of the remembered monitors due by then was published.
	memoryUpTo time.Time
	forgotAt   time.Time // when remember last forgot monitors not handed out
	outage     bool
	queueDown  bool // the queue failed while the database answered
	fromMemory prometheus.Counter
	kept       prometheus.Counter

	published  prometheus.Counter
	missed     prometheus.Counter
	noRegion   prometheus.Counter
	lag        prometheus.Histogram
	slow       prometheus.Counter
	slowLogged time.Time
	// behind counts ticks that ran out of their claim budget with
	// monitors still due.
	behind       prometheus.Counter
	behindLogged time.Time

	// Admission (admission.go): each region's oldest-job lateness, read once
	// per tick, and what was skipped.
	lateness map[string]time.Duration
	// ingestLate is the age of the oldest result not yet stored, read at
	// most once per tick (ingestRead).
	ingestLate time.Duration
	ingestRead bool
	// backAt is when the database or the queue last came back after an
	// outage: results that waited it out are not the ingest's slowness,
	// so its lateness is ignored for IngestWait from then.
	backAt time.Time
	// skippedLast holds the monitors this pusher skipped at their last
	// slot (in some region): they are not skipped at the next one unless
	// nothing at all is admitted.
	skippedLast map[int64]bool
	// over says a region was over its limit on the last tick that read
	// any region's lateness: claims then skip before reading monitors
	// (skipBeforeRead).
	over bool
	// preSkipped counts, per region, the slots one claim skipped before
	// reading their monitors; recorded once the claim commits.
	preSkipped map[string]int64
	skipped    *prometheus.CounterVec
	admitRatio *prometheus.GaugeVec
	skipLogged map[string]time.Time
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
		// A second ahead: a claim round that takes longer than a tick
		// (a busy database, a thousand monitors a claim) still hands
		// workers their jobs before the slot. At 200,000 HTTP monitors a
		// lookahead of 350 ms left the slowest rounds' checks a second late.
		cfg.Lookahead = cfg.Tick + 750*time.Millisecond
	}
	if cfg.LiveWithin <= 0 {
		cfg.LiveWithin = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ClaimTimeout <= 0 {
		cfg.ClaimTimeout = 5 * time.Second
	}
	if cfg.AdmitWait <= 0 {
		cfg.AdmitWait = DefaultAdmitWait
	}
	if cfg.IngestWait <= 0 {
		cfg.IngestWait = DefaultIngestWait
	}
	p := &Pusher{cfg: cfg, monitors: monitors, queue: q, log: log.With("module", "pusher"), remembered: map[int64]*memo{},
		fromMemory: prometheus.NewCounter(prometheus.CounterOpts{Name: "betterstack_pusher_jobs_from_memory_total",
			Help: "Jobs published from the pusher's memory while the database was unreachable."}),
		kept: prometheus.NewCounter(prometheus.CounterOpts{Name: "betterstack_pusher_slots_reconciled_total",
			Help: "Late slots found already published by the other path (memory during a database outage, or the database before it): recorded, not run again; the schedule continued on the monitor's phase."}),
		published: prometheus.NewCounter(prometheus.CounterOpts{Name: "betterstack_pusher_jobs_published_total", Help: "Check jobs published to region streams."}),
		missed:    prometheus.NewCounter(prometheus.CounterOpts{Name: "betterstack_pusher_slots_missed_total", Help: "Slots skipped because they were more than an interval late."}),
		noRegion:  prometheus.NewCounter(prometheus.CounterOpts{Name: "betterstack_pusher_no_region_total", Help: "Due checks not published because no region was live."}),
		slow: prometheus.NewCounter(prometheus.CounterOpts{Name: "betterstack_pusher_claims_slow_total",
			Help: "Ticks whose claims ran past the claim timeout while the database still answered: checks running late, scheduling kept on the database."}),
		behind: prometheus.NewCounter(prometheus.CounterOpts{Name: "betterstack_pusher_ticks_behind_total",
			Help: "Ticks that spent their claim budget with monitors still due (left for the next tick): the pusher is not keeping up."}),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "betterstack_pusher_slots_skipped_total",
			Help: "Due slots not published to a region because its workers were not taking jobs (admission): skipped so the rest run on time."}, []string{"region"}),
		admitRatio: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "betterstack_pusher_admitted_ratio",
			Help: "Share of due slots the pusher publishes to each region (1 while its workers keep up)."}, []string{"region"}),
		lateness: map[string]time.Duration{}, preSkipped: map[string]int64{}, skipLogged: map[string]time.Time{}, skippedLast: map[int64]bool{},
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "betterstack_pusher_publish_lag_seconds", Help: "Time from a slot to its job's publication.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2, 5, 10}}),
	}
	reg.MustRegister(p.published, p.missed, p.noRegion, p.lag, p.fromMemory, p.kept, p.slow, p.behind, p.skipped, p.admitRatio)
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

// memo is a monitor as last claimed, and its next slot.
type memo struct {
	m       monitor.Monitor
	next    time.Time
	claimed time.Time // when the database last handed it out
}

// Tick publishes everything due now, batch by batch, and returns when
// nothing more is due. When the database cannot be reached it publishes
// from memory instead (see tickFromMemory).
func (p *Pusher) Tick(ctx context.Context) error {
	clear(p.lateness)
	p.ingestRead = false
	defer p.noteOverload()
	err := p.tickFromDatabase(ctx)
	if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) && p.databaseAnswers(ctx) {
		// Slow, not down: the claims did not finish in time but the
		// database answers. Its schedule stays the truth (memory would
		// run slots the database may already have handed out, and ignore
		// users' changes); the slots due are claimed late on the next tick.
		p.slow.Inc()
		if now := p.cfg.Now(); now.Sub(p.slowLogged) >= time.Minute {
			p.slowLogged = now
			p.log.Warn("the database is slow: claiming due monitors took longer than the claim timeout; checks are running late (not switching to memory: the database answers)",
				"claim_timeout", p.cfg.ClaimTimeout)
		}
		return err
	}
	if err == nil || ctx.Err() != nil {
		if p.outage && err == nil {
			p.outage, p.backAt = false, p.cfg.Now()
			// The database could hand nothing out meanwhile: count the
			// forget window from now, not from the last claim.
			now := p.cfg.Now().UTC()
			for _, r := range p.remembered {
				r.claimed = now
			}
			p.log.Info("database reachable again: scheduling from it; slots published from memory are not run again")
		}
		if p.queueDown && err == nil {
			p.queueDown, p.backAt = false, p.cfg.Now()
			p.log.Info("queue (Redis) reachable again: publishing checks")
		}
		return err
	}
	var qe *queueError
	if errors.As(err, &qe) {
		// The database answered; the queue did not. Scheduling from memory
		// would publish to the same unreachable queue: say which is down.
		if !p.queueDown {
			p.queueDown = true
			p.log.Error("cannot reach the queue (Redis): no checks are published until it is back; the database is up",
				"err", qe.err)
		}
		return err
	}
	if !p.outage {
		p.outage = true
		p.log.Error("cannot claim due monitors; scheduling from memory until the database is back", "err", err, "monitors", len(p.remembered))
	}
	return p.tickFromMemory(ctx)
}

// pinger is what the claimer may offer to tell a slow database from a
// down one (the monitor service does).
type pinger interface {
	Ping(ctx context.Context) error
}

// databaseAnswers reports whether the database answers a ping within a
// second (false when the claimer cannot be asked).
func (p *Pusher) databaseAnswers(ctx context.Context) bool {
	pg, ok := p.monitors.(pinger)
	if !ok {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	return pg.Ping(ctx) == nil
}

// queueError is a failure to reach the queue (Redis) while claiming from a
// database that answered.
type queueError struct{ err error }

func (e *queueError) Error() string { return "queue: " + e.err.Error() }
func (e *queueError) Unwrap() error { return e.err }

// tickFromMemory publishes the remembered monitors whose next slot is due.
// Slot ids are the same ones the database path would produce, so the
// queue's dedupe drops what another pusher, or this one once the database
// is back, publishes again.
//
// A remembered slot up to the last claim's horizon is stale (a peer claimed
// the monitor after this pusher did): those slots went through the
// database, so memory continues after that horizon instead of running one
// of them late and off phase.
func (p *Pusher) tickFromMemory(ctx context.Context) error {
	now := p.cfg.Now().UTC()
	horizon := now.Add(p.cfg.Lookahead)
	var due []monitor.Monitor
	for _, r := range p.remembered {
		if at, ok := continueAfter(r.m.ID, interval(r.m), r.next, p.claimedUpTo, now); ok {
			r.next = at
			p.kept.Inc()
		}
		if !r.next.After(horizon) {
			m := r.m
			next := r.next
			m.NextRunAt = &next
			due = append(due, m)
		}
	}
	if len(due) == 0 {
		p.memoryUpTo = horizon
		return nil
	}
	live, err := p.liveRegions(ctx)
	if err != nil {
		return err
	}
	next, err := p.publish(ctx, due, live, now)
	if err != nil {
		return err
	}
	for id, t := range next {
		p.remembered[id].next = t
	}
	p.memoryUpTo = horizon
	p.fromMemory.Add(float64(len(due)))
	return nil
}

// remember records claimed monitors and forgets ones the database has not
// handed out for two intervals (deleted or paused meanwhile).
func (p *Pusher) remember(ms []monitor.Monitor, next map[int64]time.Time, now time.Time) {
	for _, m := range ms {
		if t, ok := next[m.ID]; ok {
			if r, ok := p.remembered[m.ID]; ok {
				r.m, r.next, r.claimed = forJobs(m), t, now
			} else {
				p.remembered[m.ID] = &memo{m: forJobs(m), next: t, claimed: now}
			}
		}
	}
	// Forgetting walks every memo: every ten seconds, not on every claim
	// of the second (at 200,000 monitors that walk was a third of what
	// remembering cost).
	if len(p.remembered) > 0 && now.Sub(p.forgotAt) >= 10*time.Second {
		p.forgotAt = now
		for id, r := range p.remembered {
			if now.Sub(r.claimed) > 2*time.Duration(r.m.IntervalSeconds)*time.Second+10*time.Second {
				delete(p.remembered, id)
				delete(p.skippedLast, id)
			}
		}
	}
}

// forJobs is m with only what its jobs and a claim's reuse need. The
// pusher remembers one per monitor it schedules, so every string dropped
// here is an object fewer in its heap for the collector to mark on every
// cycle (200,000 of each at 200,000 monitors).
func forJobs(m monitor.Monitor) monitor.Monitor {
	m.Key, m.Target, m.URL = "", "", ""
	// The slot a memo stands for is its next; a claim sets NextRunAt anew.
	m.ChannelIDs, m.LastCheckedAt, m.StatusSince, m.NextRunAt = nil, nil, nil, nil
	if k, err := probe.LookupKind(m.Check.Kind); err == nil {
		m.Check.Kind = k.Name // the registry's string, not one per monitor
	}
	return m
}

func (p *Pusher) liveRegions(ctx context.Context) ([]string, error) {
	regions, err := p.queue.Regions(ctx, p.cfg.LiveWithin)
	if err != nil {
		return nil, fmt.Errorf("live regions: %w", err)
	}
	var live []string
	for _, r := range regions {
		if r.Live {
			live = append(live, r.Name)
		}
	}
	return live, nil
}

// Each claim is bounded by ClaimTimeout, so an unreachable (rather than
// refusing) database does not hold scheduling for a TCP connect timeout.
// The tick as a whole stops starting claims after ClaimTimeout and leaves
// what is still due to the next tick (counted in ticks_behind): under
// overload a claim begun is finished and committed, never cut off after its
// jobs were published, which would leave its monitors due and their work
// done twice, and less done the more overloaded the pusher is.
func (p *Pusher) tickFromDatabase(ctx context.Context) error {
	var live []string
	liveLoaded := false
	started := time.Now()
	for ctx.Err() == nil {
		if time.Since(started) >= p.cfg.ClaimTimeout {
			p.behind.Inc()
			if now := p.cfg.Now(); now.Sub(p.behindLogged) >= time.Minute {
				p.behindLogged = now
				p.log.Warn("the pusher cannot keep up: due monitors are left for the next tick; checks are running late",
					"claim_budget", p.cfg.ClaimTimeout)
			}
			return nil
		}
		now := p.cfg.Now().UTC()
		horizon := now.Add(p.cfg.Lookahead)
		claimCtx, cancel := context.WithTimeout(ctx, p.cfg.ClaimTimeout)
		loadLive := func() error {
			if !liveLoaded {
				var err error
				if live, err = p.liveRegions(ctx); err != nil {
					return &queueError{err}
				}
				liveLoaded = true
			}
			return nil
		}
		// Slots due before the next tick are published now; the worker holds
		// each job until its slot, so checks start on time, not up to a tick late.
		n, err := p.claim(claimCtx, horizon, func(d monitor.Due) (time.Time, bool) {
			if loadLive() != nil {
				return time.Time{}, false // fn says what failed
			}
			return p.skipBeforeRead(ctx, d, live, now)
		}, func(ms []monitor.Monitor) (map[int64]time.Time, error) {
			if err := loadLive(); err != nil {
				return nil, err
			}
			// The database's next_run_at is the schedule, a user's check
			// now, edit or resume included. Only a late slot that pushers
			// published from memory during an outage is not run again.
			due := make([]monitor.Monitor, 0, len(ms))
			later := map[int64]time.Time{}
			for _, m := range ms {
				if m.NextRunAt != nil {
					if at, ok := continueAfter(m.ID, interval(m), *m.NextRunAt, p.memoryUpTo, now); ok {
						p.kept.Inc()
						if at.After(horizon) {
							later[m.ID] = at
							continue
						}
						m.NextRunAt = &at
					}
				}
				due = append(due, m)
			}
			next, err := p.publish(ctx, due, live, now)
			if err != nil {
				return nil, &queueError{err}
			}
			maps.Copy(next, later)
			p.remember(ms, next, now)
			return next, nil
		})
		cancel()
		if err != nil {
			clear(p.preSkipped)
			return err
		}
		p.recordSkipped(ctx, p.preSkipped)
		clear(p.preSkipped)
		if n < p.cfg.Batch {
			p.claimedUpTo = horizon
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
	skipped := map[string]int64{}
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
		skippedHere := false
		asked := askedFor(m.ID, interval, due)
		for _, region := range regions {
			if !asked && p.skips(ctx, region, m.ID, slot) {
				skipped[region]++
				skippedHere = true
				continue
			}
			jobs = append(jobs, queue.Job{
				ID: JobID(m.ID, slot), MonitorID: m.ID, Region: region, ScheduledAt: slot,
				IntervalSeconds: m.IntervalSeconds, Request: req,
				Name: m.Name, FailureThreshold: m.FailureThreshold, RecoveryThreshold: m.RecoveryThreshold,
			})
		}
		if skippedHere {
			p.skippedLast[m.ID] = true
		} else {
			delete(p.skippedLast, m.ID)
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
	p.recordSkipped(ctx, skipped)
	return next, nil
}

func formatID(monitorID, slotMillis int64) string {
	return strconv.FormatInt(monitorID, 10) + ":" + strconv.FormatInt(slotMillis, 10)
}

// interval is how often m is checked.
func interval(m monitor.Monitor) time.Duration {
	return time.Duration(m.IntervalSeconds) * time.Second
}
