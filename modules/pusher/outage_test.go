package pusher

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/queue"
)

// TestUserChangesWinOverMemory: check now, an edited URL or interval, and a
// resume take effect at the next claim, whether or not the pushers
// scheduled the monitor from memory during an earlier database outage. (The
// pushers used to let their memory of a later slot win over the database's
// next_run_at, so an hourly monitor ignored all of these for up to an hour.)
func TestUserChangesWinOverMemory(t *testing.T) {
	setups := []struct {
		name    string
		pushers int
		outage  bool
	}{
		{"one pusher after an outage", 1, true},
		{"two pushers after an outage", 2, true},
		{"two pushers without an outage", 2, false},
	}
	changes := []struct {
		name string
		do   func(t *testing.T, r *rig, m monitor.Monitor)
	}{
		{"check now", func(t *testing.T, r *rig, m monitor.Monitor) {
			for press := range 3 {
				at := r.clock.Now()
				if err := r.monitors.CheckNow(context.Background(), r.owner, m.ID); err != nil {
					t.Fatal(err)
				}
				if got := slotsAt(of(r.step(r.tick), m.ID), at); got != 1 {
					t.Fatalf("press %d at %v: %d checks queued at the next claim, want 1", press+1, at, got)
				}
				r.run(10*time.Second, r.tick)
			}
		}},
		{"edited URL", func(t *testing.T, r *rig, m monitor.Monitor) {
			at := r.clock.Now()
			r.update(m.ID, monitor.Input{LegacyHTTP: monitor.LegacyHTTP{URL: ptr("http://fixed.example/")}})
			jobs := of(r.step(r.tick), m.ID)
			if len(jobs) != 1 || !jobs[0].ScheduledAt.Equal(at) || jobURL(t, jobs[0]) != "http://fixed.example/" {
				t.Fatalf("after the edit at %v the next claim queued %s, want one check of the new URL at once", at, describe(t, jobs))
			}
			for _, j := range of(r.run(2*time.Hour, time.Minute), m.ID) {
				if u := jobURL(t, j); u != "http://fixed.example/" {
					t.Fatalf("slot %v checks %s after the edit", j.ScheduledAt, u)
				}
			}
		}},
		{"edited interval", func(t *testing.T, r *rig, m monitor.Monitor) {
			at := r.clock.Now()
			r.update(m.ID, monitor.Input{IntervalSeconds: ptr(120)})
			if got := slotsAt(of(r.step(r.tick), m.ID), at); got != 1 {
				t.Fatalf("after the edit at %v the next claim queued %d checks at once, want 1", at, got)
			}
			jobs := of(r.run(10*time.Minute, 5*time.Second), m.ID)
			if len(jobs) != 5 {
				t.Fatalf("10 minutes at the new 2-minute interval queued %s, want 5 checks", describe(t, jobs))
			}
			for i, j := range jobs {
				if !onPhaseMs(m.ID, 2*time.Minute, j.ScheduledAt) || j.IntervalSeconds != 120 {
					t.Fatalf("slot %v (interval %d s) is not on the new interval's phase", j.ScheduledAt, j.IntervalSeconds)
				}
				if i > 0 && j.ScheduledAt.Sub(jobs[i-1].ScheduledAt) != 2*time.Minute {
					t.Fatalf("slots %v and %v are not 2 minutes apart", jobs[i-1].ScheduledAt, j.ScheduledAt)
				}
			}
		}},
		{"resume after pause", func(t *testing.T, r *rig, m monitor.Monitor) {
			r.update(m.ID, monitor.Input{Paused: ptr(true)})
			if jobs := of(r.run(5*time.Minute, 10*time.Second), m.ID); len(jobs) != 0 {
				t.Fatalf("paused, yet queued %s", describe(t, jobs))
			}
			at := r.clock.Now()
			r.update(m.ID, monitor.Input{Paused: ptr(false)})
			if got := slotsAt(of(r.step(r.tick), m.ID), at); got != 1 {
				t.Fatalf("after the resume at %v the next claim queued %d checks at once, want 1", at, got)
			}
		}},
	}
	for _, s := range setups {
		for _, c := range changes {
			t.Run(s.name+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				r := newRig(t, s.pushers)
				m := r.create("http://broken.example/", time.Hour)
				// Two hours of normal scheduling: every pusher claims the
				// monitor and remembers its next slot.
				if n := len(of(r.run(2*time.Hour, time.Minute), m.ID)); n < 2 {
					t.Fatalf("%d checks in the first two hours, want one at creation, then hourly", n)
				}
				if s.outage {
					r.outage(true)
					r.run(20*time.Minute, time.Minute)
					r.outage(false)
				}
				r.run(5*time.Second, r.tick)
				c.do(t, r, m)
			})
		}
	}
}

