// Package pusher schedules checks: it finds monitors whose next check is due
// and publishes one job per target region to the queue.
//
// Data enters from the schedule (monitor.Service.ClaimDue: the narrow
// monitor_schedule table, which the monitor service keeps in step with
// every monitor) and the queue's worker heartbeats (which regions are
// live); it leaves as queue jobs. A claim writes only the schedule's row,
// never the monitor's own (migration 00012 says why).
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
// Overload of the workers: a region whose oldest untaken job is more than
// 2 s late gets only a share of what is due there, and the rest of its
// slots are skipped and counted, so the checks the workers can take run on
// time instead of all of them an interval late; a slot skipped in every
// region is moved on before its monitor is read, so a skip costs a third
// of a claim (admission.go says how and why).
//
// Overload of the pusher: a tick starts no new claim after claim_timeout (5 s) and leaves
// what is still due to the next tick (betterstack_pusher_ticks_behind_total
// and a log line at most once a minute); a claim begun is always finished.
// Cutting one off after its jobs were published would leave its monitors
// due, to be claimed and published again: the more overloaded, the more
// work done twice, which is how a pusher collapses instead of slowing down.
//
// Slow is not down: when one claim runs past claim_timeout the
// pusher pings the database; if it answers, the database is slow (load,
// contention), scheduling stays with it, the tick publishes nothing more,
// the late slots are claimed on the next tick, and a metric
// (betterstack_pusher_claims_slow_total) and a log line at most once a
// minute say checks are running late. Only a database that does not answer
// a ping sends the pusher to its memory: under overload, memory would run
// slots from a stale schedule and ignore users' changes.
// The claim carries its deadline to PostgreSQL as statement_timeout, so a
// claim given up on stops in the server too instead of taking the due rows
// and database time from the claims after it.
//
// The same memory saves each claim most of its work: a due monitor whose
// row is unchanged since this pusher last claimed it (PostgreSQL's xmin
// and updated_at, read with the due slot) is published from the
// remembered copy instead of being read and decoded again
// (monitor.Claim.Known). A row any write changed, through the service or
// not, is read. Chosen over caching in the monitor service because the
// pusher's memory already holds every monitor it schedules: a second copy
// would double the largest part of its heap.
//
// Database outages: the pusher remembers every monitor it claimed (within
// one interval that is every monitor it schedules) with its next slot. When
// claiming fails it goes on publishing from that memory; slot ids are
// deterministic, so the queue's dedupe drops what another pusher publishes
// again. Monitors created or edited during the outage wait for the
// database; one not handed out for two intervals while the database
// answers is forgotten (deleted or paused).
//
// Memory never outranks the database. Once the database answers, its
// next_run_at is the schedule and memory is not consulted, so a user's check
// now, edit or resume (each sets next_run_at to the moment it happened) runs
// at the next claim of any pusher, whatever slots the pushers remember.
//
// One exception reconciles an outage without a herd (continueAfter).
// Pushers write only times on the monitor's phase to next_run_at; users write
// the moment they acted, which is off it (a coincidence to the microsecond
// is harmless: that very slot was published). A claimed next_run_at on the
// phase, not after this pusher's memory horizon (every slot it remembered
// was published up to then) and more than a few seconds late, is a slot the
// pushers published from memory: this pusher's, or a peer's, since the
// pusher that wrote that next_run_at remembers the monitor. It is recorded as
// run, not run again, and the schedule continues at the monitor's first
// slot after the horizon, on its phase. (Without this, each monitor whose
// claimer did not remember it ran once more, off phase, in the second the
// database came back, and skipped its next slot: with two pushers, most
// monitors at once.) A slot only a few seconds late is published again
// under its own id; the dedupe still holds it, and a peer's clock may be
// that far off. The same rule applies the other way when an outage starts:
// a remembered slot at or before the last claim's horizon (a peer claimed
// the monitor since) went through the database and is skipped, not run late
// and off phase.
//
// What this gives up: slots that no pusher remembered (every pusher
// restarted during the outage) are not run late when the database is back;
// the monitor continues at its next slot, within one interval, so a long
// outage never ends in a burst. A pusher cut off from a database that the
// others still reach publishes what it remembers, old settings included,
// until it is back; the others apply an edit at once.
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

// onPhase reports whether t is one of the monitor's slots, to the
// microsecond the database keeps (it truncates). Pushers write only such
// times to next_run_at; a user's check now, edit or resume, and a new
// monitor, write the moment they happened, which is off the phase but for a
// one in (interval in microseconds) coincidence. That coincidence is
// harmless where onPhase is used: the slot at that very instant was
// published.
func onPhase(id int64, interval time.Duration, t time.Time) bool {
	if interval <= 0 {
		return false
	}
	off := (t.UnixNano() - int64(phase(id, interval))) % int64(interval)
	if off < 0 {
		off += int64(interval)
	}
	return off < int64(time.Microsecond) || int64(interval)-off < int64(time.Microsecond)
}

// slotAfter returns the monitor's first slot strictly after t.
func slotAfter(id int64, interval time.Duration, t time.Time) time.Time {
	ph := int64(phase(id, interval))
	base := t.UnixNano() - ph
	k := base / int64(interval)
	if base < 0 && base%int64(interval) != 0 {
		k-- // floor, not truncation, before 1970
	}
	return time.Unix(0, (k+1)*int64(interval)+ph).UTC()
}

// recentSlack is how late a slot may be and still be published again under
// its own id rather than taken as already published: the queue's dedupe
// (minutes) surely still holds a slot this recent, and a peer pusher's
// clock may be this far from ours.
const recentSlack = 5 * time.Second

// continueAfter decides whether a monitor due at dueAt has a slot that was
// already published by the other scheduling path, and where its schedule
// continues if so. covered is the time up to which the other path
// published every due slot: the memory horizon when the database hands out
// a monitor after an outage, the last claim's horizon when memory takes
// over at the start of one.
//
// Only a slot on the monitor's phase (one a pusher wrote), not after
// covered and later than recentSlack (at most half an interval) counts:
// then that slot and every later one up to covered were published, and the
// schedule continues at the first slot after covered, on phase, not now.
// Anything else is the database's word, a user's request included, and is
// run as it says.
func continueAfter(id int64, interval time.Duration, dueAt, covered, now time.Time) (time.Time, bool) {
	if interval <= 0 || covered.IsZero() || dueAt.After(covered) || !onPhase(id, interval, dueAt) {
		return time.Time{}, false
	}
	if now.Sub(dueAt) <= min(recentSlack, interval/2) {
		return time.Time{}, false
	}
	return slotAfter(id, interval, covered), true
}

// JobID names one slot of one monitor; the same slot always gets the same id.
func JobID(monitorID int64, slot time.Time) string {
	return formatID(monitorID, slot.UnixMilli())
}
