package pusher

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/queue"
)

// TestIngestShare pins the ingest's share: all up to the wait limit, less
// from a nanosecond past it, half at one and a half, and never below the
// floor however late; the share published is the smaller of the two.
func TestIngestShare(t *testing.T) {
	const w = 10 * time.Second
	tests := []struct {
		late time.Duration
		want float64
	}{
		{0, 1},
		{w, 1},
		{w + w/2, 0.5},
		{2*w - w/10, 0.1},
		{2*w - w/20, minIngestShare}, // the line says 0.05
		{2 * w, minIngestShare},
		{time.Hour, minIngestShare},
	}
	for _, tc := range tests {
		if got := ingestShare(tc.late, w); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("ingestShare(%s, %s) = %v, want %v", tc.late, w, got, tc.want)
		}
	}
	if got := ingestShare(w+time.Nanosecond, w); got >= 1 {
		t.Errorf("a nanosecond past the limit: share %v, want below 1", got)
	}
	if got := ingestShare(2*w-w/10-time.Millisecond, w); got <= 0.1 {
		t.Errorf("just short of the floor: share %v, want above 0.1", got)
	}
	p := New(nil, &lateQueue{}, Config{AdmitWait: 2 * time.Second, IngestWait: w}, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	for _, tc := range []struct {
		job, ingest time.Duration
		want        float64
	}{
		{0, 0, 1},
		{3 * time.Second, 0, 0.5},       // the workers bind
		{0, w + w/4, 0.75},              // the ingest binds
		{3 * time.Second, w + w/4, 0.5}, // the smaller
		{4 * time.Second, time.Hour, 0}, // no worker takes jobs: none
		{2*time.Second + 200*time.Millisecond, w + w/2, 0.5}, // 0.9 against 0.5
	} {
		if got := p.shareOf(tc.job, tc.ingest); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("shareOf(job %s, ingest %s) = %v, want %v", tc.job, tc.ingest, got, tc.want)
		}
	}
}