// TestTwoPushersThroughAnOutage: two pushers schedule 240 monitors, the
// database goes away for 12 minutes and comes back. Every slot of every
// monitor is queued exactly once, on the monitor's phase, and the return
// of the database queues no burst: each second holds about the average
// number of checks. (The pushers used to queue one extra, off-phase check
// of every monitor the claiming pusher did not remember, all in the second
// the database returned, and skip the on-phase slot after it.)
func TestTwoPushersThroughAnOutage(t *testing.T) {
	t.Parallel()
	const n, interval = 240, time.Minute
	r := newRig(t, 2)
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = r.create(fmt.Sprintf("http://site-%d.example/", i), interval).ID
	}
	created := r.clock.Now()

	perSecond := map[time.Time]int{}
	var all []queue.Job
	record := func(total, every time.Duration) []queue.Job {
		var jobs []queue.Job
		for end := r.clock.Now().Add(total); r.clock.Now().Before(end); {
			got := r.step(every)
			perSecond[r.clock.Now()] += len(got)
			jobs = append(jobs, got...)
		}
		all = append(all, jobs...)
		return jobs
	}

	record(3*time.Minute, time.Second)
	r.outage(true)
	during := record(12*time.Minute, 30*time.Second)
	if len(during) < n*11 {
		t.Fatalf("%d checks during a 12-minute outage, want about %d (from the pushers' memory)", len(during), n*12)
	}
	// The outage outlasted the queue's dedupe window: markers of slots
	// queued more than JobDedupeTTL ago have expired, so nothing but the
	// pushers themselves stops such a slot being queued again.
	returned := r.clock.Now()
	var expired []queue.Job
	for _, j := range all {
		if j.ScheduledAt.Before(returned.Add(-queue.DefaultJobDedupeTTL)) {
			expired = append(expired, j)
		}
	}
	r.forgetMarkers(expired)
	r.outage(false)
	record(3*time.Minute, time.Second)
	end := r.clock.Now()

	// No burst: from the return on, no second holds more than twice the
	// average (n / 60 = 4 a second) plus a little.
	limit := 2*n/int(interval/time.Second) + 2
	for at, c := range perSecond {
		if at.After(returned) && c > limit {
			t.Errorf("%d checks queued in the second %v (the database returned at %v), want at most %d", c, at, returned, limit)
		}
	}

	// Every slot exactly once: the check at creation, then each slot on the
	// monitor's phase up to the last claim, none missed, none twice.
	lookahead := r.pushers[0].cfg.Lookahead
	for _, id := range ids {
		want := []time.Time{created}
		for s := NextSlot(id, interval, created); !s.After(end.Add(lookahead)); s = s.Add(interval) {
			want = append(want, s)
		}
		var got []time.Time
		for _, j := range of(all, id) {
			got = append(got, j.ScheduledAt)
		}
		if diff := compareSlots(want, got); diff != "" {
			t.Errorf("monitor %d: %s", id, diff)
		}
	}
}

// compareSlots describes how got differs from want ("" when equal).
func compareSlots(want, got []time.Time) string {
	count := map[int64]int{}
	for _, s := range got {
		count[s.UnixMilli()]++
	}
	var out string
	for _, s := range want {
		switch count[s.UnixMilli()] {
		case 0:
			out += fmt.Sprintf(" missed %v;", s)
		case 1:
		default:
			out += fmt.Sprintf(" %v queued %d times;", s, count[s.UnixMilli()])
		}
		delete(count, s.UnixMilli())
	}
	for ms, c := range count {
		out += fmt.Sprintf(" %d extra check(s) at %v;", c, time.UnixMilli(ms).UTC())
	}
	return out
}

// onPhaseMs reports whether at is one of the monitor's slots, to the
// millisecond a job id keeps.
func onPhaseMs(id int64, interval time.Duration, at time.Time) bool {
	off := (at.UnixNano() - int64(phase(id, interval))) % int64(interval)
	if off < 0 {
		off += int64(interval)
	}
	return off < int64(time.Millisecond) || int64(interval)-off < int64(time.Millisecond)
}

// slotsAt counts the jobs scheduled at at.
func slotsAt(jobs []queue.Job, at time.Time) int {
	n := 0
	for _, j := range jobs {
		if j.ScheduledAt.Equal(at) {
			n++
		}
	}
	return n
}

// describe lists jobs for a failure message.
func describe(t *testing.T, jobs []queue.Job) string {
	t.Helper()
	if len(jobs) == 0 {
		return "nothing"
	}
	out := fmt.Sprintf("%d checks:", len(jobs))
	for _, j := range jobs {
		out += fmt.Sprintf(" %v %s;", j.ScheduledAt, jobURL(t, j))
	}
	return out
}

func ptr[T any](v T) *T { return &v }
