package tick

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/probe"
)

// TestCountHourAtItsEdges pins where a check goes: into the region's open
// hour (none yet, or the same hour to its last microsecond), closing the
// open hour (the first microsecond of any later hour), or alone into
// rollups_hourly (the last microsecond of any earlier hour). Whatever it
// does, no check is lost or counted twice.
func TestCountHourAtItsEdges(t *testing.T) {
	ten := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	check := func(at time.Time, st probe.Status, ms float64) Tick {
		return Tick{Region: "eu", ScheduledAt: at, Status: st, LatencyMS: ms}
	}
	open := func(start time.Time, ticks ...Tick) RegionState {
		rs := RegionState{MonitorID: 7, Region: "eu"}
		for _, tk := range ticks {
			if _, due := rs.countHour(7, tk); due {
				t.Fatalf("setting up: %s was due", tk.ScheduledAt)
			}
		}
		if rs.Hour.Checks > 0 && !rs.Hour.Start.Equal(start) {
			t.Fatalf("setting up: open hour %s, want %s", rs.Hour.Start, start)
		}
		return rs
	}
	base := open(ten, check(ten.Add(5*time.Minute), probe.StatusUp, 30), check(ten.Add(6*time.Minute), probe.StatusDown, 0))
	for _, tc := range []struct {
		name      string
		rs        RegionState
		at        time.Time
		wantOpen  time.Time // the open hour after
		wantOpenN int64     // its checks
		wantDue   time.Time // zero: nothing due
		wantDueN  int64
	}{
		{"first check of a region", open(time.Time{}), ten.Add(time.Minute), ten, 1, time.Time{}, 0},
		{"the open hour's first microsecond", base, ten, ten, 3, time.Time{}, 0},
		{"the open hour's last microsecond", base, ten.Add(time.Hour - time.Microsecond), ten, 3, time.Time{}, 0},
		{"the next hour's first microsecond", base, ten.Add(time.Hour), ten.Add(time.Hour), 1, ten, 2},
		{"hours later", base, ten.Add(26 * time.Hour), ten.Add(26 * time.Hour), 1, ten, 2},
		{"the hour before's last microsecond", base, ten.Add(-time.Microsecond), ten, 2, ten.Add(-time.Hour), 1},
		{"a day before", base, ten.Add(-24 * time.Hour), ten, 2, ten.Add(-24 * time.Hour), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := tc.rs
			due, ok := rs.countHour(7, check(tc.at, probe.StatusUp, 40))
			if !rs.Hour.Start.Equal(tc.wantOpen) || rs.Hour.Checks != tc.wantOpenN {
				t.Errorf("open hour = %s with %d checks, want %s with %d", rs.Hour.Start, rs.Hour.Checks, tc.wantOpen, tc.wantOpenN)
			}
			if rs.Hour.MonitorID != 7 || rs.Hour.Region != "eu" {
				t.Errorf("open hour names monitor %d region %q, want 7 eu", rs.Hour.MonitorID, rs.Hour.Region)
			}
			if ok != !tc.wantDue.IsZero() {
				t.Fatalf("due = %v, want %v", ok, !tc.wantDue.IsZero())
			}
			if ok && (!due.Start.Equal(tc.wantDue) || due.Checks != tc.wantDueN || due.MonitorID != 7 || due.Region != "eu") {
				t.Errorf("due = %+v, want %s with %d checks of monitor 7 eu", due, tc.wantDue, tc.wantDueN)
			}
			if got, want := rs.Hour.Checks+due.Checks, tc.rs.Hour.Checks+1; got != want {
				t.Errorf("checks open and due = %d, want %d: one check in one place", got, want)
			}
		})
	}
	t.Run("figures follow the checks", func(t *testing.T) {
		rs := base
		closed, _ := rs.countHour(7, check(ten.Add(time.Hour), probe.StatusDegraded, 120))
		var want Rollup
		want.observe(Tick{Status: probe.StatusUp, LatencyMS: 30})
		want.observe(Tick{Status: probe.StatusDown})
		if closed.Checks != 2 || closed.Failures != 1 || closed.LatencySum != 30 || closed.Hist != want.Hist {
			t.Errorf("closed hour = %+v, want 2 checks, 1 failure, latency 30", closed)
		}
		if rs.Hour.Degraded != 1 || rs.Hour.LatencyMax != 120 || rs.Hour.Failures != 0 {
			t.Errorf("new open hour = %+v, want the degraded check alone", rs.Hour)
		}
	})
}

