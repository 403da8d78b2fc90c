package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/queue"
)

// TestTwoRegionsTwoWorkersEach runs the distributed topology: an api+alerter
// process, a pusher, and two workers in each of regions eu and us. Every
// monitor is checked from both regions, each slot once per region (the
// target sees exactly as many requests as there are ticks), and the workers
// of a region share the work.
func TestTwoRegionsTwoWorkersEach(t *testing.T) {
	t.Parallel()
	const monitors = 20
	hits := newPathCounter()
	target := httptest.NewServer(hits)
	t.Cleanup(target.Close)

	cl := newCluster(t)
	// The pusher runs in its own process (the brief's single api,pusher,
	// alerter process cannot stop scheduling while it keeps serving the
	// API and storing results), so it can be stopped before counting.
	api := mustAppWith(t, "api", cl.config(t, "local", "", "api", "alerter"), Options{})
	base, _ := startApp(t, api)
	c := signupClient(t, api, base, "regions@example.com")

	regions := []string{"eu", "us"}
	workers := map[string]*App{}
	for _, region := range regions {
		for i := 1; i <= 2; i++ {
			id := fmt.Sprintf("%s-worker-%d", region, i)
			w := mustAppWith(t, id, cl.config(t, region, id, "worker"), Options{})
			startApp(t, w)
			workers[id] = w
		}
	}
	// Monitors name no regions, so they run in every live region: wait for
	// both before the first slot is scheduled.
	eventually(t, 10*time.Second, "regions eu and us live with two workers each", func() bool {
		rs := c.regions()
		return rs["eu"].Live && rs["eu"].Workers == 2 && rs["us"].Live && rs["us"].Workers == 2
	})

	pusher := mustAppWith(t, "pusher", cl.config(t, "local", "", "pusher"), Options{})
	_, stopPusher := startApp(t, pusher)

	ids := make([]int64, monitors)
	for i := range ids {
		ids[i] = c.createMonitor(fmt.Sprintf(`{"name":"m%d","url":"%s/m/%d","interval_seconds":2}`, i, target.URL, i))
	}

	// About three slots: every monitor has three distinct slots checked in
	// each region.
	eventually(t, 20*time.Second, "three checked slots per monitor in each region", func() bool {
		for _, id := range ids {
			per := map[string]map[time.Time]bool{}
			for _, tk := range c.slotTicks(id) {
				if per[tk.Region] == nil {
					per[tk.Region] = map[time.Time]bool{}
				}
				per[tk.Region][tk.ScheduledAt] = true
			}
			if len(per["eu"]) < 3 || len(per["us"]) < 3 {
				return false
			}
		}
		return true
	})

	// Stop scheduling, then let everything published be checked and stored.
	stopPusher()
	cl.waitQuiet(t, 15*time.Second, regions...)

	totalTicks := 0
	for i, id := range ids {
		ticks := c.slotTicks(id)
		slots := map[string]bool{}
		inRegion := map[string]int{}
		for _, tk := range ticks {
			key := tk.Region + "@" + tk.ScheduledAt.UTC().Format(time.RFC3339Nano)
			if slots[key] {
				t.Errorf("monitor %d: slot %s stored twice", id, key)
			}
			slots[key] = true
			inRegion[tk.Region]++
			if tk.Status != "up" {
				t.Errorf("monitor %d: tick %s is %q, want up", id, key, tk.Status)
			}
			if w, ok := workers[tk.WorkerID]; !ok || w.Cfg.Region != tk.Region {
				t.Errorf("monitor %d: tick %s by worker %q, not a worker of that region", id, key, tk.WorkerID)
			}
		}
		if inRegion["eu"] == 0 || inRegion["us"] == 0 || len(inRegion) != 2 {
			t.Errorf("monitor %d: ticks per region %v, want eu and us only", id, inRegion)
		}
		// Every request the target saw is one stored slot: a slot checked
		// twice in a region would show one tick but two requests.
		if got := hits.count(fmt.Sprintf("/m/%d", i)); got != len(slots) {
			t.Errorf("monitor %d: target saw %d requests for %d distinct (region, slot) ticks", id, got, len(slots))
		}
		totalTicks += len(ticks)
	}

	if d := metricSum(t, api.Metrics, "betterstack_ingest_duplicates_total"); d != 0 {
		t.Errorf("ingest duplicates = %v, want 0", d)
	}
	if s := metricSum(t, api.Metrics, "betterstack_ingest_ticks_stored_total"); int(s) != totalTicks {
		t.Errorf("ticks stored = %v, API shows %d", s, totalTicks)
	}
	checks := 0.0
	for id, w := range workers {
		n := metricSum(t, w.Metrics, "betterstack_worker_checks_total")
		t.Logf("%s ran %v checks", id, n)
		if n == 0 {
			t.Errorf("worker %s ran no checks; the region's workers must share its jobs", id)
		}
		checks += n
	}
	if int(checks) != totalTicks || hits.total() != totalTicks {
		t.Errorf("workers ran %v checks, target saw %d requests, %d ticks stored; want all equal", checks, hits.total(), totalTicks)
	}

	rs := c.regions()
	for _, r := range regions {
		if !rs[r].Live || rs[r].Workers != 2 {
			t.Errorf("region %s = %+v, want live with 2 workers", r, rs[r])
		}
	}
}

