package worker

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/betterstack/betterstack/modules/notify"
	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/queue"
)

// jobQueue is what a worker needs of the queue.
type jobQueue interface {
	ReadJobs(ctx context.Context, region, consumer string, count int, block time.Duration) ([]queue.JobDelivery, error)
	ClaimJobs(ctx context.Context, region, consumer string, minIdle time.Duration, count int) ([]queue.JobDelivery, error)
	TouchJobs(ctx context.Context, region, consumer string, ids []string) error
	CompleteJobs(ctx context.Context, region string, cs []queue.Completion) (int, error)
	PublishResults(ctx context.Context, region string, rs []queue.Result) (int, error)
	DropJob(ctx context.Context, region, deliveryID string) error
}

// presence is how a worker announces itself.
type presence interface {
	Heartbeat(ctx context.Context, region, workerID string) error
	Leave(ctx context.Context, region, workerID string) error
}

// checker runs one probe; probe.Prober implements it.
type checker interface {
	Check(ctx context.Context, req probe.Request) probe.Result
}

// maxEarly bounds how long a job published ahead of its slot is held.
const maxEarly = 2 * time.Second

// maxDrops is how many stale jobs a worker drops at once.
const maxDrops = 64

// readAhead is how many jobs a worker holds at most, in all, per check it
// runs at once: jobs read ahead of their slot wait within it. The pusher
// publishes up to a second ahead, so at 256 checks at once a worker keeps
// up with reading about 4,000 checks a second.
const readAhead = 16

// readable is how many jobs the worker may read now, holding held of which
// early still wait for their slot: the checks at once left over by the
// jobs that are due, within readAhead times that in all.
func readable(concurrency, held, early int) int {
	return min(concurrency-(held-early), readAhead*concurrency-held)
}

// Config tunes a worker.
type Config struct {
	Region       string
	ID           string
	Concurrency  int           // checks at once (default 256)
	ClaimIdle    time.Duration // a job unrefreshed this long is a dead worker's (default 6s; refreshed every third of it)
	Heartbeat    time.Duration // default 5s
	DrainTimeout time.Duration // how long shutdown waits for checks in flight (default 15s)
	RetryDelay   time.Duration // a failed check is re-run once after this (default 1s; negative = never)
	Now          func() time.Time

	// Spool keeps results that cannot be published while the control
	// plane is unreachable (nil: they stay unacked in Redis, and nothing
	// is checked offline).
	Spool resultSpool
	// OfflineFor is how long after the control plane was last reached the
	// worker goes on checking the monitors it knows at their slots (0: it
	// does not). Needs Spool.
	OfflineFor time.Duration
	// DownAfter is how long queue calls must fail, with none succeeding,
	// before the control plane counts as unreachable (default 2s).
	DownAfter time.Duration

	// Fallback, when set, is told when a monitor this worker checks is
	// confirmed down, and when it recovers, while its results cannot reach
	// the control plane (nil: never; see "Fallback notices").
	Fallback fallbackSender
	// FallbackPerMinute caps the fallback notices sent in any minute; the
	// notices over it go out as one summary (default 20).
	FallbackPerMinute int
}

// Worker runs its region's checks.
type Worker struct {
	cfg      Config
	q        jobQueue
	presence presence
	probe    checker
	log      *slog.Logger

	mu       sync.Mutex
	inflight map[string]struct{} // delivery ids held: read or claimed, result not yet published
	early    atomic.Int64        // held deliveries still waiting for their slot (read ahead)
	dropping chan struct{}       // stale jobs being dropped (at most maxDrops)
	claimed  chan queue.JobDelivery
	freed    chan struct{} // signalled when held jobs are released

	checks   *prometheus.CounterVec
	stale    prometheus.Counter
	nClaimed prometheus.Counter
	lateness prometheus.Histogram
	running  prometheus.Gauge

	link     link
	monitors map[int64]queue.Job   // each monitor's latest job (under mu), for offline checks
	done     map[slotKey]time.Time // slots checked or spooled without the control plane -> forget after (under mu)

	offline       prometheus.Gauge
	offlineChecks prometheus.Counter
	skippedDone   prometheus.Counter
	spooled       prometheus.Counter
	spoolDropped  *prometheus.CounterVec
	replayed      prometheus.Counter

	watch      map[int64]Watch                 // fallback state per monitor (under mu)
	told       map[int64]notify.FallbackNotice // the down notice of monitors told to the fallback webhook (under mu)
	fbObserved chan notify.FallbackNotice      // observed notices, to the gate
	fbQueued   chan notify.FallbackNotice      // notices let through, to delivery
	fbNotices  *prometheus.CounterVec
}

