package auth

import (
	"sync"
	"time"
)

// limiter counts events per key in fixed windows. It is safe for concurrent
// use and bounded: expired windows are swept as the map grows.
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
	b.count++
}

// reset forgets key.
func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.buckets, key)
}
