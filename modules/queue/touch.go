package queue

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// touchScript resets the idle time of the given pending entries, but only of
// those the caller still owns: XCLAIM alone would take an entry back from a
// peer that has claimed it meanwhile. KEYS[1] stream; ARGV group, consumer,
// ids...
var touchScript = redis.NewScript(`
local n = 0
for i = 3, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if #p == 1 and p[1][2] == ARGV[2] then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
    n = n + 1
  end
end
return n
`)

// TouchJobs tells the queue that consumer is still working on the given
// deliveries: their idle time starts again from zero, so a peer's ClaimJobs
// does not take them. A worker calls it every few seconds for its checks in
// flight; a delivery that nobody touches for the claim idle time belongs to a
// dead worker. Deliveries no longer pending, or now owned by a peer that
// claimed them, are left alone.
func (r *Redis) TouchJobs(ctx context.Context, region, consumer string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := r.alive(); err != nil {
		return err
	}
	if err := validateNames(consumer); err != nil {
		return err
	}
	if err := validateRegion(region); err != nil {
		return err
	}
	if err := validateIDs(ids...); err != nil {
		return err
	}
	args := make([]any, 0, len(ids)+2)
	args = append(args, groupWorkers, consumer)
	for _, id := range ids {
		args = append(args, id)
	}
	err := touchScript.Run(ctx, r.client, []string{r.jobsKey(region)}, args...).Err()
	if err != nil && !redis.HasErrorPrefix(err, "NOGROUP") {
		return fmt.Errorf("touch jobs: %w", err)
	}
	return nil
}

// TouchJobs resets the idle time of consumer's pending deliveries; see
// Redis.TouchJobs.
func (m *Memory) TouchJobs(_ context.Context, region, consumer string, ids []string) error {
	if err := validateNames(consumer); err != nil {
		return err
	}
	if err := validateRegion(region); err != nil {
		return err
	}
	if err := validateIDs(ids...); err != nil {
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
