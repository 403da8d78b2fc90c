package auth

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/betterstack/betterstack/modules/testenv"
)

// fakeClock is a settable clock for the in-process limiter.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func newTestLimiter(window time.Duration) (*limiter, *fakeClock) {
	c := &fakeClock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	return newLimiter(window, c.now), c
}

func hitN(t *testing.T, l Limiter, key string, n int) {
	t.Helper()
	for range n {
		if err := l.Hit(context.Background(), key); err != nil {
			t.Fatal(err)
		}
	}
}

// bothLimiters runs f against the in-process limiter and the Redis one, each
// with a window of a minute; the Redis one is skipped without Redis.
func bothLimiters(t *testing.T, f func(t *testing.T, l Limiter)) {
	t.Run("memory", func(t *testing.T) {
		l, _ := newTestLimiter(time.Minute)
		f(t, l)
	})
	t.Run("redis", func(t *testing.T) {
		_, client, prefix := testenv.MustRedis(t)
		f(t, NewRedisLimiter(client, prefix, time.Minute))
	})
}

func mustBlocked(t *testing.T, l Limiter, key string, limit int) (bool, time.Duration) {
	t.Helper()
	b, wait, err := l.Blocked(context.Background(), key, limit)
	if err != nil {
		t.Fatal(err)
	}
	return b, wait
}

// With login_max_failures = N, N failed attempts are allowed and answered
// "invalid"; the attempt after them is refused. Both limiters agree.
func TestLimiter_BlocksOnceFailuresReachTheLimit(t *testing.T) {
	bothLimiters(t, func(t *testing.T, l Limiter) {
		for _, limit := range []int{1, 3, 10} {
			key := fmt.Sprintf("acct:limit-%d@example.com", limit)
			if b, _ := mustBlocked(t, l, key, limit); b {
				t.Fatalf("limit %d: blocked before any failure", limit)
			}
			hitN(t, l, key, limit-1)
			if b, _ := mustBlocked(t, l, key, limit); b {
				t.Fatalf("limit %d: blocked after %d failures", limit, limit-1)
			}
			hitN(t, l, key, 1)
			b, wait := mustBlocked(t, l, key, limit)
			if !b {
				t.Fatalf("limit %d: not blocked after %d failures", limit, limit)
			}
			if wait <= 59*time.Second || wait > time.Minute {
				t.Fatalf("limit %d: wait %s, want the rest of the one-minute window", limit, wait)
			}
			// A higher limit for the same key (an address's, twice the
			// account's) is not reached yet.
			if b, _ := mustBlocked(t, l, key, 2*limit); b {
				t.Fatalf("limit %d: blocked at twice the limit already", limit)
			}
		}
	})
}

func TestLimiter_ResetForgetsTheFailures(t *testing.T) {
	bothLimiters(t, func(t *testing.T, l Limiter) {
		hitN(t, l, "acct:a", 3)
		hitN(t, l, "acct:b", 3)
		if err := l.Reset(context.Background(), "acct:a"); err != nil {
			t.Fatal(err)
		}
		if b, _ := mustBlocked(t, l, "acct:a", 3); b {
			t.Fatal("blocked after reset")
		}
		if b, _ := mustBlocked(t, l, "acct:b", 3); !b {
			t.Fatal("reset of one key unblocked another")
		}
	})
}

// The window is fixed: it starts at the first failure, and failures after
// it do not extend it.
func TestMemoryLimiter_WindowFromTheFirstFailure(t *testing.T) {
	l, clock := newTestLimiter(time.Minute)
	start := clock.t
	hitN(t, l, "k", 2)
	clock.t = start.Add(40 * time.Second)
	hitN(t, l, "k", 1)
	for _, tc := range []struct {
		at      time.Duration
		blocked bool
		wait    time.Duration
	}{
		{40 * time.Second, true, 20 * time.Second},
		{time.Minute - time.Nanosecond, true, time.Nanosecond},
		{time.Minute, false, 0},
		{2 * time.Minute, false, 0},
	} {
		clock.t = start.Add(tc.at)
		if b, wait := l.blocked("k", 3); b != tc.blocked || wait != tc.wait {
			t.Errorf("%s after the first failure: blocked %v for %s, want %v for %s", tc.at, b, wait, tc.blocked, tc.wait)
		}
	}
	// The next failure opens a new window with a count of one.
	clock.t = start.Add(time.Minute)
	hitN(t, l, "k", 1)
	if b, _ := l.blocked("k", 2); b {
		t.Error("the failures of the old window still count")
	}
	if b, wait := l.blocked("k", 1); !b || wait != time.Minute {
		t.Errorf("new window: blocked %v for %s, want true for 1m", b, wait)
	}
}

