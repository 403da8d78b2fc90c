package tick

import (
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/probe"
)

// applyAll folds outcomes ("u" up, "d" down, "s" slow) into st, one check a
// minute after its last.
func applyAll(st RegionState, outcomes string, th Thresholds) RegionState {
	at := st.LastScheduledAt
	if at.IsZero() {
		at = decideNow
	}
	for _, o := range outcomes {
		at = at.Add(time.Minute)
		status := map[rune]probe.Status{'u': probe.StatusUp, 'd': probe.StatusDown, 's': probe.StatusDegraded}[o]
		st = st.Apply(Tick{Region: "eu", Status: status, ScheduledAt: at, CheckedAt: at.Add(time.Second)}, th)
	}
	return st
}

func TestApply_FailingAfterExactlyFailureConsecutiveFailures(t *testing.T) {
	for _, tc := range []struct {
		failure  int
		outcomes string
		failing  bool
	}{
		{1, "u", false},
		{1, "d", true},
		{3, "dd", false},
		{3, "ddd", true},
		{3, "dddd", true},
		{3, "ddudd", false}, // a success starts the count again
		{3, "ddsdd", false}, // so does a slow answer
		{3, "dduddd", true},
	} {
		st := applyAll(RegionState{}, tc.outcomes, Thresholds{Failure: tc.failure, Recovery: 1})
		if st.Failing != tc.failing {
			t.Errorf("failure threshold %d after %q: failing = %v, want %v", tc.failure, tc.outcomes, st.Failing, tc.failing)
		}
	}
}

func TestApply_HealthyAfterExactlyRecoveryConsecutiveSuccesses(t *testing.T) {
	for _, tc := range []struct {
		recovery int
		outcomes string // after the region was confirmed failing
		failing  bool
	}{
		{1, "u", false},
		{3, "uu", true},
		{3, "uuu", false},
		{3, "uus", false}, // slow answers count as successes
		{3, "uuduu", true},
		{3, "uuduuu", false},
	} {
		th := Thresholds{Failure: 1, Recovery: tc.recovery}
		st := applyAll(applyAll(RegionState{}, "d", th), tc.outcomes, th)
		if st.Failing != tc.failing {
			t.Errorf("recovery threshold %d after %q: failing = %v, want %v", tc.recovery, tc.outcomes, st.Failing, tc.failing)
		}
	}
}

func TestApply_CountsConsecutiveOutcomes(t *testing.T) {
	th := Thresholds{Failure: 5, Recovery: 5}
	for _, tc := range []struct {
		outcomes     string
		fails, succs int
		status       probe.Status
	}{
		{"ddd", 3, 0, probe.StatusDown},
		{"dddu", 0, 1, probe.StatusUp},
		{"uus", 0, 3, probe.StatusDegraded},
		{"uusd", 1, 0, probe.StatusDown},
	} {
		st := applyAll(RegionState{}, tc.outcomes, th)
		if st.ConsecutiveFailures != tc.fails || st.ConsecutiveSuccesses != tc.succs || st.Status != tc.status {
			t.Errorf("after %q: %d failures, %d successes, status %s; want %d, %d, %s",
				tc.outcomes, st.ConsecutiveFailures, st.ConsecutiveSuccesses, st.Status, tc.fails, tc.succs, tc.status)
		}
	}
}

func TestApply_IgnoresAResultNotNewerThanTheLast(t *testing.T) {
	th := Thresholds{Failure: 1, Recovery: 1}
	st := applyAll(RegionState{}, "u", th)
	last := st.LastScheduledAt
	for _, tc := range []struct {
		name string
		at   time.Time
		want bool // applied
	}{
		{"the same slot again", last, false},
		{"an earlier slot", last.Add(-time.Second), false},
		{"a later slot", last.Add(time.Second), true},
	} {
		got := st.Apply(Tick{Region: "eu", Status: probe.StatusDown, ScheduledAt: tc.at, CheckedAt: tc.at}, th)
		if applied := got != st; applied != tc.want {
			t.Errorf("%s: applied = %v, want %v (state %+v)", tc.name, applied, tc.want, got)
		}
	}
	// The first result of a region is applied whatever its time.
	first := RegionState{}.Apply(Tick{Region: "eu", Status: probe.StatusDown, ScheduledAt: time.Unix(0, 0)}, th)
	if !first.Failing || first.ConsecutiveFailures != 1 {
		t.Errorf("first result not applied: %+v", first)
	}
}

func TestApply_KeepsTheLastFailuresEvidence(t *testing.T) {
	th := Thresholds{Failure: 1, Recovery: 1}
	at := decideNow
	st := RegionState{}.Apply(Tick{Status: probe.StatusDown, ScheduledAt: at, Evidence: `{"error":"refused"}`}, th)
	st = st.Apply(Tick{Status: probe.StatusUp, ScheduledAt: at.Add(time.Minute), Evidence: ""}, th)
	if st.Evidence != `{"error":"refused"}` {
		t.Fatalf("evidence = %q, want the failed check's", st.Evidence)
	}
}
