package spool

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/betterstack/betterstack/modules/queue"
)

func TestSegmentSize(t *testing.T) {
	for _, tc := range []struct{ limit, want int }{
		{1, 1}, {16, 1}, {31, 1}, {32, 2}, {47, 2}, {48, 3},
		{15999, 999}, {16000, 1000}, {16016, 1000}, {100_000, 1000},
	} {
		if got := SegmentSize(tc.limit); got != tc.want {
			t.Errorf("SegmentSize(%d) = %d, want %d", tc.limit, got, tc.want)
		}
	}
}

func TestEvict(t *testing.T) {
	for _, tc := range []struct {
		name   string
		counts []int
		limit  int
		want   int
	}{
		{"empty", nil, 10, 0},
		{"exactly full stays", []int{2, 2, 2}, 6, 0},
		{"one over drops the oldest", []int{2, 2, 2}, 5, 1},
		{"drops whole segments", []int{2, 2, 2}, 4, 1},
		{"drops until it fits", []int{2, 2, 2}, 3, 2},
		{"nothing fits", []int{2, 2, 2}, 0, 3},
		{"oldest first, not the biggest", []int{1, 5}, 5, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Evict(tc.counts, tc.limit); got != tc.want {
				t.Errorf("Evict(%v, %d) = %d, want %d", tc.counts, tc.limit, got, tc.want)
			}
		})
	}
}

func results(from, to int) []queue.Result {
	var rs []queue.Result
	for i := from; i < to; i++ {
		rs = append(rs, queue.Result{JobID: fmt.Sprintf("1:%d", i), MonitorID: 1, Region: "eu"})
	}
	return rs
}

func mustOpen(t *testing.T, dir string, limit int) *Spool {
	t.Helper()
	s, err := Open(dir, limit)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// drain replays everything, oldest first, and returns the job ids.
func drain(t *testing.T, s *Spool) []string {
	t.Helper()
	var ids []string
	for {
		b, ok, err := s.Oldest()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return ids
		}
		for _, r := range b.Results {
			ids = append(ids, r.JobID)
		}
		if err := s.Remove(b); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFullSpoolDropsOldestAndCounts(t *testing.T) {
	s := mustOpen(t, t.TempDir(), 32) // segments of 2
	dropped := 0
	for i := range 40 {
		n, err := s.Append(results(i, i+1))
		if err != nil {
			t.Fatal(err)
		}
		dropped += n
	}
	if s.Len() != 32 || dropped != 8 {
		t.Fatalf("Len = %d, dropped = %d; want 32 kept and 8 dropped", s.Len(), dropped)
	}
	ids := drain(t, s)
	if len(ids) != 32 || ids[0] != "1:8" || ids[31] != "1:39" {
		t.Fatalf("replayed %d: %v; want 1:8 .. 1:39", len(ids), ids)
	}
	if s.Len() != 0 {
		t.Errorf("Len after replay = %d", s.Len())
	}
	// One batch larger than the whole spool keeps its newest results.
	n, err := s.Append(results(100, 150))
	if err != nil || n != 18 || s.Len() != 32 {
		t.Fatalf("big batch: dropped %d, %v, Len %d; want 18 dropped and 32 kept", n, err, s.Len())
	}
	if ids := drain(t, s); ids[0] != "1:118" || ids[len(ids)-1] != "1:149" {
		t.Errorf("big batch replayed %v; want 1:118 .. 1:149", ids)
	}
}

func TestSpoolSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, 1000)
	if _, err := s.Append(results(0, 100)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// A crash tore the last line of the segment.
	seg := filepath.Join(dir, "0000000000000001.jsonl")
	f, err := os.OpenFile(seg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"job_id":"1:10`); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()

	s2 := mustOpen(t, dir, 1000)
	if s2.Len() != 100 || s2.Corrupt() != 1 {
		t.Fatalf("reopened: Len %d, Corrupt %d; want 100 and the torn line counted", s2.Len(), s2.Corrupt())
	}
	// New results go to a new segment, after the old ones.
	if _, err := s2.Append(results(100, 105)); err != nil {
		t.Fatal(err)
	}
	ids := drain(t, s2)
	if len(ids) != 105 || ids[0] != "1:0" || ids[99] != "1:99" || ids[104] != "1:104" {
		t.Fatalf("replayed %d ids (%v ...); want 1:0 .. 1:104 in order", len(ids), ids[:min(3, len(ids))])
	}
	left, err := os.ReadDir(dir)
	if err != nil || len(left) != 0 {
		t.Errorf("after replay the directory holds %v (%v); want nothing", left, err)
	}
	if s3 := mustOpen(t, dir, 1000); s3.Len() != 0 {
		t.Errorf("reopened after replay: Len %d; want 0", s3.Len())
	}
}

// TestDiskFullLosesOnlyThatBatch writes into /dev/full: the kernel's own
// ENOSPC, not a simulation of it.
func TestDiskFullLosesOnlyThatBatch(t *testing.T) {
	s := mustOpen(t, t.TempDir(), 1000)
	if _, err := s.Append(results(0, 3)); err != nil {
		t.Fatal(err)
	}
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full: %v", err)
	}
	_ = s.segs[0].f.Close()
	s.segs[0].f = full
	if _, err := s.Append(results(3, 6)); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Append on a full disk: %v; want ENOSPC", err)
	}
	if s.Len() != 3 {
		t.Fatalf("Len after a failed write = %d; want 3", s.Len())
	}
	// The next batch goes to a fresh segment.
	if _, err := s.Append(results(6, 8)); err != nil {
		t.Fatal(err)
	}
	if ids := drain(t, s); fmt.Sprint(ids) != "[1:0 1:1 1:2 1:6 1:7]" {
		t.Errorf("replayed %v; want the batch before and the batch after the failure", ids)
	}
}

func TestOpenRefusesNoBound(t *testing.T) {
	if _, err := Open(t.TempDir(), 0); err == nil {
		t.Error("Open with limit 0 succeeded")
	}
}

// A batch fills the open segment and spills into new ones, so no segment
// grows past its size and a full spool drops one segment's results (the
// oldest), never more.
func TestBatchSpillsIntoNewSegment(t *testing.T) {
	s := mustOpen(t, t.TempDir(), 32) // segments of 2
	for _, rs := range [][]queue.Result{results(0, 1), results(1, 4), results(4, 32)} {
		if n, err := s.Append(rs); err != nil || n != 0 {
			t.Fatalf("append %d: dropped %d, %v; want none dropped", len(rs), n, err)
		}
	}
	n, err := s.Append(results(32, 33))
	if err != nil || n != 2 || s.Len() != 31 {
		t.Fatalf("one over: dropped %d, %v, Len %d; want the oldest segment's 2 dropped and 31 kept", n, err, s.Len())
	}
	if ids := drain(t, s); len(ids) != 31 || ids[0] != "1:2" || ids[30] != "1:32" {
		t.Errorf("replayed %v; want 1:2 .. 1:32", ids)
	}
}