// The map is swept of expired windows once it holds more than 10,000 keys.
func TestMemoryLimiter_SweepsExpiredKeysOver10000(t *testing.T) {
	l, clock := newTestLimiter(time.Minute)
	for i := range 10000 {
		l.hit(fmt.Sprintf("old-%d", i))
	}
	clock.t = clock.t.Add(time.Hour) // every window above is over
	l.hit("new-1")
	if n := len(l.buckets); n != 10001 {
		t.Fatalf("at 10,000 keys: %d kept, want 10001 (no sweep yet)", n)
	}
	l.hit("new-2")
	if n := len(l.buckets); n != 2 {
		t.Fatalf("over 10,000 keys: %d kept, want the 2 live ones", n)
	}
	if b, _ := l.blocked("new-1", 1); !b {
		t.Fatal("the sweep dropped a live window")
	}
}

func TestRedisLimiter_WaitIsAtLeastASecond(t *testing.T) {
	_, client, prefix := testenv.MustRedis(t)
	l := NewRedisLimiter(client, prefix, 300*time.Millisecond)
	hitN(t, l, "k", 1)
	b, wait := mustBlocked(t, l, "k", 1)
	if !b || wait != time.Second {
		t.Fatalf("blocked %v for %s, want true for 1s (Retry-After has whole seconds)", b, wait)
	}
	// The key holds the window's expiry; once it is gone, so is the block.
	if ttl := client.PTTL(context.Background(), prefix+"ratelimit:k").Val(); ttl <= 0 || ttl > 300*time.Millisecond {
		t.Fatalf("counter %sratelimit:k expires in %s, want within the 300ms window", prefix, ttl)
	}
	time.Sleep(400 * time.Millisecond)
	if b, _ := mustBlocked(t, l, "k", 1); b {
		t.Fatal("still blocked after the window")
	}
}

func TestRedisLimiter_ErrorsWhenRedisCannotAnswer(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialerRetries: 1})
	defer client.Close()
	l := NewRedisLimiter(client, "bstest:", time.Minute)
	if b, _, err := l.Blocked(context.Background(), "k", 1); err == nil || b {
		t.Fatalf("Blocked = %v, %v; want not blocked and an error", b, err)
	}
	if err := l.Hit(context.Background(), "k"); err == nil {
		t.Fatal("Hit: want an error")
	}
}