// TestWorkerKilledMidJobIsReclaimed stops a worker while its check hangs:
// the job must not be acked, and a peer in the same region must take it
// over and complete the same slot.
func TestWorkerKilledMidJobIsReclaimed(t *testing.T) {
	t.Parallel()
	var requests atomic.Int64
	firstArrived := make(chan struct{})
	release := make(chan struct{})
	firstAnswered := make(chan struct{})
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) == 1 {
			close(firstArrived)
			select {
			case <-release:
			case <-time.After(20 * time.Second):
			}
			defer close(firstAnswered)
		}
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(target.Close)
	var releaseOnce atomic.Bool
	releaseFirst := func() {
		if releaseOnce.CompareAndSwap(false, true) {
			close(release)
		}
	}
	t.Cleanup(releaseFirst) // before target.Close, which waits for handlers

	cl := newCluster(t)
	api := mustAppWith(t, "api", cl.config(t, "local", "", "api", "pusher", "alerter"), Options{})
	base, _ := startApp(t, api)
	c := signupClient(t, api, base, "reclaim@example.com")

	cfgA := cl.config(t, "eu", "worker-a", "worker")
	cfgA.ShutdownTimeout = time.Second // the drain gives up long before the check ends
	a := mustAppWith(t, "worker-a", cfgA, Options{WorkerClaimIdle: 2 * time.Second})
	_, stopA := startApp(t, a)

	// A long interval: the next slot is half a minute away, so a tick can
	// only come from the first job.
	id := c.createMonitor(fmt.Sprintf(`{"name":"hang","url":"%s/hang","interval_seconds":60,"timeout_ms":10000,"regions":["eu"]}`, target.URL))
	select {
	case <-firstArrived:
	case <-time.After(10 * time.Second):
		t.Fatal("worker A never checked the target")
	}
	job := onlyJob(t, cl, "eu")
	if job.MonitorID != id {
		t.Fatalf("pending job is for monitor %d, want %d", job.MonitorID, id)
	}

	stopped := time.Now()
	stopA()
	if d := time.Since(stopped); d > 5*time.Second {
		t.Errorf("worker A took %v to stop with a 1s drain timeout", d)
	}
	// A gave up on the check: the job is still pending, nothing was published.
	if jobs, results := cl.backlogs(t, "eu"); jobs["eu"] != 1 || results != 0 {
		t.Fatalf("after A stopped: job backlog %d, result backlog %d; want 1 and 0 (A must not ack)", jobs["eu"], results)
	}
	if ts := c.slotTicks(id); len(ts) != 0 {
		t.Fatalf("ticks after A stopped: %+v; want none", ts)
	}

	b := mustAppWith(t, "worker-b", cl.config(t, "eu", "worker-b", "worker"), Options{WorkerClaimIdle: 2 * time.Second})
	startApp(t, b)
	eventually(t, 15*time.Second, "worker B to complete A's job", func() bool { return len(c.slotTicks(id)) > 0 })
	ts := c.slotTicks(id)
	if len(ts) != 1 || ts[0].WorkerID != "worker-b" || !ts[0].ScheduledAt.Equal(job.ScheduledAt) || ts[0].Status != "up" {
		t.Fatalf("ticks = %+v; want one up tick by worker-b for A's slot %v", ts, job.ScheduledAt)
	}
	if n := metricSum(t, b.Metrics, "betterstack_worker_jobs_claimed_total"); n < 1 {
		t.Errorf("worker B claimed %v jobs, want >= 1", n)
	}
	if n := requests.Load(); n != 2 {
		t.Errorf("target saw %d requests, want 2 (A's hung one and B's)", n)
	}

	// A's abandoned check ends now; it must not add a result after the fact.
	releaseFirst()
	select {
	case <-firstAnswered:
	case <-time.After(5 * time.Second):
		t.Fatal("the hung request did not finish")
	}
	time.Sleep(500 * time.Millisecond)
	cl.waitQuiet(t, 5*time.Second, "eu")
	if ts := c.slotTicks(id); len(ts) != 1 {
		t.Fatalf("ticks after A's late answer: %+v; want still one", ts)
	}
}

