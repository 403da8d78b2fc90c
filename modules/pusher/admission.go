package pusher

import (
	"context"
	"time"

	"github.com/betterstack/betterstack/modules/monitor"
)

// Admission: past capacity, publish what the workers take.
//
// A region's workers that cannot keep up leave jobs in its stream. If the
// pusher went on publishing every slot, the stream would grow until every
// job waited nearly an interval and was run just before the worker dropped
// it as stale: measured at 300,000 HTTP monitors on the 2-core machine,
// 108 of 5,000 checks a second ran, all a minute late. That is collapse,
// not slowing down.
//
// So before publishing to a region the pusher asks the queue how late the
// oldest job there that no worker has taken is (JobLate: the time since
// its slot, or since its publication if that came later; read once per
// tick and region). Up to AdmitWait (pusher_admit_wait, 2 s) everything
// due is published. Beyond it a share of the due slots is published,
// falling in a straight line from all at AdmitWait to none at twice
// AdmitWait; the others are skipped: the monitor's schedule moves on to
// its next slot as if the slot had run, nothing is stored for it, and the
// skip is counted (betterstack_pusher_slots_skipped_total{region} and the
// queue's per-region count that the dashboard's settings page and the
// operator alerts read). The workers then run what they can take within
// seconds of its slot instead of everything a minute late: checks achieved
// stay near the workers' capacity, and what is beyond it is skipped and
// said so.
//
// Which slots: a hash of monitor and slot against the share, so every
// pusher and every region of a monitor pick the same ones (a monitor
// checked from three regions is either checked from all that admit that
// share or skipped in all), and a different set from one slot to the next,
// so no monitor is skipped much more often than another. And a monitor
// this pusher skipped at its last slot is not skipped at the next one
// unless the share is none: two slots in a row would leave a monitor
// without a result for three intervals, longer than tick.silentAfter (two
// intervals and 30 s), which makes it unknown. The draw then takes a larger part from the
// others, which the share, following the lateness, makes up for. The memory
// is the pusher's own: with several pushers a monitor's next slot may be
// claimed by another one, which does not know.
//
// Why the lateness of the oldest untaken job: it is what a late check
// feels, it needs no knowledge of how fast the workers are, and jobs a
// worker holds for their slot or is running are not in it (a probe may
// take its whole timeout; that is not a backlog). Measured from the slot,
// not from publication: jobs are published up to a second and three
// quarters ahead, and that wait is not lateness. Why 2 s: measured at
// 300,000 HTTP monitors on the 2-core machine (one run each), the lower
// the limit the more checks ran and the less late they were. Counted from
// publication, 1 s: 2,539 checks a second, p50 1.5 s late; 3 s: 2,128,
// 5.1 s. Counted from the slot, 2 s: 1,825, 4.2 s; 5 s: 1,367, 14 s.
// Every job queued past the limit is work done late instead of on time.
// At 200,000, where that machine is at its limit, the workers skipped
// about as much at 5 s as at 1 s (12 to 15% of the slots), so a higher
// limit bought nothing there. Below 2 s a burst that workers would absorb
// in a few seconds (a claim round that ran late) starts skipping.
// Why a share and not stop-and-go: publishing nothing while the lateness
// is high and everything once it falls locks onto a period, and with a
// period that divides the interval the same monitors would be skipped
// every time. The share follows news that is seconds old (the oldest job
// was published then), so it overshoots: now and then the stream runs dry
// for a moment (TestOverloadSkipsInsteadOfFallingBehind: 98% of capacity
// used); the second of jobs each worker holds ahead bridges most of that.
//
// What a skipped slot costs: after a tick that found a region over its
// limit, claims put each due slot to the same rule before the monitor is
// read (skipBeforeRead, monitor.Claim.Skip), from the
// schedule and the monitor's interval, kind, regions and paused flag; a
// slot skipped in every region of its monitor is moved on without reading
// and decoding the monitor's settings, two thirds of a claim's cost. While
// the pusher read every monitor and skipped while publishing, 300,000 HTTP
// monitors on the 2-core machine got 1,653 checks a second, 9.6 s late at
// the median; skipping before reading, 2,330, 4.5 s late, about what
// 200,000 get on the same machine (2,028): the cost of being over capacity
// no longer grows with the overload. The rule is the same one, so the
// jobs published and the slots skipped are exactly those of the reading
// path (TestSkipBeforeReadSkipsTheSameSlots); only the reads are saved.
//
// A region with no worker at all soon has a lateness beyond twice
// AdmitWait, so its slots are skipped and counted rather than piled up;
// when a worker comes back it drops the stale jobs and the lateness falls.
// Admission fails open: when the queue cannot say (an error, or a queue
// that does not report lateness), everything is published.

