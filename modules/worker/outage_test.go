package worker_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/queue"
	"github.com/betterstack/betterstack/modules/spool"
	"github.com/betterstack/betterstack/modules/testenv"
	"github.com/betterstack/betterstack/modules/worker"
)

// redisQueue is a queue on s with a client that gives up quickly on a dead
// server, as a worker's would.
func redisQueue(t *testing.T, s *testenv.RedisServer, prefix string) *queue.Redis {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), DialTimeout: 300 * time.Millisecond, MaxRetries: 1})
	t.Cleanup(func() { _ = c.Close() })
	return queue.NewRedis(c, queue.Config{Prefix: prefix})
}

// testPusher publishes one job per slot for each monitor: each slot 300 ms
// ahead of time, retried until 500 ms after it, then given up (a pusher
// that cannot reach Redis does not catch up). It records the slots it
// published.
type testPusher struct {
	mu        sync.Mutex
	published map[string]bool // job id
}

func runPusher(ctx context.Context, q *queue.Redis, target string, monitors []int64, base time.Time, interval time.Duration) *testPusher {
	return runPusherOf(ctx, q, monitors, base, interval, func(id int64, slot time.Time) queue.Job {
		return queue.Job{ID: fmt.Sprintf("%d:%d", id, slot.UnixMilli()), MonitorID: id, Region: region, ScheduledAt: slot,
			IntervalSeconds: int(interval / time.Second), Request: probe.HTTPRequest(probe.HTTP{URL: target, Method: "GET"}, 2000, 0)}
	})
}

// runPusherOf is runPusher with the jobs made by jobOf.
func runPusherOf(ctx context.Context, q *queue.Redis, monitors []int64, base time.Time, interval time.Duration, jobOf func(id int64, slot time.Time) queue.Job) *testPusher {
	p := &testPusher{published: map[string]bool{}}
	go func() {
		for k := 0; ; k++ {
			for i, id := range monitors {
				slot := base.Add(time.Duration(k)*interval + time.Duration(i)*interval/time.Duration(len(monitors)))
				if wait := time.Until(slot.Add(-300 * time.Millisecond)); wait > 0 {
					select {
					case <-ctx.Done():
						return
					case <-time.After(wait):
					}
				}
				j := jobOf(id, slot)
				for time.Now().Before(slot.Add(500*time.Millisecond)) && ctx.Err() == nil {
					pctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
					_, err := q.PublishJobs(pctx, []queue.Job{j})
					cancel()
					if err == nil {
						p.mu.Lock()
						p.published[j.ID] = true
						p.mu.Unlock()
						break
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
		}
	}()
	return p
}

// readAll reads and acks every result in Redis, in order.
func readAll(t *testing.T, q *queue.Redis) []queue.Result {
	t.Helper()
	var out []queue.Result
	for {
		ds, err := q.ReadResults(context.Background(), "alerter", 1000, 0)
		if err != nil {
			t.Fatalf("read results: %v", err)
		}
		if len(ds) == 0 {
			return out
		}
		for _, d := range ds {
			out = append(out, d.Result)
			if err := q.AckResults(context.Background(), d.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func mustSpool(t *testing.T, dir string, limit int) *spool.Spool {
	t.Helper()
	sp, err := spool.Open(dir, limit)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sp.Close() })
	return sp
}

func startOnRedis(t *testing.T, q *queue.Redis, id string, sp *spool.Spool, offlineFor time.Duration) (*worker.Worker, *prometheus.Registry, func()) {
	t.Helper()
	return startWithConfig(t, q, worker.Config{Region: region, ID: id, ClaimIdle: 3 * time.Second,
		RetryDelay: -1, Spool: sp, OfflineFor: offlineFor, DownAfter: time.Second})
}

// startWithConfig runs a worker of cfg on q until the test ends or stop.
func startWithConfig(t *testing.T, q *queue.Redis, cfg worker.Config) (*worker.Worker, *prometheus.Registry, func()) {
	t.Helper()
	reg := prometheus.NewRegistry()
	w := worker.New(q, q, probe.New(probe.Config{}), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), reg)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- w.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-errc:
				if err != nil {
					t.Error(err)
				}
			case <-time.After(20 * time.Second):
				t.Error("worker did not stop")
			}
		})
	}
	t.Cleanup(stop)
	return w, reg, stop
}

