package queue

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Skipped slots: a pusher that finds a region's workers not taking jobs
// publishes only part of what is due there (package pusher, admission) and
// records how many slots it left out, so that whatever process renders the
// dashboard or alerts an operator can say so. Counts are kept per region in
// buckets of SkipBucket, each expiring after SkipKeep:
//
//	<prefix>{<region>}:skipped:<unix seconds / 10>   integer, expires after SkipKeep
//
// Skipped(region, within) sums the buckets that overlap the last `within`,
// so it counts up to one bucket (10 s) more than `within`. The key carries
// the region's tag, so in a Cluster one MGET reads every bucket of a
// region from its slot.

// SkipBucket is the width of one bucket of skipped slots; SkipKeep is how
// long a bucket is kept.
const (
	SkipBucket = 10 * time.Second
	SkipKeep   = 10 * time.Minute
)

// skipBuckets returns the buckets overlapping (now-within, now].
func skipBuckets(now time.Time, within time.Duration) []int64 {
	last := now.Unix() / int64(SkipBucket/time.Second)
	first := now.Add(-within).Unix() / int64(SkipBucket/time.Second)
	if last-first > int64(SkipKeep/SkipBucket) {
		first = last - int64(SkipKeep/SkipBucket)
	}
	out := make([]int64, 0, last-first+1)
	for b := first; b <= last; b++ {
		out = append(out, b)
	}
	return out
}

func (r *Redis) skippedKey(region string, bucket int64) string {
	return r.tagged(region, "skipped:"+strconv.FormatInt(bucket, 10))
}

// RecordSkipped adds n slots of region that were due and not published.
func (r *Redis) RecordSkipped(ctx context.Context, region string, n int64) error {
	if err := r.alive(); err != nil {
		return err
	}
	if err := validateRegion(region); err != nil {
		return err
	}
	if n <= 0 {
		return nil
	}
	b := skipBuckets(r.cfg.Now(), 0)[0]
	key := r.skippedKey(region, b)
	_, err := r.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.IncrBy(ctx, key, n)
		p.Expire(ctx, key, SkipKeep)
		return nil
	})
	if err != nil {
		return fmt.Errorf("queue: record skipped: %w", err)
	}
	return nil
}

// Skipped returns how many slots of region were recorded as skipped within
// the last `within` (up to SkipKeep, counted in SkipBucket steps).
func (r *Redis) Skipped(ctx context.Context, region string, within time.Duration) (int64, error) {
	if err := r.alive(); err != nil {
		return 0, err
	}
	if err := validateRegion(region); err != nil {
		return 0, err
	}
	buckets := skipBuckets(r.cfg.Now(), within)
	keys := make([]string, len(buckets))
	for i, b := range buckets {
		keys[i] = r.skippedKey(region, b)
	}
	vals, err := r.client.MGet(ctx, keys...).Result()
	if err != nil {
		return 0, fmt.Errorf("queue: skipped: %w", err)
	}
	var sum int64
	for _, v := range vals {
		s, ok := v.(string)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%w: skipped count %q", ErrInvalid, s)
		}
		sum += n
	}
	return sum, nil
}

// RecordSkipped adds n slots of region that were due and not published.
func (m *Memory) RecordSkipped(_ context.Context, region string, n int64) error {
	if err := validateRegion(region); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	if n <= 0 {
		return nil
	}
	now := m.cfg.Now()
	b := skipBuckets(now, 0)[0]
	if m.skipped == nil {
		m.skipped = map[string]map[int64]int64{}
	}
	rs := m.skipped[region]
	if rs == nil {
		rs = map[int64]int64{}
		m.skipped[region] = rs
	}
	rs[b] += n
	oldest := skipBuckets(now, SkipKeep)[0]
	for k := range rs {
		if k < oldest {
			delete(rs, k)
		}
	}
	return nil
}

// Skipped returns how many slots of region were recorded as skipped within
// the last `within` (up to SkipKeep, counted in SkipBucket steps).
func (m *Memory) Skipped(_ context.Context, region string, within time.Duration) (int64, error) {
	if err := validateRegion(region); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return 0, ErrClosed
	}
	var sum int64
	for _, b := range skipBuckets(m.cfg.Now(), within) {
		sum += m.skipped[region][b]
	}
	return sum, nil
}
