package tick

import (
	"slices"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/probe"
)

// These tests pin every comparison of the status decision with values on
// both sides of its boundary, so a changed operator or constant fails one.

var decideNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// region is a region's state as Decide reads it, last checked ago before
// decideNow.
func region(name string, failing bool, status probe.Status, ago time.Duration) RegionState {
	return RegionState{Region: name, Failing: failing, Status: status, LastCheckedAt: decideNow.Add(-ago)}
}

// Regions heard from a second ago: healthy, slow, or confirmed failing; and
// one not heard from for an hour.
func healthyIn(name string) RegionState { return region(name, false, probe.StatusUp, time.Second) }
func slowIn(name string) RegionState    { return region(name, false, probe.StatusDegraded, time.Second) }
func failingIn(name string) RegionState { return region(name, true, probe.StatusDown, time.Second) }
func silentIn(name string, failing bool) RegionState {
	return region(name, failing, probe.StatusDown, time.Hour)
}

func liveNames(rs []RegionState) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Region)
	}
	return out
}

func TestLive_SilentAfterTwiceTheIntervalPlus30s(t *testing.T) {
	for _, tc := range []struct {
		name     string
		interval int
		ago      time.Duration
		live     bool
	}{
		{"60s interval, just checked", 60, 0, true},
		{"60s interval, at 150s", 60, 150 * time.Second, true},
		{"60s interval, a millisecond past 150s", 60, 150*time.Second + time.Millisecond, false},
		{"10s interval, at 50s", 10, 50 * time.Second, true},
		{"10s interval, a millisecond past 50s", 10, 50*time.Second + time.Millisecond, false},
		{"300s interval, at 630s", 300, 630 * time.Second, true},
		{"300s interval, a millisecond past 630s", 300, 630*time.Second + time.Millisecond, false},
		{"no interval, at 30s", 0, 30 * time.Second, true},
		{"no interval, a millisecond past 30s", 0, 30*time.Second + time.Millisecond, false},
		{"a result stamped ahead of our clock", 60, -5 * time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			live := Live(Settings{IntervalSeconds: tc.interval}, []RegionState{region("eu", false, probe.StatusUp, tc.ago)}, decideNow)
			if got := len(live) == 1; got != tc.live {
				t.Fatalf("checked %s ago with a %ds interval: live = %v, want %v", tc.ago, tc.interval, got, tc.live)
			}
		})
	}
}

