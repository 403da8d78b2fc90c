package queue

import (
	"errors"
	"fmt"
	"testing"
)

func testResults(t *testing.T, open opener) {
	h := open(t, Config{})
	ctx := t.Context()
	var jobs []Job
	for i := range 5 {
		jobs = append(jobs, testJob(fmt.Sprintf("%d:1", i), "eu"))
	}
	mustPublish(t, h.q, 5, jobs...)
	ds := mustRead(t, h.q, "eu", "w", 5)
	cs := make([]Completion, len(ds))
	for i, d := range ds {
		cs[i] = Completion{DeliveryID: d.ID, Result: Result{JobID: d.Job.ID, Region: "eu"}}
	}
	if n, err := h.q.CompleteJobs(ctx, "eu", cs); err != nil || n != 5 {
		t.Fatalf("CompleteJobs = %d, %v", n, err)
	}

	// An alerter reads and crashes (or the database is down): nothing acked.
	crashed, err := h.q.ReadResults(ctx, "a1", 10, 0)
	if err != nil || len(crashed) != 5 {
		t.Fatalf("ReadResults = %d, %v; want 5", len(crashed), err)
	}
	if more, err := h.q.ReadResults(ctx, "a2", 10, 0); err != nil || len(more) != 0 {
		t.Fatalf("second reader got %d, %v; want nothing new", len(more), err)
	}
	claimed, err := h.peer().ClaimResults(ctx, "a2", 0, 10)
	if err != nil || len(claimed) != 5 {
		t.Fatalf("ClaimResults = %d, %v; want 5", len(claimed), err)
	}
	for i := range claimed {
		if claimed[i].ID != crashed[i].ID || claimed[i].Result.JobID != crashed[i].Result.JobID {
			t.Errorf("claimed %+v, want %+v", claimed[i], crashed[i])
		}
	}
	wantResultBacklog(t, h.q, 5)
	if err := h.q.AckResults(ctx, claimed[0].ID, claimed[1].ID, claimed[2].ID); err != nil {
		t.Fatal(err)
	}
	wantResultBacklog(t, h.q, 2)
	left, err := h.q.ClaimResults(ctx, "a3", 0, 0)
	if err != nil || len(left) != 2 {
		t.Fatalf("ClaimResults after ack = %d, %v; want 2", len(left), err)
	}
	if err := h.q.AckResults(ctx, left[0].ID, left[1].ID); err != nil {
		t.Fatal(err)
	}
	wantResultBacklog(t, h.q, 0)
	for _, f := range []func() (int, error){
		func() (int, error) { rs, err := h.q.ClaimResults(ctx, "a3", 0, 0); return len(rs), err },
		func() (int, error) { rs, err := h.q.ReadResults(ctx, "a3", 0, 0); return len(rs), err },
	} {
		if n, err := f(); err != nil || n != 0 {
			t.Errorf("after acking all: %d results, %v; want none", n, err)
		}
	}
	if err := h.q.AckResults(ctx); err != nil {
		t.Errorf("AckResults with no ids: %v", err)
	}
}

func testResultsNotTrimmed(t *testing.T, open opener) {
	h := open(t, Config{JobStreamMaxLen: 50})
	const rounds, per = 10, 25
	for r := range rounds {
		jobs := make([]Job, per)
		for i := range jobs {
			jobs[i] = testJob(fmt.Sprintf("%d:%d", i, r), "eu")
		}
		mustPublish(t, h.q, per, jobs...)
		ds := mustRead(t, h.q, "eu", "w", per)
		cs := make([]Completion, len(ds))
		for i, d := range ds {
			cs[i] = Completion{DeliveryID: d.ID, Result: Result{JobID: d.Job.ID}}
		}
		if n, err := h.q.CompleteJobs(t.Context(), "eu", cs); err != nil || n != per {
			t.Fatalf("CompleteJobs = %d, %v", n, err)
		}
	}
	wantResultBacklog(t, h.q, rounds*per)
	rs, err := h.q.ReadResults(t.Context(), "a", 0, 0)
	if err != nil || len(rs) != rounds*per {
		t.Fatalf("ReadResults = %d, %v; want %d", len(rs), err, rounds*per)
	}
}

