package queue

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/betterstack/betterstack/modules/testenv"
)

// newRedis returns a queue on a prefix of its own and the raw client, for
// tests that reach around the queue.
func newRedis(t *testing.T, cfg Config) (*Redis, *redis.Client) {
	t.Helper()
	_, client, prefix := testenv.MustRedis(t)
	cfg.Prefix = prefix
	return NewRedis(client, cfg), client
}

func TestRedisKeys(t *testing.T) {
	q, c := newRedis(t, Config{})
	ctx := t.Context()
	mustPublish(t, q, 1, testJob("9:1", "eu"))
	ds := mustRead(t, q, "eu", "w", 1)
	if err := q.CompleteJob(ctx, "eu", ds[0].ID, Result{JobID: "9:1", Region: "eu"}); err != nil {
		t.Fatal(err)
	}
	if err := q.Heartbeat(ctx, "eu", "w"); err != nil {
		t.Fatal(err)
	}
	rs, err := q.ReadResults(ctx, "a", 1, 0)
	if err != nil || len(rs) != 1 {
		t.Fatalf("ReadResults = %+v, %v", rs, err)
	}
	if want := "@eu"; !strings.HasSuffix(rs[0].ID, want) {
		t.Errorf("result delivery id %q, want the region after the entry id (%s)", rs[0].ID, want)
	}
	p := q.cfg.Prefix
	tests := []struct {
		key, typ string
	}{
		{p + "{eu}:jobs", "stream"},
		{p + "{eu}:results", "stream"},
		{p + "{eu}:job:9:1", "string"},
		{p + "{eu}:workers", "zset"},
		{p + "regions", "hash"},
		{p + "result-regions", "set"},
		// The previous release's names are not used.
		{p + "jobs:eu", "none"},
		{p + "results", "none"},
		{p + "job:eu:9:1", "none"},
		{p + "workers:eu", "none"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			typ, err := c.Type(ctx, tt.key).Result()
			if err != nil || typ != tt.typ {
				t.Errorf("TYPE %s = %q, %v; want %q", tt.key, typ, err, tt.typ)
			}
		})
	}
	ttl, err := c.PTTL(ctx, p+"{eu}:job:9:1").Result()
	if err != nil || ttl <= 9*time.Minute || ttl > 10*time.Minute {
		t.Errorf("dedupe marker TTL = %v, %v; want about 10m", ttl, err)
	}
	groups := map[string]string{p + "{eu}:jobs": groupWorkers, p + "{eu}:results": groupAlerters}
	for stream, group := range groups {
		gs, err := c.XInfoGroups(ctx, stream).Result()
		if err != nil || len(gs) != 1 || gs[0].Name != group {
			t.Errorf("groups of %s = %+v, %v; want %s", stream, gs, err, group)
		}
	}
}

