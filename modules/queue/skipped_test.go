package queue

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// skips is the skipped-slot count of either queue.
type skips interface {
	RecordSkipped(ctx context.Context, region string, n int64) error
	Skipped(ctx context.Context, region string, within time.Duration) (int64, error)
}

// TestSkipped: counts add up per region, age out of the window in 10 s
// buckets (a bucket that overlaps the window counts, one entirely before it
// does not) and are gone after SkipKeep. Both backends, one clock.
func TestSkipped(t *testing.T) {
	var mu sync.Mutex
	now := time.Unix(1_800_000_005, 0) // 5 s into a bucket
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	set := func(t time.Time) { mu.Lock(); now = t; mu.Unlock() }
	r, _ := newRedis(t, Config{Now: clock})
	for name, q := range map[string]skips{"memory": NewMemory(Config{Now: clock}), "redis": r} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			start := time.Unix(1_800_000_005, 0)
			set(start)
			want := func(region string, within time.Duration, n int64) {
				t.Helper()
				got, err := q.Skipped(ctx, region, within)
				if err != nil || got != n {
					t.Fatalf("Skipped(%s, %s) at +%s = %d, %v; want %d", region, within, clock().Sub(start), got, err, n)
				}
			}
			want("eu", time.Minute, 0)
			for _, n := range []int64{3, 4, 0, -2} {
				if err := q.RecordSkipped(ctx, "eu", n); err != nil {
					t.Fatal(err)
				}
			}
			if err := q.RecordSkipped(ctx, "us", 100); err != nil {
				t.Fatal(err)
			}
			want("eu", time.Minute, 7)
			want("us", time.Minute, 100)
			want("ap", time.Minute, 0)

			// The record sits in bucket [0 s, 10 s). 65 s later the window
			// (5 s, 70 s] no longer overlaps it; at 64.999 s it still does.
			set(start.Add(64*time.Second + 999*time.Millisecond))
			want("eu", time.Minute, 7)
			set(start.Add(65 * time.Second))
			want("eu", time.Minute, 0)
			want("eu", 2*time.Minute, 7)
			// Kept for SkipKeep, then gone whatever the window.
			set(start.Add(SkipKeep - 10*time.Second))
			want("eu", time.Hour, 7)
			set(start.Add(SkipKeep + 10*time.Second))
			if err := q.RecordSkipped(ctx, "eu", 1); err != nil {
				t.Fatal(err)
			}
			want("eu", time.Hour, 1)

			if err := q.RecordSkipped(ctx, "e{u", 1); !errors.Is(err, ErrInvalid) {
				t.Errorf("bad region: err = %v, want ErrInvalid", err)
			}
		})
	}
}
