package pusher

import (
	"testing"
	"time"
)

// Boundary tests for the pure decisions in pusher.go, written against the
// mutants .ci/mutation found alive: each case sits exactly on a comparison
// or depends on one sum, so flipping it fails.
//
// Mutants that cannot change behaviour (left alive on purpose):
//   - onPhase `off < 0` -> `off <= 0`: off == 0 becomes interval, and
//     interval-off == 0 is still under a microsecond, so the answer is true
//     either way.
//   - slotAfter `base < 0` -> `base <= 0`: at base == 0 the remainder is 0,
//     so k is not decremented either way.
//   - continueAfter `interval <= 0` -> `interval < 0`: with interval 0,
//     onPhase returns false and continueAfter still returns false.
//   - the constant recentSlack (5 * time.Second) is folded at compile time
//     and shows as NOT COVERED; continueAfter's boundary below pins it.
//
// These three equivalent mutants are all that lives (gremlins v0.6.0: 43
// killed, 3 lived, 93.48%), below .ci/mutation's 95% gate; gremlins has no
// way to mark a mutant equivalent, so only rewriting those guards in
// pusher.go (or a per-package threshold) gets the package through.

func TestNoIntervalMeansNoPhase(t *testing.T) {
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for _, iv := range []time.Duration{0, -time.Second} {
		if got := phase(42, iv); got != 0 {
			t.Errorf("phase(42, %v) = %v, want 0", iv, got)
		}
		if got := NextSlot(42, iv, at); !got.Equal(at) {
			t.Errorf("NextSlot(42, %v) = %v, want %v", iv, got, at)
		}
		if onPhase(42, iv, at) {
			t.Errorf("onPhase(42, %v) = true, want false", iv)
		}
	}
}

// TestPhaseIsTheHash pins the Fibonacci hash: a changed multiply or modulo
// moves every monitor's slots.
func TestPhaseIsTheHash(t *testing.T) {
	for _, tc := range []struct {
		id       int64
		interval time.Duration
	}{{1, time.Minute}, {42, 10 * time.Second}, {99999, time.Hour}} {
		want := time.Duration((uint64(tc.id) * 0x9E3779B97F4A7C15) % uint64(tc.interval))
		if got := phase(tc.id, tc.interval); got != want {
			t.Errorf("phase(%d, %v) = %v, want %v", tc.id, tc.interval, got, want)
		}
	}
}

// TestNextSlotHalfIntervalBoundary: the next slot is the first on-phase time
// at least half an interval after `after`; exactly half is kept.
func TestNextSlotHalfIntervalBoundary(t *testing.T) {
	const iv = time.Minute
	base := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for _, id := range []int64{1, 7, 42, 99, 99999} {
		slot := NextSlot(id, iv, base)
		for _, tc := range []struct {
			name  string
			after time.Time
			want  time.Time
		}{
			{"exactly half an interval before a slot keeps it", slot.Add(-iv / 2), slot},
			{"a nanosecond less than half skips to the next", slot.Add(-iv/2 + time.Nanosecond), slot.Add(iv)},
			{"a nanosecond more than half keeps it", slot.Add(-iv/2 - time.Nanosecond), slot},
			{"on a slot: the next is one interval on", slot, slot.Add(iv)},
			{"just after a slot", slot.Add(time.Nanosecond), slot.Add(iv)},
			{"a whole interval before a slot", slot.Add(-iv), slot},
		} {
			if got := NextSlot(id, iv, tc.after); !got.Equal(tc.want) {
				t.Errorf("id %d, %s: NextSlot(%v) = %v, want %v", id, tc.name, tc.after, got, tc.want)
			}
		}
	}
}

func TestSlotMissedBoundary(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	due := now.Add(-time.Minute)
	if slot, missed := Slot(due, now, time.Minute); missed || !slot.Equal(due) {
		t.Errorf("exactly one interval late: Slot = %v, %v; want %v, false", slot, missed, due)
	}
	due = now.Add(-time.Minute - time.Nanosecond)
	if slot, missed := Slot(due, now, time.Minute); !missed || !slot.Equal(now) {
		t.Errorf("just over one interval late: Slot = %v, %v; want %v, true", slot, missed, now)
	}
}

