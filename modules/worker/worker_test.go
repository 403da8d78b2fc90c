package worker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/queue"
	"github.com/betterstack/betterstack/modules/worker"
)

const region = "eu"

// checkFunc is a checker made of a function: the probe a test scripts.
type checkFunc func(ctx context.Context, req probe.Request) probe.Result

func (f checkFunc) Check(ctx context.Context, req probe.Request) probe.Result { return f(ctx, req) }

// up is the result of a healthy check.
func up() probe.Result {
	return probe.Result{Status: probe.StatusUp, StatusCode: 200, CheckedAt: time.Now().UTC()}
}

// running is a worker under test.
type running struct {
	t      *testing.T
	w      *worker.Worker
	reg    *prometheus.Registry
	cancel context.CancelFunc
	errc   chan error
	once   sync.Once
	err    error
}

// workerQueue is what a worker needs of the queue: jobs and presence.
type workerQueue interface {
	ReadJobs(ctx context.Context, region, consumer string, count int, block time.Duration) ([]queue.JobDelivery, error)
	ClaimJobs(ctx context.Context, region, consumer string, minIdle time.Duration, count int) ([]queue.JobDelivery, error)
	TouchJobs(ctx context.Context, region, consumer string, ids []string) error
	CompleteJobs(ctx context.Context, region string, cs []queue.Completion) (int, error)
	PublishResults(ctx context.Context, region string, rs []queue.Result) (int, error)
	DropJob(ctx context.Context, region, deliveryID string) error
	Heartbeat(ctx context.Context, region, workerID string) error
	Leave(ctx context.Context, region, workerID string) error
}

// startWorker runs a worker of region on q until the test ends.
func startWorker(t *testing.T, q workerQueue, c checkFunc, cfg worker.Config) *running {
	t.Helper()
	cfg.Region = region
	if cfg.ID == "" {
		cfg.ID = "worker-1"
	}
	reg := prometheus.NewRegistry()
	w := worker.New(q, q, c, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), reg)
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{t: t, w: w, reg: reg, cancel: cancel, errc: make(chan error, 1)}
	go func() { r.errc <- w.Run(ctx) }()
	t.Cleanup(func() {
		if err := r.stop(10 * time.Second); err != nil {
			t.Error(err)
		}
	})
	return r
}

// stop cancels the worker and waits up to within for Run to return.
func (r *running) stop(within time.Duration) error {
	r.t.Helper()
	r.once.Do(func() {
		r.cancel()
		select {
		case r.err = <-r.errc:
		case <-time.After(within):
			r.err = fmt.Errorf("Run did not return within %v of cancel", within)
		}
	})
	return r.err
}

// newQueue returns an in-process queue closed when the test ends.
func newQueue(t *testing.T) *queue.Memory {
	t.Helper()
	q := queue.NewMemory(queue.Config{})
	t.Cleanup(func() { _ = q.Close() })
	return q
}

// job is a fresh job for region checking http://target/<name>.
func job(name string, at time.Time) queue.Job {
	return queue.Job{ID: name + ":" + fmt.Sprint(at.UnixMilli()), MonitorID: 1, Region: region, ScheduledAt: at,
		IntervalSeconds: 60, Request: probe.HTTPRequest(probe.HTTP{URL: "http://target/" + name, Method: "GET"}, 10_000, 0)}
}

func publish(t *testing.T, q *queue.Memory, names ...string) {
	t.Helper()
	now := time.Now().UTC()
	jobs := make([]queue.Job, len(names))
	for i, n := range names {
		jobs[i] = job(n, now)
	}
	if n, err := q.PublishJobs(context.Background(), jobs); err != nil || n != len(jobs) {
		t.Fatalf("publish %v: %d, %v", names, n, err)
	}
}

