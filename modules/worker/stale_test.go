package worker

import (
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/queue"
)

func TestStale(t *testing.T) {
	slot := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	job := queue.Job{ScheduledAt: slot, IntervalSeconds: 2, Request: probe.Request{TimeoutMS: 1000}}
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
