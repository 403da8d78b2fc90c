package queue

import (
	"context"
	"testing"
	"time"
)

// ages is what the self-check reads of either queue.
type ages interface {
	PublishJobs(ctx context.Context, jobs []Job) (int, error)
	ReadJobs(ctx context.Context, region, consumer string, count int, block time.Duration) ([]JobDelivery, error)
	CompleteJobs(ctx context.Context, region string, cs []Completion) (int, error)
	OldestJob(ctx context.Context, region string) (time.Time, error)
	OldestResult(ctx context.Context) (time.Time, error)
	JobLate(ctx context.Context, region string) (time.Duration, error)
	ResultLate(ctx context.Context) (time.Duration, error)
	ReadResults(ctx context.Context, consumer string, count int, block time.Duration) ([]ResultDelivery, error)
	AckResults(ctx context.Context, ids ...string) error
}

// TestOldest: OldestJob is the oldest job no worker took (a job being run
// does not count), OldestResult the oldest result not yet acked; zero when
// none waits. Both backends.
func TestOldest(t *testing.T) {
	r, _ := newRedis(t, Config{})
	for name, q := range map[string]ages{"memory": NewMemory(Config{}), "redis": r} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			want := func(what string, got time.Time, err error, zero bool) {
				t.Helper()
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				if got.IsZero() != zero || (!zero && time.Since(got) > time.Minute) {
					t.Fatalf("%s = %v, want zero=%v", what, got, zero)
				}
			}
			at, err := q.OldestJob(ctx, "eu")
			want("no stream", at, err, true)
			at, err = q.OldestResult(ctx)
			want("no results", at, err, true)

			mustPublish(t, q, 2, testJob("a", "eu"), testJob("b", "eu"))
			at, err = q.OldestJob(ctx, "eu")
			want("two waiting", at, err, false)
			time.Sleep(20 * time.Millisecond) // entry IDs have millisecond resolution
			if w, err := q.JobLate(ctx, "eu"); err != nil || w < 10*time.Millisecond || w > time.Minute {
				t.Fatalf("JobLate with two published late = %v, %v; want the time since publication", w, err)
			}
			ds, err := q.ReadJobs(ctx, "eu", "w1", 2, 0)
			if err != nil || len(ds) != 2 {
				t.Fatalf("read: %v %v", ds, err)
			}
			at, err = q.OldestJob(ctx, "eu")
			want("both being run", at, err, true)
			if w, err := q.JobLate(ctx, "eu"); err != nil || w != 0 {
				t.Fatalf("JobLate with both being run = %v, %v; want 0", w, err)
			}
			if _, err := q.CompleteJobs(ctx, "eu", []Completion{{DeliveryID: ds[0].ID, Result: Result{JobID: "a", Region: "eu"}}}); err != nil {
				t.Fatal(err)
			}
			at, err = q.OldestResult(ctx)
			want("one result waiting", at, err, false)
			time.Sleep(20 * time.Millisecond)
			if w, err := q.ResultLate(ctx); err != nil || w < 10*time.Millisecond || w > time.Minute {
				t.Fatalf("ResultLate with one result waiting = %v, %v; want the time since it was sent", w, err)
			}
			rs, err := q.ReadResults(ctx, "alerter", 10, 0)
			if err != nil || len(rs) != 1 {
				t.Fatalf("read results: %v %v", rs, err)
			}
			if w, err := q.ResultLate(ctx); err != nil || w < 10*time.Millisecond {
				t.Fatalf("ResultLate with the result read, not stored = %v, %v; want it still waiting", w, err)
			}
			if err := q.AckResults(ctx, rs[0].ID); err != nil {
				t.Fatal(err)
			}
			if w, err := q.ResultLate(ctx); err != nil || w != 0 {
				t.Fatalf("ResultLate with every result stored = %v, %v; want 0", w, err)
			}
		})
	}
}

// TestJobLate: a job published ahead of its slot is not late until the
// slot (then by the time since it), one published after its slot is late
// from its publication, not its slot; a nanosecond counts. The in-process
// queue with an injected clock.
func TestJobLate(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	q := NewMemory(Config{Now: func() time.Time { return now }})
	ctx := context.Background()
	late := func(want time.Duration) {
		t.Helper()
		got, err := q.JobLate(ctx, "eu")
		if err != nil || got != want {
			t.Fatalf("JobLate at %s = %v, %v; want %v", now.Format(time.StampMilli), got, err, want)
		}
	}
	early := testJob("early", "eu")
	early.ScheduledAt = now.Add(2 * time.Second)
	mustPublish(t, q, 1, early)
	late(0)
	now = now.Add(2 * time.Second)
	late(0)
	now = now.Add(time.Millisecond)
	late(time.Millisecond)
	mustRead(t, q, "eu", "w", 1)
	late(0)

	tardy := testJob("tardy", "eu")
	tardy.ScheduledAt = now.Add(-time.Minute) // published a minute after its slot
	mustPublish(t, q, 1, tardy)
	late(0)
	now = now.Add(1500 * time.Millisecond)
	late(1500 * time.Millisecond)
}
