package queue

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// regionsAcross are the regions the multi-region cases use. In the Cluster
// test their hash tags fall on different nodes (checked there), so reads
// and waits span servers.
var regionsAcross = []string{"eu", "us", "ap"}

// testResultsAcrossRegions: results of every region reach an alerter that
// has never seen them published, once each, within its count; a peer can
// claim them from every region; one AckResults acks them all.
func testResultsAcrossRegions(t *testing.T, open opener) {
	h := open(t, Config{})
	ctx := t.Context()
	const per = 4
	total := per * len(regionsAcross)
	for _, region := range regionsAcross {
		jobs := make([]Job, per)
		for i := range jobs {
			jobs[i] = testJob(fmt.Sprintf("%d:1", i), region)
		}
		mustPublish(t, h.q, per, jobs...)
		ds := mustRead(t, h.q, region, "w-"+region, per)
		cs := make([]Completion, len(ds))
		for i, d := range ds {
			cs[i] = Completion{DeliveryID: d.ID, Result: Result{JobID: d.Job.ID, Region: region}}
		}
		if n, err := h.q.CompleteJobs(ctx, region, cs); err != nil || n != per {
			t.Fatalf("CompleteJobs(%s) = %d, %v", region, n, err)
		}
	}
	wantResultBacklog(t, h.q, int64(total))

	alerter := h.peer()
	seen := make(map[string]int)
	var ids []string
	for round := 0; round < 2*total && len(ids) < total; round++ {
		rs, err := alerter.ReadResults(ctx, "a1", 5, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) > 5 {
			t.Fatalf("ReadResults(count 5) returned %d", len(rs))
		}
		for _, r := range rs {
			seen[r.Result.Region+"/"+r.Result.JobID]++
			ids = append(ids, r.ID)
		}
	}
	if len(ids) != total || len(seen) != total {
		t.Fatalf("read %d results (%d distinct), want %d: %v", len(ids), len(seen), total, seen)
	}
	if more, err := alerter.ReadResults(ctx, "a1", 0, 0); err != nil || len(more) != 0 {
		t.Fatalf("a further read = %d, %v; want nothing new", len(more), err)
	}

	claimed, err := h.q.ClaimResults(ctx, "a2", 0, 0)
	if err != nil || len(claimed) != total {
		t.Fatalf("ClaimResults = %d, %v; want every region's %d", len(claimed), err, total)
	}
	if err := h.q.AckResults(ctx, ids...); err != nil {
		t.Fatal(err)
	}
	wantResultBacklog(t, h.q, 0)
	if left, err := alerter.ClaimResults(ctx, "a3", 0, 0); err != nil || len(left) != 0 {
		t.Fatalf("ClaimResults after acking all = %d, %v", len(left), err)
	}
}

// testWakeAnyRegion: a blocked ReadResults wakes for a result of any region,
// including one that did not exist when the wait began.
func testWakeAnyRegion(t *testing.T, open opener) {
	h := open(t, Config{})
	ctx := t.Context()
	complete := func(region, id string) {
		t.Helper()
		mustPublish(t, h.q, 1, testJob(id, region))
		d := mustRead(t, h.q, region, "w", 1)[0]
		if err := h.q.CompleteJob(ctx, region, d.ID, Result{JobID: id, Region: region}); err != nil {
			t.Fatal(err)
		}
	}
	alerter := h.peer()
	// Two regions with a results stream each, drained.
	for _, region := range regionsAcross[:2] {
		complete(region, "0:1")
	}
	rs, err := alerter.ReadResults(ctx, "a", 10, 0)
	if err != nil || len(rs) != 2 {
		t.Fatalf("ReadResults = %d, %v; want 2", len(rs), err)
	}
	if err := alerter.AckResults(ctx, rs[0].ID, rs[1].ID); err != nil {
		t.Fatal(err)
	}

	for _, region := range []string{regionsAcross[1], regionsAcross[2]} {
		type read struct {
			rs   []ResultDelivery
			err  error
			took time.Duration
		}
		done := make(chan read, 1)
		start := time.Now()
		go func() {
			rs, err := alerter.ReadResults(ctx, "a", 10, 10*time.Second)
			done <- read{rs, err, time.Since(start)}
		}()
		time.Sleep(100 * time.Millisecond) // let the read block
		complete(region, "1:1")
		got := <-done
		if got.err != nil || len(got.rs) != 1 || got.rs[0].Result.Region != region || got.took > 2*time.Second {
			t.Fatalf("blocked ReadResults for a result of %s = %+v", region, got)
		}
		if err := alerter.AckResults(ctx, got.rs[0].ID); err != nil {
			t.Fatal(err)
		}
	}

	// A wait over every region ends at once when its context does.
	cctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	if _, err := alerter.ReadResults(cctx, "a", 10, 10*time.Second); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ReadResults: %v, want context.Canceled", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("cancelled ReadResults returned after %v, want promptly", took)
	}
}
