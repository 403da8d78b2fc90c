package tick

import (
	"slices"
	"time"

	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/probe"
)

// Settings are what the status decision needs of a monitor.
type Settings struct {
	Regions         []string // empty: every region that reports
	Quorum          int      // 0: a majority of the live regions
	IntervalSeconds int
	Paused          bool
}

// silentAfter is how long a region may stay without results before it is
// considered gone (its workers stopped), rather than failing.
func silentAfter(intervalSeconds int) time.Duration {
	return 2*time.Duration(intervalSeconds)*time.Second + 30*time.Second
}

// Live returns the regions that count now: configured for the monitor (when
// it names regions) and heard from recently. A silent region's checks are
// missing, not failed.
func Live(s Settings, regions []RegionState, now time.Time) []RegionState {
	var out []RegionState
	for _, r := range regions {
		if len(s.Regions) > 0 && !slices.Contains(s.Regions, r.Region) {
			continue
		}
		if now.Sub(r.LastCheckedAt) <= silentAfter(s.IntervalSeconds) {
			out = append(out, r)
		}
	}
	return out
}

// Quorum is how many live regions must agree: the monitor's setting, or a
// majority, and never more than the regions there are (so a monitor whose
// live regions all fail is down even when others went silent).
func Quorum(s Settings, live int) int {
	q := s.Quorum
	if q <= 0 {
		q = live/2 + 1
	}
	return min(q, live)
}

// Decide returns a monitor's status from its regions' states. It is a pure
// function of its inputs:
//   - paused monitors are paused; no results yet is pending;
//   - results, but no region heard from recently, is unknown;
//   - down when at least Quorum live regions are failing. Quorum never
//     exceeds the live regions, so a down monitor stays down until a live
//     region is healthy: a region going silent does not end an outage (and
//     recovery within a region is confirmed by Apply's Recovery threshold,
//     so no memory of the previous status is needed here);
//   - pending while no live region's last check passed and the monitor was
//     never confirmed up (prev is neither up nor degraded): a new monitor
//     whose first checks fail is failing, unconfirmed, not up; a monitor
//     already up stays up until its failure is confirmed;
//   - degraded when at least Quorum live regions answer, slowly;
//   - up otherwise.
func Decide(s Settings, prev monitor.Status, regions []RegionState, now time.Time) monitor.Status {
	if s.Paused {
		return monitor.StatusPaused
	}
	if len(regions) == 0 {
		return monitor.StatusPending
	}
	live := Live(s, regions, now)
	if len(live) == 0 {
		return monitor.StatusUnknown
	}
	q := Quorum(s, len(live))
	failing, degraded, anyPassed := 0, 0, false
	for _, r := range live {
		if r.Status != probe.StatusDown {
			anyPassed = true
		}
		if r.Failing {
			failing++
		} else if r.Status == probe.StatusDegraded {
			degraded++
		}
	}
	if failing >= q {
		return monitor.StatusDown
	}
	if !anyPassed && prev != monitor.StatusUp && prev != monitor.StatusDegraded {
		return monitor.StatusPending
	}
	if degraded >= q {
		return monitor.StatusDegraded
	}
	return monitor.StatusUp
}
