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
// majority, and never more than the regions there are.
func Quorum(s Settings, live int) int {
	q := s.Quorum
	if q <= 0 {
		q = live/2 + 1
	}
	if q > live {
		q = live
	}
	return q
}

// Decide returns a monitor's status from its regions' states. It is a pure
// function of its inputs:
//   - paused monitors are paused; no results yet is pending;
//   - results, but no region heard from recently, is unknown;
//   - down when at least Quorum live regions are failing; once down it stays
//     down until fewer than Quorum are failing and at least one live region
//     is healthy (a region going silent does not end an outage);
//   - pending while no live region's last check passed and the monitor was
//     never confirmed up (a new monitor whose first checks fail is not up:
//     it is failing, unconfirmed);
//   - degraded when at least Quorum live regions' last check was slow;
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
	failing, healthy, degraded, passed := 0, 0, 0, 0
	for _, r := range live {
		if r.Status != probe.StatusDown {
			passed++
		}
		switch {
		case r.Failing:
			failing++
		default:
			healthy++
			if r.Status == probe.StatusDegraded {
				degraded++
			}
		}
	}
	switch {
	case failing >= q:
		return monitor.StatusDown
	case prev == monitor.StatusDown && healthy == 0:
		return monitor.StatusDown
	case passed == 0 && prev != monitor.StatusUp && prev != monitor.StatusDegraded:
		return monitor.StatusPending
	case degraded >= q:
		return monitor.StatusDegraded
	}
	return monitor.StatusUp
}
