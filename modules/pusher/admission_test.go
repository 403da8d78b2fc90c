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

// TestAdmitShare pins the share's boundaries: all at and below the wait
// limit, less from a nanosecond past it, half at one and a half, none from
// twice the limit.
func TestAdmitShare(t *testing.T) {
	const w = 3 * time.Second
	tests := []struct {
		wait time.Duration
		want float64
	}{
		{0, 1},
		{w - time.Nanosecond, 1},
		{w, 1},
		{w + w/10, 0.9},
		{w + w/2, 0.5},
		{2*w - w/10, 0.1},
		{2 * w, 0},
		{time.Hour, 0},
	}
	for _, tc := range tests {
		if got := admitShare(tc.wait, w); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("admitShare(%s, %s) = %v, want %v", tc.wait, w, got, tc.want)
		}
	}
	if got := admitShare(w+time.Nanosecond, w); got >= 1 {
		t.Errorf("a nanosecond past the limit: share %v, want below 1", got)
	}
	if got := admitShare(2*w-time.Nanosecond, w); got <= 0 {
		t.Errorf("a nanosecond short of twice the limit: share %v, want above 0", got)
	}
}

// TestAdmitted: share 1 takes every slot and 0 none; in between, the
// share of slots taken matches, for every monitor alike (no monitor is
// starved), the draw changes from slot to slot, and a monitor's slot is
// taken at any share above its draw and at none at or below it.
func TestAdmitted(t *testing.T) {
	slot0 := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	const monitors, slots = 2000, 200
	for _, share := range []float64{0, 0.3, 0.7, 1} {
		total, worst, best := 0, slots, 0
		for id := int64(1); id <= monitors; id++ {
			n := 0
			for k := range slots {
				if admitted(id, slot0.Add(time.Duration(k)*time.Minute+time.Duration(id)*time.Millisecond), share) {
					n++
				}
			}
			total += n
			worst, best = min(worst, n), max(best, n)
		}
		got := float64(total) / (monitors * slots)
		if math.Abs(got-share) > 0.01 {
			t.Errorf("share %.1f: %.3f of the slots taken", share, got)
		}
		// Binomial(200, share): 6 standard deviations either side is
		// about ±39 slots at 0.3 or 0.7; a monitor outside it is favoured.
		if share > 0 && share < 1 && (float64(worst) < share*slots-40 || float64(best) > share*slots+40) {
			t.Errorf("share %.1f: monitors got between %d and %d of %d slots, want all near %.0f", share, worst, best, slots, share*slots)
		}
		if share == 0 && best != 0 || share == 1 && worst != slots {
			t.Errorf("share %v: monitors got between %d and %d of %d slots", share, worst, best, slots)
		}
	}
	// Monitors whose slots fall at the same instant draw apart too: a
	// share is not all of them at one slot and none at the next.
	for k := range 3 {
		at, n := slot0.Add(time.Duration(k)*time.Minute), 0
		for id := int64(1); id <= monitors; id++ {
			if admitted(id, at, 0.5) {
				n++
			}
		}
		if n < monitors/2-150 || n > monitors/2+150 {
			t.Errorf("share 0.5, one slot for all: %d of %d monitors taken, want about half", n, monitors)
		}
	}
	d := slotDraw(7, slot0)
	if !admitted(7, slot0, math.Nextafter(d, 2)) || admitted(7, slot0, d) {
		t.Errorf("draw %v: a share just above it must take the slot, the draw itself must not", d)
	}
}

