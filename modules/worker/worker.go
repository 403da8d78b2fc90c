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
//
// # Without the control plane
//
// A worker outlives Redis. When is Redis "down" for it: queue calls (the
// job read that runs every second, the heartbeat, publishing) have failed
// for DownAfter (2 s) with none succeeding (Down); one failed call is not
// an outage. The worker logs the change both ways and shows it in
// betterstack_worker_offline.
//
// Results it cannot publish go to a local spool (Config.Spool, package
// spool: append-only JSON-lines segment files in data_dir/spool/<region>,
// fsync'd per batch, at most worker_spool_max results, default 100,000;
// when full the oldest segments are dropped and counted, and a check never
// waits for room; a failed write, a full disk say, loses that batch,
// counted and logged, and the next batch tries again). Their jobs stay
// unacked in Redis; their slots are remembered, so when Redis gives the
// jobs back (claimed after ClaimIdle) they are dropped, not run twice.
// Once Redis answers again, the spool is published oldest first with
// PublishResults (no job ack) and each segment deleted after it was
// published; a crash in between publishes it again, which is harmless as
// ingest is idempotent on monitor, region and scheduled time. The spool
// survives a restart: the next worker on the same data directory publishes
// it. (One worker per data directory and region: two would share a spool.)
//
// While Redis is down the worker also goes on checking the monitors it
// knows from their jobs (each carries the interval, the slot and the whole
// probe request), at their own slots: last slot + k x interval (OfflineSlots),
// including the slots of the seconds it took to notice, and spools the
// results, so history has no gap after a short control-plane outage. A slot
// checked offline is remembered, so its job, should the pusher publish it
// after all, is skipped; if a peer runs it, ingest stores it once. Offline
// checking is bounded (worker_offline_checks_for, default 15 min after
// Redis was last reached; 0 turns it off) because the monitor list ages:
// monitors edited, paused or deleted meanwhile would go on being checked
// with stale settings, and a long outage should not fill the spool with
// results of a copy of the configuration. A monitor whose last job is more
// than two intervals older than the last contact is not followed
// (Followed). When Redis answers again the worker goes on checking so
// until it reads a job for a slot since then, for at most 30 s (Handover):
// the pusher needs its database too and a tick before it publishes, and
// the slots in between would be checked by no one; the jobs it then
// publishes for slots already checked are skipped as done. Metrics: betterstack_worker_spool_results,
// _results_spooled_total, _spool_dropped_total{reason}, _results_replayed_total,
// _offline_checks_total, _jobs_skipped_done_offline_total.
//
// # Fallback notices
//
// An outage of the central stack must not also silence alerts. With
// Config.Fallback set (worker_fallback_webhook), a worker tells that
// webhook itself when a monitor it checks is confirmed down while its
// results cannot reach the control plane, and when it recovers.
//
// What counts: results the worker could not publish while Redis was down
// (Down) are "offline"; their alerter cannot see them. Each monitor's
// results are folded into a Watch (Observe), counted as the alerter counts
// a region's: failing after the monitor's failure_threshold consecutive
// failed checks, healthy after recovery_threshold passes (degraded passes),
// both carried in the job; a job of an older pusher carries neither, and
// then 3 failed checks confirm, 1 pass recovers. The retry of a failed
// check (RetryDelay) happens before, as online. A failure confirmed by an
// offline result gets one down notice, however long it lasts; its recovery
// confirmed offline gets one recovered notice. Never while online: a
// failure confirmed online was the alerter's to tell (no notice when
// contact is lost later, nor for its recovery), and a recovery confirmed
// online is too. The alerter stores the spooled results once Redis is
// back and opens its own incident then; the fallback notice does not
// replace it. The view is the worker's own: each worker of a region that
// checks the monitor offline sends its notices (the idempotency key names
// region, monitor and first failed slot, not the worker, so a receiver can
// dedupe), and online the jobs of a region are shared, so a worker may see
// only some of a monitor's checks.
//
// Bounded: at most FallbackPerMinute (worker_fallback_per_minute, 20)
// notices in any minute (Gate). Past the cap notices are held back, and as
// soon as the cap has room again (at most a minute later) one summary goes
// out with how many of each kind were held back and the first 100
// monitors. A worker whose own network broke, with 10,000 monitors, sends
// 20 notices and then a summary a minute, not 10,000.
//
// Delivery never blocks checking: observed notices and notices to send
// wait in bounded queues (a full one drops the notice, counted and
// logged), and one goroutine sends them in order, each attempt bounded by
// 10 s, retried after 2 s and 8 s (or the Retry-After of a 429 or 503, up
// to 30 s) unless refused for good (a 4xx); a failure is logged. The body
// (notify.FallbackHook) names the monitor (id, name, kind, target), the
// worker and region, the last contact with the control plane, the first
// failed slot, the consecutive failures, the last error, and says in
// words that it is a fallback notice from a worker cut off from its
// control plane; with worker_fallback_secret it is signed as channel
// webhooks are (BetterStack-Signature). Metric:
// betterstack_worker_fallback_notices_total{type,outcome}.
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
