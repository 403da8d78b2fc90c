package tick

import (
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/probe"
)

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// run folds a sequence of outcomes ("u" up, "d" down, "s" slow) into a
// region's state, one check every 10 s.
func run(region, outcomes string, th Thresholds) RegionState {
	var rs RegionState
	for i, o := range outcomes {
		st := map[rune]probe.Status{'u': probe.StatusUp, 'd': probe.StatusDown, 's': probe.StatusDegraded}[o]
		at := t0.Add(time.Duration(i) * 10 * time.Second)
		rs = rs.Apply(Tick{Region: region, Status: st, ScheduledAt: at, CheckedAt: at}, th)
	}
	return rs
}

func TestApply(t *testing.T) {
	th := Thresholds{Failure: 2, Recovery: 2}
	for _, tc := range []struct {
		name     string
		outcomes string
		failing  bool
		fails    int
		succs    int
	}{
		{"one failure is not failing", "ud", false, 1, 0},
		{"two failures confirm", "udd", true, 2, 0},
		{"flapping never confirms", "dudududududu", false, 0, 1},
		{"one success does not recover", "ddu", true, 0, 1},
		{"two successes recover", "dduu", false, 0, 2},
		{"slow counts as answering", "ddss", false, 0, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := run("eu", tc.outcomes, th)
			if rs.Failing != tc.failing || rs.ConsecutiveFailures != tc.fails || rs.ConsecutiveSuccesses != tc.succs {
				t.Fatalf("state = failing %v, %d failures, %d successes; want %v, %d, %d",
					rs.Failing, rs.ConsecutiveFailures, rs.ConsecutiveSuccesses, tc.failing, tc.fails, tc.succs)
			}
		})
	}
	t.Run("an older result changes nothing", func(t *testing.T) {
		rs := run("eu", "uu", th)
		old := rs.Apply(Tick{Region: "eu", Status: probe.StatusDown, ScheduledAt: t0}, th)
		if old != rs {
			t.Fatalf("out-of-order result applied: %+v", old)
		}
	})
}

func TestDecide(t *testing.T) {
	th := Thresholds{Failure: 2, Recovery: 2}
	now := t0.Add(2 * time.Minute)
	fresh := func(rs RegionState) RegionState { rs.LastCheckedAt = now.Add(-5 * time.Second); return rs }
	silent := func(rs RegionState) RegionState { rs.LastCheckedAt = now.Add(-10 * time.Minute); return rs }
	up := fresh(run("a", "uuu", th))
	down := fresh(run("b", "ddd", th))
	down2 := fresh(run("c", "ddd", th))
	slow := fresh(run("d", "sss", th))
	s := Settings{IntervalSeconds: 10}
	for _, tc := range []struct {
		name    string
		s       Settings
		prev    monitor.Status
		regions []RegionState
		want    monitor.Status
	}{
		{"no results yet", s, monitor.StatusPending, nil, monitor.StatusPending},
		{"paused wins", Settings{Paused: true, IntervalSeconds: 10}, monitor.StatusUp, []RegionState{down}, monitor.StatusPaused},
		{"single region up", s, monitor.StatusPending, []RegionState{up}, monitor.StatusUp},
		{"single region failing", s, monitor.StatusUp, []RegionState{down}, monitor.StatusDown},
		{"one of three failing is up (majority)", s, monitor.StatusUp, []RegionState{up, down, fresh(run("e", "uu", th))}, monitor.StatusUp},
		{"two of three failing is down", s, monitor.StatusUp, []RegionState{up, down, down2}, monitor.StatusDown},
		{"quorum 1 makes one failing region enough", Settings{Quorum: 1, IntervalSeconds: 10}, monitor.StatusUp, []RegionState{up, down, fresh(run("e", "uu", th))}, monitor.StatusDown},
		{"a silent region is not failing", s, monitor.StatusUp, []RegionState{up, silent(run("b", "ddd", th))}, monitor.StatusUp},
		{"every region silent is unknown", s, monitor.StatusUp, []RegionState{silent(up)}, monitor.StatusUnknown},
		{"down stays down when the failing region goes silent", s, monitor.StatusDown, []RegionState{silent(down)}, monitor.StatusUnknown},
		{"down stays down until a region is healthy", s, monitor.StatusDown, []RegionState{down, fresh(run("e", "dddu", th))}, monitor.StatusDown},
		{"recovers when one is healthy and fewer than quorum fail", s, monitor.StatusDown, []RegionState{up, fresh(run("e", "dduu", th))}, monitor.StatusUp},
		{"slow everywhere is degraded", s, monitor.StatusUp, []RegionState{slow}, monitor.StatusDegraded},
		{"regions outside the monitor's list are ignored", Settings{Regions: []string{"a"}, IntervalSeconds: 10}, monitor.StatusUp, []RegionState{up, down}, monitor.StatusUp},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Decide(tc.s, monitor.StatusUp, tc.regions, now); got != tc.want {
				t.Fatalf("Decide = %s, want %s", got, tc.want)
			}
		})
	}
}