// collect reads and acks results until it has n or timeout passes.
func collect(t *testing.T, q *queue.Memory, n int, timeout time.Duration) []queue.Result {
	t.Helper()
	var out []queue.Result
	deadline := time.Now().Add(timeout)
	for len(out) < n && time.Now().Before(deadline) {
		ds, err := q.ReadResults(context.Background(), "alerter", n-len(out), 50*time.Millisecond)
		if err != nil {
			t.Fatalf("read results: %v", err)
		}
		for _, d := range ds {
			out = append(out, d.Result)
			if err := q.AckResults(context.Background(), d.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	return out
}

// byName indexes results by the job's target name.
func byName(rs []queue.Result) map[string]queue.Result {
	out := map[string]queue.Result{}
	for _, r := range rs {
		name, _, _ := strings.Cut(r.JobID, ":")
		out[name] = r
	}
	return out
}

func metric(t *testing.T, reg prometheus.Gatherer, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		sum := 0.0
	series:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
						found = true
					}
				}
				if !found {
					continue series
				}
			}
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
		return sum
	}
	t.Fatalf("metric %s not found", name)
	return 0
}

func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out after %v waiting for %s", timeout, what)
}

func backlog(t *testing.T, q *queue.Memory) (jobs, results int64) {
	t.Helper()
	jobs, err := q.Backlog(context.Background(), region)
	if err != nil {
		t.Fatal(err)
	}
	results, err = q.ResultBacklog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return jobs, results
}

// gate is a check that blocks until released, counting how many run at once.
type gate struct {
	release chan struct{}
	now     atomic.Int64
	peak    atomic.Int64
	calls   atomic.Int64
}

func newGate() *gate { return &gate{release: make(chan struct{})} }

func (g *gate) check(context.Context, probe.Request) probe.Result {
	g.calls.Add(1)
	n := g.now.Add(1)
	for {
		p := g.peak.Load()
		if n <= p || g.peak.CompareAndSwap(p, n) {
			break
		}
	}
	defer g.now.Add(-1)
	select {
	case <-g.release:
	case <-time.After(20 * time.Second):
	}
	return up()
}

func TestConcurrencyIsBounded(t *testing.T) {
	t.Parallel()
	q := newQueue(t)
	g := newGate()
	w := startWorker(t, q, g.check, worker.Config{Concurrency: 4})
	names := make([]string, 20)
	for i := range names {
		names[i] = fmt.Sprintf("job%d", i)
	}
	publish(t, q, names...)

	eventually(t, 5*time.Second, "four checks running", func() bool { return g.now.Load() == 4 })
	time.Sleep(300 * time.Millisecond) // room for a fifth to start, if the bound leaks
	if n, p := g.now.Load(), g.peak.Load(); n != 4 || p != 4 {
		t.Fatalf("%d checks running, peak %d; want exactly 4", n, p)
	}
	if n := metric(t, w.reg, "betterstack_worker_checks_in_flight"); n != 4 {
		t.Errorf("checks_in_flight = %v, want 4", n)
	}
	if _, results := backlog(t, q); results != 0 {
		t.Fatalf("%d results published while every check is blocked", results)
	}
	close(g.release)
	rs := collect(t, q, 20, 5*time.Second)
	if got := byName(rs); len(rs) != 20 || len(got) != 20 {
		t.Fatalf("got %d results (%d distinct jobs), want 20", len(rs), len(got))
	}
	if p := g.peak.Load(); p != 4 {
		t.Errorf("peak concurrency %d, want 4", p)
	}
	if n := metric(t, w.reg, "betterstack_worker_checks_total", "status", "up"); n != 20 {
		t.Errorf("checks_total{status=up} = %v, want 20", n)
	}
}

