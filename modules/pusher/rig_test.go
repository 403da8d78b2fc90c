package pusher

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/queue"
	"github.com/betterstack/betterstack/modules/testenv"
)

// t0 is where every rig's clock starts.
var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// testClock is the one clock of a rig: the monitor service and every pusher
// read it, and only the test moves it.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// rig is a real PostgreSQL database and a Redis key prefix of this test's
// own, the monitor service, and pushers that run on one injected clock.
type rig struct {
	t        *testing.T
	dbURL    string
	rdb      *redis.Client
	prefix   string
	clock    *testClock
	monitors *monitor.Service
	queue    *queue.Redis
	owner    int64
	pushers  []*Pusher
	steps    int
	tick     time.Duration
}

// newRig returns a rig with n pushers ticking every second.
func newRig(t *testing.T, n int) *rig {
	t.Helper()
	dbURL := testenv.MustPostgres(t)
	_, rdb, prefix := testenv.MustRedis(t)
	ctx := context.Background()
	db, err := database.Open(ctx, database.Config{URL: dbURL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	var owner int64
	if err := db.Raw("INSERT INTO users (email, password_hash) VALUES ('owner@example.com', 'x') RETURNING id").Scan(&owner).Error; err != nil {
		t.Fatal(err)
	}
	owner = testenv.Workspace(t, db, owner)
	clk := &testClock{now: t0}
	log := slog.New(slog.DiscardHandler)
	r := &rig{
		t: t, dbURL: dbURL, rdb: rdb, prefix: prefix, clock: clk, owner: owner, tick: time.Second,
		monitors: monitor.New(db, monitor.Config{Now: clk.Now}, log),
		queue:    queue.NewRedis(rdb, queue.Config{Prefix: prefix}),
	}
	for range n {
		r.pushers = append(r.pushers, New(r.monitors, r.queue, Config{Tick: r.tick, Now: clk.Now}, log, prometheus.NewRegistry()))
	}
	return r
}

// create stores a monitor of url checked every interval from region eu.
func (r *rig) create(url string, interval time.Duration) monitor.Monitor {
	r.t.Helper()
	sec := int(interval / time.Second)
	m, err := r.monitors.Create(context.Background(), r.owner, monitor.Input{
		LegacyHTTP: monitor.LegacyHTTP{URL: &url}, IntervalSeconds: &sec, Regions: &[]string{"eu"},
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return m
}

// update applies in to monitor id as a user would.
func (r *rig) update(id int64, in monitor.Input) {
	r.t.Helper()
	if _, err := r.monitors.Update(context.Background(), r.owner, id, in); err != nil {
		r.t.Fatal(err)
	}
}

// step moves the clock by d, runs one tick of every pusher (the order
// changes from step to step, so each pusher claims some of the monitors)
// and returns the jobs this queued.
func (r *rig) step(d time.Duration) []queue.Job {
	r.t.Helper()
	r.clock.Add(d)
	r.steps++
	n := len(r.pushers)
	for i := range n {
		p := r.pushers[(i+r.steps*3/7)%n]
		if err := p.Tick(context.Background()); err != nil {
			r.t.Fatalf("tick at %v: %v", r.clock.Now(), err)
		}
	}
	return r.drain()
}

// run steps every d until the clock has moved by total and returns the
// jobs queued on the way.
func (r *rig) run(total, d time.Duration) []queue.Job {
	r.t.Helper()
	var jobs []queue.Job
	for end := r.clock.Now().Add(total); r.clock.Now().Before(end); {
		jobs = append(jobs, r.step(d)...)
	}
	return jobs
}

// drain reads every job queued for region eu since the last drain.
func (r *rig) drain() []queue.Job {
	r.t.Helper()
	ds, err := r.queue.ReadJobs(context.Background(), "eu", "test", 100000, 0)
	if err != nil {
		r.t.Fatal(err)
	}
	jobs := make([]queue.Job, len(ds))
	for i, d := range ds {
		jobs[i] = d.Job
	}
	return jobs
}

// outage makes the database refuse every connection (down) or take them
// again.
func (r *rig) outage(down bool) {
	r.t.Helper()
	testenv.AllowConnections(r.t, r.dbURL, !down)
}

// forgetMarkers expires the queue's dedupe markers of the given jobs, as
// Redis does once JobDedupeTTL has passed since they were published.
func (r *rig) forgetMarkers(jobs []queue.Job) {
	r.t.Helper()
	for _, j := range jobs {
		if err := r.rdb.Del(context.Background(), r.prefix+"job:"+j.Region+":"+j.ID).Err(); err != nil {
			r.t.Fatal(err)
		}
	}
}

// of returns the jobs of monitor id.
func of(jobs []queue.Job, id int64) []queue.Job {
	var out []queue.Job
	for _, j := range jobs {
		if j.MonitorID == id {
			out = append(out, j)
		}
	}
	return out
}

// jobURL is the URL an http job checks.
func jobURL(t *testing.T, j queue.Job) string {
	t.Helper()
	var h struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal(j.Request.Check.Config, &h); err != nil {
		t.Fatal(err)
	}
	return h.URL
}