// Admission follows the ingest too. Past what the machine can do, the
// stage that loses the contest for CPU is not always the workers: at
// 300,000 HTTP monitors on the 2-core machine the workers took every job
// on time and the alerter stored 3,000 of the 4,500 results a second.
// The results stream then grew without end (481,000 results, the oldest
// 96 s old, after six minutes), every state and alert came later and
// later, and monitors whose results waited longest were judged silent
// (unknown) with their results still in the queue. Running checks whose
// results cannot be stored is work done for nothing that slows the
// storing further.
//
// So the share published to every region is also bounded by the ingest's
// lateness (the age of the oldest result not yet stored, read once per
// tick, for all regions): all up to IngestWait (pusher_ingest_wait,
// 10 s), then falling in the same straight line. Its floor is
// minIngestShare, never none: a skipped monitor is then never skipped at
// its next slot (skips), so a monitor keeps a result at least every other
// slot and is never judged silent for it, and at most about half the
// checks are given up for the ingest. The ingest's lateness does not
// count while the pusher schedules from memory (the database is down:
// results wait for it by design, and the checks of an outage are the
// history it keeps) or when the queue cannot say.
//
// Why 10 s: the alerter reads a batch as soon as one is there, so the
// oldest result waits about a batch's store time (tens of milliseconds);
// after a database outage the ingest catches up at its full rate, and
// while it does so the checks of the catch-up are given up only past
// 10 s of lateness, in proportion.

// DefaultAdmitWait is how late the oldest untaken job of a region may be
// before the pusher publishes less there.
const DefaultAdmitWait = 2 * time.Second

// DefaultIngestWait is how late the oldest result not yet stored may be
// before the pusher publishes less everywhere.
const DefaultIngestWait = 10 * time.Second

// minIngestShare is the least share the ingest's lateness alone leaves.
const minIngestShare = 0.1

// ingestShare is the share of due slots the ingest's lateness allows: all
// up to maxWait, then linearly less down to minIngestShare.
func ingestShare(late, maxWait time.Duration) float64 {
	return max(minIngestShare, admitShare(late, maxWait))
}

// admitShare is the share of due slots published to a region whose oldest
// untaken job is wait late: all up to maxWait, then linearly less, none
// from twice maxWait.
// (A clamp, not guards: guards at the two ends would give the same
// answer as the line there, so a flipped guard could not be caught.)
func admitShare(wait, maxWait time.Duration) float64 {
	return min(1, max(0, float64(2*maxWait-wait)/float64(maxWait)))
}

// admitted reports whether a monitor's slot is published at share: the
// same answer in every pusher and region, a different draw each slot.
// The draw is in [0, 1), so a share of 1 takes every slot and 0 none.
func admitted(monitorID int64, slot time.Time, share float64) bool {
	return slotDraw(monitorID, slot) < share
}

// slotDraw maps a monitor's slot to [0, 1), evenly (splitmix64's finaliser
// over the id and the slot's millisecond).
func slotDraw(monitorID int64, slot time.Time) float64 {
	h := uint64(monitorID)*0x9E3779B97F4A7C15 ^ uint64(slot.UnixMilli())
	h ^= h >> 30
	h *= 0xBF58476D1CE4E5B9
	h ^= h >> 27
	h *= 0x94D049BB133111EB
	h ^= h >> 31
	return float64(h>>11) / (1 << 53)
}

// waiter is what a queue may offer to say how late a region's oldest
// untaken job is; both queue implementations do.
type waiter interface {
	JobLate(ctx context.Context, region string) (time.Duration, error)
}

