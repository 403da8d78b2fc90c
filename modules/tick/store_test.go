package tick_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/incident"
	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/queue"
	"github.com/betterstack/betterstack/modules/testenv"
	"github.com/betterstack/betterstack/modules/tick"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// MustDB opens a migrated PostgreSQL database of this test and returns it
// with its URL.
func MustDB(t *testing.T) (*database.DB, string) {
	t.Helper()
	dbURL := testenv.MustPostgres(t)
	ctx := context.Background()
	db, err := database.Open(ctx, database.Config{URL: dbURL, MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.EnsureSchema(ctx, true, discard); err != nil {
		t.Fatal(err)
	}
	return db, dbURL
}

// MustMonitors creates a user and n monitors (interval 60 s) through the
// monitor service and returns their ids.
func MustMonitors(t *testing.T, db *database.DB, n int) []int64 {
	t.Helper()
	ctx := context.Background()
	var uid int64
	if err := db.Raw("INSERT INTO users (email, password_hash) VALUES ('ingest@example.com', 'x') RETURNING id").Scan(&uid).Error; err != nil {
		t.Fatal(err)
	}
	uid = testenv.Workspace(t, db, uid)
	svc := monitor.New(db, monitor.Config{MinInterval: time.Second}, discard)
	ids := make([]int64, n)
	for i := range ids {
		name, u, interval := fmt.Sprintf("m%d", i), fmt.Sprintf("http://127.0.0.1:9/m/%d", i), 60
		m, err := svc.Create(ctx, uid, monitor.Input{Name: &name, LegacyHTTP: monitor.LegacyHTTP{URL: &u}, IntervalSeconds: &interval})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = m.ID
	}
	return ids
}

// result is an up result of monitor id in region for slot at.
func result(id int64, region string, at time.Time) queue.Result {
	at = at.UTC().Truncate(time.Millisecond)
	return queue.Result{JobID: fmt.Sprintf("%d:%d", id, at.UnixMilli()), MonitorID: id, Region: region, WorkerID: "w-" + region,
		ScheduledAt: at, Result: probe.Result{Status: probe.StatusUp, StatusCode: 200, LatencyMS: 12, CheckedAt: at}}
}

func metric(t *testing.T, reg prometheus.Gatherer, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			sum := 0.0
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
			return sum
		}
	}
	t.Fatalf("metric %s not registered", name)
	return 0
}

// slots returns a monitor's stored ticks as "region@unix_ms", failing on a
// slot stored twice.
func slots(t *testing.T, svc *tick.Service, id int64) map[string]tick.Tick {
	t.Helper()
	p, err := svc.List(context.Background(), id, tick.TickFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]tick.Tick{}
	for _, tk := range p.Data {
		key := fmt.Sprintf("%s@%d", tk.Region, tk.ScheduledAt.UnixMilli())
		if _, dup := out[key]; dup {
			t.Errorf("monitor %d: slot %s stored twice", id, key)
		}
		out[key] = tk
	}
	return out
}

func key(r queue.Result) string { return fmt.Sprintf("%s@%d", r.Region, r.ScheduledAt.UnixMilli()) }

