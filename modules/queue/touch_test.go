package queue

import (
	"testing"
	"time"
)

// testTouch: a worker that keeps touching its job keeps it; once it stops, a
// peer claims it; a late touch by the first worker does not take it back.
func testTouch(t *testing.T, open opener) {
	h := open(t, Config{})
	ctx := t.Context()
	mustPublish(t, h.q, 1, testJob("1:1000", "eu"))
	d := mustRead(t, h.q, "eu", "w1", 1)[0]
	peer := h.peer()
	for i := 0; i < 3; i++ {
		time.Sleep(150 * time.Millisecond)
		if err := h.q.TouchJobs(ctx, "eu", "w1", []string{d.ID}); err != nil {
			t.Fatal(err)
		}
	}
	// 450 ms since delivery, but touched 0 ms ago: not claimable at 300 ms idle.
	if ds, err := peer.ClaimJobs(ctx, "eu", "w2", 300*time.Millisecond, 10); err != nil || len(ds) != 0 {
		t.Fatalf("claim of a touched job = %v, %v; want nothing", ds, err)
	}
	time.Sleep(400 * time.Millisecond)
	ds, err := peer.ClaimJobs(ctx, "eu", "w2", 300*time.Millisecond, 10)
	if err != nil || len(ds) != 1 {
		t.Fatalf("claim after touches stopped = %v, %v; want the job", ds, err)
	}
	// w1 touches late: w2 must keep the job.
	if err := h.q.TouchJobs(ctx, "eu", "w1", []string{d.ID}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(400 * time.Millisecond)
	if again, err := h.q.ClaimJobs(ctx, "eu", "w3", 300*time.Millisecond, 10); err != nil || len(again) != 1 {
		t.Fatalf("w1's late touch must not refresh w2's claim: claim = %v, %v", again, err)
	}
	if err := h.q.TouchJobs(ctx, "eu", "w1", []string{"not-an-id"}); err == nil {
		t.Fatal("touch with a malformed id: want an error")
	}
}
