package selfcheck

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/betterstack/betterstack/modules/channel"
	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/notify"
	"github.com/betterstack/betterstack/modules/queue"
	"github.com/betterstack/betterstack/modules/testenv"
)

// rig is a real PostgreSQL and Redis with one workspace, one scheduled
// monitor that is not due, the channel service and a clock the test moves
// (the self-check's and the queue's; Redis stamps stream entries with its
// own clock, so the rig's clock starts at the real time).
type rig struct {
	db       *database.DB
	q        *queue.Redis
	channels *channel.Service
	clock    atomic.Pointer[time.Time]
	log      *slog.Logger
}

func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{db: testenv.MustDatabase(t, "postgres"), log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if testing.Verbose() {
		r.log = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	}
	_, client, prefix := testenv.MustRedis(t)
	// Millisecond precision, as heartbeats keep, so boundaries are exact.
	now := time.Now().UTC().Truncate(time.Millisecond)
	r.clock.Store(&now)
	r.q = queue.NewRedis(client, queue.Config{Prefix: prefix, Now: r.now})
	if err := r.db.Exec("INSERT INTO users (id, email, password_hash, created_at, updated_at) VALUES (1, 'ops@example.com', 'x', ?, ?)", now, now).Error; err != nil {
		t.Fatal(err)
	}
	testenv.Workspace(t, r.db, 1)
	if err := r.db.Exec(`INSERT INTO monitors (id, workspace_id, key, name, kind, check_spec, target, interval_seconds, timeout_ms, created_at, updated_at)
		VALUES (1, 1, 'shop', 'shop', 'http', '{}', 'https://shop.example', 30, 1000, ?, ?)`, now, now).Error; err != nil {
		t.Fatal(err)
	}
	if err := r.db.Exec("INSERT INTO monitor_schedule (monitor_id, next_run_at) VALUES (1, ?)", now.Add(time.Hour)).Error; err != nil {
		t.Fatal(err)
	}
	r.channels = channel.New(r.db, channel.Config{AllowPrivate: true, Now: r.now, BaseBackoff: 50 * time.Millisecond}, r.log, nil)
	return r
}

func (r *rig) now() time.Time { return *r.clock.Load() }

func (r *rig) advance(d time.Duration) {
	t := r.now().Add(d)
	r.clock.Store(&t)
}

// tick stores a result checked at the rig's now, with the monitor's last
// check.
func (r *rig) tick(t *testing.T) {
	t.Helper()
	at := r.now()
	if err := r.db.Exec(`INSERT INTO ticks (monitor_id, region, worker_id, scheduled_at, checked_at, status) VALUES (1, 'eu', 'w1', ?, ?, 'up')`,
		at.Add(-time.Second), at).Error; err != nil {
		t.Fatal(err)
	}
	// As ingest does in the same transaction.
	if err := r.db.Exec(`INSERT INTO monitor_state (monitor_id, status, status_since, last_checked_at, updated_at) VALUES (1, 'up', ?, ?, ?)
		ON CONFLICT (monitor_id) DO UPDATE SET last_checked_at = excluded.last_checked_at`, at, at, at).Error; err != nil {
		t.Fatal(err)
	}
}

