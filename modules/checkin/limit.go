package checkin

import (
	"sync"
	"time"
)

// limiter is a set of token buckets (GCRA), one per key, in one process:
// perMinute requests a minute with a burst of a quarter of that.
type limiter struct {
	mu       sync.Mutex
	interval time.Duration // between requests at the sustained rate
	burst    time.Duration // how far ahead of the rate a key may run
	tat      map[string]time.Time
}

// newLimiter returns nil (no limit) when perMinute is 0.
func newLimiter(perMinute int) *limiter {
	if perMinute <= 0 {
		return nil
	}
	iv := time.Minute / time.Duration(perMinute)
	return &limiter{interval: iv, burst: iv * time.Duration(max(perMinute/4, 1)), tat: map[string]time.Time{}}
}

// allow takes one request for key at now; when refused it says how long to
// wait.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.tat) > 100_000 {
		l.sweep(now)
	}
	tat := l.tat[key]
	if tat.Before(now) {
		tat = now
	}
	if wait := tat.Sub(now) - l.burst; wait > 0 {
		return false, wait
	}
	l.tat[key] = tat.Add(l.interval)
	return true, 0
}

// sweep forgets keys whose bucket is full again.
func (l *limiter) sweep(now time.Time) {
	for k, t := range l.tat {
		if !t.After(now) {
			delete(l.tat, k)
		}
	}
}
