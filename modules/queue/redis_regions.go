package queue

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Heartbeat records that workerID of region is alive now, and forgets the
// region's workers silent for more than 24 hours.
func (r *Redis) Heartbeat(ctx context.Context, region, workerID string) error {
	if err := r.alive(); err != nil {
		return err
	}
	if err := validateNames(workerID); err != nil {
		return err
	}
	if err := validateRegion(region); err != nil {
		return err
	}
	now := r.cfg.Now().UnixMilli()
	forget := now - regionsForgetAfter.Milliseconds()
	// No MULTI: the worker set and the register are in different slots, and
	// nothing reads them as a pair. Still one round trip (per node).
	_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAdd(ctx, r.workersKey(region), redis.Z{Score: float64(now), Member: workerID})
		p.ZRemRangeByScore(ctx, r.workersKey(region), "-inf", "("+strconv.FormatInt(forget, 10))
		p.HSet(ctx, r.regionsKey(), region, now)
		return nil
	})
	if err != nil {
		return fmt.Errorf("queue: heartbeat: %w", err)
	}
	return nil
}

// Leave removes workerID from region, at graceful shutdown.
func (r *Redis) Leave(ctx context.Context, region, workerID string) error {
	if err := r.alive(); err != nil {
		return err
	}
	if err := validateNames(workerID); err != nil {
		return err
	}
	if err := validateRegion(region); err != nil {
		return err
	}
	if err := r.client.ZRem(ctx, r.workersKey(region), workerID).Err(); err != nil {
		return fmt.Errorf("queue: leave: %w", err)
	}
	return nil
}

// Regions lists every region that ever sent a heartbeat, sorted by name,
// counting the workers heard from within liveWithin.
func (r *Redis) Regions(ctx context.Context, liveWithin time.Duration) ([]Region, error) {
	if err := r.alive(); err != nil {
		return nil, err
	}
	seen, err := r.client.HGetAll(ctx, r.regionsKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("queue: regions: %w", err)
	}
	names := make([]string, 0, len(seen))
	for name := range seen {
		names = append(names, name)
	}
	sort.Strings(names)
	since := strconv.FormatInt(r.cfg.Now().Add(-liveWithin).UnixMilli(), 10)
	counts := make([]*redis.IntCmd, len(names))
	if len(names) > 0 {
		_, err = r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, name := range names {
				counts[i] = p.ZCount(ctx, r.workersKey(name), since, "+inf")
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("queue: regions: %w", err)
		}
	}
	out := make([]Region, len(names))
	for i, name := range names {
		ms, err := strconv.ParseInt(seen[name], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("queue: region %q: last seen %q: %w", name, seen[name], err)
		}
		n := int(counts[i].Val())
		out[i] = Region{Name: name, Workers: n, LastSeenAt: time.UnixMilli(ms), Live: n > 0}
	}
	return out, nil
}