// onlyJob returns the single job waiting in a region's stream (read with
// XRANGE, which does not deliver it).
func onlyJob(t *testing.T, cl cluster, region string) queue.Job {
	t.Helper()
	msgs, err := cl.rdb.XRange(context.Background(), cl.prefix+"{"+region+"}:jobs", "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 {
		t.Fatalf("job stream of %s holds %d entries, want 1", region, len(msgs))
	}
	raw, ok := msgs[0].Values["job"].(string)
	if !ok {
		t.Fatalf("job entry without a job field: %v", msgs[0].Values)
	}
	var j queue.Job
	if err := json.Unmarshal([]byte(raw), &j); err != nil {
		t.Fatal(err)
	}
	return j
}

// TestTwoPushersNoDuplicateSlots runs two pushers on one database and Redis:
// every slot of every monitor is enqueued once.
func TestTwoPushersNoDuplicateSlots(t *testing.T) {
	t.Parallel()
	const monitors = 300
	cl := newCluster(t)
	// No worker takes the jobs, so after two seconds admission control
	// would skip slots (as it should for a region nobody serves); this
	// test is about two pushers and every slot, so it waits a minute.
	cfg1, cfg2 := cl.config(t, "local", "", "api", "pusher"), cl.config(t, "local", "", "pusher")
	cfg1.PusherAdmitWait, cfg2.PusherAdmitWait = time.Minute, time.Minute
	p1 := mustAppWith(t, "pusher-1", cfg1, Options{})
	p2 := mustAppWith(t, "pusher-2", cfg2, Options{})
	base, stop1 := startApp(t, p1)
	_, stop2 := startApp(t, p2)
	c := signupClient(t, p1, base, "pushers@example.com")

	// The target is never contacted: no worker runs.
	ids := map[int64]bool{}
	for i := range monitors {
		ids[c.createMonitor(fmt.Sprintf(`{"name":"p%d","url":"http://127.0.0.1:9/p/%d","interval_seconds":1,"regions":["eu"]}`, i, i))] = true
	}
	time.Sleep(4 * time.Second)
	stop1()
	stop2()

	seen := map[string]bool{}
	slots := map[int64][]time.Time{}
	total := 0
	ctx := context.Background()
	for {
		ds, err := cl.q.ReadJobs(ctx, "eu", "reader", 10000, 200*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 0 {
			break
		}
		for _, d := range ds {
			total++
			if seen[d.Job.ID] {
				t.Errorf("job %s enqueued twice", d.Job.ID)
			}
			seen[d.Job.ID] = true
			if !ids[d.Job.MonitorID] {
				t.Errorf("job %s for unknown monitor %d", d.Job.ID, d.Job.MonitorID)
			}
			slots[d.Job.MonitorID] = append(slots[d.Job.MonitorID], d.Job.ScheduledAt)
		}
	}
	missed := metricSum(t, p1.Metrics, "betterstack_pusher_slots_missed_total") + metricSum(t, p2.Metrics, "betterstack_pusher_slots_missed_total")
	for id := range ids {
		s := slots[id]
		if len(s) < 2 {
			t.Errorf("monitor %d has %d slots in ~4s at a 1s interval, want >= 2", id, len(s))
			continue
		}
		sort.Slice(s, func(i, j int) bool { return s[i].Before(s[j]) })
		for i := 1; i < len(s); i++ {
			gap := s[i].Sub(s[i-1])
			// The first slot is the creation time, the next one the monitor's
			// phase at least half an interval later; then one interval apart.
			// A slot claimed by both pushers would show as a short gap.
			if gap < 500*time.Millisecond || (missed == 0 && gap > 1500*time.Millisecond) {
				t.Errorf("monitor %d: slots %v and %v are %v apart, want about 1s", id, s[i-1], s[i], gap)
			}
		}
	}
	n1 := metricSum(t, p1.Metrics, "betterstack_pusher_jobs_published_total")
	n2 := metricSum(t, p2.Metrics, "betterstack_pusher_jobs_published_total")
	t.Logf("pusher-1 published %v, pusher-2 %v, %d jobs in the stream, %v slots missed", n1, n2, total, missed)
	if n1 == 0 || n2 == 0 {
		t.Logf("one pusher published every job; the split is not asserted")
	}
	if int(n1+n2) != len(seen) || total != len(seen) {
		t.Errorf("published %v+%v = %v, stream held %d entries, %d distinct ids; want all equal", n1, n2, n1+n2, total, len(seen))
	}
}

// TestStaleJobsDroppedAndCounted gives a worker a job older than its
// monitor's interval and a fresh one: only the fresh one is checked.
func TestStaleJobsDroppedAndCounted(t *testing.T) {
	t.Parallel()
	hits := newPathCounter()
	target := httptest.NewServer(hits)
	t.Cleanup(target.Close)

	cl := newCluster(t)
	// No pusher: the only jobs are the ones this test publishes.
	app := mustAppWith(t, "app", cl.config(t, "eu", "worker-1", "api", "alerter", "worker"), Options{})
	base, _ := startApp(t, app)
	c := signupClient(t, app, base, "stale@example.com")
	staleID := c.createMonitor(fmt.Sprintf(`{"name":"stale","url":"%s/stale","interval_seconds":60,"regions":["eu"]}`, target.URL))
	freshID := c.createMonitor(fmt.Sprintf(`{"name":"fresh","url":"%s/fresh","interval_seconds":60,"regions":["eu"]}`, target.URL))

	now := time.Now().UTC().Truncate(time.Millisecond)
	job := func(monitorID int64, path string, at time.Time) queue.Job {
		return queue.Job{ID: fmt.Sprintf("%d:%d", monitorID, at.UnixMilli()), MonitorID: monitorID, Region: "eu",
			ScheduledAt: at, IntervalSeconds: 60,
			Request: probe.HTTPRequest(probe.HTTP{URL: target.URL + path, Method: "GET"}, 2000, 0)}
	}
	// Stale first: by the time the fresh one is stored, the stale one has
	// been read.
	n, err := cl.q.PublishJobs(context.Background(), []queue.Job{
		job(staleID, "/stale", now.Add(-2*time.Minute)),
		job(freshID, "/fresh", now),
	})
	if err != nil || n != 2 {
		t.Fatalf("publish: %d, %v", n, err)
	}

	eventually(t, 10*time.Second, "a tick of the fresh job", func() bool { return len(c.slotTicks(freshID)) > 0 })
	cl.waitQuiet(t, 5*time.Second, "eu")

	if ts := c.slotTicks(freshID); len(ts) != 1 || !ts[0].ScheduledAt.Equal(now) || ts[0].Status != "up" {
		t.Errorf("fresh ticks = %+v; want one up tick at %v", ts, now)
	}
	if ts := c.slotTicks(staleID); len(ts) != 0 {
		t.Errorf("stale ticks = %+v; want none", ts)
	}
	if got := hits.count("/stale"); got != 0 {
		t.Errorf("the stale job's target got %d requests, want 0", got)
	}
	if got := hits.count("/fresh"); got != 1 {
		t.Errorf("the fresh job's target got %d requests, want 1", got)
	}
	if n := metricSum(t, app.Metrics, "betterstack_worker_stale_jobs_dropped_total"); n != 1 {
		t.Errorf("stale jobs dropped = %v, want 1", n)
	}
	if n := metricSum(t, app.Metrics, "betterstack_worker_checks_total"); n != 1 {
		t.Errorf("checks run = %v, want 1", n)
	}
}