func TestRedisMalformed(t *testing.T) {
	garbage := []struct {
		name   string
		values map[string]any
	}{
		{"not json", map[string]any{fieldJob: "{not json", fieldResult: "{not json"}},
		{"payload field missing", map[string]any{"other": "x"}},
		{"empty object", map[string]any{fieldJob: "{}", fieldResult: "{}"}},
		{"null", map[string]any{fieldJob: "null", fieldResult: "null"}},
		{"wrong type", map[string]any{fieldJob: `{"id":5}`, fieldResult: `{"job_id":[1]}`}},
	}
	q, c := newRedis(t, Config{})
	ctx := t.Context()
	jobs, results := q.jobsKey("eu"), q.resultsKey("eu")
	addGarbage := func(stream string) {
		for _, g := range garbage {
			if err := c.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: g.values}).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}

	// Garbage around a good job: only the job comes out.
	addGarbage(jobs)
	mustPublish(t, q, 1, testJob("1:1", "eu"))
	addGarbage(jobs)
	ds, err := q.ReadJobs(ctx, "eu", "w", 100, 0)
	if err != nil || len(ds) != 1 || ds[0].Job.ID != "1:1" {
		t.Fatalf("ReadJobs = %+v, %v; want only the good job", ds, err)
	}
	want := int64(2 * len(garbage))
	if n := q.Malformed(); n != want {
		t.Errorf("Malformed = %d, want %d", n, want)
	}
	wantBacklog(t, q, "eu", 1) // garbage deleted, the job pending
	pending, err := c.XPending(ctx, jobs, groupWorkers).Result()
	if err != nil || pending.Count != 1 {
		t.Errorf("pending = %+v, %v; want only the good job", pending, err)
	}

	// Garbage left pending by a consumer that died is dropped on claim.
	addGarbage(jobs)
	if err := c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: groupWorkers, Consumer: "dead", Streams: []string{jobs, ">"}}).Err(); err != nil {
		t.Fatal(err)
	}
	claimed, err := q.ClaimJobs(ctx, "eu", "w2", 0, 0)
	if err != nil || len(claimed) != 1 || claimed[0].Job.ID != "1:1" {
		t.Fatalf("ClaimJobs = %+v, %v; want only the good job", claimed, err)
	}
	want += int64(len(garbage))
	if n := q.Malformed(); n != want {
		t.Errorf("Malformed after claim = %d, want %d", n, want)
	}
	if err := q.CompleteJob(ctx, "eu", claimed[0].ID, Result{JobID: "1:1"}); err != nil {
		t.Fatal(err)
	}
	wantBacklog(t, q, "eu", 0)

	// The same on the results stream, for reads and claims.
	addGarbage(results)
	rs, err := q.ReadResults(ctx, "a", 100, 0)
	if err != nil || len(rs) != 1 || rs[0].Result.JobID != "1:1" {
		t.Fatalf("ReadResults = %+v, %v; want only the good result", rs, err)
	}
	addGarbage(results)
	if err := c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: groupAlerters, Consumer: "dead", Streams: []string{results, ">"}}).Err(); err != nil {
		t.Fatal(err)
	}
	crs, err := q.ClaimResults(ctx, "a2", 0, 0)
	if err != nil || len(crs) != 1 {
		t.Fatalf("ClaimResults = %+v, %v; want only the good result", crs, err)
	}
	if err := q.AckResults(ctx, crs[0].ID); err != nil {
		t.Fatal(err)
	}
	want += int64(2 * len(garbage))
	if n := q.Malformed(); n != want {
		t.Errorf("Malformed after results = %d, want %d", n, want)
	}
	wantResultBacklog(t, q, 0)
}

func TestRedisGroupVanished(t *testing.T) {
	tests := []struct {
		name   string
		vanish func(ctx context.Context, c *redis.Client, stream, group string) error
	}{
		{"group destroyed", func(ctx context.Context, c *redis.Client, stream, group string) error {
			return c.XGroupDestroy(ctx, stream, group).Err()
		}},
		{"stream deleted", func(ctx context.Context, c *redis.Client, stream, _ string) error {
			return c.Del(ctx, stream).Err()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q, c := newRedis(t, Config{})
			ctx := t.Context()
			mustPublish(t, q, 1, testJob("1:1", "eu"))
			ds := mustRead(t, q, "eu", "w", 1)
			if err := q.CompleteJob(ctx, "eu", ds[0].ID, Result{JobID: "1:1"}); err != nil {
				t.Fatal(err)
			}
			rs, err := q.ReadResults(ctx, "a", 10, 0)
			if err != nil || len(rs) != 1 {
				t.Fatalf("ReadResults = %d, %v", len(rs), err)
			}
			if err := q.AckResults(ctx, rs[0].ID); err != nil {
				t.Fatal(err)
			}

			if err := tt.vanish(ctx, c, q.jobsKey("eu"), groupWorkers); err != nil {
				t.Fatal(err)
			}
			mustPublish(t, q, 1, testJob("2:1", "eu"))
			// A claim on the missing group recreates it and finds nothing.
			if claimed, err := q.ClaimJobs(ctx, "eu", "w", 0, 0); err != nil || len(claimed) != 0 {
				t.Fatalf("ClaimJobs = %+v, %v", claimed, err)
			}
			ds = mustRead(t, q, "eu", "w", 1)
			if ds[0].Job.ID != "2:1" {
				t.Fatalf("read %s, want 2:1", ds[0].Job.ID)
			}
			if err := q.CompleteJob(ctx, "eu", ds[0].ID, Result{JobID: "2:1"}); err != nil {
				t.Fatal(err)
			}

			// A result published while the alerters' group is gone is still
			// delivered: the group is recreated from the start.
			if err := tt.vanish(ctx, c, q.resultsKey("eu"), groupAlerters); err != nil {
				t.Fatal(err)
			}
			if tt.name == "stream deleted" {
				// Deleting the stream deletes its results too; publish one more.
				mustPublish(t, q, 1, testJob("3:1", "eu"))
				ds = mustRead(t, q, "eu", "w", 1)
				if err := q.CompleteJob(ctx, "eu", ds[0].ID, Result{JobID: "3:1"}); err != nil {
					t.Fatal(err)
				}
			}
			rs, err = q.ReadResults(ctx, "a", 10, 0)
			if err != nil || len(rs) != 1 {
				t.Fatalf("ReadResults after the group vanished = %+v, %v; want 1", rs, err)
			}
		})
	}
}