// New returns a worker; Run starts it.
func New(q jobQueue, p presence, c checker, cfg Config, log *slog.Logger, reg prometheus.Registerer) *Worker {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 256
	}
	if cfg.ClaimIdle <= 0 {
		cfg.ClaimIdle = 6 * time.Second
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 5 * time.Second
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = 15 * time.Second
	}
	if cfg.RetryDelay == 0 {
		cfg.RetryDelay = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ID == "" {
		cfg.ID = DefaultID()
	}
	if cfg.DownAfter <= 0 {
		cfg.DownAfter = 2 * time.Second
	}
	if cfg.FallbackPerMinute <= 0 {
		cfg.FallbackPerMinute = DefaultFallbackPerMinute
	}
	labels := prometheus.Labels{"region": cfg.Region}
	w := &Worker{cfg: cfg, q: q, presence: p, probe: c, inflight: map[string]struct{}{}, claimed: make(chan queue.JobDelivery, 100), freed: make(chan struct{}, 1), dropping: make(chan struct{}, maxDrops),
		log: log.With("module", "worker", "region", cfg.Region, "worker_id", cfg.ID),
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "betterstack_worker_checks_total",
			Help: "Checks run, by status.", ConstLabels: labels}, []string{"status"}),
		stale: prometheus.NewCounter(prometheus.CounterOpts{Name: "betterstack_worker_stale_jobs_dropped_total",
			Help: "Jobs dropped because they were older than their monitor's interval.", ConstLabels: labels}),
		nClaimed: prometheus.NewCounter(prometheus.CounterOpts{Name: "betterstack_worker_jobs_claimed_total",
			Help: "Jobs taken over from a worker that stopped refreshing them.", ConstLabels: labels}),
		lateness: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "betterstack_worker_check_lateness_seconds",
			Help: "Time from a job's scheduled slot to the start of its check.", ConstLabels: labels,
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2, 5, 10, 30}}),
		running: prometheus.NewGauge(prometheus.GaugeOpts{Name: "betterstack_worker_checks_in_flight",
			Help: "Checks running now.", ConstLabels: labels}),
	}
	reg.MustRegister(w.checks, w.stale, w.nClaimed, w.lateness, w.running)
	w.monitors, w.done = map[int64]queue.Job{}, map[slotKey]time.Time{}
	w.offline = prometheus.NewGauge(prometheus.GaugeOpts{Name: "betterstack_worker_offline",
		Help: "1 while the worker cannot reach the control plane (Redis).", ConstLabels: labels})
	w.offlineChecks = prometheus.NewCounter(prometheus.CounterOpts{Name: "betterstack_worker_offline_checks_total",
		Help: "Checks run without a job while the control plane was unreachable.", ConstLabels: labels})
	w.skippedDone = prometheus.NewCounter(prometheus.CounterOpts{Name: "betterstack_worker_jobs_skipped_done_offline_total",
		Help: "Jobs not run because their slot was already checked while the control plane was unreachable.", ConstLabels: labels})
	w.spooled = prometheus.NewCounter(prometheus.CounterOpts{Name: "betterstack_worker_results_spooled_total",
		Help: "Results written to the local spool because they could not be published.", ConstLabels: labels})
	w.spoolDropped = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "betterstack_worker_spool_dropped_total",
		Help: "Results lost from the spool: oldest dropped when full, or a batch that could not be written.", ConstLabels: labels}, []string{"reason"})
	w.replayed = prometheus.NewCounter(prometheus.CounterOpts{Name: "betterstack_worker_results_replayed_total",
		Help: "Spooled results published once the control plane was back.", ConstLabels: labels})
	reg.MustRegister(w.offline, w.offlineChecks, w.skippedDone, w.spooled, w.spoolDropped, w.replayed)
	w.watch, w.told = map[int64]Watch{}, map[int64]notify.FallbackNotice{}
	w.fbObserved, w.fbQueued = make(chan notify.FallbackNotice, fallbackObserved), make(chan notify.FallbackNotice, fallbackQueued)
	w.fbNotices = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "betterstack_worker_fallback_notices_total",
		Help:        "Fallback notices (type down, recovered, summary) by outcome: sent, failed (after retries), held_back (by the cap, summarised), dropped (a queue was full).",
		ConstLabels: labels}, []string{"type", "outcome"})
	reg.MustRegister(w.fbNotices)
	if cfg.Spool != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "betterstack_worker_spool_results",
			Help: "Results waiting in the local spool.", ConstLabels: labels}, func() float64 { return float64(cfg.Spool.Len()) }))
	}
	return w
}