// TestOnPhaseMicrosecondBoundary: a time within less than a microsecond of
// a slot, on either side, is on the phase; a whole microsecond off is not.
func TestOnPhaseMicrosecondBoundary(t *testing.T) {
	const id, iv = 42, time.Minute
	for _, slot := range []time.Time{
		NextSlot(id, iv, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)),
		// Before 1970 the remainder is negative and must be wrapped.
		slotAfter(id, iv, time.Unix(0, 0).Add(-10*iv)),
	} {
		for _, tc := range []struct {
			name string
			d    time.Duration
			want bool
		}{
			{"on the slot", 0, true},
			{"999 ns after", 999 * time.Nanosecond, true},
			{"999 ns before", -999 * time.Nanosecond, true},
			{"1 µs after", time.Microsecond, false},
			{"1 µs before", -time.Microsecond, false},
			{"half an interval after", iv / 2, false},
			{"a quarter interval after", iv / 4, false},
			{"a quarter interval before", -iv / 4, false},
		} {
			if got := onPhase(id, iv, slot.Add(tc.d)); got != tc.want {
				t.Errorf("slot %v, %s: onPhase = %v, want %v", slot, tc.name, got, tc.want)
			}
		}
	}
}

// TestSlotAfterBefore1970: slotAfter floors, so a time before the epoch
// still gets the first slot strictly after it.
func TestSlotAfterBefore1970(t *testing.T) {
	for _, id := range []int64{1, 42, 99999} {
		for _, iv := range []time.Duration{time.Second, time.Minute, time.Hour} {
			ph := int64(phase(id, iv))
			for _, at := range []time.Time{
				time.Unix(0, 0).Add(-3*iv - iv/3),
				time.Unix(0, 0).Add(-time.Nanosecond),
				time.Unix(0, ph-int64(5*iv)), // exactly on a slot: the next one
			} {
				got := slotAfter(id, iv, at)
				if !got.After(at) || got.Sub(at) > iv || (got.UnixNano()-ph)%int64(iv) != 0 {
					t.Errorf("slotAfter(%d, %v, %v) = %v: want the first slot on phase after it", id, iv, at, got)
				}
			}
		}
	}
}

// TestContinueAfterRecentSlackBoundary: a slot exactly recentSlack late (or
// exactly half a short interval) is still published again; a nanosecond
// later it counts as published from memory.
func TestContinueAfterRecentSlackBoundary(t *testing.T) {
	const id = 7
	for _, tc := range []struct {
		interval time.Duration
		slack    time.Duration
	}{{time.Minute, recentSlack}, {time.Second, 500 * time.Millisecond}, {4 * time.Second, 2 * time.Second}} {
		if tc.slack != min(5*time.Second, tc.interval/2) {
			t.Fatalf("slack for %v: recentSlack changed", tc.interval)
		}
		due := NextSlot(id, tc.interval, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
		covered := due.Add(10 * tc.interval)
		if _, ok := continueAfter(id, tc.interval, due, covered, due.Add(tc.slack)); ok {
			t.Errorf("interval %v, exactly %v late: taken as published, want run again", tc.interval, tc.slack)
		}
		got, ok := continueAfter(id, tc.interval, due, covered, due.Add(tc.slack+time.Nanosecond))
		if want := slotAfter(id, tc.interval, covered); !ok || !got.Equal(want) {
			t.Errorf("interval %v, just over %v late: continueAfter = %v, %v; want %v, true", tc.interval, tc.slack, got, ok, want)
		}
		// A slot exactly at covered was published; one just after was not.
		if _, ok := continueAfter(id, tc.interval, covered.Add(tc.interval), covered, covered.Add(time.Hour)); ok {
			t.Errorf("interval %v: a slot after covered continued", tc.interval)
		}
		onCovered := due.Add(3 * tc.interval)
		if _, ok := continueAfter(id, tc.interval, onCovered, onCovered, onCovered.Add(time.Minute)); !ok {
			t.Errorf("interval %v: a slot exactly at covered is not taken as published", tc.interval)
		}
	}
}
