package queue

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// The previous release kept each region's jobs in "<prefix>jobs:<region>"
// and every result in one stream, "<prefix>results". After an upgrade those
// keys may still hold work: results waiting for a database that was down,
// jobs in flight. Results must not be lost, so the alerters drain the old
// stream as one more source until it is empty, then delete it. Jobs are
// moved into the region's new stream by the first read of that region (and
// once a minute after, in case a pusher of the old release still runs).
//
// This is the one place where a script touches keys of two slots; it runs
// only outside a Cluster, where that is allowed. The previous release could
// not run on a Cluster (its scripts were refused with CROSSSLOT), so a
// Cluster has nothing to move.

// legacyEvery is how often a process looks for old-layout jobs of a region.
const legacyEvery = time.Minute

// moveLegacyScript moves up to ARGV[2] entries of the old job stream to the
// new one, and deletes the old stream (with its group and pending list) once
// it is empty. Moved jobs are new entries: they are delivered again even if
// a worker of the old release held them, which at-least-once allows.
// KEYS: old stream, new stream; ARGV: stream cap, batch.
var moveLegacyScript = redis.NewScript(`
local es = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', ARGV[2])
for _, e in ipairs(es) do
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], '*', unpack(e[2]))
  redis.call('XDEL', KEYS[1], e[1])
end
if redis.call('XLEN', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[1])
end
return #es
`)

// legacyLeftScript returns how many results the old stream holds, and
// deletes it when that is none. KEYS: old results stream.
const legacyLeftScript = `
local n = redis.call('XLEN', KEYS[1])
if n == 0 then
  redis.call('DEL', KEYS[1])
end
return n
`

// moveLegacyJobs moves region's jobs left in the previous layout, at most
// once a minute per region and process.
func (r *Redis) moveLegacyJobs(ctx context.Context, region string) error {
	if r.clustered() {
		return nil
	}
	r.legacyMu.Lock()
	last, ok := r.legacyJobs[region]
	if ok && time.Since(last) < legacyEvery {
		r.legacyMu.Unlock()
		return nil
	}
	r.legacyJobs[region] = time.Now()
	r.legacyMu.Unlock()
	keys := []string{r.legacyJobsKey(region), r.jobsKey(region)}
	for {
		n, err := moveLegacyScript.Run(ctx, r.client, keys, r.cfg.JobStreamMaxLen, scriptBatch).Int()
		if err != nil {
			r.legacyMu.Lock()
			delete(r.legacyJobs, region) // try again on the next read
			r.legacyMu.Unlock()
			return fmt.Errorf("queue: move jobs of %s from the previous layout: %w", region, err)
		}
		if n < scriptBatch {
			return nil
		}
	}
}

// legacyResultsLeft queues, on p, the look at the old results stream.
// EVAL rather than EVALSHA: a pipeline cannot fall back on NOSCRIPT.
func (r *Redis) legacyResultsLeft(ctx context.Context, p redis.Pipeliner) *redis.Cmd {
	return p.Eval(ctx, legacyLeftScript, []string{r.legacyResultsKey()})
}
