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

func TestOnPhase(t *testing.T) {
	const id, interval = 42, time.Minute
	slot := NextSlot(id, interval, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	for _, tc := range []struct {
		name string
		at   time.Time
		want bool
	}{
		{"a slot", slot, true},
		{"a slot as the database keeps it (microseconds)", slot.Truncate(time.Microsecond), true},
		{"a slot intervals later", slot.Add(7 * interval), true},
		{"a user's moment", slot.Add(1234 * time.Millisecond), false},
		{"a millisecond off", slot.Add(-time.Millisecond), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := onPhase(id, interval, tc.at); got != tc.want {
				t.Fatalf("onPhase(%v) = %v, want %v", tc.at, got, tc.want)
			}
		})
	}
}

func TestSlotAfter(t *testing.T) {
	base := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for _, id := range []int64{1, 42, 99999} {
		for _, interval := range []time.Duration{time.Second, time.Minute, time.Hour} {
			slot := NextSlot(id, interval, base)
			for _, tc := range []struct {
				after, want time.Time
			}{
				{slot.Add(-time.Nanosecond), slot},
				{slot, slot.Add(interval)},
				{slot.Add(-interval + time.Nanosecond), slot},
				{slot.Add(3*interval + interval/2), slot.Add(4 * interval)},
			} {
				if got := slotAfter(id, interval, tc.after); !got.Equal(tc.want) {
					t.Errorf("slotAfter(%d, %v, %v) = %v, want %v", id, interval, tc.after, got, tc.want)
				}
			}
		}
	}
}

// TestContinueAfter is the rule that lets the database's schedule win over
// memory without running a slot twice or in a burst.
func TestContinueAfter(t *testing.T) {
	const id, interval = 7, time.Minute
	recent := NextSlot(id, interval, time.Date(2026, 11, 23, 12, 30, 0, 0, time.UTC))
	now := recent.Add(2 * time.Second)         // the database is back; recent was published from memory 2 s ago
	covered := now.Add(350 * time.Millisecond) // memory published every slot due by then
	stale := recent.Add(-20 * interval)        // written by a pusher before the outage
	after := slotAfter(id, interval, covered)  // the monitor's first slot memory did not publish
	for _, tc := range []struct {
		name    string
		dueAt   time.Time
		covered time.Time
		want    time.Time // zero: run as the database says
	}{
		{"a slot published from memory continues on phase after it", stale, covered, after},
		{"a slot as the database keeps it (microseconds)", stale.Truncate(time.Microsecond), covered, after},
		{"check now, an edit or a resume (off phase) runs", now.Add(-3 * time.Second).Truncate(time.Microsecond), covered, time.Time{}},
		{"a request made during the outage runs too", stale.Add(1500 * time.Millisecond), covered, time.Time{}},
		{"a slot after memory's horizon is the database's", after, covered, time.Time{}},
		{"a recent slot is published again; dedupe holds it", recent, covered, time.Time{}},
		{"no outage: nothing was published from memory", stale, time.Time{}, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := continueAfter(id, interval, tc.dueAt, tc.covered, now)
			if ok != !tc.want.IsZero() || !got.Equal(tc.want) {
				t.Fatalf("continueAfter(%v) = %v, %v; want %v", tc.dueAt, got, ok, tc.want)
			}
		})
	}
	// A short interval: the slack is at most half of it, so a slot late by
	// more than that is taken as published rather than run off phase.
	short := time.Second
	slot := NextSlot(id, short, now.Add(-10*time.Second))
	at := now.Add(-2 * time.Second)
	if got, ok := continueAfter(id, short, slot, at, slot.Add(800*time.Millisecond)); !ok || !got.Equal(slotAfter(id, short, at)) {
		t.Fatalf("1 s monitor %v late: continueAfter = %v, %v", 800*time.Millisecond, got, ok)
	}
}