func TestLive_OnlyTheMonitorsRegionsCount(t *testing.T) {
	all := []RegionState{healthyIn("a"), failingIn("b"), healthyIn("c")}
	for _, tc := range []struct {
		name    string
		regions []string
		want    []string
	}{
		{"no list: every region that reports", nil, []string{"a", "b", "c"}},
		{"a list: only those", []string{"a", "c"}, []string{"a", "c"}},
		{"a listed region that never reported adds nothing", []string{"b", "z"}, []string{"b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := liveNames(Live(Settings{Regions: tc.regions, IntervalSeconds: 60}, all, decideNow))
			if !slices.Equal(got, tc.want) {
				t.Fatalf("Live = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestQuorum_DefaultIsAMajorityOfLiveRegions(t *testing.T) {
	for live, want := range map[int]int{1: 1, 2: 2, 3: 2, 4: 3, 5: 3, 6: 4, 7: 4} {
		for _, setting := range []int{0, -1} {
			if got := Quorum(Settings{Quorum: setting}, live); got != want {
				t.Errorf("Quorum(setting %d, %d live) = %d, want %d", setting, live, got, want)
			}
		}
	}
}

func TestQuorum_SettingHoldsUpToTheLiveRegions(t *testing.T) {
	for _, tc := range []struct{ setting, live, want int }{
		{1, 3, 1},
		{2, 3, 2},
		{3, 3, 3},
		{1, 1, 1},
		{4, 5, 4},
	} {
		if got := Quorum(Settings{Quorum: tc.setting}, tc.live); got != tc.want {
			t.Errorf("Quorum(setting %d, %d live) = %d, want %d", tc.setting, tc.live, got, tc.want)
		}
	}
}

func TestQuorum_CappedAtLiveRegions(t *testing.T) {
	for _, tc := range []struct{ setting, live, want int }{
		{3, 2, 2},
		{4, 3, 3},
		{5, 1, 1},
		{3, 1, 1},
	} {
		if got := Quorum(Settings{Quorum: tc.setting}, tc.live); got != tc.want {
			t.Errorf("Quorum(setting %d, %d live) = %d, want %d", tc.setting, tc.live, got, tc.want)
		}
	}
}

// decideCase is one Decide input and the status it must give.
type decideCase struct {
	name    string
	s       Settings
	regions []RegionState
	want    monitor.Status
}

func runDecide(t *testing.T, cases []decideCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.s
			if s.IntervalSeconds == 0 {
				s.IntervalSeconds = 60
			}
			if got := Decide(s, monitor.StatusUp, tc.regions, decideNow); got != tc.want {
				t.Fatalf("Decide = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestDecide_PausedPendingAndUnknownBeforeCounting(t *testing.T) {
	runDecide(t, []decideCase{
		{"paused without results", Settings{Paused: true}, nil, monitor.StatusPaused},
		{"paused while failing everywhere", Settings{Paused: true}, []RegionState{failingIn("a"), failingIn("b")}, monitor.StatusPaused},
		{"no results is pending", Settings{}, nil, monitor.StatusPending},
		{"an empty list is pending", Settings{}, []RegionState{}, monitor.StatusPending},
		{"one result is not pending", Settings{}, []RegionState{healthyIn("a")}, monitor.StatusUp},
		{"every region silent is unknown, not down", Settings{}, []RegionState{silentIn("a", true), silentIn("b", true)}, monitor.StatusUnknown},
		{"only unlisted regions report: unknown", Settings{Regions: []string{"a"}}, []RegionState{failingIn("b")}, monitor.StatusUnknown},
	})
}

func TestDecide_DownAtQuorumOfFailingRegions(t *testing.T) {
	three := Settings{Quorum: 3}
	runDecide(t, []decideCase{
		{"majority of 3: 1 failing is up", Settings{}, []RegionState{failingIn("a"), healthyIn("b"), healthyIn("c")}, monitor.StatusUp},
		{"majority of 3: 2 failing is down", Settings{}, []RegionState{failingIn("a"), failingIn("b"), healthyIn("c")}, monitor.StatusDown},
		{"majority of 3: 3 failing is down", Settings{}, []RegionState{failingIn("a"), failingIn("b"), failingIn("c")}, monitor.StatusDown},
		{"majority of 2: 1 failing is up", Settings{}, []RegionState{failingIn("a"), healthyIn("b")}, monitor.StatusUp},
		{"single region failing is down", Settings{}, []RegionState{failingIn("a")}, monitor.StatusDown},
		{"quorum 3 of 3: 2 failing is up", three, []RegionState{failingIn("a"), failingIn("b"), healthyIn("c")}, monitor.StatusUp},
		{"quorum 3 of 3: 3 failing is down", three, []RegionState{failingIn("a"), failingIn("b"), failingIn("c")}, monitor.StatusDown},
		{"quorum 1 of 3: 1 failing is down", Settings{Quorum: 1}, []RegionState{failingIn("a"), healthyIn("b"), healthyIn("c")}, monitor.StatusDown},
		{"quorum 1 of 3: none failing is up", Settings{Quorum: 1}, []RegionState{healthyIn("a"), healthyIn("b"), healthyIn("c")}, monitor.StatusUp},
	})
}

// A failing region is one whose failures Apply confirmed, not one whose
// last check failed.
func TestDecide_OnlyConfirmedFailuresCount(t *testing.T) {
	unconfirmed := func(name string) RegionState { return region(name, false, probe.StatusDown, time.Second) }
	runDecide(t, []decideCase{
		{"two unconfirmed failures of 3 are up", Settings{}, []RegionState{unconfirmed("a"), unconfirmed("b"), healthyIn("c")}, monitor.StatusUp},
		{"a failing region that last answered is still failing", Settings{}, []RegionState{region("a", true, probe.StatusUp, time.Second)}, monitor.StatusDown},
	})
}

// The quorum cap: a monitor asking for 3 regions, with one of them gone
// silent, goes down when both live ones fail.
func TestDecide_QuorumCappedAtLiveRegions(t *testing.T) {
	three := Settings{Quorum: 3}
	runDecide(t, []decideCase{
		{"quorum 3, third silent, two failing", three, []RegionState{failingIn("a"), failingIn("b"), silentIn("c", false)}, monitor.StatusDown},
		{"quorum 3, two silent, one failing", three, []RegionState{failingIn("a"), silentIn("b", false), silentIn("c", false)}, monitor.StatusDown},
		{"quorum 3, third silent, one of two failing", three, []RegionState{failingIn("a"), healthyIn("b"), silentIn("c", true)}, monitor.StatusUp},
		{"quorum 3 of 3 unlisted-filtered to 2", Settings{Quorum: 3, Regions: []string{"a", "b"}}, []RegionState{failingIn("a"), failingIn("b"), healthyIn("c")}, monitor.StatusDown},
	})
}

// Once down, a monitor stays down while its live regions all fail, however
// many regions go silent; it recovers when a live region is healthy and
// fewer than the quorum fail.
func TestDecide_StaysDownUntilALiveRegionIsHealthy(t *testing.T) {
	three := Settings{Quorum: 3}
	steps := []struct {
		name    string
		regions []RegionState
		want    monitor.Status
	}{
		{"all three fail", []RegionState{failingIn("a"), failingIn("b"), failingIn("c")}, monitor.StatusDown},
		{"c goes silent", []RegionState{failingIn("a"), failingIn("b"), silentIn("c", true)}, monitor.StatusDown},
		{"b goes silent too", []RegionState{failingIn("a"), silentIn("b", true), silentIn("c", true)}, monitor.StatusDown},
		{"b is back, still failing", []RegionState{failingIn("a"), failingIn("b"), silentIn("c", true)}, monitor.StatusDown},
		{"b is back healthy", []RegionState{failingIn("a"), healthyIn("b"), silentIn("c", true)}, monitor.StatusUp},
	}
	for _, st := range steps {
		if got := Decide(three, monitor.StatusUp, st.regions, decideNow); got != st.want {
			t.Fatalf("%s: Decide = %s, want %s", st.name, got, st.want)
		}
	}
}

func TestDecide_RecoversWhenFewerThanQuorumFailAndOneIsHealthy(t *testing.T) {
	runDecide(t, []decideCase{
		{"1 failing, 1 healthy of 2", Settings{}, []RegionState{failingIn("a"), healthyIn("b")}, monitor.StatusUp},
		{"1 failing, 2 healthy of 3", Settings{}, []RegionState{failingIn("a"), healthyIn("b"), healthyIn("c")}, monitor.StatusUp},
		{"2 failing, 1 healthy of 3 with quorum 3", Settings{Quorum: 3}, []RegionState{failingIn("a"), failingIn("b"), healthyIn("c")}, monitor.StatusUp},
		{"failing regions silent, the live one healthy", Settings{}, []RegionState{silentIn("a", true), silentIn("b", true), healthyIn("c")}, monitor.StatusUp},
	})
}

func TestDecide_DegradedAtQuorumOfSlowRegions(t *testing.T) {
	runDecide(t, []decideCase{
		{"1 slow of 3 is up", Settings{}, []RegionState{slowIn("a"), healthyIn("b"), healthyIn("c")}, monitor.StatusUp},
		{"2 slow of 3 is degraded", Settings{}, []RegionState{slowIn("a"), slowIn("b"), healthyIn("c")}, monitor.StatusDegraded},
		{"3 slow of 3 is degraded", Settings{}, []RegionState{slowIn("a"), slowIn("b"), slowIn("c")}, monitor.StatusDegraded},
		{"a single slow region is degraded", Settings{}, []RegionState{slowIn("a")}, monitor.StatusDegraded},
		{"quorum 3: 2 slow of 3 is up", Settings{Quorum: 3}, []RegionState{slowIn("a"), slowIn("b"), healthyIn("c")}, monitor.StatusUp},
		{"a silent slow region does not vote", Settings{}, []RegionState{slowIn("a"), region("b", false, probe.StatusDegraded, time.Hour), healthyIn("c")}, monitor.StatusUp},
	})
}

func TestDecide_DownBeatsDegraded(t *testing.T) {
	runDecide(t, []decideCase{
		{"2 failing and 1 slow of 3", Settings{}, []RegionState{failingIn("a"), failingIn("b"), slowIn("c")}, monitor.StatusDown},
		{"quorum 1: 1 failing and 2 slow", Settings{Quorum: 1}, []RegionState{failingIn("a"), slowIn("b"), slowIn("c")}, monitor.StatusDown},
	})
}

// A failing region whose last check answered slowly (recovering, not yet
// confirmed) counts as failing, not as a vote for degraded.
func TestDecide_AFailingRegionIsNotADegradedVote(t *testing.T) {
	runDecide(t, []decideCase{
		{"failing+slow, slow, up of 3", Settings{}, []RegionState{region("a", true, probe.StatusDegraded, time.Second), slowIn("b"), healthyIn("c")}, monitor.StatusUp},
	})
}