// TestStoreIsIdempotent: a result delivered twice (a redelivery, or twice
// in one batch) is one tick, counts as a duplicate and is not folded into
// the region's state twice.
func TestStoreIsIdempotent(t *testing.T) {
	t.Parallel()
	db, _ := MustDB(t)
	ids := MustMonitors(t, db, 2)
	reg := prometheus.NewRegistry()
	svc := tick.New(db, nil, tick.Config{Consumer: "alerter-1"}, discard, reg)
	ctx := context.Background()

	base := time.Now().Add(-time.Minute)
	var batch []queue.Result
	for _, id := range ids {
		for _, region := range []string{"eu", "us"} {
			for s := range 2 {
				batch = append(batch, result(id, region, base.Add(time.Duration(s)*time.Second)))
			}
		}
	}
	if err := svc.Store(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if err := svc.Store(ctx, batch); err != nil {
		t.Fatalf("storing the same batch again: %v", err)
	}
	for _, id := range ids {
		got := slots(t, svc, id)
		if len(got) != 4 {
			t.Errorf("monitor %d: %d ticks, want 4", id, len(got))
		}
		for _, r := range batch {
			if r.MonitorID == id {
				if tk, ok := got[key(r)]; !ok || tk.WorkerID != r.WorkerID || tk.Status != probe.StatusUp {
					t.Errorf("monitor %d: slot %s = %+v (found %v)", id, key(r), tk, ok)
				}
			}
		}
		rs, err := svc.Regions(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.ConsecutiveSuccesses != 2 {
				t.Errorf("monitor %d region %s: %d consecutive successes after 2 slots stored twice, want 2", id, r.Region, r.ConsecutiveSuccesses)
			}
		}
		if len(rs) != 2 {
			t.Errorf("monitor %d: %d region states, want 2", id, len(rs))
		}
	}
	if n := metric(t, reg, "betterstack_ingest_ticks_stored_total"); n != 8 {
		t.Errorf("ticks stored = %v, want 8", n)
	}
	if n := metric(t, reg, "betterstack_ingest_duplicates_total"); n != 8 {
		t.Errorf("duplicates = %v, want 8", n)
	}

	// The same result twice within one batch.
	r := result(ids[0], "eu", base.Add(10*time.Second))
	if err := svc.Store(ctx, []queue.Result{r, r}); err != nil {
		t.Fatalf("a batch holding one result twice: %v", err)
	}
	if got := slots(t, svc, ids[0]); len(got) != 5 {
		t.Errorf("monitor %d: %d ticks after a doubled result, want 5", ids[0], len(got))
	}
	if n := metric(t, reg, "betterstack_ingest_duplicates_total"); n != 9 {
		t.Errorf("duplicates = %v, want 9", n)
	}
	successes := func(want int) {
		t.Helper()
		rs, err := svc.Regions(ctx, ids[0])
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.Region == "eu" && r.ConsecutiveSuccesses != want {
				t.Errorf("eu: %d consecutive successes, want %d", r.ConsecutiveSuccesses, want)
			}
		}
	}
	successes(3) // the doubled result counted once

	// A batch of one stored result and one new one.
	next := result(ids[0], "eu", base.Add(20*time.Second))
	if err := svc.Store(ctx, []queue.Result{r, next}); err != nil {
		t.Fatal(err)
	}
	if n := metric(t, reg, "betterstack_ingest_ticks_stored_total"); n != 10 {
		t.Errorf("ticks stored = %v, want 10", n)
	}
	if n := metric(t, reg, "betterstack_ingest_duplicates_total"); n != 10 {
		t.Errorf("duplicates = %v, want 10", n)
	}
	successes(4)
	hours, err := svc.Hourly(ctx, ids[:1], base.Add(-2*time.Hour), base.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var checks int64
	for _, h := range hours {
		if h.Region == "eu" {
			checks += h.Checks
		}
	}
	if checks != 4 {
		t.Errorf("eu rollups hold %d checks, want 4 (two slots, the doubled one, the new one)", checks)
	}
}

// failOnce is an incident reconciler whose first call fails, as a database
// error late in the ingest transaction would.
type failOnce struct{ calls atomic.Int64 }

func (f *failOnce) Reconcile(*gorm.DB, []incident.Change) error {
	if f.calls.Add(1) == 1 {
		return errors.New("injected failure")
	}
	return nil
}

// TestStoredCountsOnlyCommittedTicks: a batch whose transaction rolls back
// stores nothing, so it must count nothing; the retry counts it once.
func TestStoredCountsOnlyCommittedTicks(t *testing.T) {
	t.Parallel()
	db, _ := MustDB(t)
	ids := MustMonitors(t, db, 1)
	reg := prometheus.NewRegistry()
	rec := &failOnce{}
	svc := tick.New(db, rec, tick.Config{Consumer: "alerter-1"}, discard, reg)
	ctx := context.Background()
	batch := []queue.Result{result(ids[0], "eu", time.Now().Add(-time.Second))}
	if err := svc.Store(ctx, batch); err == nil {
		t.Fatal("the first Store succeeded although the reconciler failed")
	}
	if got := slots(t, svc, ids[0]); len(got) != 0 {
		t.Fatalf("ticks after a rolled-back batch: %v", got)
	}
	if err := svc.Store(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if got := slots(t, svc, ids[0]); len(got) != 1 {
		t.Fatalf("%d ticks after the retry, want 1", len(got))
	}
	if rec.calls.Load() < 2 {
		t.Fatalf("reconciler called %d times; the test needs the failing first call", rec.calls.Load())
	}
	if n := metric(t, reg, "betterstack_ingest_ticks_stored_total"); n != 1 {
		t.Errorf("ticks stored = %v for one committed tick, want 1", n)
	}
}

// complete sends results through the queue as workers do: each one's job is
// published, read by a worker consumer and completed with the result.
func complete(t *testing.T, q *queue.Redis, results []queue.Result) {
	t.Helper()
	ctx := context.Background()
	byJob := map[string]queue.Result{}
	jobs := make([]queue.Job, len(results))
	for i, r := range results {
		jobs[i] = queue.Job{ID: r.JobID, MonitorID: r.MonitorID, Region: r.Region, ScheduledAt: r.ScheduledAt, IntervalSeconds: 60}
		byJob[r.Region+"/"+r.JobID] = r
	}
	if n, err := q.PublishJobs(ctx, jobs); err != nil || n != len(jobs) {
		t.Fatalf("publish jobs: %d of %d, %v", n, len(jobs), err)
	}
	regions := map[string]bool{}
	for _, r := range results {
		regions[r.Region] = true
	}
	done := 0
	for region := range regions {
		ds, err := q.ReadJobs(ctx, region, "worker-1", 1000, 0)
		if err != nil {
			t.Fatal(err)
		}
		cs := make([]queue.Completion, len(ds))
		for i, d := range ds {
			cs[i] = queue.Completion{DeliveryID: d.ID, Result: byJob[region+"/"+d.Job.ID]}
		}
		n, err := q.CompleteJobs(ctx, region, cs)
		if err != nil || n != len(cs) {
			t.Fatalf("complete jobs of %s: %d of %d, %v", region, n, len(cs), err)
		}
		done += n
	}
	if done != len(results) {
		t.Fatalf("completed %d of %d jobs", done, len(results))
	}
}

// TestIngestSurvivesDatabaseOutage runs the alerter's ingest on the Redis
// queue while its database refuses connections: results wait in the stream,
// none is lost, and once the database is back each becomes exactly one tick.
func TestIngestSurvivesDatabaseOutage(t *testing.T) {
	t.Parallel()
	db, dbURL := MustDB(t)
	ids := MustMonitors(t, db, 2)
	_, rdb, prefix := testenv.MustRedis(t)
	q := queue.NewRedis(rdb, queue.Config{Prefix: prefix})
	reg := prometheus.NewRegistry()
	svc := tick.New(db, nil, tick.Config{Consumer: "alerter-1"}, discard, reg)

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- svc.Run(ctx, q) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-errc:
			if err != nil {
				t.Errorf("ingest: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("ingest did not stop")
		}
	})

	// The ingest works and holds live connections before the outage.
	base := time.Now().Add(-time.Minute)
	warm := result(ids[0], "eu", base)
	complete(t, q, []queue.Result{warm})
	eventuallyTrue(t, 10*time.Second, "the warm-up result stored", func() bool { return len(slots(t, svc, ids[0])) == 1 })

	testenv.AllowConnections(t, dbURL, false)
	pctx, pcancel := context.WithTimeout(context.Background(), 5*time.Second)
	err := db.Ping(pctx)
	pcancel()
	if err == nil {
		t.Fatal("the database still answers after connections were refused and terminated")
	}

	var during []queue.Result
	for _, id := range ids {
		for _, region := range []string{"eu", "us"} {
			for s := 1; s <= 5; s++ {
				during = append(during, result(id, region, base.Add(time.Duration(s)*time.Second)))
			}
		}
	}
	complete(t, q, during)
	time.Sleep(2 * time.Second)
	if n, err := q.ResultBacklog(context.Background()); err != nil || n != int64(len(during)) {
		t.Fatalf("result backlog during the outage = %d (%v), want all %d results waiting", n, err, len(during))
	}
	if n := metric(t, reg, "betterstack_ingest_batch_failures_total"); n == 0 {
		t.Fatal("no failed batch recorded: the ingest did not try to store during the outage")
	}

	testenv.AllowConnections(t, dbURL, true)
	eventuallyTrue(t, 20*time.Second, "the result stream to drain", func() bool {
		n, err := q.ResultBacklog(context.Background())
		return err == nil && n == 0
	})
	want := append([]queue.Result{warm}, during...)
	for _, id := range ids {
		got := slots(t, svc, id)
		n := 0
		for _, r := range want {
			if r.MonitorID != id {
				continue
			}
			n++
			if _, ok := got[key(r)]; !ok {
				t.Errorf("monitor %d: result %s lost", id, key(r))
			}
		}
		if len(got) != n {
			t.Errorf("monitor %d: %d ticks, want %d", id, len(got), n)
		}
	}
	if n := metric(t, reg, "betterstack_ingest_ticks_stored_total"); int(n) != len(want) {
		t.Errorf("ticks stored = %v, want %d", n, len(want))
	}
	if n := metric(t, reg, "betterstack_ingest_duplicates_total"); n != 0 {
		t.Errorf("duplicates = %v, want 0", n)
	}
}

func eventuallyTrue(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out after %v waiting for %s", timeout, what)
}

// TestStoreCreatesStateAndSkipsDeletedMonitors: one batch holding a
// monitor's first result (no state row yet), a result of a monitor stored
// before and one of a deleted monitor stores the first two, each once,
// counts the third as an orphan, and creates no state row for it.
func TestStoreCreatesStateAndSkipsDeletedMonitors(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"postgres", "sqlite"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			db := testenv.MustDatabase(t, backend)
			ids := MustMonitors(t, db, 3)
			fresh, known, deleted := ids[0], ids[1], ids[2]
			reg := prometheus.NewRegistry()
			svc := tick.New(db, nil, tick.Config{}, discard, reg)
			ctx := context.Background()
			at := time.Now().UTC().Add(-time.Minute).Truncate(time.Second)
			if err := svc.Store(ctx, []queue.Result{result(known, "eu", at.Add(-time.Minute))}); err != nil {
				t.Fatal(err)
			}
			if err := db.Exec("DELETE FROM monitors WHERE id = ?", deleted).Error; err != nil {
				t.Fatal(err)
			}
			batch := []queue.Result{result(deleted, "eu", at), result(known, "eu", at), result(fresh, "eu", at)}
			if err := svc.Store(ctx, batch); err != nil {
				t.Fatal(err)
			}
			if got := len(slots(t, svc, fresh)); got != 1 {
				t.Errorf("first result's monitor has %d ticks, want 1", got)
			}
			if got := len(slots(t, svc, known)); got != 2 {
				t.Errorf("known monitor has %d ticks, want 2", got)
			}
			var states []struct {
				MonitorID int64
				Status    string
				Version   int64
			}
			if err := db.Raw("SELECT monitor_id, status, version FROM monitor_state ORDER BY monitor_id").Scan(&states).Error; err != nil {
				t.Fatal(err)
			}
			if len(states) != 2 || states[0].MonitorID != fresh || states[1].MonitorID != known {
				t.Fatalf("state rows %+v, want one each for %d and %d", states, fresh, known)
			}
			for _, st := range states {
				if st.Status != string(monitor.StatusUp) {
					t.Errorf("monitor %d status %q after an up result, want up", st.MonitorID, st.Status)
				}
			}
			if states[0].Version != 1 || states[1].Version != 2 {
				t.Errorf("versions %d and %d, want 1 (one batch) and 2 (two)", states[0].Version, states[1].Version)
			}
			for name, want := range map[string]float64{"betterstack_ingest_ticks_stored_total": 3, "betterstack_ingest_orphans_total": 1,
				"betterstack_ingest_batch_failures_total": 0} {
				if got := metric(t, reg, name); got != want {
					t.Errorf("%s = %v, want %v", name, got, want)
				}
			}
		})
	}
}