func (r *rig) service(cfg Config) *Service {
	cfg.Now = r.now
	return New(r.db, r.q, r.channels, r.channels, cfg, r.log, nil)
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestDeadmanPingsOnlyWhileResultsFlow: the switch is called while results
// are stored, and stops when storing stops or results wait in the queue.
func TestDeadmanPingsOnlyWhileResultsFlow(t *testing.T) {
	r := newRig(t)
	var calls, status atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodGet && req.URL.Path == "/ping/tok" {
			calls.Add(1)
		}
		if code := status.Load(); code != 0 {
			w.WriteHeader(int(code))
		}
	}))
	t.Cleanup(srv.Close)
	s := r.service(Config{DeadmanURL: srv.URL + "/ping/tok", DeadmanInterval: time.Minute})
	ctx := context.Background()
	// The window the switch allows comes from the monitors (one, every 30 s).
	if smp, err := s.Measure(ctx); err != nil || smp.Monitors != 1 || smp.ShortestInterval != 30*time.Second {
		t.Fatalf("measured %d monitors, shortest interval %v (%v); want 1 and 30s", smp.Monitors, smp.ShortestInterval, err)
	}

	if s.Deadman(ctx) || calls.Load() != 0 {
		t.Fatalf("called with a scheduled monitor and no result stored (%d calls)", calls.Load())
	}
	r.tick(t)
	if !s.Deadman(ctx) || calls.Load() != 1 {
		t.Fatalf("not called while results are stored (%d calls)", calls.Load())
	}
	// Two intervals later the newest result is exactly 2m old: still fine.
	r.advance(2 * time.Minute)
	if !s.Deadman(ctx) || calls.Load() != 2 {
		t.Fatalf("not called at the edge of the window (%d calls)", calls.Load())
	}
	// Ingest stops: nothing new is stored.
	r.advance(time.Second)
	if s.Deadman(ctx) || calls.Load() != 2 {
		t.Fatalf("called although nothing was stored for 2m1s (%d calls)", calls.Load())
	}
	r.tick(t)
	if !s.Deadman(ctx) || calls.Load() != 3 {
		t.Fatalf("not called once results flow again (%d calls)", calls.Load())
	}
	// What the switch answers counts: below 300 the call is made, from
	// 300 it failed.
	for _, tc := range []struct {
		code int32
		ok   bool
	}{{300, false}, {299, true}, {500, false}} {
		status.Store(tc.code)
		if got := s.Deadman(ctx); got != tc.ok {
			t.Errorf("the switch answered %d: call made %v, want %v", tc.code, got, tc.ok)
		}
	}
	status.Store(0)
	made := calls.Load()

	// A result waits in the queue (no alerter reads it) for longer than
	// the threshold: ingest lags, the switch stops though a tick is fresh.
	if _, err := r.q.PublishJobs(ctx, []queue.Job{{ID: "1:1", MonitorID: 1, Region: "eu", ScheduledAt: r.now()}}); err != nil {
		t.Fatal(err)
	}
	jobs, err := r.q.ReadJobs(ctx, "eu", "w1", 10, 0)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("read job: %v %v", jobs, err)
	}
	if _, err := r.q.CompleteJobs(ctx, "eu", []queue.Completion{{DeliveryID: jobs[0].ID, Result: queue.Result{JobID: "1:1", MonitorID: 1, Region: "eu"}}}); err != nil {
		t.Fatal(err)
	}
	r.advance(31 * time.Second)
	r.tick(t)
	st, err := s.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Bottleneck == nil || st.Bottleneck.Stage != StageIngest || st.Bottleneck.Backlog != 1 {
		t.Fatalf("bottleneck = %+v, want ingest with 1 waiting", st.Bottleneck)
	}
	if s.Deadman(ctx) || calls.Load() != made {
		t.Fatalf("called while ingest lags (%d calls, %d before)", calls.Load(), made)
	}
}

// receiver is an operator channel's webhook endpoint.
type receiver struct {
	mu     sync.Mutex
	events []string // event: comment
	bad    int
}

func (rc *receiver) handler(secret string) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if err := notify.VerifySignature(secret, req.Header.Get("BetterStack-Signature"), body, time.Now(), 5*time.Minute); err != nil {
			rc.bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var p struct{ Event, Comment string }
		if err := json.Unmarshal(body, &p); err != nil {
			rc.bad++
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		rc.events = append(rc.events, p.Event+": "+p.Comment)
	}
}

func (rc *receiver) got() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.events...)
}

