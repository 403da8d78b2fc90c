package worker

import (
	"context"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/queue"
)

func TestStale(t *testing.T) {
	slot := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	job := queue.Job{ScheduledAt: slot, IntervalSeconds: 2, Request: probe.HTTPRequest(probe.HTTP{}, 1000, 0)}
	claimIdle := 6 * time.Second
	for _, tc := range []struct {
		name         string
		age          time.Duration
		stale, claim bool
	}{
		{"on time", 0, false, false},
		{"within the interval", 1900 * time.Millisecond, false, false},
		{"older than the interval: read jobs are dropped", 2100 * time.Millisecond, true, false},
		{"a claimed job still runs after the takeover", 8 * time.Second, true, false},
		{"a claimed job too old even for a takeover", 11 * time.Second, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := slot.Add(tc.age)
			if got := Stale(job, now); got != tc.stale {
				t.Errorf("Stale = %v, want %v", got, tc.stale)
			}
			if got := StaleClaimed(job, now, claimIdle); got != tc.claim {
				t.Errorf("StaleClaimed = %v, want %v", got, tc.claim)
			}
		})
	}
}

// flakyChecker fails the first check of each job and passes the re-check.
type flakyChecker struct{ calls map[string]int }

func (f *flakyChecker) Check(_ context.Context, req probe.Request) probe.Result {
	f.calls[req.Check.Kind]++
	if f.calls[req.Check.Kind] == 1 {
		return probe.Result{Status: probe.StatusDown, ErrorClass: probe.ClassHTTPStatus, StatusCode: 500}
	}
	return probe.Result{Status: probe.StatusUp, StatusCode: 200}
}

// TestRecheck: a failed check is re-checked once before it counts, also
// with the default timeout (9 s at a 10 s interval); with no time left
// before the next slot it is not.
func TestRecheck(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name      string
		age       time.Duration // time already spent since the slot
		wantUp    bool
		wantCalls int
	}{
		{"fresh slot: re-checked and up", 0, true, 2},
		{"too close to the next slot: reported down", 9 * time.Second, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fc := &flakyChecker{calls: map[string]int{}}
			w := &Worker{cfg: Config{RetryDelay: time.Millisecond, Now: func() time.Time { return now }}, probe: fc}
			j := queue.Job{ScheduledAt: now.Add(-tc.age), IntervalSeconds: 10, Request: probe.HTTPRequest(probe.HTTP{URL: "http://t/"}, 9000, 0)}
			res := w.check(j)
			if (res.Status == probe.StatusUp) != tc.wantUp || fc.calls["http"] != tc.wantCalls || res.Retried != (tc.wantCalls == 2) {
				t.Fatalf("result %+v after %d calls; want up=%v after %d", res, fc.calls["http"], tc.wantUp, tc.wantCalls)
			}
		})
	}
}