// recorder keeps the changes the ingest hands the incident reconciler.
type recorder struct{ changes []incident.Change }

func (r *recorder) Reconcile(_ *gorm.DB, cs []incident.Change) error {
	r.changes = append(r.changes, cs...)
	return nil
}

// recordingService is an ingest over n new monitors whose changes go to
// the returned recorder.
func recordingService(t *testing.T, n int) ([]int64, *tick.Service, *recorder) {
	t.Helper()
	db, _ := MustDB(t)
	ids := MustMonitors(t, db, n)
	rec := &recorder{}
	return ids, tick.New(db, rec, tick.Config{Consumer: "alerter-1"}, discard, prometheus.NewRegistry()), rec
}

// TestChangeRegionsInOrder: the regions of a change (an incident's
// evidence) come in region order whatever order their results arrived in,
// and say which region turned failing in this batch and which were
// failing before it.
func TestChangeRegionsInOrder(t *testing.T) {
	t.Parallel()
	ids, svc, rec := recordingService(t, 1)
	ctx := context.Background()
	at := time.Now().Add(-10 * time.Minute)
	if err := svc.Store(ctx, []queue.Result{result(ids[0], "us", at), result(ids[0], "ap", at), result(ids[0], "eu", at)}); err != nil {
		t.Fatal(err)
	}
	regionsOf := func(c incident.Change) (names []string, failing, was []bool) {
		for _, r := range c.Regions {
			names, failing, was = append(names, r.Region), append(failing, r.Failing), append(was, r.WasFailing)
		}
		return
	}
	if len(rec.changes) != 1 {
		t.Fatalf("%d changes after the first checks, want 1 (pending to up)", len(rec.changes))
	}
	if names, _, _ := regionsOf(rec.changes[0]); !slices.Equal(names, []string{"ap", "eu", "us"}) {
		t.Fatalf("regions %v, want ap, eu, us", names)
	}
	// eu fails five times in a row (past any failure threshold): eu turns
	// failing in this batch, the others stay as they were.
	var down []queue.Result
	for i := 1; i <= 5; i++ {
		r := result(ids[0], "eu", at.Add(time.Duration(i)*time.Minute))
		r.Result.Status, r.Result.StatusCode, r.Result.Error = probe.StatusDown, 503, "503"
		down = append(down, r)
	}
	rec.changes = nil
	if err := svc.Store(ctx, down); err != nil {
		t.Fatal(err)
	}
	if len(rec.changes) != 1 {
		t.Fatalf("%d changes after eu failed, want 1", len(rec.changes))
	}
	names, failing, was := regionsOf(rec.changes[0])
	if !slices.Equal(names, []string{"ap", "eu", "us"}) || !slices.Equal(failing, []bool{false, true, false}) || !slices.Equal(was, []bool{false, false, false}) {
		t.Fatalf("regions %v failing %v was failing %v; want ap, eu, us with only eu failing, none before", names, failing, was)
	}
	// One more failure, with the first result from a region that sorts
	// first: eu was failing before this batch too, af never was.
	rec.changes = nil
	r := result(ids[0], "eu", at.Add(6*time.Minute))
	r.Result.Status, r.Result.StatusCode = probe.StatusDown, 503
	if err := svc.Store(ctx, []queue.Result{r, result(ids[0], "af", at.Add(6*time.Minute))}); err != nil {
		t.Fatal(err)
	}
	if len(rec.changes) != 1 {
		t.Fatalf("%d changes for a monitor still failing, want 1", len(rec.changes))
	}
	names, failing, was = regionsOf(rec.changes[0])
	if !slices.Equal(names, []string{"af", "ap", "eu", "us"}) || !slices.Equal(failing, []bool{false, false, true, false}) ||
		!slices.Equal(was, []bool{false, false, true, false}) {
		t.Fatalf("regions %v failing %v was failing %v; want af, ap, eu, us with eu failing now and before", names, failing, was)
	}
	// What was stored: the two regions this batch touched, not the others.
	rs, err := svc.Regions(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]tick.RegionView{}
	for _, r := range rs {
		stored[r.Region] = r
	}
	if len(stored) != 4 || stored["eu"].ConsecutiveFailures != 6 || stored["af"].ConsecutiveSuccesses != 1 || stored["ap"].ConsecutiveSuccesses != 1 {
		t.Fatalf("stored region states %+v; want 4 regions, eu failed 6 times in a row, af and ap up once", stored)
	}
}

// TestChangesInMonitorOrder: the reconciler gets a batch's changes in
// monitor id order (the order it locks their incidents in), whatever order
// the results came in.
func TestChangesInMonitorOrder(t *testing.T) {
	t.Parallel()
	ids, svc, rec := recordingService(t, 6)
	at := time.Now().Add(-time.Minute)
	var batch []queue.Result
	for _, i := range []int{4, 1, 5, 0, 3, 2} {
		batch = append(batch, result(ids[i], "eu", at))
	}
	if err := svc.Store(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, c := range rec.changes {
		got = append(got, c.MonitorID)
	}
	if !slices.Equal(got, ids) || !slices.IsSorted(ids) {
		t.Fatalf("changes for monitors %v, want %v in order", got, ids)
	}
}