// TestOperatorAlertRegionSilent: a region with monitors whose workers stop
// reporting is announced once through the operator channel (signed, via
// the outbox), not again on the next samples, and cleared once when a
// worker is back.
func TestOperatorAlertRegionSilent(t *testing.T) {
	r := newRig(t)
	const secret = "operator-secret-0123456789"
	rc := &receiver{}
	srv := httptest.NewServer(rc.handler(secret))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	name, typ := "ops", "webhook"
	cfgJSON := json.RawMessage(`{"url":"` + srv.URL + `","secret":"` + secret + `"}`)
	ch, err := r.channels.Create(ctx, 1, channel.Input{Name: &name, Type: &typ, Config: &cfgJSON})
	if err != nil {
		t.Fatal(err)
	}
	if found, err := r.channels.Find(ctx, "ws-1", ch.Key); err != nil || found.ID != ch.ID {
		t.Fatalf("Find = %+v %v, want channel %d", found, err, ch.ID)
	}
	done := make(chan error, 1)
	go func() { done <- r.channels.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	s := r.service(Config{OperatorChannel: ch.ID, RegionSilence: 2 * time.Minute, LagAlert: 2 * time.Minute})
	sample := func() {
		t.Helper()
		smp, err := s.Sample(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Operate(ctx, smp); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.q.Heartbeat(ctx, "eu", "w1"); err != nil {
		t.Fatal(err)
	}
	r.advance(2 * time.Minute) // silent exactly as long as allowed
	sample()
	r.advance(time.Second)
	sample() // now longer: alert
	r.advance(15 * time.Second)
	sample() // still silent: no repeat
	waitFor(t, "the alert", func() bool { return len(rc.got()) >= 1 })

	if err := r.q.Heartbeat(ctx, "eu", "w1"); err != nil {
		t.Fatal(err)
	}
	sample() // back: cleared
	sample() // no second clear
	waitFor(t, "the clearing", func() bool { return len(rc.got()) >= 2 })
	time.Sleep(300 * time.Millisecond) // a repeat would have arrived by now
	want := []string{
		"operator.alert: Region eu is silent: no worker has reported for 2m1s, so its checks are not running.",
		"operator.resolved: Resolved: region eu is back to normal.",
	}
	if got := rc.got(); strings.Join(got, "\n") != strings.Join(want, "\n") || rc.bad != 0 {
		t.Fatalf("received (bad %d):\n%s\nwant:\n%s", rc.bad, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// The leader keeps its lock, on the same connection, round after round:
	// letting go of it, even for a moment, would let another alerter in.
	conn := func() *sql.Conn { s.leader.mu.Lock(); defer s.leader.mu.Unlock(); return s.leader.conn }
	held := conn()
	if !s.leader.lead(ctx, r.log) || conn() != held {
		t.Fatal("the leader let go of its lock while its connection was healthy")
	}
	// A second alerter does not lead while the first holds the lock.
	other := r.service(Config{OperatorChannel: ch.ID})
	if other.leader.lead(ctx, r.log) {
		t.Fatal("a second alerter leads too")
	}
	s.leader.release()
	// Released for every session, not only for the connection it held,
	// which goes back to the pool and could hand the lock on.
	var holders int
	if err := r.db.Raw(`SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = 0 AND objid = ? AND objsubid = 1
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`, leaderLock).Scan(&holders).Error; err != nil || holders != 0 {
		t.Fatalf("after release the lock is held by %d sessions (%v)", holders, err)
	}
	if !other.leader.lead(ctx, r.log) {
		t.Fatal("the second alerter does not take over")
	}
	other.leader.release()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// syncBuffer is a log destination the test reads while the service writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// take returns what was written since the last take.
func (b *syncBuffer) take() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	b.buf.Reset()
	return s
}

// TestSkippedSlots: slots a pusher records as skipped show on the region's
// workers measure for about a minute, in the gauge, once in the log when
// the region starts skipping and once when it stops, and on the operator's
// problems; the dead-man's switch keeps being called meanwhile.
func TestSkippedSlots(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { calls.Add(1) }))
	t.Cleanup(srv.Close)
	type skipQueue interface {
		Queue
		Heartbeat(ctx context.Context, region, workerID string) error
		RecordSkipped(ctx context.Context, region string, n int64) error
	}
	queues := []struct {
		name string
		q    func(r *rig) skipQueue
	}{
		{"memory", func(r *rig) skipQueue { return queue.NewMemory(queue.Config{Now: r.now}) }},
		{"redis", func(r *rig) skipQueue { return r.q }},
	}
	for _, qq := range queues {
		t.Run(qq.name, func(t *testing.T) {
			ctx := context.Background()
			r := newRig(t)
			q := qq.q(r)
			logs := &syncBuffer{}
			reg := prometheus.NewRegistry()
			s := New(r.db, q, r.channels, r.channels, Config{Now: r.now, DeadmanURL: srv.URL, DeadmanInterval: time.Minute},
				slog.New(slog.NewTextHandler(logs, nil)), reg)
			for _, region := range []string{"eu", "us"} {
				if err := q.Heartbeat(ctx, region, "w1"); err != nil {
					t.Fatal(err)
				}
			}
			r.tick(t)
			skipped := func() map[string]int64 {
				t.Helper()
				smp, err := s.Sample(ctx)
				if err != nil {
					t.Fatal(err)
				}
				got := map[string]int64{}
				for _, m := range smp.Stages {
					if m.Stage == StageWorkers {
						got[m.Region] = m.Skipped
					}
				}
				if g := gauge(t, reg, "betterstack_pipeline_skipped"); !reflect.DeepEqual(g, got) {
					t.Errorf("gauge %v, measured %v", g, got)
				}
				return got
			}

			if got := skipped(); !reflect.DeepEqual(got, map[string]int64{"eu": 0, "us": 0}) {
				t.Fatalf("nothing skipped yet: %v", got)
			}
			if l := logs.take(); strings.Contains(l, "skipped") {
				t.Fatalf("logged before anything was skipped:\n%s", l)
			}

			if err := q.RecordSkipped(ctx, "eu", 1200); err != nil {
				t.Fatal(err)
			}
			r.advance(20 * time.Second)
			if err := q.RecordSkipped(ctx, "eu", 34); err != nil {
				t.Fatal(err)
			}
			if got := skipped(); !reflect.DeepEqual(got, map[string]int64{"eu": 1234, "us": 0}) {
				t.Fatalf("after 1234 skipped in eu: %v", got)
			}
			l := logs.take()
			if strings.Count(l, "level=WARN msg=\"checks are being skipped") != 1 ||
				!strings.Contains(l, "the region's workers are at capacity\" module=selfcheck region=eu skipped_last_minute=1234") {
				t.Fatalf("want one warning naming the workers, eu and 1234:\n%s", l)
			}
			problems := func() []string {
				t.Helper()
				smp, err := s.Sample(ctx)
				if err != nil {
					t.Fatal(err)
				}
				var subjects []string
				for _, p := range Problems(smp, s.cfg.LagAlert, s.cfg.RegionSilence) {
					subjects = append(subjects, p.Subject)
				}
				return subjects
			}
			// Skipping for as long as operator_lag_alert (2m) pages nobody;
			// past it, the operator is told.
			for i := range 4 {
				if got := problems(); len(got) != 0 {
					t.Fatalf("problems %v after skipping for %ds, want none yet", got, 30*i)
				}
				r.advance(30 * time.Second)
				if err := q.RecordSkipped(ctx, "eu", 1); err != nil {
					t.Fatal(err)
				}
				for _, region := range []string{"eu", "us"} {
					if err := q.Heartbeat(ctx, region, "w1"); err != nil {
						t.Fatal(err)
					}
				}
			}
			if got := problems(); len(got) != 0 {
				t.Fatalf("problems %v after skipping for exactly operator_lag_alert, want none yet", got)
			}
			r.advance(time.Millisecond)
			if got := problems(); !reflect.DeepEqual(got, []string{"skipping workers in eu"}) {
				t.Fatalf("problems %v, want skipping workers in eu", got)
			}
			logs.take()
			r.tick(t) // results still flow
			before := calls.Load()
			if !s.Deadman(ctx) || calls.Load() != before+1 {
				t.Fatal("the dead-man's switch was held back while checks are skipped but flow")
			}

			skipped() // still skipping: no second warning
			if l := logs.take(); strings.Contains(l, "skipped") {
				t.Fatalf("warned again while still skipping:\n%s", l)
			}

			// A minute and a bucket after the last skipped slot: no longer counted.
			r.advance(time.Minute + queue.SkipBucket)
			r.tick(t)
			if got := skipped(); !reflect.DeepEqual(got, map[string]int64{"eu": 0, "us": 0}) {
				t.Fatalf("a minute later: %v", got)
			}
			if l := logs.take(); strings.Count(l, "level=INFO msg=\"checks no longer skipped\" module=selfcheck region=eu") != 1 {
				t.Fatalf("want one info line for eu:\n%s", l)
			}
		})
	}
}

// gauge reads a gauge vector with one region label from reg.
func gauge(t *testing.T, reg *prometheus.Registry, name string) map[string]int64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "region" {
					out[l.GetValue()] = int64(m.GetGauge().GetValue())
				}
			}
		}
	}
	return out
}

