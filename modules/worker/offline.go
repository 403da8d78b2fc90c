package worker

import (
	"strconv"
	"time"

	"github.com/betterstack/betterstack/modules/queue"
)

// Decisions about the control plane, kept pure so their boundaries are
// tested; offline_loop.go does the I/O.

// Down reports whether the control plane counts as unreachable at now: a
// queue call failed at failingSince, none has succeeded since, and that was
// at least after ago. A single failed call (a timeout, a failover's second)
// is not an outage.
func Down(failingSince, now time.Time, after time.Duration) bool {
	return !failingSince.IsZero() && now.Sub(failingSince) >= after
}

// Followed reports whether a monitor whose last job was scheduled at last
// was still being scheduled when the control plane was last reached
// (lastOK): its last job is at most two intervals older than that. Any
// older, it was probably paused or deleted, and is not checked offline.
func Followed(last time.Time, interval time.Duration, lastOK time.Time) bool {
	return interval > 0 && !lastOK.IsZero() && lastOK.Sub(last) <= 2*interval
}

// handoverFor bounds how long a worker whose control plane answers again
// goes on checking offline while no job arrives: the pusher is back within
// seconds as a rule, and one that is not is no reason to check forever.
const handoverFor = 30 * time.Second

// Handover reports whether a worker whose queue calls succeed again since
// back (after failing) still checks the monitors it knows itself at now:
// while it has read no job for a slot at or after back (newestSlot, the
// newest slot of the jobs read, is before it), for less than within. Redis
// may answer before the pusher publishes again (the pusher needs its
// database too, and a tick); the slots in between are checked by no one
// else. Jobs left in the stream from before the outage do not count. A job
// for a slot since back ends it: the pusher is publishing, and its jobs
// for slots checked meanwhile are skipped as done.
func Handover(back, newestSlot, now time.Time, within time.Duration) bool {
	return !back.IsZero() && newestSlot.Before(back) && now.Sub(back) < within
}

// OfflineUntil is when offline checking ends: offlineFor after the control
// plane was last reached (zero time when disabled or never reached).
func OfflineUntil(lastOK time.Time, offlineFor time.Duration) time.Time {
	if offlineFor <= 0 || lastOK.IsZero() {
		return time.Time{}
	}
	return lastOK.Add(offlineFor)
}

// OfflineSlots returns, in order, the slots of a monitor to check offline
// at now: the slots after its last one (last + k*interval, k >= 1) that are
// due (not after now), within offline checking (not after until), and not
// too late to be worth running (at most interval + grace before now; grace
// covers the time it took to notice the outage, as StaleClaimed does for
// takeovers, so the slots of those seconds are not lost).
func OfflineSlots(last time.Time, interval time.Duration, now, until time.Time, grace time.Duration) []time.Time {
	if interval <= 0 || until.IsZero() {
		return nil
	}
	k := int64(1)
	if earliest := now.Add(-interval - grace); earliest.After(last) {
		// Skip the slots too late to run without walking through them.
		k = max(k, int64((earliest.Sub(last)+interval-1)/interval))
	}
	var out []time.Time
	for slot := last.Add(time.Duration(k) * interval); !slot.After(now) && !slot.After(until); slot = slot.Add(interval) {
		out = append(out, slot)
	}
	return out
}

// slotKey names one slot of one monitor.
type slotKey struct {
	monitor int64
	slot    int64 // unix ms, as in the job id
}

func keyOf(monitorID int64, slot time.Time) slotKey {
	return slotKey{monitor: monitorID, slot: slot.UnixMilli()}
}

// jobID is the id the pusher gives a monitor's slot ("<monitor>:<unix ms>"),
// so a result checked offline is the same slot as the job it stands for.
func jobID(monitorID int64, slot time.Time) string {
	return strconv.FormatInt(monitorID, 10) + ":" + strconv.FormatInt(slot.UnixMilli(), 10)
}

// offlineJob is the job for slot of the monitor whose latest job is j.
func offlineJob(j queue.Job, slot time.Time) queue.Job {
	j.ID = jobID(j.MonitorID, slot)
	j.ScheduledAt = slot
	return j
}

// doneFor is how long a slot checked without the control plane is
// remembered: until a job for it can no longer arrive without being
// dropped as stale (claimed jobs get the takeover time on top).
func doneFor(interval, claimIdle time.Duration) time.Duration {
	return 2*interval + claimIdle + time.Minute
}