func (w *Worker) held() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.inflight)
}

// release forgets held deliveries and wakes the read loop.
func (w *Worker) release(ids ...string) {
	w.mu.Lock()
	for _, id := range ids {
		delete(w.inflight, id)
	}
	w.mu.Unlock()
	select {
	case w.freed <- struct{}{}:
	default:
	}
}

// ID is the worker's consumer name.
func (w *Worker) ID() string { return w.cfg.ID }

// Run checks jobs until ctx is done, then drains.
func (w *Worker) Run(ctx context.Context) error {
	w.log.Info("worker started", "concurrency", w.cfg.Concurrency)
	// Results are published with their own context so that shutdown still
	// acks the checks that finish while draining.
	// done is never closed: a check still running after the drain timeout
	// may finish later, and its buffered send must not panic. Its job stays
	// pending and a peer re-runs it.
	done := make(chan queue.Completion, w.cfg.Concurrency)
	stopPub := make(chan struct{})
	pubDone := make(chan struct{})
	go func() {
		defer close(pubDone)
		w.publishLoop(done, stopPub)
	}()
	bgCtx, stopBg := context.WithCancel(context.Background())
	var bg sync.WaitGroup
	bg.Add(1)
	go func() {
		defer bg.Done()
		w.maintain(bgCtx, ctx)
	}()
	bg.Add(1)
	go func() {
		defer bg.Done()
		w.replayLoop(bgCtx)
	}()
	if w.cfg.Fallback != nil {
		bg.Add(2)
		go func() {
			defer bg.Done()
			w.fallbackLoop(bgCtx)
		}()
		go func() {
			defer bg.Done()
			w.deliverLoop(bgCtx)
		}()
	}

	slots := make(chan struct{}, w.cfg.Concurrency)
	var checks sync.WaitGroup
	offDone := make(chan struct{})
	go func() {
		defer close(offDone)
		w.offlineLoop(ctx, slots, &checks, done)
	}()
	for ctx.Err() == nil {
		// Jobs claimed from a dead peer are already held: start them first.
		for more := true; more; {
			select {
			case d := <-w.claimed:
				w.start(d, true, slots, &checks, done)
			default:
				more = false
			}
		}
		// Read only as many jobs as this worker can run: every job read or
		// claimed counts until its result is published, so a busy worker
		// leaves jobs to its region's peers. Jobs read ahead of their slot
		// (the pusher publishes slots due before its next tick) count only
		// against the read-ahead allowance (readAhead) until the slot comes: counted
		// against the checks at once, they kept a worker from reading the
		// next slots in time at a few thousand checks a second.
		// (A count of 0 would mean "all".)
		free := readable(w.cfg.Concurrency, w.held(), int(w.early.Load()))
		if free <= 0 {
			select {
			case <-w.freed:
			case d := <-w.claimed:
				w.start(d, true, slots, &checks, done)
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		ds, err := w.q.ReadJobs(ctx, w.cfg.Region, w.cfg.ID, min(free, 200), time.Second)
		if err != nil {
			if ctx.Err() == nil {
				w.link.failed(w.cfg.Now())
				if w.down() {
					w.log.Debug("read jobs", "err", err)
				} else {
					w.log.Error("read jobs", "err", err)
				}
				sleep(ctx, time.Second)
			}
			continue
		}
		w.link.ok(w.cfg.Now())
		w.link.read(ds)
		for _, d := range ds {
			w.start(d, false, slots, &checks, done)
		}
	}

	<-offDone // no offline check starts while draining
	drained := make(chan struct{})
	go func() { checks.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(w.cfg.DrainTimeout):
		w.log.Warn("drain timeout: checks left to peers", "in_flight", len(slots))
	}
	stopBg()
	bg.Wait()
	close(stopPub)
	<-pubDone
	lctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.presence.Leave(lctx, w.cfg.Region, w.cfg.ID); err != nil {
		w.log.Warn("leave region", "err", err)
	}
	w.log.Info("worker stopped")
	return nil
}

// start runs one delivery in its own goroutine, or drops it when stale.
// Claimed deliveries were registered in flight when claimed.
func (w *Worker) start(d queue.JobDelivery, claimed bool, slots chan struct{}, wg *sync.WaitGroup, done chan<- queue.Completion) {
	now := w.cfg.Now()
	w.noteJob(d.Job)
	if w.doneAlready(d.Job) {
		// Checked while the control plane was unreachable: its result is
		// spooled or published already.
		w.skippedDone.Inc()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := w.q.DropJob(ctx, w.cfg.Region, d.ID); err != nil {
			w.log.Warn("drop job checked offline", "job_id", d.Job.ID, "err", err)
		}
		w.release(d.ID)
		return
	}
	stale := Stale(d.Job, now)
	if claimed {
		stale = StaleClaimed(d.Job, now, w.cfg.ClaimIdle)
	}
	if stale {
		w.stale.Inc()
		w.log.Debug("stale job dropped", "job_id", d.Job.ID, "monitor_id", d.Job.MonitorID, "age", now.Sub(d.Job.ScheduledAt))
		// Dropped beside the read loop, not in it: past capacity most jobs
		// read are stale, and one round trip to Redis each, one after the
		// other, made shedding them slower than the pusher published, so
		// every job read was older still and the worker checked next to
		// nothing (300,000 HTTP monitors: 72 of 5,000 checks a second).
		// maxDrops run at once at most (the read loop waits for one to end).
		w.dropping <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-w.dropping }()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := w.q.DropJob(ctx, w.cfg.Region, d.ID); err != nil {
				w.log.Warn("drop stale job", "job_id", d.Job.ID, "err", err)
			}
			w.release(d.ID)
		}()
		return
	}
	if !claimed {
		w.mu.Lock()
		if _, dup := w.inflight[d.ID]; dup {
			w.mu.Unlock()
			return
		}
		w.inflight[d.ID] = struct{}{}
		w.mu.Unlock()
	}
	w.run(d, slots, wg, done)
}