func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRedisOutageLeavesNoGap runs a worker against a real redis-server,
// kills the server for 7 s (BETTERSTACK_OUTAGE; 3 monitors every
// BETTERSTACK_OUTAGE_INTERVAL, 1 s) and starts it again on the same data:
// every slot of every monitor, before, during and after the outage, must
// have exactly one result in Redis once the spool is replayed.
//
//	BETTERSTACK_TEST_STRICT=1 BETTERSTACK_OUTAGE=10m BETTERSTACK_OUTAGE_INTERVAL=5s \
//	  go test ./modules/worker/ -run TestRedisOutageLeavesNoGap -count=1 -v -timeout 20m
func TestRedisOutageLeavesNoGap(t *testing.T) {
	outage, interval := testenv.Outage(t, 7*time.Second, time.Second)
	srv := testenv.NewRedisServer(t)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
	defer target.Close()
	prefix := "bstest:" + testenv.Suffix() + ":"
	q := redisQueue(t, srv, prefix)
	sp := mustSpool(t, t.TempDir(), 100_000)
	_, reg, stopWorker := startOnRedis(t, q, "w1", sp, max(time.Minute, outage+time.Minute))

	monitors := []int64{1, 2, 3}
	base := time.Now().Truncate(time.Second).Add(time.Second)
	pctx, stopPusher := context.WithCancel(context.Background())
	defer stopPusher()
	pusher := runPusher(pctx, q, target.URL, monitors, base, interval)

	time.Sleep(max(4*time.Second, 2*interval))
	killedAt := time.Now()
	srv.Kill()
	t.Logf("redis killed at +%v for %v; monitors every %v", killedAt.Sub(base).Round(time.Millisecond), outage, interval)
	waitUntil(t, 5*time.Second, "worker goes offline", func() bool { return metric(t, reg, "betterstack_worker_offline") == 1 })
	time.Sleep(outage - time.Since(killedAt))
	srv.Start()
	backAt := time.Now()
	t.Logf("redis back at +%v", backAt.Sub(base).Round(time.Millisecond))
	waitUntil(t, 10*time.Second, "worker back online", func() bool { return metric(t, reg, "betterstack_worker_offline") == 0 })
	time.Sleep(max(4*time.Second, 3*interval))
	stopPusher()
	end := time.Now()
	time.Sleep(1500 * time.Millisecond) // the last jobs finish
	waitUntil(t, 10*time.Second+outage/10, "spool replayed", func() bool { return sp.Len() == 0 })
	stopWorker()

	offline := metric(t, reg, "betterstack_worker_offline_checks_total")
	spooled := metric(t, reg, "betterstack_worker_results_spooled_total")
	replayed := metric(t, reg, "betterstack_worker_results_replayed_total")
	t.Logf("offline checks %v, spooled %v, replayed %v, jobs skipped as done offline %v, stale jobs dropped %v",
		offline, spooled, replayed, metric(t, reg, "betterstack_worker_jobs_skipped_done_offline_total"),
		metric(t, reg, "betterstack_worker_stale_jobs_dropped_total"))
	if want := float64(len(monitors)) * float64(outage) / float64(interval); offline < 0.7*want {
		t.Errorf("offline checks = %v; want about %v (%d monitors x %v / %v)", offline, want, len(monitors), outage, interval)
	}
	if replayed != spooled || spooled < offline {
		t.Errorf("spooled %v, replayed %v, offline checks %v: want every offline result spooled and all replayed", spooled, replayed, offline)
	}

	results := readAll(t, q)
	count := map[string]int{}
	for _, r := range results {
		count[r.JobID]++
		if r.Result.Status != probe.StatusUp {
			t.Errorf("result %s: %s %s", r.JobID, r.Result.Status, r.Result.Error)
		}
	}
	var missing, dup []string
	slots, inOutage, stored := 0, 0, 0
	var lastSlot time.Time
	for k := 0; ; k++ {
		done := false
		for i, id := range monitors {
			slot := base.Add(time.Duration(k)*interval + time.Duration(i)*interval/time.Duration(len(monitors)))
			if slot.After(end.Add(-interval)) {
				done = true
				break
			}
			slots++
			if !slot.Before(killedAt) && slot.Before(backAt) {
				inOutage++
			}
			lastSlot = slot
			jid := fmt.Sprintf("%d:%d", id, slot.UnixMilli())
			switch n := count[jid]; {
			case n == 0:
				missing = append(missing, fmt.Sprintf("%s (+%v, job published: %v)", jid, slot.Sub(base), pusher.published[jid]))
			case n > 1:
				dup = append(dup, fmt.Sprintf("%s x%d", jid, n))
			}
			if count[jid] > 0 {
				stored++
			}
		}
		if done {
			break
		}
	}
	sort.Strings(dup)
	t.Logf("outage %v, interval %v: %d slots expected over %v (%d during the outage), %d with a result, %d missing, %d duplicated; %d results in Redis",
		outage, interval, slots, end.Sub(base).Round(time.Second), inOutage, stored, len(missing), len(dup), len(results))
	if len(missing) > 0 {
		t.Errorf("%d slots have no result: %v", len(missing), missing)
	}
	if len(dup) > 0 {
		t.Errorf("%d slots have more than one result: %v", len(dup), dup)
	}
	// The slots checked must reach past the outage: before, during and
	// after it (a slow machine runs fewer slots; that is not a failure).
	if !lastSlot.After(backAt.Add(interval)) || !base.Before(killedAt) {
		t.Errorf("slots checked from +0 to +%v, Redis back at +%v: the test did not run past the outage",
			lastSlot.Sub(base).Round(time.Millisecond), backAt.Sub(base).Round(time.Millisecond))
	}
}

