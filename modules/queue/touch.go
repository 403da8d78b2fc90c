package queue

import (
	"context"
	"errors"

	"github.com/redis/go-redis/v9"
)

// TouchJobs tells the queue that consumer is still working on the given
// deliveries: their idle time starts again from zero, so ClaimJobs of a peer
// does not take them. A worker calls it every few seconds for its checks in
// flight; a delivery that nobody touches for the claim idle time belongs to a
// dead worker. Deliveries no longer pending (completed meanwhile, or claimed
// by a peer) are left alone.
func (r *Redis) TouchJobs(ctx context.Context, region, consumer string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := validateNames(region, consumer); err != nil {
		return err
	}
	// XCLAIM with min-idle 0 and JUSTID resets the idle time without
	// returning or re-delivering the entries; it would also take entries from
	// another consumer, so only ids this worker holds are passed.
	err := r.client.XClaimJustID(ctx, &redis.XClaimArgs{
		Stream: r.jobsKey(region), Group: groupWorkers, Consumer: consumer, MinIdle: 0, Messages: ids,
	}).Err()
	if errors.Is(err, redis.Nil) {
		return nil
	}
	return err
}

// TouchJobs resets the idle time of consumer's pending deliveries; see
// Redis.TouchJobs.
func (m *Memory) TouchJobs(_ context.Context, region, consumer string, ids []string) error {
	if err := validateNames(region, consumer); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	s := m.stream(memJobs(region))
	now := m.cfg.Now()
	for _, id := range ids {
		if p, ok := s.pending[id]; ok && p.consumer == consumer {
			p.deliveredAt = now
		}
	}
	return nil
}