func TestSlowCheckDoesNotStallOthers(t *testing.T) {
	t.Parallel()
	q := newQueue(t)
	slowStarted := make(chan struct{})
	releaseSlow := make(chan struct{})
	startWorker(t, q, func(_ context.Context, req probe.Request) probe.Result {
		if strings.HasSuffix(urlOf(req), "/slow") {
			close(slowStarted)
			<-releaseSlow
		}
		return up()
	}, worker.Config{Concurrency: 4})
	t.Cleanup(func() { close(releaseSlow) }) // before the worker's drain

	publish(t, q, "slow")
	select {
	case <-slowStarted:
	case <-time.After(5 * time.Second):
		t.Fatal("slow check never started")
	}
	fast := make([]string, 10)
	for i := range fast {
		fast[i] = fmt.Sprintf("fast%d", i)
	}
	publish(t, q, fast...)
	got := byName(collect(t, q, 10, 3*time.Second))
	for _, name := range fast {
		if _, ok := got[name]; !ok {
			t.Errorf("no result for %s while the slow check runs", name)
		}
	}
	if _, ok := got["slow"]; ok {
		t.Error("the slow check reported before it was released")
	}
}

func TestPanickingCheckBecomesInternalError(t *testing.T) {
	t.Parallel()
	q := newQueue(t)
	w := startWorker(t, q, func(_ context.Context, req probe.Request) probe.Result {
		if strings.HasSuffix(urlOf(req), "/boom") {
			panic("probe bug")
		}
		return up()
	}, worker.Config{Concurrency: 2})

	publish(t, q, "boom", "before")
	got := byName(collect(t, q, 2, 5*time.Second))
	boom, ok := got["boom"]
	if !ok || boom.Result.Status != probe.StatusDown || boom.Result.ErrorClass != probe.ClassInternal || boom.Result.Error == "" {
		t.Fatalf("panicking check: %+v (found %v); want a down result of class internal", boom, ok)
	}
	if strings.Contains(boom.Result.Error, "probe bug") {
		t.Errorf("the panic value leaks into the result: %q", boom.Result.Error)
	}
	// The worker is still alive and checking.
	publish(t, q, "after")
	got = byName(collect(t, q, 1, 5*time.Second))
	if r, ok := got["after"]; !ok || r.Result.Status != probe.StatusUp {
		t.Fatalf("check after the panic: %+v (found %v); want up", r, ok)
	}
	if n := metric(t, w.reg, "betterstack_worker_checks_total", "status", "down"); n != 1 {
		t.Errorf("checks_total{status=down} = %v, want 1", n)
	}
	if jobs, _ := backlog(t, q); jobs != 0 {
		t.Errorf("job backlog %d, want 0: every job acked", jobs)
	}
}

func TestShutdownFinishesInFlightCheck(t *testing.T) {
	t.Parallel()
	q := newQueue(t)
	started := make(chan struct{})
	release := make(chan struct{})
	w := startWorker(t, q, func(context.Context, probe.Request) probe.Result {
		close(started)
		<-release
		return up()
	}, worker.Config{DrainTimeout: 10 * time.Second})

	publish(t, q, "inflight")
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("check never started")
	}
	stopped := make(chan error, 1)
	go func() { stopped <- w.stop(10 * time.Second) }()
	select {
	case err := <-stopped:
		t.Fatalf("Run returned (%v) while a check was in flight", err)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after the last check finished")
	}
	// Run has returned: the result must already be published and the job
	// acked, not merely on its way.
	jobs, results := backlog(t, q)
	if jobs != 0 || results != 1 {
		t.Fatalf("after shutdown: job backlog %d, result backlog %d; want 0 and 1", jobs, results)
	}
	if got := byName(collect(t, q, 1, time.Second)); got["inflight"].Result.Status != probe.StatusUp {
		t.Fatalf("result = %+v, want the in-flight check's up result", got)
	}
}

