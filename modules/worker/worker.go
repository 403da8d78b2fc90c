// Package worker runs checks for one region: it reads the region's jobs from
// the queue, runs each probe under its timeout with bounded concurrency and
// publishes the results.
//
// Data enters as queue jobs (one consumer group per region, so the workers
// of a region share its jobs and each job is done once) and leaves as queue
// results; a worker needs only the queue, never the database, so checks go on
// and results wait in Redis while PostgreSQL is down.
//
// Crash safety: a job stays pending in the queue until its result is
// published and the job acked, in one atomic step. A live worker refreshes
// the idle time of the jobs it is running every few seconds, so a pending job
// that nobody has refreshed for ClaimIdle belongs to a dead worker; peers
// claim such jobs and run them. (Refreshing instead of waiting for "the
// job's timeout plus a margin" lets a dead worker's jobs be taken over in
// seconds even when checks may run for two minutes.) A job older than its
// monitor's interval when it is read is dropped and counted: a newer check
// of the same monitor is already due, so running it late would only report
// stale news. A job claimed from a dead worker gets the takeover time on top
// (StaleClaimed): its slot was begun, and with intervals shorter than the
// takeover it would otherwise always be lost.
//
// Shutdown: on cancel the worker stops reading, lets checks in flight finish
// (each is bounded by its own timeout, the whole drain by DrainTimeout),
// publishes and acks their results, and leaves the region's worker list.
// Whatever could not finish stays pending and is claimed by a peer.
package worker

import (
	"fmt"
	"os"
	"time"

	"github.com/betterstack/betterstack/modules/queue"
)

// DefaultID is hostname-pid.
func DefaultID() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "worker"
	}
	return fmt.Sprintf("%s-%d", h, os.Getpid())
}

// Stale reports whether a job is too old to be worth running at now.
func Stale(j queue.Job, now time.Time) bool {
	interval := time.Duration(j.IntervalSeconds) * time.Second
	return interval > 0 && now.Sub(j.ScheduledAt) > interval
}

// StaleClaimed is Stale for a job taken over from a dead worker: it gets
// the time the takeover itself needs (claimIdle) plus its timeout on top of
// its interval, so a short-interval monitor's slot is checked late rather
// than lost when a worker dies mid-check.
func StaleClaimed(j queue.Job, now time.Time, claimIdle time.Duration) bool {
	interval := time.Duration(j.IntervalSeconds) * time.Second
	grace := claimIdle + time.Duration(j.Request.TimeoutMS)*time.Millisecond + time.Second
	return interval > 0 && now.Sub(j.ScheduledAt) > interval+grace
}