// TestSpoolIsBoundedAndSurvivesRestart: a worker that lost Redis spools
// more offline results than its spool holds (the oldest are dropped and
// counted), stops; the next worker on the same data directory publishes
// exactly what was left once Redis is back.
func TestSpoolIsBoundedAndSurvivesRestart(t *testing.T) {
	srv := testenv.NewRedisServer(t)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
	defer target.Close()
	q := redisQueue(t, srv, "bstest:"+testenv.Suffix()+":")
	dir := t.TempDir()
	const limit = 6 // segments of one result: the bound is exact
	sp1 := mustSpool(t, dir, limit)
	_, reg1, stop1 := startOnRedis(t, q, "w1", sp1, time.Minute)

	const interval = 2 * time.Second
	base := time.Now().Truncate(time.Second).Add(time.Second)
	pctx, stopPusher := context.WithCancel(context.Background())
	runPusher(pctx, q, target.URL, []int64{1, 2}, base, interval)
	time.Sleep(time.Until(base.Add(2*interval + 100*time.Millisecond)))
	stopPusher()
	time.Sleep(time.Second) // the last checks are published
	before := readAll(t, q)
	if len(before) < 4 {
		t.Fatalf("%d results before the outage; want the worker to have seen both monitors", len(before))
	}
	srv.Kill()
	waitUntil(t, 20*time.Second, "offline results overflow the spool", func() bool {
		return metric(t, reg1, "betterstack_worker_results_spooled_total") >= limit+4
	})
	stop1()
	stoppedAt := time.Now()
	spooled := metric(t, reg1, "betterstack_worker_results_spooled_total")
	dropped := metric(t, reg1, "betterstack_worker_spool_dropped_total", "reason", "full")
	if sp1.Len() != limit || dropped != spooled-limit {
		t.Fatalf("spool holds %d, %v spooled, %v dropped; want %d held and the rest dropped and counted", sp1.Len(), spooled, dropped, limit)
	}
	if err := sp1.Close(); err != nil {
		t.Fatal(err)
	}

	srv.Start()
	sp2 := mustSpool(t, dir, limit)
	if sp2.Len() != limit {
		t.Fatalf("the next worker's spool holds %d; want the %d left by the last", sp2.Len(), limit)
	}
	_, reg2, stop2 := startOnRedis(t, q, "w2", sp2, 0)
	waitUntil(t, 10*time.Second, "spool replayed", func() bool { return sp2.Len() == 0 })
	stop2()
	if got := metric(t, reg2, "betterstack_worker_results_replayed_total"); got != limit {
		t.Errorf("replayed %v; want %d", got, limit)
	}
	ids := map[string]bool{}
	var newest time.Time
	for _, r := range readAll(t, q) {
		if r.WorkerID != "w1" {
			continue
		}
		ids[r.JobID] = true
		if r.ScheduledAt.After(newest) {
			newest = r.ScheduledAt
		}
	}
	if len(ids) != limit {
		t.Errorf("%d distinct results of the first worker published after the restart; want %d", len(ids), limit)
	}
	// The oldest were dropped, so the last slot checked before the stop
	// is among those kept.
	if want := stoppedAt.Add(-interval - 500*time.Millisecond); newest.Before(want) {
		t.Errorf("newest replayed slot %v; want the last one checked offline (after %v)", newest, want)
	}
}