// run checks d's job in its own goroutine and sends the result to done. A
// delivery without ID is an offline check: its result has no job to ack.
func (w *Worker) run(d queue.JobDelivery, slots chan struct{}, wg *sync.WaitGroup, done chan<- queue.Completion) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		// The pusher publishes slightly ahead: wait for the slot without
		// holding a check slot, then start on time.
		if wait := d.Job.ScheduledAt.Sub(w.cfg.Now()); wait > 0 {
			if d.ID != "" {
				w.early.Add(1)
			}
			time.Sleep(min(wait, maxEarly))
			if d.ID != "" {
				w.early.Add(-1)
			}
		}
		slots <- struct{}{}
		w.running.Inc()
		defer func() {
			<-slots
			w.running.Dec()
		}()
		w.lateness.Observe(w.cfg.Now().Sub(d.Job.ScheduledAt).Seconds())
		res := w.check(d.Job)
		w.checks.WithLabelValues(string(res.Status)).Inc()
		if res.Status != probe.StatusDown {
			// Evidence is for incidents; a healthy result carrying 4 KiB of
			// body would multiply what waits in Redis during an outage.
			res.ResponseHeaders, res.BodyExcerpt = nil, ""
		}
		done <- queue.Completion{DeliveryID: d.ID, Result: queue.Result{
			JobID: d.Job.ID, MonitorID: d.Job.MonitorID, Region: w.cfg.Region, WorkerID: w.cfg.ID,
			ScheduledAt: d.Job.ScheduledAt, Result: res,
		}}
	}()
}