// skipRecorder is what a queue may offer to keep the count of skipped
// slots for other processes to read; both queue implementations do.
type skipRecorder interface {
	RecordSkipped(ctx context.Context, region string, n int64) error
}

// resultWaiter is what a queue may offer to say how long the oldest result
// not yet stored has waited (by the queue's clock); both queue
// implementations do.
type resultWaiter interface {
	ResultLate(ctx context.Context) (time.Duration, error)
}

// share returns the share of due slots to publish to region now: the
// smaller of what the region's workers and the ingest allow, each read
// once per tick.
func (p *Pusher) share(ctx context.Context, region string) float64 {
	w, ok := p.queue.(waiter)
	if !ok {
		return 1
	}
	late, seen := p.lateness[region]
	if !seen {
		var err error
		if late, err = w.JobLate(ctx, region); err != nil {
			late = 0 // fail open: publishing reports the queue's trouble
		}
		p.lateness[region] = late
	}
	sh := p.shareOf(late, p.ingestLateness(ctx))
	if !seen {
		p.admitRatio.WithLabelValues(region).Set(sh)
	}
	return sh
}

// shareOf is the share for a region's job lateness and the ingest's.
func (p *Pusher) shareOf(jobLate, ingestLate time.Duration) float64 {
	return min(admitShare(jobLate, p.cfg.AdmitWait), ingestShare(ingestLate, p.cfg.IngestWait))
}

// ingestLateness is the age of the oldest result not yet stored, read once
// per tick; 0 while scheduling from memory or the queue is down, for
// IngestWait after the database or the queue came back (results that waited out an outage are
// old without the ingest being slow, and the alerters are reconnecting),
// or when the queue cannot say.
func (p *Pusher) ingestLateness(ctx context.Context) time.Duration {
	if p.ingestRead {
		return p.ingestLate
	}
	p.ingestRead, p.ingestLate = true, 0
	rw, ok := p.queue.(resultWaiter)
	if !ok || p.outage || p.queueDown || p.cfg.Now().Sub(p.backAt) < p.cfg.IngestWait {
		return 0
	}
	late, err := rw.ResultLate(ctx)
	if err != nil {
		return 0 // fail open, as for the workers' lateness
	}
	p.ingestLate = late
	return late
}

// skips reports whether a monitor's slot is skipped in region: not drawn
// at the region's share, and not skipped at its last slot unless nothing
// at all is admitted. publish and skipBeforeRead both decide by it.
func (p *Pusher) skips(ctx context.Context, region string, monitorID int64, slot time.Time) bool {
	sh := p.share(ctx, region)
	return !admitted(monitorID, slot, sh) && (sh <= 0 || !p.skippedLast[monitorID])
}

// noteOverload ends a tick: if it read any region's lateness, whether one
// was over its limit decides how the next ticks claim.
func (p *Pusher) noteOverload() {
	if len(p.lateness) == 0 {
		return
	}
	p.over = false
	for _, late := range p.lateness {
		if p.shareOf(late, p.ingestLate) < 1 {
			p.over = true
		}
	}
}

// askedFor reports whether a monitor's due time was written by a person
// rather than by a pusher: a check now, a new, edited or resumed monitor
// write the moment it happened, off the monitor's phase (onPhase), where
// pushers write only its slots. Admission never skips such a check: the
// user is waiting for it, and one check does not make an overload.
func askedFor(id int64, interval time.Duration, due time.Time) bool {
	return interval > 0 && !onPhase(id, interval, due)
}

// refinedClaimer is a claimer that can skip slots before reading their
// monitors and reuse the monitors it handed out before; monitor.Service is
// one.
type refinedClaimer interface {
	ClaimDueWith(ctx context.Context, now time.Time, limit int, c monitor.Claim, fn func([]monitor.Monitor) (map[int64]time.Time, error)) (int, error)
}

