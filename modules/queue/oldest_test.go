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
	JobWait(ctx context.Context, region string) (time.Duration, error)
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
			if w, err := q.JobWait(ctx, "eu"); err != nil || w < 10*time.Millisecond || w > time.Minute {
				t.Fatalf("JobWait with two waiting = %v, %v; want their age", w, err)
			}
			ds, err := q.ReadJobs(ctx, "eu", "w1", 2, 0)
			if err != nil || len(ds) != 2 {
				t.Fatalf("read: %v %v", ds, err)
			}
			at, err = q.OldestJob(ctx, "eu")
			want("both being run", at, err, true)
			if w, err := q.JobWait(ctx, "eu"); err != nil || w != 0 {
				t.Fatalf("JobWait with both being run = %v, %v; want 0", w, err)
			}
			if _, err := q.CompleteJobs(ctx, "eu", []Completion{{DeliveryID: ds[0].ID, Result: Result{JobID: "a", Region: "eu"}}}); err != nil {
				t.Fatal(err)
			}
			at, err = q.OldestResult(ctx)
			want("one result waiting", at, err, false)
		})
	}
}