// check runs the probe, and re-runs a failed check once after RetryDelay:
// a single lost packet or a one-in-five flaky response then does not count
// as a failure, while a real outage fails both. The re-check must end before
// the monitor's next slot, so its timeout is cut to the time left (at least
// a second, or it is skipped). The re-check's result is reported (Retried
// set), timed from the first attempt's start.
func (w *Worker) check(j queue.Job) probe.Result {
	first := w.checkOnce(j)
	if first.Status != probe.StatusDown || first.ErrorClass == probe.ClassBlocked || w.cfg.RetryDelay < 0 {
		return first
	}
	next := j.ScheduledAt.Add(time.Duration(j.IntervalSeconds) * time.Second)
	left := next.Sub(w.cfg.Now().Add(w.cfg.RetryDelay)) - 250*time.Millisecond
	if left < time.Second {
		return first
	}
	retry := j
	retry.Request.TimeoutMS = int(min(time.Duration(j.Request.TimeoutMS)*time.Millisecond, left) / time.Millisecond)
	time.Sleep(w.cfg.RetryDelay)
	second := w.checkOnce(retry)
	second.Retried = true
	second.CheckedAt = first.CheckedAt
	return second
}

// checkOnce runs the probe; a panic becomes an internal error, never a crash.
func (w *Worker) checkOnce(j queue.Job) (res probe.Result) {
	defer func() {
		if r := recover(); r != nil {
			w.log.Error("check panicked", "job_id", j.ID, "panic", fmt.Sprint(r))
			res = probe.Result{Status: probe.StatusDown, ErrorClass: probe.ClassInternal, Error: "internal error in the check", CheckedAt: w.cfg.Now().UTC()}
		}
	}()
	timeout := time.Duration(j.Request.TimeoutMS)*time.Millisecond + time.Second
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return w.probe.Check(ctx, j.Request)
}

// publishLoop publishes finished checks in small batches until stop closes,
// then publishes what is already finished and returns.
func (w *Worker) publishLoop(done <-chan queue.Completion, stop <-chan struct{}) {
	batch := make([]queue.Completion, 0, 256)
	flush := func() {
		if len(batch) == 0 {
			return
		}
		w.publish(batch)
		batch = batch[:0]
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case c := <-done:
			batch = append(batch, c)
			if len(batch) >= cap(batch) {
				flush()
			}
		case <-tick.C:
			flush()
		case <-stop:
			for {
				select {
				case c := <-done:
					batch = append(batch, c)
				default:
					flush()
					return
				}
			}
		}
	}
}

// publish sends finished checks to the queue: completions ack their jobs,
// offline checks (no delivery) are published alone. What cannot be sent
// while the control plane is unreachable goes to the spool; without a
// spool, jobs stay pending for a retry and offline results are lost.
func (w *Worker) publish(batch []queue.Completion) {
	// Usually every completion is a job's: then the batch is sent as it
	// is. A completion holds a whole result, and copying each into a
	// growing slice was a tenth of the worker's publishing.
	jobs := batch
	var free []queue.Result
	for i := range batch {
		if batch[i].DeliveryID == "" {
			jobs = make([]queue.Completion, 0, len(batch))
			for k := range batch {
				if batch[k].DeliveryID != "" {
					jobs = append(jobs, batch[k])
				} else {
					free = append(free, batch[k].Result)
				}
			}
			break
		}
	}
	var unsent []queue.Completion
	jobsSent := len(jobs) == 0 || w.send(func(ctx context.Context) error {
		_, err := w.q.CompleteJobs(ctx, w.cfg.Region, jobs)
		return err
	})
	if !jobsSent {
		unsent = append(unsent, jobs...)
	}
	freeSent := len(free) == 0 || w.send(func(ctx context.Context) error {
		_, err := w.q.PublishResults(ctx, w.cfg.Region, free)
		return err
	})
	if !freeSent {
		for _, r := range free {
			unsent = append(unsent, queue.Completion{Result: r})
		}
	}
	// A result the control plane did not get is one its alerter cannot
	// act on: while it is unreachable, the fallback webhook may have to.
	down := len(unsent) > 0 && w.down()
	for _, c := range batch {
		sent := jobsSent
		if c.DeliveryID == "" {
			sent = freeSent
		}
		w.observe(c.Result, !sent && down)
	}
	if len(unsent) > 0 {
		if w.cfg.Spool != nil {
			rs := make([]queue.Result, len(unsent))
			for i, c := range unsent {
				rs[i] = c.Result
			}
			w.spoolResults(rs)
		} else {
			// The jobs stay pending; a peer (or this worker) re-runs them.
			w.log.Error("publish results failed; jobs left pending for retry", "count", len(unsent))
		}
	}
	ids := make([]string, 0, len(jobs))
	for _, c := range jobs {
		ids = append(ids, c.DeliveryID)
	}
	w.release(ids...)
}

