package pusher

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/queue"
	"github.com/betterstack/betterstack/modules/testenv"
)

// regionsQueue has two live regions, each with a fixed lateness, and keeps
// what is published.
type regionsQueue struct {
	late map[string]time.Duration
	jobs []queue.Job
}

func (q *regionsQueue) PublishJobs(_ context.Context, jobs []queue.Job) (int, error) {
	q.jobs = append(q.jobs, jobs...)
	return len(jobs), nil
}

func (q *regionsQueue) Regions(context.Context, time.Duration) ([]queue.Region, error) {
	return []queue.Region{{Name: "eu", Live: true}, {Name: "us", Live: true}}, nil
}

func (q *regionsQueue) JobLate(_ context.Context, region string) (time.Duration, error) {
	return q.late[region], nil
}

// readCounter is the monitor service with what its claims read counted:
// the monitors handed to the pusher, and the slots skipped before any
// monitor was read. Without skip it offers ClaimDue alone, as a claimer
// that cannot skip before reading would.
type readCounter struct {
	svc         *monitor.Service
	read, early int
}

func (c *readCounter) ClaimDue(ctx context.Context, now time.Time, limit int, fn func([]monitor.Monitor) (map[int64]time.Time, error)) (int, error) {
	return c.svc.ClaimDue(ctx, now, limit, func(ms []monitor.Monitor) (map[int64]time.Time, error) {
		c.read += len(ms)
		return fn(ms)
	})
}

type skipReadCounter struct{ *readCounter }

func (c skipReadCounter) ClaimDueWith(ctx context.Context, now time.Time, limit int, cl monitor.Claim, fn func([]monitor.Monitor) (map[int64]time.Time, error)) (int, error) {
	if skip := cl.Skip; skip != nil {
		cl.Skip = func(d monitor.Due) (time.Time, bool) {
			next, ok := skip(d)
			if ok {
				c.early++
			}
			return next, ok
		}
	}
	return c.svc.ClaimDueWith(ctx, now, limit, cl, func(ms []monitor.Monitor) (map[int64]time.Time, error) {
		c.read += len(ms)
		return fn(ms)
	})
}

// TestSkipBeforeReadSkipsTheSameSlots: on real PostgreSQL, 400 monitors in
// eu, us, both, or every live region, over ten minutes with eu's workers
// admitting half of what is due and us's a quarter: a pusher that skips
// before reading publishes exactly the jobs, and counts exactly the skips,
// of one that reads every monitor and skips while publishing; and it does
// not read a monitor whose slot is skipped in all its regions.
func TestSkipBeforeReadSkipsTheSameSlots(t *testing.T) {
	ctx := context.Background()
	late := map[string]time.Duration{"eu": DefaultAdmitWait * 3 / 2, "us": DefaultAdmitWait * 7 / 4}
	regionSets := [][]string{{"eu"}, {"eu", "us"}, nil, {"us"}}
	type outcome struct {
		jobs    []string
		skipped map[string]float64
		c       *readCounter
	}
	run := func(skipFirst bool) outcome {
		db := testenv.MustDatabase(t, "postgres")
		var uid int64
		if err := db.Raw("INSERT INTO users (email, password_hash) VALUES ('skip@example.com', 'x') RETURNING id").Scan(&uid).Error; err != nil {
			t.Fatal(err)
		}
		ws := testenv.Workspace(t, db, uid)
		clk := &testClock{now: t0}
		log := slog.New(slog.DiscardHandler)
		svc := monitor.New(db, monitor.Config{MinInterval: time.Second, Now: clk.Now}, log)
		ms := make([]monitor.Monitor, 400)
		for i := range ms {
			id := int64(i + 1)
			h := probe.NewHTTP()
			h.URL = fmt.Sprintf("http://127.0.0.1:9/m/%d", id)
			spec, err := probe.SpecOf("http", h)
			if err != nil {
				t.Fatal(err)
			}
			due := NextSlot(id, time.Minute, t0.Add(5*time.Second))
			ms[i] = monitor.Monitor{ID: id, Name: fmt.Sprint("m", id), Check: spec, Target: h.URL, IntervalSeconds: 60,
				TimeoutMS: 5000, FailureThreshold: 2, RecoveryThreshold: 2, NextRunAt: &due, Regions: regionSets[i%4]}
		}
		if err := svc.Seed(ctx, ws, ms); err != nil {
			t.Fatal(err)
		}
		q := &regionsQueue{late: late}
		c := &readCounter{svc: svc}
		var cl claimer = c
		if skipFirst {
			cl = skipReadCounter{c}
		}
		p := New(cl, q, Config{Tick: time.Second, Now: clk.Now}, log, prometheus.NewRegistry())
		p.over = true // as if the last tick had seen the lateness
		for range 600 {
			clk.Add(time.Second)
			if err := p.Tick(ctx); err != nil {
				t.Fatal(err)
			}
		}
		out := outcome{skipped: map[string]float64{}, c: c}
		for _, j := range q.jobs {
			out.jobs = append(out.jobs, j.Region+"/"+j.ID)
		}
		slices.Sort(out.jobs)
		for _, r := range []string{"eu", "us"} {
			out.skipped[r] = testutil.ToFloat64(p.skipped.WithLabelValues(r))
		}
		return out
	}
	plain, early := run(false), run(true)
	// Every slot due by the last tick's horizon (a second and three
	// quarters ahead of the clock) is claimed once.
	total := 0
	for id := int64(1); id <= 400; id++ {
		for at := NextSlot(id, time.Minute, t0.Add(5*time.Second)); !at.After(t0.Add(600*time.Second + 1750*time.Millisecond)); at = at.Add(time.Minute) {
			total++
		}
	}
	if plain.c.read != total {
		t.Fatalf("the reading pusher read %d monitors over ten minutes, want %d (every slot due)", plain.c.read, total)
	}
	if !slices.Equal(plain.jobs, early.jobs) {
		t.Errorf("skipping before reading published %d jobs, reading first %d; they differ", len(early.jobs), len(plain.jobs))
	}
	if !maps.Equal(plain.skipped, early.skipped) {
		t.Errorf("skipped slots per region: %v skipping before reading, %v reading first", early.skipped, plain.skipped)
	}
	// Slots published nowhere are the ones skipped in every region.
	published := map[string]bool{}
	for _, j := range plain.jobs {
		published[j[3:]] = true
	}
	nowhere := total - len(published)
	if nowhere < total/4 {
		t.Fatalf("only %d of %d slots were skipped everywhere: the load does not test skipping", nowhere, total)
	}
	if early.c.early != nowhere || early.c.read != total-nowhere {
		t.Errorf("skipping before reading: %d slots skipped unread and %d monitors read, want %d and %d",
			early.c.early, early.c.read, nowhere, total-nowhere)
	}
}

