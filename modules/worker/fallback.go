package worker

import (
	"strconv"
	"time"

	"github.com/betterstack/betterstack/modules/notify"
	"github.com/betterstack/betterstack/modules/queue"
)

// Decisions about fallback notices, kept pure so their boundaries are
// tested; fallback_loop.go does the I/O.

// Thresholds used when a job does not carry its monitor's (a job of a
// pusher older than the fields): a failure confirmed by three failed
// checks in a row, a recovery by one passing check.
const (
	DefaultFallbackFailures   = 3
	DefaultFallbackRecoveries = 1
)

// DefaultFallbackPerMinute caps the fallback notices of a worker in any
// minute.
const DefaultFallbackPerMinute = 20

// FallbackThresholds returns the failed checks that confirm j's monitor down
// and the passing checks that confirm it up again: the monitor's own, as
// the job carries them, or the defaults.
func FallbackThresholds(j queue.Job) (failure, recovery int) {
	failure, recovery = j.FailureThreshold, j.RecoveryThreshold
	if failure <= 0 {
		failure = DefaultFallbackFailures
	}
	if recovery <= 0 {
		recovery = DefaultFallbackRecoveries
	}
	return failure, recovery
}

// Watch is what a worker keeps of one monitor's results for fallback
// notices: its consecutive failures and passes, counted as the alerter
// counts a region's (tick.RegionState.Apply), and whether it told the
// fallback webhook.
type Watch struct {
	LastSlot     time.Time // the newest result folded in
	Failures     int       // consecutive failed checks
	Passes       int       // consecutive passing (up or degraded) checks
	FirstFailure time.Time // slot of the first of Failures
	Failing      bool      // confirmed down by this worker's results
	Notified     bool      // a down notice went out for this failure
}

// Verdict is what a result asks the fallback webhook to be told.
type Verdict int

// Verdicts.
const (
	Quiet           Verdict = iota
	NoticeDown              // confirmed down while offline: send a down notice
	NoticeRecovered         // up again after a down notice, still offline
)

// Observe folds one result (its slot, and whether it failed) into s. The
// result was seen offline when it could not be published: the control
// plane does not know it, so its alerter cannot act on it. Only offline a
// result makes a notice:
//   - NoticeDown when it confirms the failure (failure consecutive failed
//     checks) offline; one per failure, however long it lasts;
//   - NoticeRecovered when it confirms the recovery (recovery consecutive
//     passes) of a failure that had a down notice, offline.
//
// A failure confirmed online was the alerter's to tell, so it gets no
// notice when contact is lost later (nor does its recovery); a recovery
// confirmed online forgets the notice, the alerter tells the rest. A
// result not newer than the last one changes nothing (results of
// concurrent checks may arrive out of order).
func Observe(s Watch, slot time.Time, failed, offline bool, failure, recovery int) (Watch, Verdict) {
	if !s.LastSlot.IsZero() && !slot.After(s.LastSlot) {
		return s, Quiet
	}
	s.LastSlot = slot
	if failed {
		if s.Failures == 0 {
			s.FirstFailure = slot
		}
		s.Failures++
		s.Passes = 0
		if s.Failing || s.Failures < failure {
			return s, Quiet
		}
		s.Failing = true
		if !offline {
			return s, Quiet
		}
		s.Notified = true
		return s, NoticeDown
	}
	s.Passes++
	s.Failures = 0
	if !s.Failing || s.Passes < recovery {
		return s, Quiet
	}
	s.Failing = false
	if !s.Notified {
		return s, Quiet
	}
	s.Notified = false
	if !offline {
		return s, Quiet
	}
	return s, NoticeRecovered
}

// fallbackKey is a notice's idempotency key. It names the region, the
// monitor and the slot of the failure's first failed check, not the
// worker: the workers of a region check the same slots offline, so a
// receiver that dedupes on the key hears of one failure once.
func fallbackKey(region string, monitorID int64, firstFailure time.Time, typ string) string {
	suffix := "down"
	if typ == notify.FallbackRecovered {
		suffix = "recovered"
	}
	return "fallback:" + region + ":" + strconv.FormatInt(monitorID, 10) + ":" +
		strconv.FormatInt(firstFailure.UnixMilli(), 10) + ":" + suffix
}

// Gate caps the fallback notices sent in any minute at PerMinute. A notice
// over the cap is held back; the notices held back go out as one summary
// as soon as the cap has room again (at most a minute later), and the
// summary counts against the cap. While a summary is pending, new notices
// join it, so nothing overtakes what is held back. Its zero value with
// PerMinute set is ready to use; it is not safe for concurrent use.
type Gate struct {
	PerMinute int

	sent []time.Time // sends within the last minute, oldest first
	held Held
}

// Held is what a summary says: how many notices were held back, of which
// kind, since when, and the first MaxHeldIDs monitors they were about.
type Held struct {
	Since     time.Time
	Down      int
	Recovered int
	IDs       []int64
}

// Count is how many notices are held back.
func (h Held) Count() int { return h.Down + h.Recovered }

// expire forgets sends a minute old or older.
func (g *Gate) expire(now time.Time) {
	k := 0
	for k < len(g.sent) && now.Sub(g.sent[k]) >= time.Minute {
		k++
	}
	g.sent = g.sent[k:]
}

// room reports whether one more notice may go at now.
func (g *Gate) room(now time.Time) bool {
	g.expire(now)
	return len(g.sent) < g.PerMinute
}

// Admit decides about a notice of typ about monitorID at now: true to send
// it (counted against the cap), false when it is held back for the summary.
func (g *Gate) Admit(now time.Time, typ string, monitorID int64) bool {
	if g.held.Count() == 0 && g.room(now) {
		g.sent = append(g.sent, now)
		return true
	}
	if g.held.Count() == 0 {
		g.held.Since = now
	}
	if typ == notify.FallbackRecovered {
		g.held.Recovered++
	} else {
		g.held.Down++
	}
	if len(g.held.IDs) < notify.MaxHeldIDs {
		g.held.IDs = append(g.held.IDs, monitorID)
	}
	return false
}

// Summary returns the notices held back when their summary may go at now
// (counted against the cap), and forgets them; false when nothing is held
// back or the cap has no room yet.
func (g *Gate) Summary(now time.Time) (Held, bool) {
	if g.held.Count() == 0 || !g.room(now) {
		return Held{}, false
	}
	g.sent = append(g.sent, now)
	h := g.held
	g.held = Held{}
	return h, true
}
