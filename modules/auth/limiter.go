package auth

import (
	"context"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Limiter counts failed attempts per key in fixed windows. The in-process
// one serves a single api process; RedisLimiter shares the counts between
// every api process of an installation.
type Limiter interface {
	Blocked(ctx context.Context, key string, limit int) (bool, time.Duration, error)
	Hit(ctx context.Context, key string) error
	Reset(ctx context.Context, key string) error
	// Take counts one attempt for key before it is made and reports
	// whether it is within limit (and if not, how long until the window
	// ends). Checking with Blocked and counting with Hit after an attempt
	// lets every attempt that starts before the first one ends through:
	// 30 passwords sent at once were all tried against a limit of 10.
	Take(ctx context.Context, key string, limit int) (bool, time.Duration, error)
	// Undo takes back one attempt Take counted (one that turned out not to
	// be a failure); a window that has ended meanwhile is left alone.
	Undo(ctx context.Context, key string) error
}

var (
	_ Limiter = (*limiter)(nil)
	_ Limiter = (*RedisLimiter)(nil)
)

// RedisLimiter keeps the counters in Redis, shared by every api process.
type RedisLimiter struct {
	client redis.UniversalClient
	prefix string
	window time.Duration
}

// NewRedisLimiter returns a limiter whose keys start with prefix.
func NewRedisLimiter(client redis.UniversalClient, prefix string, window time.Duration) *RedisLimiter {
	return &RedisLimiter{client: client, prefix: prefix + "ratelimit:", window: window}
}

// Blocked reports whether key has reached limit, and for how long.
func (l *RedisLimiter) Blocked(ctx context.Context, key string, limit int) (bool, time.Duration, error) {
	pipe := l.client.Pipeline()
	get := pipe.Get(ctx, l.prefix+key)
	ttl := pipe.PTTL(ctx, l.prefix+key)
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return false, 0, err
	}
	n, err := get.Int()
	if err == redis.Nil {
		return false, 0, nil
	}
	if err != nil {
		return false, 0, err
	}
	if n < limit {
		return false, 0, nil
	}
	return true, max(ttl.Val(), time.Second), nil
}

// Hit counts one failure for key. The first hit of a window creates the
// counter with the window as its expiry (SET NX); INCR keeps that expiry,
// so the window is fixed, not sliding.
func (l *RedisLimiter) Hit(ctx context.Context, key string) error {
	pipe := l.client.TxPipeline()
	pipe.SetNX(ctx, l.prefix+key, 0, l.window)
	pipe.Incr(ctx, l.prefix+key)
	_, err := pipe.Exec(ctx)
	return err
}

// Take implements Limiter: Hit's counter, read back in the same
// transaction.
func (l *RedisLimiter) Take(ctx context.Context, key string, limit int) (bool, time.Duration, error) {
	pipe := l.client.TxPipeline()
	pipe.SetNX(ctx, l.prefix+key, 0, l.window)
	n := pipe.Incr(ctx, l.prefix+key)
	ttl := pipe.PTTL(ctx, l.prefix+key)
	if _, err := pipe.Exec(ctx); err != nil {
		return false, 0, err
	}
	if n.Val() <= int64(limit) {
		return true, 0, nil
	}
	return false, max(ttl.Val(), time.Second), nil
}

// undoScript decrements a counter that still exists and is above zero:
// DECR alone would create a counter of -1 without an expiry once the
// window has ended, and below zero would let an attempt too many through.
var undoScript = redis.NewScript(`local n = tonumber(redis.call("GET", KEYS[1]))
if n and n > 0 then return redis.call("DECR", KEYS[1]) end
return 0`)

// Undo implements Limiter.
func (l *RedisLimiter) Undo(ctx context.Context, key string) error {
	return undoScript.Run(ctx, l.client, []string{l.prefix + key}).Err()
}

// Reset forgets key.
func (l *RedisLimiter) Reset(ctx context.Context, key string) error {
	return l.client.Del(ctx, l.prefix+key).Err()
}

// limiter counts events per key in fixed windows in this process. It is
// safe for concurrent use and bounded: expired windows are swept as the map
// grows.
type limiter struct {
	mu      sync.Mutex
	window  time.Duration
	now     func() time.Time
	buckets map[string]*bucket
}

type bucket struct {
	count   int
	resetAt time.Time
}

func newLimiter(window time.Duration, now func() time.Time) *limiter {
	return &limiter{window: window, now: now, buckets: map[string]*bucket{}}
}

// NewMemoryLimiter counts events per key in fixed windows of the given
// length in this process only (RedisLimiter shares them); other modules
// with attempts to limit (status-page passwords) use it too.
func NewMemoryLimiter(window time.Duration, now func() time.Time) Limiter {
	return newLimiter(window, now)
}

// Blocked implements Limiter.
func (l *limiter) Blocked(_ context.Context, key string, limit int) (bool, time.Duration, error) {
	b, d := l.blocked(key, limit)
	return b, d, nil
}

// Hit implements Limiter.
func (l *limiter) Hit(_ context.Context, key string) error { l.hit(key); return nil }

// Take implements Limiter.
func (l *limiter) Take(_ context.Context, key string, limit int) (bool, time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucketLocked(key)
	b.count++
	if b.count <= limit {
		return true, 0, nil
	}
	return false, b.resetAt.Sub(l.now()), nil
}

// Undo implements Limiter.
func (l *limiter) Undo(_ context.Context, key string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.buckets[key]; ok && l.now().Before(b.resetAt) && b.count > 0 {
		b.count--
	}
	return nil
}

// Reset implements Limiter.
func (l *limiter) Reset(_ context.Context, key string) error { l.reset(key); return nil }

// blocked reports whether key has reached limit, and for how long.
func (l *limiter) blocked(key string, limit int) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	now := l.now()
	if !ok || !now.Before(b.resetAt) {
		return false, 0
	}
	if b.count >= limit {
		return true, b.resetAt.Sub(now)
	}
	return false, 0
}

// hit counts one event for key.
func (l *limiter) hit(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.bucketLocked(key).count++
}

// bucketLocked returns key's bucket of the current window, new if its
// window has ended; l.mu is held.
func (l *limiter) bucketLocked(key string) *bucket {
	now := l.now()
	if len(l.buckets) > 10000 {
		for k, b := range l.buckets {
			if !now.Before(b.resetAt) {
				delete(l.buckets, k)
			}
		}
	}
	b, ok := l.buckets[key]
	if !ok || !now.Before(b.resetAt) {
		b = &bucket{resetAt: now.Add(l.window)}
		l.buckets[key] = b
	}
	return b
}

// reset forgets key.
func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.buckets, key)
}
