package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/betterstack/betterstack/modules/config"
	"github.com/betterstack/betterstack/modules/queue"
	"github.com/betterstack/betterstack/modules/testenv"
)

// cluster is the shared PostgreSQL database and Redis key prefix of the
// processes of one distributed test, plus a queue view for the test to look
// into the streams.
type cluster struct {
	dbURL    string
	redisURL string
	prefix   string
	rdb      *redis.Client
	q        *queue.Redis
}

// newCluster gives the test its own database and Redis prefix.
func newCluster(t *testing.T) cluster {
	t.Helper()
	dbURL := testenv.MustPostgres(t)
	redisURL, rdb, prefix := testenv.MustRedis(t)
	return cluster{dbURL: dbURL, redisURL: redisURL, prefix: prefix, rdb: rdb,
		q: queue.NewRedis(rdb, queue.Config{Prefix: prefix})}
}

// config is the configuration of one process of the cluster.
func (c cluster) config(t *testing.T, region, workerID string, roles ...string) config.Config {
	t.Helper()
	cfg := testDefaults()
	cfg.DataDir = t.TempDir()
	cfg.DatabaseURL = c.dbURL
	cfg.RedisURL = c.redisURL
	cfg.RedisPrefix = c.prefix
	cfg.JWTSecret = testSecret
	on := true
	cfg.AutoMigrate = &on
	cfg.MinInterval = time.Second
	cfg.Roles = roles
	cfg.Region = region
	cfg.WorkerID = workerID
	return cfg
}

// mustAppWith is MustApp with Options and a name in the log lines, so the
// processes of a cluster can be told apart in -v output.
func mustAppWith(t *testing.T, name string, cfg config.Config, opts Options) *App {
	t.Helper()
	cfg.HTTPAddr = "127.0.0.1:0"
	log := testLogger(t).With("app", name)
	opts.PasswordMemoryKiB = 64
	app, err := NewApp(context.Background(), cfg, log, opts)
	if err != nil {
		t.Fatalf("NewApp %s: %v", name, err)
	}
	t.Cleanup(app.Close)
	return app
}

// metricSum gathers reg and sums every series of the metric called name
// (counter and gauge values, histogram sample counts). A metric that is not
// registered, or a vector without any series yet, fails the test, so a
// misspelt name can never make an "== 0" assertion pass.
func metricSum(t *testing.T, reg prometheus.Gatherer, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather metrics: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		sum := 0.0
		for _, m := range mf.GetMetric() {
			switch {
			case m.GetCounter() != nil:
				sum += m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				sum += m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				sum += float64(m.GetHistogram().GetSampleCount())
			}
		}
		return sum
	}
	t.Fatalf("metric %s not found (not registered, or a vector with no series yet)", name)
	return 0
}

// pathCounter is a target that answers 200 "ok" and counts requests per path.
type pathCounter struct {
	mu   sync.Mutex
	hits map[string]int
}

func newPathCounter() *pathCounter { return &pathCounter{hits: map[string]int{}} }

func (p *pathCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.hits[r.URL.Path]++
	p.mu.Unlock()
	fmt.Fprint(w, "ok")
}

func (p *pathCounter) count(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hits[path]
}

func (p *pathCounter) total() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, c := range p.hits {
		n += c
	}
	return n
}

// slotTick is a tick as the API shows it, with the fields these tests need.
type slotTick struct {
	Region      string    `json:"region"`
	WorkerID    string    `json:"worker_id"`
	Status      string    `json:"status"`
	ScheduledAt time.Time `json:"scheduled_at"`
}

// slotTicks returns up to 1000 of a monitor's ticks through the API.
func (c client) slotTicks(id int64) []slotTick {
	c.t.Helper()
	st, body := c.call("GET", fmt.Sprintf("/api/v1/monitors/%d/ticks?limit=1000", id), "")
	if st != http.StatusOK {
		c.t.Fatalf("ticks of monitor %d: %d %s", id, st, body)
	}
	var page struct {
		Data       []slotTick `json:"data"`
		NextCursor *string    `json:"next_cursor"`
	}
	if err := json.Unmarshal([]byte(body), &page); err != nil {
		c.t.Fatalf("decode ticks %q: %v", body, err)
	}
	if page.NextCursor != nil {
		c.t.Fatalf("monitor %d has more than 1000 ticks; the test expects a handful", id)
	}
	return page.Data
}

// createMonitor creates a monitor through the API and returns its id.
func (c client) createMonitor(body string) int64 {
	c.t.Helper()
	st, resp := c.call("POST", "/api/v1/monitors", body)
	if st != http.StatusCreated {
		c.t.Fatalf("create monitor %s: %d %s", body, st, resp)
	}
	var m struct{ ID int64 }
	if err := json.Unmarshal([]byte(resp), &m); err != nil {
		c.t.Fatal(err)
	}
	if m.ID == 0 {
		c.t.Fatalf("create monitor: no id in %s", resp)
	}
	return m.ID
}

// regionView is one region as GET /api/v1/regions shows it.
type regionView struct {
	Name    string `json:"name"`
	Workers int    `json:"workers"`
	Live    bool   `json:"live"`
}

func (c client) regions() map[string]regionView {
	c.t.Helper()
	st, body := c.call("GET", "/api/v1/regions", "")
	if st != http.StatusOK {
		c.t.Fatalf("regions: %d %s", st, body)
	}
	var page struct{ Data []regionView }
	if err := json.Unmarshal([]byte(body), &page); err != nil {
		c.t.Fatalf("decode regions %q: %v", body, err)
	}
	out := map[string]regionView{}
	for _, r := range page.Data {
		out[r.Name] = r
	}
	return out
}

// backlogs returns the job backlog of each region and the result backlog.
func (c cluster) backlogs(t *testing.T, regions ...string) (jobs map[string]int64, results int64) {
	t.Helper()
	ctx := context.Background()
	jobs = map[string]int64{}
	for _, r := range regions {
		n, err := c.q.Backlog(ctx, r)
		if err != nil {
			t.Fatalf("job backlog of %s: %v", r, err)
		}
		jobs[r] = n
	}
	results, err := c.q.ResultBacklog(ctx)
	if err != nil {
		t.Fatalf("result backlog: %v", err)
	}
	return jobs, results
}

// waitQuiet waits until the job streams of regions and the results stream
// are empty: every published job has been checked (or dropped) and every
// result stored and acked.
func (c cluster) waitQuiet(t *testing.T, timeout time.Duration, regions ...string) {
	t.Helper()
	eventually(t, timeout, "job and result streams to drain", func() bool {
		jobs, results := c.backlogs(t, regions...)
		for _, n := range jobs {
			if n != 0 {
				return false
			}
		}
		return results == 0
	})
}

// signupClient signs a user up through app and returns an API client on base.
func signupClient(t *testing.T, app *App, base, email string) client {
	t.Helper()
	return client{t: t, base: base, token: mustSignup(t, app, email)}
}