func testTrimmedWhilePending(t *testing.T, open opener) {
	h := open(t, Config{JobStreamMaxLen: 2})
	ctx := t.Context()
	mustPublish(t, h.q, 1, testJob("old:1", "eu"))
	old := mustRead(t, h.q, "eu", "dead", 1)[0]
	// A region without workers fills up: the cap trims the oldest entries,
	// the pending one first. Redis trims whole nodes, so less exactly.
	jobs := make([]Job, 250)
	for i := range jobs {
		jobs[i] = testJob(fmt.Sprintf("%d:1", i), "eu")
	}
	mustPublish(t, h.q, len(jobs), jobs...)
	n, err := h.q.Backlog(ctx, "eu")
	if err != nil || n < 2 || n > 200 {
		t.Fatalf("Backlog = %d, %v; want trimmed to between 2 and 200", n, err)
	}
	claimed, err := h.q.ClaimJobs(ctx, "eu", "w", 0, 0)
	if err != nil || len(claimed) != 0 {
		t.Fatalf("ClaimJobs = %+v, %v; want the trimmed job skipped", claimed, err)
	}
	if n, err := h.q.CompleteJobs(ctx, "eu", []Completion{{DeliveryID: old.ID, Result: Result{JobID: "old:1"}}}); err != nil || n != 0 {
		t.Fatalf("completing the trimmed job = %d, %v; want 0 (it was acked by the claim)", n, err)
	}
	if m := h.q.Malformed(); m != 0 {
		t.Errorf("Malformed = %d; trimmed entries are not malformed", m)
	}
	// The newest jobs survive.
	ds, err := h.q.ReadJobs(ctx, "eu", "w", 0, 0)
	if err != nil || len(ds) == 0 || ds[len(ds)-1].Job.ID != "249:1" {
		t.Fatalf("ReadJobs after trim: %d jobs, %v; want the newest kept", len(ds), err)
	}
}

func testDropJob(t *testing.T, open opener) {
	h := open(t, Config{})
	ctx := t.Context()
	mustPublish(t, h.q, 2, testJob("1:1", "eu"), testJob("2:1", "eu"))
	ds := mustRead(t, h.q, "eu", "w", 2)
	if err := h.q.DropJob(ctx, "eu", ds[0].ID); err != nil {
		t.Fatal(err)
	}
	wantBacklog(t, h.q, "eu", 1)
	wantResultBacklog(t, h.q, 0)
	claimed, err := h.q.ClaimJobs(ctx, "eu", "w2", 0, 0)
	if err != nil || len(claimed) != 1 || claimed[0].ID != ds[1].ID {
		t.Fatalf("ClaimJobs = %+v, %v; want only the job not dropped", claimed, err)
	}
	// Dropping twice is harmless.
	if err := h.q.DropJob(ctx, "eu", ds[0].ID); err != nil {
		t.Fatal(err)
	}
}

// testPublishResults: a worker that lost Redis publishes what it spooled
// later, with no job to ack; the alerters read those results like any
// other, a job still pending is left alone, and a result published twice
// is delivered twice (ingest stores it once).
func testPublishResults(t *testing.T, open opener) {
	h := open(t, Config{})
	ctx := t.Context()
	mustPublish(t, h.q, 1, testJob("9:1", "eu"))
	pending := mustRead(t, h.q, "eu", "w", 1)
	rs := []Result{
		{JobID: "1:1000", MonitorID: 1, Region: "eu", WorkerID: "w"},
		{JobID: "2:1000", MonitorID: 2, Region: "eu", WorkerID: "w"},
		{JobID: "9:1", MonitorID: 9, Region: "eu", WorkerID: "w"},
	}
	if n, err := h.q.PublishResults(ctx, "eu", rs); err != nil || n != 3 {
		t.Fatalf("PublishResults = %d, %v; want 3", n, err)
	}
	if n, err := h.q.PublishResults(ctx, "eu", rs[:1]); err != nil || n != 1 {
		t.Fatalf("PublishResults again = %d, %v; want 1", n, err)
	}
	wantResultBacklog(t, h.q, 4)
	wantBacklog(t, h.q, "eu", 1) // the job was not acked
	got, err := h.peer().ReadResults(ctx, "a", 10, 0)
	if err != nil || len(got) != 4 {
		t.Fatalf("ReadResults = %d, %v; want 4", len(got), err)
	}
	for i, want := range []string{"1:1000", "2:1000", "9:1", "1:1000"} {
		if got[i].Result.JobID != want || got[i].Result.Region != "eu" {
			t.Errorf("result %d = %+v, want job %s of eu (in order)", i, got[i].Result, want)
		}
	}
	// The job can still be completed; its result is then published once more.
	if n, err := h.q.CompleteJobs(ctx, "eu", []Completion{{DeliveryID: pending[0].ID, Result: rs[2]}}); err != nil || n != 1 {
		t.Fatalf("CompleteJobs after PublishResults = %d, %v; want 1", n, err)
	}
	if n, err := h.q.PublishResults(ctx, "eu", nil); err != nil || n != 0 {
		t.Errorf("PublishResults(nil) = %d, %v; want 0, nil", n, err)
	}
	for name, bad := range map[string]func() error{
		"no job id":    func() error { _, err := h.q.PublishResults(ctx, "eu", []Result{{}}); return err },
		"empty region": func() error { _, err := h.q.PublishResults(ctx, "", rs); return err },
		"brace region": func() error { _, err := h.q.PublishResults(ctx, "e{u}", rs); return err },
	} {
		if err := bad(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	wantResultBacklog(t, h.q, 5)
}
