// Package pusher schedules checks: it finds monitors whose next check is due
// and publishes one job per target region to the queue.
//
// Data enters from the monitors table (monitor.Service.ClaimDue) and the
// queue's worker heartbeats (which regions are live); it leaves as queue
// jobs. The pusher owns no table of its own: the schedule is the monitors'
// next_run_at column.
//
// How a slot is enqueued exactly once with several pushers: each pusher
// claims due monitors in a transaction with SELECT ... FOR UPDATE SKIP
// LOCKED, publishes their jobs and moves next_run_at forward before
// committing, so concurrent pushers take disjoint monitors and a dead pusher
// leaves nothing locked (its transaction rolls back, and another pusher
// claims the same monitors on its next tick, within a second). As a second
// guard the queue refuses a job id (monitor + slot) it has seen within its
// dedupe window, which covers a pusher that published and then died before
// its commit. Chosen over leases because the database already serialises the
// rows and no clock agreement between pushers is needed.
//
// Database outages: the pusher remembers every monitor it claimed (within
// one interval that is every monitor it schedules) with its next slot. When
// claiming fails it goes on publishing from that memory; slot ids are
// deterministic, so the queue's dedupe drops what another pusher, or the
// database path once it is back, publishes again. Monitors created or
// edited during the outage wait for the database; one not handed out for two
// intervals is forgotten (deleted or paused).
//
// Spreading: each monitor has a fixed phase inside its interval derived from
// its id, so 10,000 monitors at 60 s arrive at about 167 a second rather than
// all at second 0. A slot missed by more than one interval (every pusher was
// down) is not replayed: the next check runs now and the schedule resumes.
package pusher

import (
	"time"
)

// phase is the monitor's fixed offset inside its interval (Fibonacci
// hashing of the id spreads consecutive ids evenly).
func phase(id int64, interval time.Duration) time.Duration {
	if interval <= 0 {
		return 0
	}
	h := uint64(id) * 0x9E3779B97F4A7C15
	return time.Duration(h % uint64(interval))
}

// NextSlot returns the monitor's first slot after `after`: aligned to its
// phase, and at least half an interval later, so a check that ran off-phase
// (the first one, right after creation) is not followed by another at once.
func NextSlot(id int64, interval time.Duration, after time.Time) time.Time {
	if interval <= 0 {
		return after
	}
	ph := phase(id, interval)
	base := after.UnixNano() - int64(ph)
	k := base / int64(interval)
	next := time.Unix(0, (k+1)*int64(interval)+int64(ph)).UTC()
	if next.Sub(after) < interval/2 {
		next = next.Add(interval)
	}
	return next
}

// Slot returns the slot to check now for a monitor due at dueAt: the due
// time itself, or now when it was missed by more than an interval.
func Slot(dueAt, now time.Time, interval time.Duration) (slot time.Time, missed bool) {
	if now.Sub(dueAt) > interval {
		return now, true
	}
	return dueAt, false
}

// JobID names one slot of one monitor; the same slot always gets the same id.
func JobID(monitorID int64, slot time.Time) string {
	return formatID(monitorID, slot.UnixMilli())
}
