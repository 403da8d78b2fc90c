package tick_test

import (
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/tick"
)

// TestDecide_NewMonitorFailingUnconfirmedIsPendingNotUp: a monitor whose
// checks have only failed, fewer times than its threshold, has shown no
// sign of being up; it stays pending until a check passes or the failure
// is confirmed. A monitor already up stays up until the failure is
// confirmed (that is what confirmation is for).
func TestDecide_NewMonitorFailingUnconfirmedIsPendingNotUp(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	s := tick.Settings{IntervalSeconds: 60}
	failedOnce := tick.RegionState{Region: "eu", Status: probe.StatusDown, ConsecutiveFailures: 1, LastCheckedAt: now}
	passedOnce := tick.RegionState{Region: "eu", Status: probe.StatusUp, ConsecutiveSuccesses: 1, LastCheckedAt: now}
	slow := tick.RegionState{Region: "eu", Status: probe.StatusDegraded, ConsecutiveSuccesses: 1, LastCheckedAt: now}
	for _, tt := range []struct {
		name    string
		prev    monitor.Status
		regions []tick.RegionState
		want    monitor.Status
	}{
		{name: "new, first check failed", prev: monitor.StatusPending, regions: []tick.RegionState{failedOnce}, want: monitor.StatusPending},
		{name: "no state yet, first check failed", prev: "", regions: []tick.RegionState{failedOnce}, want: monitor.StatusPending},
		{name: "back from unknown, failing unconfirmed", prev: monitor.StatusUnknown, regions: []tick.RegionState{failedOnce}, want: monitor.StatusPending},
		{name: "new, first check passed", prev: monitor.StatusPending, regions: []tick.RegionState{passedOnce}, want: monitor.StatusUp},
		{name: "new, first check slow", prev: monitor.StatusPending, regions: []tick.RegionState{slow}, want: monitor.StatusDegraded},
		{name: "up, one failure not yet confirmed", prev: monitor.StatusUp, regions: []tick.RegionState{failedOnce}, want: monitor.StatusUp},
		{name: "degraded, one failure not yet confirmed", prev: monitor.StatusDegraded, regions: []tick.RegionState{failedOnce}, want: monitor.StatusUp},
		{name: "new, one region passed and one failed", prev: monitor.StatusPending,
			regions: []tick.RegionState{failedOnce, {Region: "us", Status: probe.StatusUp, LastCheckedAt: now}}, want: monitor.StatusUp},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tick.Decide(s, tt.prev, tt.regions, now); got != tt.want {
				t.Errorf("Decide(prev %q) = %q, want %q", tt.prev, got, tt.want)
			}
		})
	}
}

// TestRegionState_DetailListDecodesTheKindsEvidence: what ingest stored is
// what the monitor page lists; nothing stored lists nothing.
func TestRegionState_DetailListDecodesTheKindsEvidence(t *testing.T) {
	rs := tick.RegionState{Details: `[{"name":"answers","value":"10 mx.example.org"},{"name":"rcode","value":"NOERROR"}]`}
	got := rs.DetailList()
	if len(got) != 2 || got[0] != (probe.Detail{Name: "answers", Value: "10 mx.example.org"}) || got[1].Name != "rcode" {
		t.Errorf("DetailList() = %v", got)
	}
	if got := (tick.RegionState{}).DetailList(); got != nil {
		t.Errorf("no details: DetailList() = %v, want nil", got)
	}
}