// TestHistTextRoundTrip: the histogram as each dialect stores it reads
// back the same, and a damaged value reads as zeros, never a panic.
func TestHistTextRoundTrip(t *testing.T) {
	h := [NumBuckets]int64{0, 3, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1000000}
	for _, d := range []database.Dialect{database.Postgres, database.SQLite} {
		text := histText(d, h)
		if got := parseHist(text); got != h {
			t.Errorf("%s: %q reads %v, want %v", d, text, got, h)
		}
	}
	if got := histText(database.Postgres, h); !strings.HasPrefix(got, "{0,3,") || !strings.HasSuffix(got, ",1000000}") {
		t.Errorf("PostgreSQL form = %q, want an array literal", got)
	}
	if got := histText(database.SQLite, h); !strings.HasPrefix(got, "[0,3,") || !strings.HasSuffix(got, ",1000000]") {
		t.Errorf("SQLite form = %q, want a JSON array", got)
	}
	for _, bad := range []string{"", "{}", "[]", "x", "{,}"} {
		if got := parseHist(bad); got != ([NumBuckets]int64{}) {
			t.Errorf("%q reads %v, want zeros", bad, got)
		}
	}
	if got := parseHist("{1,x,3}"); got[0] != 1 || got[1] != 0 || got[2] != 3 {
		t.Errorf(`"{1,x,3}" reads %v, want 1 0 3`, got[:3])
	}
	if got := parseHist(strings.Repeat("1,", 40)); got[NumBuckets-2] != 1 || got[NumBuckets-1] != 0 {
		t.Errorf("40 values read %v, want the first 14 and no more", got)
	}
}

// TestSplitAtSQLiteLimit: a statement with a parameter per value is split
// where its rows would take more parameters than allowed, and not before;
// on PostgreSQL (a parameter per column) never.
func TestSplitAtSQLiteLimit(t *testing.T) {
	rows := func(n int) bulk {
		ids, names := make([]int64, n), make([]string, n)
		for i := range n {
			ids[i], names[i] = int64(i), "r"
		}
		return bulk{head: "INSERT INTO x (a, b)", cols: []any{ids, names}, tail: ""}
	}
	for _, tc := range []struct {
		rows, maxVars int
		want          []int
	}{
		{10, 20, []int{10}},
		{10, 21, []int{10}},
		{11, 20, []int{10, 1}},
		{21, 20, []int{10, 10, 1}},
		{3, 1, []int{1, 1, 1}}, // fewer parameters than columns: a row each
		{0, 20, []int{0}},
	} {
		parts := rows(tc.rows).split(database.SQLite, tc.maxVars)
		var got []int
		next := int64(0)
		for _, p := range parts {
			ids := p.cols[0].([]int64)
			got = append(got, len(ids))
			for _, id := range ids {
				if id != next {
					t.Fatalf("%d rows at %d: row %d where %d was next", tc.rows, tc.maxVars, id, next)
				}
				next++
			}
			if len(p.cols[1].([]string)) != len(ids) {
				t.Errorf("%d rows at %d: columns of different lengths", tc.rows, tc.maxVars)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%d rows of 2 columns at %d parameters: parts %v, want %v", tc.rows, tc.maxVars, got, tc.want)
		}
		if pg := rows(tc.rows).split(database.Postgres, tc.maxVars); len(pg) != 1 {
			t.Errorf("PostgreSQL split %d rows into %d", tc.rows, len(pg))
		}
	}
}