// ingestSim runs 600 monitors every minute (10 checks due a second)
// against workers that take every job at once and an ingest that stores
// every result for the first 60 s (the new monitors' first checks, all due
// at once) and then only storeRate results a second, for 300 s in all. It
// returns the steady state's (the last 150 s) worst age of the oldest
// result waiting, the longest a monitor went without a published check
// and the slots skipped, and the pusher's log.
func ingestSim(t *testing.T, ingestWait time.Duration, storeRate int) (worstWait, longestGap time.Duration, skipped float64, log string) {
	r := newRig(t, 0)
	ctx := context.Background()
	q := queue.NewMemory(queue.Config{Now: r.clock.Now})
	var buf bytes.Buffer
	p := New(r.monitors, q, Config{Tick: time.Second, Now: r.clock.Now, IngestWait: ingestWait},
		slog.New(slog.NewTextHandler(&buf, nil)), prometheus.NewRegistry())
	for i := range 600 {
		r.create(fmt.Sprintf("https://s%d.example.test/", i), time.Minute)
	}
	lastJob := map[int64]time.Time{}
	var skipped0 float64
	for step := range 300 {
		for _, j := range tickAndRun(t, r, p, q) {
			if prev, ok := lastJob[j.MonitorID]; ok && step >= 150 {
				longestGap = max(longestGap, j.ScheduledAt.Sub(prev))
			}
			lastJob[j.MonitorID] = j.ScheduledAt
		}
		rate := storeRate
		if step < 60 {
			rate = 10000
		}
		if step == 150 {
			skipped0 = testutil.ToFloat64(p.skipped.WithLabelValues("eu"))
		}
		storeResults(t, q, rate)
		if step >= 150 {
			oldest, err := q.OldestResult(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !oldest.IsZero() {
				worstWait = max(worstWait, r.clock.Now().Sub(oldest))
			}
		}
	}
	return worstWait, longestGap, testutil.ToFloat64(p.skipped.WithLabelValues("eu")) - skipped0, buf.String()
}

// TestIngestBehindSkipsInsteadOfPilingUp: when the ingest stores fewer
// results than the checks make (6 of 10 a second), the pusher publishes
// less, so results wait seconds, not ever longer; no monitor goes more
// than two intervals without a check (it would be judged silent); the log
// names the ingest. Without it (a limit of a day) the wait grows on, past
// twice that bound by the end.
func TestIngestBehindSkipsInsteadOfPilingUp(t *testing.T) {
	t.Run("admission", func(t *testing.T) {
		worst, gap, skipped, log := ingestSim(t, DefaultIngestWait, 6)
		// The share follows news that is seconds old, and at 6 of 10 it
		// is near its floor, so the wait swings (6 to 36 s over 600 s
		// when this was written) but does not grow.
		if worst > 4*DefaultIngestWait {
			t.Errorf("the oldest result waited up to %s, want within %s", worst, 4*DefaultIngestWait)
		}
		if gap > 2*time.Minute {
			t.Errorf("a monitor went %s without a check, want at most two intervals", gap)
		}
		if skipped < 0.2*150*10 {
			t.Errorf("%v slots skipped in 150 s at 10 due and 6 stored a second, want at least %v", skipped, 0.2*150*10)
		}
		if !strings.Contains(log, "results are not being stored fast enough") || strings.Contains(log, "workers are not taking jobs") {
			t.Errorf("the warning does not name the ingest alone:\n%s", log)
		}
	})
	t.Run("without", func(t *testing.T) {
		worst, _, skipped, _ := ingestSim(t, 24*time.Hour, 6)
		if skipped != 0 || worst < 8*DefaultIngestWait {
			t.Errorf("without the ingest's limit: %v skipped, oldest result waited %s; want none skipped and the wait past %s", skipped, worst, 8*DefaultIngestWait)
		}
	})
	t.Run("keeping up", func(t *testing.T) {
		worst, _, skipped, _ := ingestSim(t, DefaultIngestWait, 11)
		if skipped != 0 || worst > 2*time.Second {
			t.Errorf("an ingest that keeps up: %v skipped, oldest result waited %s; want none skipped", skipped, worst)
		}
	})
}

// TestIngestLatenessIgnoredFromMemory: while the database is down the
// pusher schedules from memory and every due slot is published although
// the results wait (they wait for the database by design); once it is
// back, the same backlog makes it publish less.
func TestIngestLatenessIgnoredFromMemory(t *testing.T) {
	r := newRig(t, 0)
	q := queue.NewMemory(queue.Config{Now: r.clock.Now})
	p := New(r.monitors, q, Config{Tick: time.Second, Now: r.clock.Now}, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	for i := range 120 {
		r.create(fmt.Sprintf("https://s%d.example.test/", i), 10*time.Second)
	}
	// Checks run and are never stored: the results stream only grows.
	tick := func() (published int) { return len(tickAndRun(t, r, p, q)) }
	for range 20 { // every monitor claimed and remembered
		tick()
	}
	skipped0 := testutil.ToFloat64(p.skipped.WithLabelValues("eu"))
	r.outage(true)
	published := 0
	for range 60 {
		published += tick()
	}
	if skipped := testutil.ToFloat64(p.skipped.WithLabelValues("eu")) - skipped0; skipped != 0 || published < 120*6 {
		t.Errorf("from memory with results waiting a minute: %d published and %v skipped in 60 s, want every slot of 120 monitors every 10 s", published, skipped)
	}
	// Back: the results that waited out the outage are not the ingest's
	// slowness for IngestWait (10 s by default); then they count.
	skipped0 = testutil.ToFloat64(p.skipped.WithLabelValues("eu"))
	r.outage(false)
	tick() // the first tick from the database again
	for i := 1; i < 10; i++ {
		tick()
		if skipped := testutil.ToFloat64(p.skipped.WithLabelValues("eu")) - skipped0; skipped != 0 {
			t.Fatalf("%d s after the database came back, %v slots skipped for results that waited out the outage", i, skipped)
		}
	}
	tick()
	if skipped := testutil.ToFloat64(p.skipped.WithLabelValues("eu")) - skipped0; skipped == 0 {
		t.Errorf("10 s after the database came back, with results waiting over a minute, nothing was skipped")
	}
}

// tickAndRun moves the clock a second, ticks the pusher and runs every job
// it published in region eu at once, as workers with room to spare; it
// returns the jobs.
func tickAndRun(t *testing.T, r *rig, p *Pusher, q *queue.Memory) []queue.Job {
	t.Helper()
	ctx := context.Background()
	r.clock.Add(time.Second)
	if err := p.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	ds, err := q.ReadJobs(ctx, "eu", "w", 10000, 0)
	if err != nil {
		t.Fatal(err)
	}
	jobs := make([]queue.Job, len(ds))
	for i, d := range ds {
		jobs[i] = d.Job
		if err := q.CompleteJob(ctx, "eu", d.ID, queue.Result{JobID: d.Job.ID, MonitorID: d.Job.MonitorID, Region: "eu", ScheduledAt: d.Job.ScheduledAt}); err != nil {
			t.Fatal(err)
		}
	}
	return jobs
}

// storeAll reads and acks every result waiting, as an ingest that keeps up.
func storeAll(t *testing.T, q *queue.Memory) { storeResults(t, q, 100000) }

// storeResults reads and acks up to n results, as an ingest that stores n
// a second.
func storeResults(t *testing.T, q *queue.Memory, n int) {
	t.Helper()
	rs, err := q.ReadResults(context.Background(), "alerter", n, 0)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(rs))
	for i, d := range rs {
		ids[i] = d.ID
	}
	if err := q.AckResults(context.Background(), ids...); err != nil {
		t.Fatal(err)
	}
}

// countingQueue reports a fixed job and result lateness and counts how
// often the results' is asked.
type countingQueue struct {
	lateQueue
	resultLate time.Duration
	asked      int
}

func (q *countingQueue) ResultLate(context.Context) (time.Duration, error) {
	q.asked++
	return q.resultLate, nil
}

// TestIngestLatenessReadOncePerTick: however many regions a tick publishes
// to, the results' lateness is one read, and the next tick reads it anew.
func TestIngestLatenessReadOncePerTick(t *testing.T) {
	q := &countingQueue{resultLate: 15 * time.Second}
	p := New(nil, q, Config{}, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	for tick := 1; tick <= 2; tick++ {
		clear(p.lateness)
		p.ingestRead = false
		for _, region := range []string{"eu", "us", "eu", "ap"} {
			if got := p.share(context.Background(), region); math.Abs(got-0.5) > 1e-9 {
				t.Fatalf("share in %s with results 15 s late = %v, want 0.5", region, got)
			}
		}
		if q.asked != tick {
			t.Fatalf("after tick %d the results' lateness was read %d times, want %d", tick, q.asked, tick)
		}
	}
}

// TestAskedForIsNeverSkipped: with nothing admitted (workers and ingest
// both far behind), a monitor due at one of its slots is skipped, while
// one due at a moment a person wrote (check now, a new, edited or resumed
// monitor: off its phase) is published, by publish and by the claim's
// skip before reading alike.
func TestAskedForIsNeverSkipped(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 4, 12, 0, 30, 0, time.UTC)
	q := &countingQueue{lateQueue: lateQueue{late: time.Hour}, resultLate: time.Hour}
	p := New(nil, q, Config{Tick: time.Second}, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	onSlot := slotAfter(1, time.Minute, now.Add(-time.Minute))
	pressed := onSlot.Add(time.Millisecond) // off monitor 2's phase unless its phase is a millisecond after 1's
	if !askedFor(2, time.Minute, pressed) || askedFor(1, time.Minute, onSlot) {
		t.Fatalf("askedFor: %v at its slot, %v a moment after another's", askedFor(1, time.Minute, onSlot), askedFor(2, time.Minute, pressed))
	}
	ms := []monitor.Monitor{
		{ID: 1, IntervalSeconds: 60, Regions: []string{"eu"}, NextRunAt: &onSlot},
		{ID: 2, IntervalSeconds: 60, Regions: []string{"eu"}, NextRunAt: &pressed},
	}
	if _, err := p.publish(ctx, ms, nil, now); err != nil {
		t.Fatal(err)
	}
	if len(q.jobs) != 1 || q.jobs[0].MonitorID != 2 {
		t.Fatalf("published %+v, want only monitor 2's check (asked for)", q.jobs)
	}
	if _, skip := p.skipBeforeRead(ctx, monitor.Due{MonitorID: 1, At: onSlot, Interval: time.Minute, Regions: []string{"eu"}}, nil, now); !skip {
		t.Errorf("a slot at its phase with nothing admitted was not skipped before reading")
	}
	if _, skip := p.skipBeforeRead(ctx, monitor.Due{MonitorID: 2, At: pressed, Interval: time.Minute, Regions: []string{"eu"}}, nil, now); skip {
		t.Errorf("a check asked for was skipped before reading")
	}
}

// downQueue is a memory queue whose pusher side fails while down, as
// Redis gone.
type downQueue struct {
	*queue.Memory
	down bool
}

var errQueueDown = errors.New("connection refused")

func (q *downQueue) Regions(ctx context.Context, within time.Duration) ([]queue.Region, error) {
	if q.down {
		return nil, errQueueDown
	}
	return q.Memory.Regions(ctx, within)
}

func (q *downQueue) PublishJobs(ctx context.Context, jobs []queue.Job) (int, error) {
	if q.down {
		return 0, errQueueDown
	}
	return q.Memory.PublishJobs(ctx, jobs)
}

// TestIngestLatenessIgnoredAfterQueueOutage: with the database up and the
// queue (Redis) gone for a minute, the results waiting from before are old
// when it is back; for IngestWait that is not the ingest's slowness.
func TestIngestLatenessIgnoredAfterQueueOutage(t *testing.T) {
	r := newRig(t, 0)
	mem := queue.NewMemory(queue.Config{Now: r.clock.Now})
	q := &downQueue{Memory: mem}
	p := New(r.monitors, q, Config{Tick: time.Second, Now: r.clock.Now}, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	for i := range 120 {
		r.create(fmt.Sprintf("https://s%d.example.test/", i), 10*time.Second)
	}
	for range 20 { // results published and never stored
		tickAndRun(t, r, p, mem)
	}
	q.down = true
	for range 60 {
		r.clock.Add(time.Second)
		if err := p.Tick(context.Background()); err == nil {
			t.Fatal("a tick with the queue down reported no error")
		}
	}
	q.down = false
	skipped0 := testutil.ToFloat64(p.skipped.WithLabelValues("eu"))
	tickAndRun(t, r, p, mem) // back
	for i := 1; i < 10; i++ {
		tickAndRun(t, r, p, mem)
		if skipped := testutil.ToFloat64(p.skipped.WithLabelValues("eu")) - skipped0; skipped != 0 {
			t.Fatalf("%d s after the queue came back, %v slots skipped for results that waited out the outage", i, skipped)
		}
	}
	tickAndRun(t, r, p, mem)
	if skipped := testutil.ToFloat64(p.skipped.WithLabelValues("eu")) - skipped0; skipped == 0 {
		t.Errorf("10 s after the queue came back, with results waiting over a minute, nothing was skipped")
	}
}

// TestIngestWarningNamesTheWait: when the ingest is what holds the checks
// back, the warning names it with the oldest result's wait to the tenth of
// a second and the share published.
func TestIngestWarningNamesTheWait(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	q := &countingQueue{resultLate: 12345 * time.Millisecond} // workers keep up
	p := New(nil, q, Config{Tick: time.Second, Now: func() time.Time { return now }}, log, prometheus.NewRegistry())
	p.share(context.Background(), "eu")
	p.recordSkipped(context.Background(), map[string]int64{"eu": 3})
	// (20 s - 12.345 s) / 10 s of the slots
	want := `msg="results are not being stored fast enough: publishing only part of the checks due; the rest are skipped so the ingest can catch up" ` +
		`module=pusher region=eu oldest_result_waiting=12.3s published_percent=76 skipped_this_round=3`
	if !strings.Contains(buf.String(), want) {
		t.Errorf("got:\n%s\nwant a line with:\n%s", buf.String(), want)
	}
}
