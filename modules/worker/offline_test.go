package worker

import (
	"fmt"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/queue"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestDown(t *testing.T) {
	after := 2 * time.Second
	for _, tc := range []struct {
		name    string
		failing time.Time
		now     time.Time
		want    bool
	}{
		{"never failed", time.Time{}, t0, false},
		{"failing for less than after", t0, t0.Add(after - time.Nanosecond), false},
		{"failing for exactly after", t0, t0.Add(after), true},
		{"failing for longer", t0, t0.Add(time.Minute), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Down(tc.failing, tc.now, after); got != tc.want {
				t.Errorf("Down = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFollowed(t *testing.T) {
	iv := 30 * time.Second
	for _, tc := range []struct {
		name     string
		last     time.Time
		interval time.Duration
		lastOK   time.Time
		want     bool
	}{
		{"just scheduled", t0, iv, t0, true},
		{"two intervals before contact was lost", t0, iv, t0.Add(2 * iv), true},
		{"a moment more: paused or deleted", t0, iv, t0.Add(2*iv + time.Nanosecond), false},
		{"no interval", t0, 0, t0, false},
		{"never reached", t0, iv, time.Time{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Followed(tc.last, tc.interval, tc.lastOK); got != tc.want {
				t.Errorf("Followed = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestOfflineUntil(t *testing.T) {
	if got := OfflineUntil(t0, 15*time.Minute); !got.Equal(t0.Add(15 * time.Minute)) {
		t.Errorf("OfflineUntil = %v", got)
	}
	if got := OfflineUntil(t0, 0); !got.IsZero() {
		t.Errorf("disabled: OfflineUntil = %v, want zero", got)
	}
	if got := OfflineUntil(time.Time{}, time.Minute); !got.IsZero() {
		t.Errorf("never reached: OfflineUntil = %v, want zero", got)
	}
}

func TestOfflineSlots(t *testing.T) {
	iv, grace := 10*time.Second, 4*time.Second
	far := t0.Add(time.Hour)
	at := func(secs ...int) []time.Time {
		out := []time.Time{}
		for _, s := range secs {
			out = append(out, t0.Add(time.Duration(s)*time.Second))
		}
		return out
	}
	sec := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	for _, tc := range []struct {
		name  string
		now   time.Time
		until time.Time
		want  []time.Time
	}{
		{"next slot not yet due", sec(9.999), far, at()},
		{"next slot due at its time", sec(10), far, at(10)},
		{"detection lag: missed slots within interval+grace run", sec(24), far, at(10, 20)},
		{"a slot older than interval+grace is skipped", sec(24.001), far, at(20)},
		{"after a long gap only recent slots", sec(1000), far, at(990, 1000)},
		{"the last slot at until runs", sec(30), sec(30), at(20, 30)},
		{"a slot after until does not", sec(30), sec(29.999), at(20)},
		{"disabled", sec(30), time.Time{}, at()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := OfflineSlots(t0, iv, tc.now, tc.until, grace)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
				t.Errorf("OfflineSlots = %v, want %v", got, tc.want)
			}
		})
	}
	if got := OfflineSlots(t0, 0, sec(100), far, grace); len(got) != 0 {
		t.Errorf("no interval: %v", got)
	}
}

func TestOfflineJobKeepsTheSlotIdentity(t *testing.T) {
	j := queue.Job{ID: "7:1000", MonitorID: 7, Region: "eu", ScheduledAt: time.UnixMilli(1000), IntervalSeconds: 30}
	got := offlineJob(j, time.UnixMilli(31000))
	if got.ID != "7:31000" || !got.ScheduledAt.Equal(time.UnixMilli(31000)) || got.IntervalSeconds != 30 || got.Region != "eu" {
		t.Errorf("offlineJob = %+v", got)
	}
	if doneFor(30*time.Second, 6*time.Second) != 2*30*time.Second+6*time.Second+time.Minute {
		t.Error("doneFor changed")
	}
}

func TestHandover(t *testing.T) {
	within := 30 * time.Second
	for _, tc := range []struct {
		name   string
		back   time.Time
		newest time.Time
		now    time.Time
		want   bool
	}{
		{"no job read since Redis answered", t0, t0.Add(-time.Minute), t0.Add(time.Second), true},
		{"never failed", time.Time{}, time.Time{}, t0, false},
		{"no job ever read", t0, time.Time{}, t0.Add(time.Second), true},
		{"a job from before the outage does not count", t0, t0.Add(-time.Nanosecond), t0.Add(time.Second), true},
		{"a job for a slot at back: the pusher publishes", t0, t0, t0.Add(time.Second), false},
		{"a job for a later slot", t0, t0.Add(2 * time.Second), t0.Add(time.Second), false},
		{"just within the bound", t0, time.Time{}, t0.Add(within - time.Nanosecond), true},
		{"at the bound", t0, time.Time{}, t0.Add(within), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Handover(tc.back, tc.newest, tc.now, within); got != tc.want {
				t.Errorf("Handover = %v, want %v", got, tc.want)
			}
		})
	}
}