func TestRedisLimiter_ANonNumericCounterIsAnError(t *testing.T) {
	_, client, prefix := testenv.MustRedis(t)
	if err := client.Set(context.Background(), prefix+"ratelimit:k", "many", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	l := NewRedisLimiter(client, prefix, time.Minute)
	if b, _, err := l.Blocked(context.Background(), "k", 1); err == nil || b {
		t.Fatalf("Blocked = %v, %v; want not blocked and an error", b, err)
	}
}

// Take counts before the attempt: of 50 attempts at once against a limit
// of 10, exactly 10 are let through, and the refusals say how long the
// window has left. Both limiters agree.
func TestLimiter_TakeHoldsUnderConcurrency(t *testing.T) {
	bothLimiters(t, func(t *testing.T, l Limiter) {
		ctx := context.Background()
		const limit, tries = 10, 50
		results := make(chan time.Duration, tries)
		for range tries {
			go func() {
				ok, wait, err := l.Take(ctx, "acct:race", limit)
				if err != nil {
					t.Error(err)
				}
				if ok {
					wait = -1
				}
				results <- wait
			}()
		}
		allowed := 0
		for range tries {
			switch wait := <-results; {
			case wait == -1:
				allowed++
			case wait <= 59*time.Second || wait > time.Minute:
				t.Errorf("refused with wait %s, want the rest of the one-minute window", wait)
			}
		}
		if allowed != limit {
			t.Fatalf("%d of %d attempts at once let through, want %d", allowed, tries, limit)
		}
	})
}

// Take's boundary one at a time: the limit-th attempt is let through, the
// next is not; Undo takes one back, so one more is let through; a key of
// its own is not touched.
func TestLimiter_TakeAndUndoAtTheLimit(t *testing.T) {
	bothLimiters(t, func(t *testing.T, l Limiter) {
		ctx := context.Background()
		take := func(key string) bool {
			t.Helper()
			ok, _, err := l.Take(ctx, key, 3)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		for i := 1; i <= 3; i++ {
			if !take("k") {
				t.Fatalf("attempt %d of 3 refused", i)
			}
		}
		if take("k") {
			t.Fatal("attempt 4 of 3 let through")
		}
		// The refused attempt and one let through are taken back: one
		// more fits, then none.
		if err := l.Undo(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		if err := l.Undo(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		if !take("k") {
			t.Fatal("refused after two attempts were taken back")
		}
		if take("k") {
			t.Fatal("let through past the limit after the undo")
		}
		if !take("other") {
			t.Fatal("another key was refused")
		}
		// What Blocked says agrees with Take: the key is at its limit.
		if b, _ := mustBlocked(t, l, "k", 3); !b {
			t.Fatal("Blocked disagrees with Take")
		}
	})
}

// Undo never takes a counter below zero: one Undo too many (nothing left
// to take back) must not buy an attempt past the limit.
func TestLimiter_UndoStopsAtZero(t *testing.T) {
	bothLimiters(t, func(t *testing.T, l Limiter) {
		ctx := context.Background()
		if ok, _, err := l.Take(ctx, "z", 1); !ok || err != nil {
			t.Fatalf("first attempt: %v %v", ok, err)
		}
		for range 2 {
			if err := l.Undo(ctx, "z"); err != nil {
				t.Fatal(err)
			}
		}
		if ok, _, _ := l.Take(ctx, "z", 1); !ok {
			t.Fatal("the attempt after the undo refused")
		}
		if ok, _, _ := l.Take(ctx, "z", 1); ok {
			t.Fatal("an undo too many let a second attempt through a limit of 1")
		}
	})
}

// Undo after the window has ended leaves nothing behind: no counter of -1
// that would let one attempt too many through, and in Redis no key without
// an expiry.
func TestLimiter_UndoAfterTheWindow(t *testing.T) {
	t.Run("memory", func(t *testing.T) {
		l, clock := newTestLimiter(time.Minute)
		ctx := context.Background()
		if ok, _, _ := l.Take(ctx, "k", 1); !ok {
			t.Fatal("first attempt refused")
		}
		clock.t = clock.t.Add(time.Minute)
		_ = l.Undo(ctx, "k")
		if ok, _, _ := l.Take(ctx, "k", 1); !ok {
			t.Fatal("first attempt of the new window refused")
		}
		if ok, _, _ := l.Take(ctx, "k", 1); ok {
			t.Fatal("an undo from the last window let one attempt too many through")
		}
	})
	t.Run("redis", func(t *testing.T) {
		_, client, prefix := testenv.MustRedis(t)
		ctx := context.Background()
		l := NewRedisLimiter(client, prefix, time.Minute)
		if err := l.Undo(ctx, "gone"); err != nil {
			t.Fatal(err)
		}
		if n, err := client.Exists(ctx, prefix+"ratelimit:gone").Result(); err != nil || n != 0 {
			t.Fatalf("undo of an ended window left a key (%d, %v)", n, err)
		}
		if ok, _, _ := l.Take(ctx, "k", 5); !ok {
			t.Fatal("first attempt refused")
		}
		_ = l.Undo(ctx, "k")
		if ttl, err := client.PTTL(ctx, prefix+"ratelimit:k").Result(); err != nil || ttl <= 0 || ttl > time.Minute {
			t.Fatalf("after an undo the window's expiry is %s (%v), want it kept", ttl, err)
		}
	})
}
