package statuspage

import (
	"context"
	"sync"
	"time"
)

// Limiter counts failed password attempts per key in fixed windows; the
// auth module's RedisLimiter fits, and shares the counts between processes.
type Limiter interface {
	Blocked(ctx context.Context, key string, limit int) (bool, time.Duration, error)
	Hit(ctx context.Context, key string) error
	Reset(ctx context.Context, key string) error
}

var _ Limiter = (*memLimiter)(nil)

// memLimiter counts in this process. Bounded: expired windows are swept as
// the map grows.
type memLimiter struct {
	mu      sync.Mutex
	window  time.Duration
	now     func() time.Time
	buckets map[string]*window
}

type window struct {
	count   int
	resetAt time.Time
}

func newMemLimiter(w time.Duration, now func() time.Time) *memLimiter {
	return &memLimiter{window: w, now: now, buckets: map[string]*window{}}
}

// Blocked implements Limiter.
func (l *memLimiter) Blocked(_ context.Context, key string, limit int) (bool, time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	now := l.now()
	if !ok || !now.Before(b.resetAt) || b.count < limit {
		return false, 0, nil
	}
	return true, b.resetAt.Sub(now), nil
}

// Hit implements Limiter.
func (l *memLimiter) Hit(_ context.Context, key string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
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
		b = &window{resetAt: now.Add(l.window)}
		l.buckets[key] = b
	}
	b.count++
	return nil
}

// Reset implements Limiter.
func (l *memLimiter) Reset(_ context.Context, key string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.buckets, key)
	return nil
}