// TestRedisCompleteAfterGroupRecreated: a worker finishing a job whose
// pending entry vanished with the group still publishes its result, and the
// job is not run again.
func TestRedisCompleteAfterGroupRecreated(t *testing.T) {
	q, c := newRedis(t, Config{})
	ctx := t.Context()
	mustPublish(t, q, 1, testJob("1:1", "eu"))
	ds := mustRead(t, q, "eu", "w", 1)
	if err := c.XGroupDestroy(ctx, q.jobsKey("eu"), groupWorkers).Err(); err != nil {
		t.Fatal(err)
	}
	n, err := q.CompleteJobs(ctx, "eu", []Completion{{DeliveryID: ds[0].ID, Result: Result{JobID: "1:1"}}})
	if err != nil || n != 1 {
		t.Fatalf("CompleteJobs = %d, %v; want 1", n, err)
	}
	mustRead(t, q, "eu", "w", 0)
	wantResultBacklog(t, q, 1)
}

func TestRedisStreamDeletedWhileBlocked(t *testing.T) {
	q, c := newRedis(t, Config{})
	ctx := t.Context()
	mustRead(t, q, "eu", "w", 0) // creates the group
	done := make(chan error, 1)
	go func() {
		_, err := q.ReadJobs(ctx, "eu", "w", 10, 500*time.Millisecond)
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	if err := c.Del(ctx, q.jobsKey("eu")).Err(); err != nil {
		t.Fatal(err)
	}
	// Redis 7.0 keeps the reader blocked until its timeout; 7.2 and later
	// answer UNBLOCKED, which the queue treats like NOGROUP.
	if err := <-done; err != nil {
		t.Fatalf("blocked read: %v", err)
	}
	mustPublish(t, q, 1, testJob("1:1", "eu"))
	mustRead(t, q, "eu", "w", 1)
}

// TestRedisUnblockIsContained: cancelling reads must never interrupt a read
// of someone else that reuses the pooled connection.
func TestRedisUnblockIsContained(t *testing.T) {
	_, client, prefix := testenv.MustRedis(t)
	opt := *client.Options()
	// Few connections, so they are reused at once: one per blocked reader
	// plus one to send CLIENT UNBLOCK (see NewRedis).
	const cancelled, victims = 3, 2
	opt.PoolSize = cancelled + victims + 1
	small := redis.NewClient(&opt)
	t.Cleanup(func() { _ = small.Close() })
	q := NewRedis(small, Config{Prefix: prefix})

	stop := make(chan struct{})
	var victimsWG, cancelWG sync.WaitGroup
	for v := range victims {
		victimsWG.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				ds, err := q.ReadJobs(t.Context(), "quiet", fmt.Sprintf("v%d", v), 10, 100*time.Millisecond)
				if err != nil || len(ds) != 0 {
					t.Errorf("victim read = %v, %v", ds, err)
					return
				}
				if took := time.Since(start); took < 90*time.Millisecond {
					t.Errorf("victim read returned after %v: interrupted by a stray UNBLOCK", took)
					return
				}
			}
		})
	}
	for range cancelled {
		cancelWG.Go(func() {
			for i := range 100 {
				ctx, cancel := context.WithTimeout(t.Context(), time.Duration(i%4)*time.Millisecond)
				_, err := q.ReadJobs(ctx, "eu", "c", 10, time.Second)
				cancel()
				if err != nil && !errors.Is(err, context.DeadlineExceeded) {
					t.Error(err)
				}
			}
		})
	}
	cancelWG.Wait()
	close(stop)
	victimsWG.Wait()
}