// TestMeasureNamesUnseenRegions: a region a monitor names that no worker
// has ever reported from (a misspelt name, or none started there yet) is
// in the sample, expected and never seen, and becomes an operator problem
// once the alerter has watched longer than the silence allowed; regions
// with workers are measured as before.
func TestMeasureNamesUnseenRegions(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	now := r.now()
	if err := r.db.Exec(`INSERT INTO monitors (id, workspace_id, key, name, kind, check_spec, target, interval_seconds, timeout_ms, regions, created_at, updated_at)
		VALUES (2, 1, 'api', 'api', 'http', '{}', 'https://api.example', 30, 1000, '["eu","tokyo"]', ?, ?)`, now, now).Error; err != nil {
		t.Fatal(err)
	}
	if err := r.q.Heartbeat(ctx, "eu", "w1"); err != nil {
		t.Fatal(err)
	}
	s := r.service(Config{RegionSilence: 2 * time.Minute, LagAlert: 2 * time.Minute})
	smp, err := s.Measure(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []Region{{Name: "eu", LastSeen: now, Expected: true}, {Name: "tokyo", Expected: true}}
	same := len(smp.Regions) == len(want)
	for i := 0; same && i < len(want); i++ {
		g := smp.Regions[i]
		same = g.Name == want[i].Name && g.Expected == want[i].Expected && g.LastSeen.Equal(want[i].LastSeen)
	}
	if !same || !smp.Since.Equal(now) {
		t.Fatalf("regions %+v since %v, want %+v since %v", smp.Regions, smp.Since, want, now)
	}
	r.advance(2*time.Minute + time.Second)
	if err := r.q.Heartbeat(ctx, "eu", "w1"); err != nil {
		t.Fatal(err)
	}
	if smp, err = s.Measure(ctx); err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for _, p := range Problems(smp, 2*time.Minute, 2*time.Minute) {
		subjects = append(subjects, p.Subject)
	}
	if !reflect.DeepEqual(subjects, []string{"region tokyo"}) {
		t.Errorf("problems about %q, want only region tokyo", subjects)
	}
}