func TestShutdownDrainTimeoutLeavesJobPending(t *testing.T) {
	t.Parallel()
	q := newQueue(t)
	started := make(chan struct{})
	release := make(chan struct{})
	finished := make(chan struct{})
	w := startWorker(t, q, func(context.Context, probe.Request) probe.Result {
		close(started)
		<-release
		defer close(finished)
		return up()
	}, worker.Config{DrainTimeout: 300 * time.Millisecond})

	publish(t, q, "hung")
	<-started
	begin := time.Now()
	if err := w.stop(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(begin); d > 2*time.Second {
		t.Errorf("Run took %v to return with a 300ms drain timeout", d)
	}
	if jobs, results := backlog(t, q); jobs != 1 || results != 0 {
		t.Fatalf("after the drain timed out: job backlog %d, result backlog %d; want 1 (left for a peer) and 0", jobs, results)
	}
	// The abandoned check finishing later must not publish behind the
	// peer's back, nor crash the process.
	close(release)
	<-finished
	time.Sleep(100 * time.Millisecond)
	if jobs, results := backlog(t, q); jobs != 1 || results != 0 {
		t.Fatalf("after the abandoned check ended: job backlog %d, result backlog %d; want 1 and 0", jobs, results)
	}
}

func TestHeartbeatAndLeave(t *testing.T) {
	t.Parallel()
	q := newQueue(t)
	w := startWorker(t, q, func(context.Context, probe.Request) probe.Result { return up() }, worker.Config{ID: "w-hb"})
	liveEU := func() queue.Region {
		rs, err := q.Regions(context.Background(), 20*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.Name == region {
				return r
			}
		}
		return queue.Region{}
	}
	eventually(t, 5*time.Second, "region eu live with one worker", func() bool {
		r := liveEU()
		return r.Live && r.Workers == 1
	})
	if err := w.stop(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if r := liveEU(); r.Live || r.Workers != 0 || r.LastSeenAt.IsZero() {
		t.Fatalf("after stop: %+v; want the region known, not live, no workers", r)
	}
}

func TestStaleJobIsDroppedNotRun(t *testing.T) {
	t.Parallel()
	q := newQueue(t)
	var calls atomic.Int64
	w := startWorker(t, q, func(context.Context, probe.Request) probe.Result { calls.Add(1); return up() }, worker.Config{})
	now := time.Now().UTC()
	stale := job("stale", now.Add(-61*time.Second))
	fresh := job("fresh", now.Add(-59*time.Second)) // late, but within its interval
	if _, err := q.PublishJobs(context.Background(), []queue.Job{stale, fresh}); err != nil {
		t.Fatal(err)
	}
	got := byName(collect(t, q, 1, 5*time.Second))
	if _, ok := got["fresh"]; !ok {
		t.Fatalf("no result for the fresh job: %+v", got)
	}
	eventually(t, 2*time.Second, "the stale job dropped", func() bool { j, _ := backlog(t, q); return j == 0 })
	if n := metric(t, w.reg, "betterstack_worker_stale_jobs_dropped_total"); n != 1 {
		t.Errorf("stale jobs dropped = %v, want 1", n)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("%d checks run, want 1 (the fresh job only)", n)
	}
	if _, results := backlog(t, q); results != 0 {
		t.Errorf("%d extra results; the stale job must publish none", results)
	}
}

func TestClaimsJobsOfDeadPeer(t *testing.T) {
	t.Parallel()
	q := newQueue(t)
	publish(t, q, "orphan")
	// A peer reads the job and dies without acking it.
	ds, err := q.ReadJobs(context.Background(), region, "dead-peer", 10, 0)
	if err != nil || len(ds) != 1 {
		t.Fatalf("dead peer read %d jobs, %v", len(ds), err)
	}
	w := startWorker(t, q, func(context.Context, probe.Request) probe.Result { return up() },
		worker.Config{ID: "survivor", ClaimIdle: 300 * time.Millisecond})
	got := byName(collect(t, q, 1, 5*time.Second))
	r, ok := got["orphan"]
	if !ok || r.WorkerID != "survivor" || !r.ScheduledAt.Equal(ds[0].Job.ScheduledAt) {
		t.Fatalf("result %+v (found %v); want the orphaned slot checked by survivor", r, ok)
	}
	if n := metric(t, w.reg, "betterstack_worker_jobs_claimed_total"); n != 1 {
		t.Errorf("jobs claimed = %v, want 1", n)
	}
}

// TestClaimedJobIsNotRunTwiceWhileWorkerIsBusy: a worker whose slots are all
// busy still claims a dead peer's job. Until it can start it, the job must
// stay its own (refreshed like a job in flight): otherwise the worker claims
// it again and again, and a peer claims it as well, so the slot is checked
// twice.
func TestClaimedJobIsNotRunTwiceWhileWorkerIsBusy(t *testing.T) {
	t.Parallel()
	q := newQueue(t)
	var mu sync.Mutex
	calls := map[string]int{}
	check := func(_ context.Context, req probe.Request) probe.Result {
		mu.Lock()
		calls[urlOf(req)]++
		mu.Unlock()
		if strings.HasSuffix(urlOf(req), "/long") {
			time.Sleep(3 * time.Second)
		}
		return up()
	}
	runs := func(name string) int {
		mu.Lock()
		defer mu.Unlock()
		return calls["http://target/"+name]
	}
	busy := startWorker(t, q, check, worker.Config{ID: "busy", Concurrency: 1, ClaimIdle: 300 * time.Millisecond})
	publish(t, q, "long")
	eventually(t, 5*time.Second, "the busy worker to start its long check", func() bool { return runs("long") == 1 })
	// Its only slot is taken: once its current read (1 s) ends it waits for
	// a slot and reads nothing. A peer reads the next job and dies.
	time.Sleep(1200 * time.Millisecond)
	publish(t, q, "orphan")
	ds, err := q.ReadJobs(context.Background(), region, "dead-peer", 10, time.Second)
	if err != nil || len(ds) != 1 {
		t.Fatalf("dead peer read %d jobs, %v", len(ds), err)
	}
	eventually(t, 3*time.Second, "the busy worker to claim the orphan", func() bool {
		return metric(t, busy.reg, "betterstack_worker_jobs_claimed_total") >= 1
	})
	time.Sleep(700 * time.Millisecond) // more than two claim idle times
	if n := metric(t, busy.reg, "betterstack_worker_jobs_claimed_total"); n != 1 {
		t.Errorf("the busy worker claimed the one orphaned job %v times, want once", n)
	}
	// An idle peer arrives while the busy worker still holds the orphan.
	startWorker(t, q, check, worker.Config{ID: "idle", ClaimIdle: 150 * time.Millisecond})

	rs := collect(t, q, 2, 6*time.Second)
	time.Sleep(1500 * time.Millisecond) // let a second run of the orphan, if any, happen
	if len(rs) != 2 {
		t.Fatalf("%d results, want 2 (long and orphan)", len(rs))
	}
	if n := runs("orphan"); n != 1 {
		t.Errorf("the orphaned slot was checked %d times, want once", n)
	}
}

// readCounter records the count of every ReadJobs call.
type readCounter struct {
	*queue.Memory
	mu     sync.Mutex
	counts []int
}

func (r *readCounter) ReadJobs(ctx context.Context, region, consumer string, count int, block time.Duration) ([]queue.JobDelivery, error) {
	r.mu.Lock()
	r.counts = append(r.counts, count)
	r.mu.Unlock()
	return r.Memory.ReadJobs(ctx, region, consumer, count, block)
}

// TestReadsNoMoreJobsThanFreeSlots: a worker takes jobs only for slots it
// has free; the rest stay in the stream for its peers. (A count of 0 means
// "everything" to both queues.)
func TestReadsNoMoreJobsThanFreeSlots(t *testing.T) {
	t.Parallel()
	q := &readCounter{Memory: newQueue(t)}
	started := map[string]chan struct{}{"a": make(chan struct{}), "b": make(chan struct{})}
	release := map[string]chan struct{}{"a": make(chan struct{}), "b": make(chan struct{})}
	check := func(_ context.Context, req probe.Request) probe.Result {
		name := urlOf(req)[strings.LastIndex(urlOf(req), "/")+1:]
		if ch, ok := started[name]; ok {
			close(ch)
			<-release[name]
		}
		return up()
	}
	startWorker(t, q, check, worker.Config{Concurrency: 1, RetryDelay: -1})
	var releaseA, releaseB sync.Once
	releaseAll := func() {
		releaseA.Do(func() { close(release["a"]) })
		releaseB.Do(func() { close(release["b"]) })
	}
	t.Cleanup(releaseAll) // before the worker's drain

	// a takes the only slot.
	publish(t, q.Memory, "a")
	<-started["a"]
	// b is published ahead of its slot: the worker reads it and holds it
	// until its time, then it waits for the slot a holds.
	now := time.Now().UTC()
	b := job("b", now.Add(300*time.Millisecond))
	if _, err := q.PublishJobs(context.Background(), []queue.Job{b}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(600 * time.Millisecond)
	// Ten more jobs queue up while the worker has no free slot.
	more := make([]string, 10)
	for i := range more {
		more[i] = fmt.Sprintf("c%d", i)
	}
	publish(t, q.Memory, more...)
	// a ends and b takes the slot (b's check blocks too): still no free slot.
	releaseA.Do(func() { close(release["a"]) })
	<-started["b"]
	time.Sleep(300 * time.Millisecond)

	// A peer finds the ten jobs unread.
	ds, err := q.Memory.ReadJobs(context.Background(), region, "peer", 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	q.mu.Lock()
	counts := append([]int(nil), q.counts...)
	q.mu.Unlock()
	for _, c := range counts {
		if c < 1 || c > 1 {
			t.Errorf("ReadJobs asked for %d jobs with Concurrency 1 (all calls: %v)", c, counts)
			break
		}
	}
	if len(ds) != len(more) {
		t.Errorf("a peer found %d of the %d queued jobs; the busy worker took the rest without a free slot", len(ds), len(more))
	}
	releaseAll()
}

// urlOf is the URL of an HTTP check's request.
func urlOf(req probe.Request) string {
	var h probe.HTTP
	if err := json.Unmarshal(req.Check.Config, &h); err != nil {
		panic(err)
	}
	return h.URL
}

// TestReadsAheadOfTheSlot: jobs published ahead of their slot are read
// ahead even beyond the checks the worker runs at once (Concurrency 1 here),
// so it does not fall behind the pusher at a few thousand checks a second;
// a peer then finds none of them. Each still starts at its slot.
func TestReadsAheadOfTheSlot(t *testing.T) {
	t.Parallel()
	q := newQueue(t)
	var mu sync.Mutex
	started := map[string]time.Time{}
	startWorker(t, q, func(_ context.Context, req probe.Request) probe.Result {
		mu.Lock()
		started[urlOf(req)] = time.Now()
		mu.Unlock()
		return up()
	}, worker.Config{Concurrency: 1})
	slot := time.Now().UTC().Add(1500 * time.Millisecond)
	jobs := []queue.Job{job("a", slot), job("b", slot), job("c", slot)}
	if n, err := q.PublishJobs(context.Background(), jobs); err != nil || n != 3 {
		t.Fatalf("publish: %d, %v", n, err)
	}
	time.Sleep(500 * time.Millisecond)
	ds, err := q.ReadJobs(context.Background(), region, "peer", 10, 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 0 {
		t.Errorf("a peer read %d of 3 jobs due in a second; the worker should hold them all", len(ds))
	}
	rs := collect(t, q, 3, 5*time.Second)
	if len(rs) != 3 {
		t.Fatalf("%d results, want 3", len(rs))
	}
	mu.Lock()
	defer mu.Unlock()
	for name, at := range started {
		if at.Before(slot) {
			t.Errorf("%s started %v before its slot", name, slot.Sub(at))
		}
	}
}