// dueOrNot hands out one due monitor when due is set, nothing otherwise,
// and says which way it was asked to claim.
type dueOrNot struct {
	due     bool
	skipped bool // the last claim came with a skip function
}

func (c *dueOrNot) ClaimDue(_ context.Context, now time.Time, _ int, fn func([]monitor.Monitor) (map[int64]time.Time, error)) (int, error) {
	c.skipped = false
	if !c.due {
		return 0, nil
	}
	next := slotAfter(1, time.Minute, now.Add(-time.Minute)) // a pusher's slot, due by now
	_, err := fn([]monitor.Monitor{{ID: 1, IntervalSeconds: 60, Regions: []string{"eu"}, NextRunAt: &next}})
	return 1, err
}

func (c *dueOrNot) ClaimDueWith(ctx context.Context, now time.Time, limit int, cl monitor.Claim, fn func([]monitor.Monitor) (map[int64]time.Time, error)) (int, error) {
	n, err := c.ClaimDue(ctx, now, limit, fn)
	c.skipped = cl.Skip != nil
	return n, err
}

// TestSkipBeforeReadAfterATickOverTheLimit: a claim skips before reading
// only after a tick that found a region's lateness past the admission
// limit (not at it); a tick that published nothing, and so read no
// lateness, leaves that as it was.
func TestSkipBeforeReadAfterATickOverTheLimit(t *testing.T) {
	q := &lateQueue{}
	c := &dueOrNot{due: true}
	p := New(c, q, Config{Tick: time.Second}, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	for i, step := range []struct {
		late      time.Duration
		due       bool
		skipFirst bool // how this tick claims, from the tick before
	}{
		{DefaultAdmitWait, true, false},
		{DefaultAdmitWait + time.Nanosecond, true, false},
		{DefaultAdmitWait, true, true},
		{DefaultAdmitWait + time.Nanosecond, true, false},
		{0, false, true},
		{0, true, true},
		{DefaultAdmitWait, true, false},
	} {
		q.late, c.due = step.late, step.due
		if err := p.Tick(context.Background()); err != nil {
			t.Fatal(err)
		}
		if c.skipped != step.skipFirst {
			t.Errorf("tick %d (lateness %s, due %t): claimed skipping first = %t, want %t", i, step.late, step.due, c.skipped, step.skipFirst)
		}
	}
}

// TestSkipBeforeReadRule: with nothing admitted a slot is skipped before
// reading even right after one that was (the same as publish: none means
// none); with everything admitted none is; a monitor with no region to run
// in, or without an interval, goes the usual way (publish counts it as
// having no region).
func TestSkipBeforeReadRule(t *testing.T) {
	ctx := context.Background()
	at := slotAfter(7, time.Minute, time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)) // one of monitor 7's slots
	for _, tc := range []struct {
		name     string
		late     time.Duration
		last     bool // skipped at its last slot
		d        monitor.Due
		live     []string
		wantSkip bool
	}{
		{"none admitted, skipped last time too", 2 * DefaultAdmitWait, true, monitor.Due{MonitorID: 7, At: at, Interval: time.Minute, Regions: []string{"eu"}}, nil, true},
		{"none admitted, every live region", 2 * DefaultAdmitWait, false, monitor.Due{MonitorID: 7, At: at, Interval: time.Minute}, []string{"eu"}, true},
		{"all admitted", DefaultAdmitWait, false, monitor.Due{MonitorID: 7, At: at, Interval: time.Minute, Regions: []string{"eu"}}, nil, false},
		{"no region to run in", 2 * DefaultAdmitWait, false, monitor.Due{MonitorID: 7, At: at, Interval: time.Minute}, nil, false},
		{"no interval", 2 * DefaultAdmitWait, false, monitor.Due{MonitorID: 7, At: at, Regions: []string{"eu"}}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := New(nil, &lateQueue{late: tc.late}, Config{Tick: time.Second}, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
			p.skippedLast[7] = tc.last
			next, skip := p.skipBeforeRead(ctx, tc.d, tc.live, at)
			if skip != tc.wantSkip {
				t.Fatalf("skipped = %t, want %t", skip, tc.wantSkip)
			}
			if !skip {
				return
			}
			if want := NextSlot(7, time.Minute, at); !next.Equal(want) || !p.skippedLast[7] {
				t.Errorf("next %v (remembered as skipped: %t), want %v and remembered", next, p.skippedLast[7], want)
			}
			if got := testutil.ToFloat64(p.skipped.WithLabelValues("eu")); got != 0 || p.preSkipped["eu"] != 1 {
				t.Errorf("counted %v now and %d for after the claim, want 0 and 1 (recorded once the claim commits)", got, p.preSkipped["eu"])
			}
		})
	}
}
