package pusher

import (
	"testing"
	"time"
)

func TestNextSlot(t *testing.T) {
	base := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		id       int64
		interval time.Duration
		after    time.Time
	}{
		{"minute", 1, time.Minute, base},
		{"ten seconds", 42, 10 * time.Second, base.Add(3 * time.Second)},
		{"day", 7, 24 * time.Hour, base},
		{"right after a slot", 99, time.Minute, NextSlot(99, time.Minute, base)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			next := NextSlot(tc.id, tc.interval, tc.after)
			if !next.After(tc.after) {
				t.Fatalf("next %v not after %v", next, tc.after)
			}
			if gap := next.Sub(tc.after); gap < tc.interval/2 || gap > tc.interval+tc.interval/2 {
				t.Fatalf("gap %v outside [interval/2, 1.5 interval]", gap)
			}
			// Aligned to the monitor's phase: successive slots are one interval apart.
			again := NextSlot(tc.id, tc.interval, next)
			if again.Sub(next) != tc.interval {
				t.Fatalf("successive slots %v apart, want %v", again.Sub(next), tc.interval)
			}
			if (next.UnixNano()-int64(phase(tc.id, tc.interval)))%int64(tc.interval) != 0 {
				t.Fatalf("slot %v not on the monitor's phase", next)
			}
		})
	}
}

// TestNextSlotSpreads checks that monitors created at the same moment do not
// all fire in the same second.
func TestNextSlotSpreads(t *testing.T) {
	const n, interval = 6000, time.Minute
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	perSecond := map[int64]int{}
	for id := int64(1); id <= n; id++ {
		perSecond[NextSlot(id, interval, now).Unix()]++
	}
	busiest := 0
	for _, c := range perSecond {
		busiest = max(busiest, c)
	}
	// 6000 over 60 s is 100 a second on average; allow a little unevenness.
	if busiest > 130 || len(perSecond) < 59 {
		t.Fatalf("busiest second has %d checks over %d distinct seconds; want an even spread", busiest, len(perSecond))
	}
}

func TestSlot(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name       string
		due        time.Time
		wantSlot   time.Time
		wantMissed bool
	}{
		{"on time", now, now, false},
		{"a little late keeps its slot", now.Add(-2 * time.Second), now.Add(-2 * time.Second), false},
		{"missed by more than an interval runs now", now.Add(-2 * time.Minute), now, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			slot, missed := Slot(tc.due, now, time.Minute)
			if !slot.Equal(tc.wantSlot) || missed != tc.wantMissed {
				t.Fatalf("Slot = %v, %v; want %v, %v", slot, missed, tc.wantSlot, tc.wantMissed)
			}
		})
	}
}

func TestJobIDIsStable(t *testing.T) {
	slot := time.Date(2026, 11, 23, 12, 0, 0, 123456789, time.UTC)
	if a, b := JobID(5, slot), JobID(5, slot.Add(100*time.Microsecond)); a != b {
		t.Fatalf("same millisecond, different ids: %s %s", a, b)
	}
	if JobID(5, slot) == JobID(6, slot) || JobID(5, slot) == JobID(5, slot.Add(time.Second)) {
		t.Fatal("different slots share an id")
	}
	if got := JobID(5, slot); got != "5:1795435200123" {
		t.Fatalf("JobID = %s", got)
	}
}