// send runs a publishing call with retries while the control plane is not
// known to be down, and reports whether it succeeded.
func (w *Worker) send(call func(ctx context.Context) error) bool {
	for attempt := 0; attempt < 6 && !w.down(); attempt++ {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * 200 * time.Millisecond)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := call(ctx)
		cancel()
		if err == nil {
			w.link.ok(w.cfg.Now())
			return true
		}
		w.link.failed(w.cfg.Now())
		w.log.Debug("publish results", "attempt", attempt+1, "err", err)
	}
	return false
}

// maintain heartbeats, refreshes the jobs in flight and claims jobs that a
// dead peer left pending. It runs until bgCtx ends; claiming stops as soon as
// runCtx ends.
func (w *Worker) maintain(bgCtx, runCtx context.Context) {
	beat := func() {
		err := w.presence.Heartbeat(bgCtx, w.cfg.Region, w.cfg.ID)
		switch {
		case err == nil:
			w.link.ok(w.cfg.Now())
		case bgCtx.Err() == nil:
			w.link.failed(w.cfg.Now())
			if !w.down() {
				w.log.Warn("heartbeat", "err", err)
			}
		}
	}
	beat()
	hb := time.NewTicker(w.cfg.Heartbeat)
	defer hb.Stop()
	refresh := time.NewTicker(w.cfg.ClaimIdle / 3)
	defer refresh.Stop()
	for {
		select {
		case <-bgCtx.Done():
			return
		case <-hb.C:
			if runCtx.Err() == nil {
				beat()
			}
		case <-refresh.C:
			if w.down() {
				continue // the read loop and the heartbeat find out when it is back
			}
			w.touch(bgCtx)
			if runCtx.Err() == nil {
				w.claim(runCtx)
			}
		}
	}
}

func (w *Worker) touch(ctx context.Context) {
	w.mu.Lock()
	ids := make([]string, 0, len(w.inflight))
	for id := range w.inflight {
		ids = append(ids, id)
	}
	w.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	if err := w.q.TouchJobs(ctx, w.cfg.Region, w.cfg.ID, ids); err != nil && ctx.Err() == nil {
		w.log.Warn("refresh jobs in flight", "count", len(ids), "err", err)
	}
}

// claim takes over jobs a dead peer left pending and hands them to the main
// loop, which runs them like freshly read ones.
func (w *Worker) claim(ctx context.Context) {
	room := cap(w.claimed) - len(w.claimed)
	if room == 0 {
		return
	}
	ds, err := w.q.ClaimJobs(ctx, w.cfg.Region, w.cfg.ID, w.cfg.ClaimIdle, room)
	if err != nil {
		if ctx.Err() == nil {
			w.log.Warn("claim abandoned jobs", "err", err)
		}
		return
	}
	if len(ds) == 0 {
		return
	}
	// Registered in flight at once, so they are refreshed while they wait
	// for a free slot and this worker does not claim them again.
	w.mu.Lock()
	fresh := ds[:0]
	for _, d := range ds {
		if _, dup := w.inflight[d.ID]; !dup {
			w.inflight[d.ID] = struct{}{}
			fresh = append(fresh, d)
		}
	}
	w.mu.Unlock()
	ds = fresh
	w.nClaimed.Add(float64(len(ds)))
	if len(ds) > 0 {
		w.log.Info("claimed jobs of a stopped worker", "count", len(ds))
	}
	for _, d := range ds {
		select {
		case w.claimed <- d:
		case <-ctx.Done():
			return
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