// claim claims one batch due by horizon. When a region was over its limit
// on the last tick that published (noteOverload), and the claimer can,
// each due slot is first put to skip: a slot skipped in every region of
// its monitor is then never read from the database, which is two thirds
// of what claiming it would cost.
// Past capacity most due slots are skipped, and without this the claims
// of slots that are not run took the pusher past its claim budget (300,000
// HTTP monitors on the 2-core machine) and the database's CPU from the
// checks that are.
//
// Every claim also offers the claimer the pusher's memory of the monitors
// it claimed before (known): a due monitor whose row is unchanged is not
// read and decoded again. At 200,000 HTTP monitors reading them was most
// of the pusher's own CPU.
func (p *Pusher) claim(ctx context.Context, horizon time.Time, skip monitor.SkipFunc, fn func([]monitor.Monitor) (map[int64]time.Time, error)) (int, error) {
	if rc, ok := p.monitors.(refinedClaimer); ok {
		c := monitor.Claim{Known: p.known}
		if p.over {
			c.Skip = skip
		}
		return rc.ClaimDueWith(ctx, horizon, p.cfg.Batch, c, fn)
	}
	return p.monitors.ClaimDue(ctx, horizon, p.cfg.Batch, fn)
}

// known is the monitor as this pusher last claimed it.
func (p *Pusher) known(id int64) (monitor.Monitor, bool) {
	r, ok := p.remembered[id]
	if !ok {
		return monitor.Monitor{}, false
	}
	return r.m, true
}

// skipBeforeRead decides, before its monitor is read, whether a due slot
// is skipped in every region of the monitor, by the same rule publish
// applies region by region; a slot any region admits goes the usual way.
// So does a slot the pusher's memory published during a database outage
// (continueAfter) and a monitor with no region to run in. It returns the
// monitor's next due time.
func (p *Pusher) skipBeforeRead(ctx context.Context, d monitor.Due, live []string, now time.Time) (time.Time, bool) {
	regions := d.Regions
	if len(regions) == 0 {
		regions = live
	}
	if len(regions) == 0 || d.Interval <= 0 {
		return time.Time{}, false
	}
	if _, ok := continueAfter(d.MonitorID, d.Interval, d.At, p.memoryUpTo, now); ok {
		return time.Time{}, false
	}
	if askedFor(d.MonitorID, d.Interval, d.At) {
		return time.Time{}, false
	}
	slot, missed := Slot(d.At, now, d.Interval)
	for _, region := range regions {
		if !p.skips(ctx, region, d.MonitorID, slot) {
			return time.Time{}, false
		}
	}
	if missed {
		p.missed.Inc()
	}
	for _, region := range regions {
		p.preSkipped[region]++
	}
	p.skippedLast[d.MonitorID] = true
	next := NextSlot(d.MonitorID, d.Interval, slot)
	if r, ok := p.remembered[d.MonitorID]; ok {
		r.next, r.claimed = next, now
	}
	p.lag.Observe(max(now.Sub(slot), 0).Seconds())
	return next, true
}

// recordSkipped counts the slots of each region left out by one publish.
func (p *Pusher) recordSkipped(ctx context.Context, skipped map[string]int64) {
	if len(skipped) == 0 {
		return
	}
	now := p.cfg.Now()
	rec, _ := p.queue.(skipRecorder)
	for region, n := range skipped {
		p.skipped.WithLabelValues(region).Add(float64(n))
		if rec != nil {
			if err := rec.RecordSkipped(ctx, region, n); err != nil {
				p.log.Debug("cannot record skipped slots", "region", region, "err", err)
			}
		}
		if now.Sub(p.skipLogged[region]) >= time.Minute {
			p.skipLogged[region] = now
			late := p.lateness[region]
			percent := int(100 * p.shareOf(late, p.ingestLate))
			if ingestShare(p.ingestLate, p.cfg.IngestWait) < admitShare(late, p.cfg.AdmitWait) {
				p.log.Warn("results are not being stored fast enough: publishing only part of the checks due; the rest are skipped so the ingest can catch up",
					"region", region, "oldest_result_waiting", p.ingestLate.Round(100*time.Millisecond).String(),
					"published_percent", percent, "skipped_this_round", n)
			} else {
				p.log.Warn("workers are not taking jobs fast enough: publishing only part of the checks due there; the rest are skipped so those run on time",
					"region", region, "oldest_job_late", late.Round(100*time.Millisecond).String(),
					"published_percent", percent, "skipped_this_round", n)
			}
		}
	}
}