// TestOverloadSkipsInsteadOfFallingBehind runs a region whose workers take
// 6 jobs a second while 600 monitors at 60 s make 10 due a second, on the
// real monitor service and PostgreSQL, the in-process queue and one clock.
// With admission the workers run at their capacity, every job they take
// is at most four times the lateness limit late, and the slots left out are
// counted, the same number in the metric and in the queue (which the
// dashboard reads). Without it (a wait limit of a day) the same load makes
// the wait grow for as long as the test runs: the collapse admission
// prevents.
func TestOverloadSkipsInsteadOfFallingBehind(t *testing.T) {
	run := func(t *testing.T, admitWait time.Duration) (taken int, worstWait time.Duration, skipped float64, recorded int64) {
		r := newRig(t, 0)
		ctx := context.Background()
		q := queue.NewMemory(queue.Config{Now: r.clock.Now})
		reg := prometheus.NewRegistry()
		p := New(r.monitors, q, Config{Tick: time.Second, Now: r.clock.Now, AdmitWait: admitWait}, slog.New(slog.DiscardHandler), reg)
		for i := range 600 {
			r.create(fmt.Sprintf("https://s%d.example.test/", i), time.Minute)
		}
		const capacity = 6
		for step := range 300 {
			r.clock.Add(time.Second)
			if err := p.Tick(ctx); err != nil {
				t.Fatal(err)
			}
			ds, err := q.ReadJobs(ctx, "eu", "w", capacity, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range ds {
				// Only the steady state counts: the 600 new monitors'
				// first checks, all due at creation and published at
				// once, keep the workers busy for 100 s.
				if step >= 150 {
					taken++
					worstWait = max(worstWait, r.clock.Now().Sub(d.Job.ScheduledAt))
				}
				if err := q.CompleteJob(ctx, "eu", d.ID, queue.Result{JobID: d.Job.ID, MonitorID: d.Job.MonitorID, Region: "eu", ScheduledAt: d.Job.ScheduledAt}); err != nil {
					t.Fatal(err)
				}
			}
			storeAll(t, q) // an ingest that keeps up: only the workers bind
		}
		recorded, err := q.Skipped(ctx, "eu", queue.SkipKeep)
		if err != nil {
			t.Fatal(err)
		}
		return taken, worstWait, testutil.ToFloat64(p.skipped.WithLabelValues("eu")), recorded
	}

	t.Run("admission", func(t *testing.T) {
		taken, worst, skipped, recorded := run(t, DefaultAdmitWait)
		// 150 steady seconds at 6 a second. The share follows the wait
		// of the oldest job, which is seconds old news, so the stream
		// runs dry now and then for a moment: 98% here. A real worker
		// holds a second of jobs ahead, which bridges those moments.
		if taken < 150*6*95/100 {
			t.Errorf("workers took %d jobs in 150 s, want at least 95%% of their capacity (%d)", taken, 150*6)
		}
		// The share reaches none when the oldest job is twice the limit
		// late; what is queued behind it still runs, a few seconds later
		// again, and the test's clock moves in whole seconds. Bounded by
		// four times the limit, never an interval.
		if worst > 4*DefaultAdmitWait {
			t.Errorf("a job was taken %s after its slot, want within %s", worst, 4*DefaultAdmitWait)
		}
		if skipped < 0.3*300*10 {
			t.Errorf("%v slots skipped in 300 s at 10 due and 6 taken a second, want at least %v", skipped, 0.3*300*10)
		}
		if int64(skipped) != recorded {
			t.Errorf("the metric counts %v skipped slots and the queue %d; the dashboard reads the queue", skipped, recorded)
		}
	})
	t.Run("without", func(t *testing.T) {
		_, worst, skipped, _ := run(t, 24*time.Hour)
		if skipped != 0 || worst < 30*time.Second {
			t.Errorf("without admission: %v skipped, worst wait %s; want none skipped and the wait growing past 30 s", skipped, worst)
		}
	})
}

// lateQueue reports a fixed lateness for every region and keeps what is
// published.
type lateQueue struct {
	late time.Duration
	jobs []queue.Job
}

func (q *lateQueue) PublishJobs(_ context.Context, jobs []queue.Job) (int, error) {
	q.jobs = append(q.jobs, jobs...)
	return len(jobs), nil
}

func (q *lateQueue) Regions(context.Context, time.Duration) ([]queue.Region, error) { return nil, nil }

func (q *lateQueue) JobLate(context.Context, string) (time.Duration, error) { return q.late, nil }

// TestSkippedSlotIsNotSkippedAgain: at half a share, 1,000 monitors over 30
// slots are skipped a third of the time and never two slots running (the
// draw alone would do that to a quarter of them); at no share every slot is
// skipped; every region of a monitor gets the same answer.
func TestSkippedSlotIsNotSkippedAgain(t *testing.T) {
	for _, tc := range []struct {
		late     time.Duration
		min, max float64 // share of slots skipped
		twice    bool    // two slots running may be skipped
	}{
		{DefaultAdmitWait + DefaultAdmitWait/2, 0.30, 0.37, false},
		{2 * DefaultAdmitWait, 1, 1, true},
		{DefaultAdmitWait, 0, 0, false},
	} {
		q := &lateQueue{late: tc.late}
		p := New(nil, q, Config{Tick: time.Second}, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
		const monitors, slots = 1000, 30
		ms := make([]monitor.Monitor, monitors)
		for i := range ms {
			ms[i] = monitor.Monitor{ID: int64(i + 1), IntervalSeconds: 60, Regions: []string{"eu", "us"}}
		}
		start := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
		last := map[int64]bool{}
		skipped, twice := 0, 0
		for k := range slots {
			now := start.Add(time.Duration(k) * time.Minute)
			clear(p.lateness)
			q.jobs = nil
			for i := range ms {
				at := slotAfter(ms[i].ID, time.Minute, now.Add(-time.Minute)) // its slot in the minute up to now
				ms[i].NextRunAt = &at
			}
			if _, err := p.publish(context.Background(), ms, nil, now); err != nil {
				t.Fatal(err)
			}
			got := map[int64]int{}
			for _, j := range q.jobs {
				got[j.MonitorID]++
			}
			for _, m := range ms {
				if n := got[m.ID]; n == 1 {
					t.Fatalf("late %s: monitor %d published to one region of two", tc.late, m.ID)
				}
				skip := got[m.ID] == 0
				if skip {
					skipped++
					if last[m.ID] {
						twice++
					}
				}
				last[m.ID] = skip
			}
		}
		frac := float64(skipped) / (monitors * slots)
		if frac < tc.min || frac > tc.max {
			t.Errorf("late %s: %.3f of the slots skipped, want %.2f to %.2f", tc.late, frac, tc.min, tc.max)
		}
		if !tc.twice && twice > 0 {
			t.Errorf("late %s: %d times a monitor was skipped two slots running", tc.late, twice)
		}
		if tc.twice && twice == 0 {
			t.Errorf("late %s: nothing admitted, yet no monitor was skipped twice running", tc.late)
		}
	}
}

// failingRecorder is a lateQueue whose skipped count cannot be written.
type failingRecorder struct{ lateQueue }

func (*failingRecorder) RecordSkipped(context.Context, string, int64) error {
	return errors.New("redis: connection refused")
}

// TestSkipWarningOncePerMinute: the operator reads one warning a minute per
// region, with how late the oldest job is and the share published, and a
// count the queue could not keep is said at debug level, never silently.
func TestSkipWarningOncePerMinute(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	q := &failingRecorder{lateQueue{late: 3010 * time.Millisecond}} // shown to the tenth of a second
	p := New(nil, q, Config{Tick: time.Second, Now: func() time.Time { return now }}, log, prometheus.NewRegistry())
	round := func(d time.Duration) {
		now = now.Add(d)
		clear(p.lateness)
		p.share(context.Background(), "eu")
		p.recordSkipped(context.Background(), map[string]int64{"eu": 7})
	}
	warnings := func() int { return strings.Count(buf.String(), "level=WARN") }
	round(0)
	if warnings() != 1 || !strings.Contains(buf.String(), "oldest_job_late=3s published_percent=49 skipped_this_round=7") {
		t.Fatalf("first skip: want one warning with the lateness and share, got:\n%s", buf.String())
	}
	if !strings.Contains(buf.String(), `msg="cannot record skipped slots" module=pusher region=eu`) {
		t.Errorf("a count the queue refused is not logged:\n%s", buf.String())
	}
	round(time.Minute - time.Nanosecond)
	if warnings() != 1 {
		t.Errorf("a second warning within the minute:\n%s", buf.String())
	}
	round(time.Nanosecond)
	if warnings() != 2 {
		t.Errorf("no warning a minute after the first:\n%s", buf.String())
	}
	if got := testutil.ToFloat64(p.skipped.WithLabelValues("eu")); got != 21 {
		t.Errorf("skipped metric %v, want 21", got)
	}

	buf.Reset()
	ok := New(nil, &lateQueue{late: 3 * time.Second}, Config{Tick: time.Second}, log, prometheus.NewRegistry())
	ok.recordSkipped(context.Background(), map[string]int64{"eu": 1})
	if strings.Contains(buf.String(), "cannot record") {
		t.Errorf("a recorded count is logged as refused:\n%s", buf.String())
	}
}
