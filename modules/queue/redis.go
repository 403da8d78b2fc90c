package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// scriptBatch is the most jobs or completions handled by one Lua call: large
// enough that a batch is one round trip, small enough that Redis is never
// busy with one script for more than about a millisecond.
const scriptBatch = 500

// publishScript sets each job's dedupe marker and appends the job only when
// the marker was new. KEYS: marker, stream, marker, stream, ...; ARGV: ttl
// ms, stream cap, payload, payload, ...
const publishScript = `
local n = 0
for i = 1, #KEYS, 2 do
  if redis.call('SET', KEYS[i], '1', 'NX', 'PX', ARGV[1]) then
    redis.call('XADD', KEYS[i + 1], 'MAXLEN', '~', ARGV[2], '*', 'job', ARGV[2 + (i + 1) / 2])
    n = n + 1
  end
end
return n
`

// completeScript acks each job and, when it was still pending or still in
// the stream (its group was recreated), publishes the result and deletes the
// job. A job that is neither was completed by a peer that claimed it.
// KEYS: jobs stream, results stream; ARGV: group, id, payload, id, payload, ...
const completeScript = `
local n = 0
for i = 2, #ARGV, 2 do
  local id = ARGV[i]
  local live = redis.call('XACK', KEYS[1], ARGV[1], id) == 1
  if not live then
    live = #redis.call('XRANGE', KEYS[1], id, id) > 0
  end
  if live then
    redis.call('XADD', KEYS[2], '*', 'result', ARGV[i + 1])
    redis.call('XDEL', KEYS[1], id)
    n = n + 1
  end
end
return n
`

// Redis is the distributed queue on Redis Streams. It is safe for
// concurrent use. The client belongs to the caller; Close does not close it.
type Redis struct {
	client    *redis.Client
	cfg       Config
	publish   *redis.Script
	complete  *redis.Script
	malformed atomic.Int64
	closing   context.Context
	close     context.CancelFunc
}

// NewRedis returns a queue on client. It does no I/O: streams and consumer
// groups are created when first used.
//
// A blocked read holds one connection of client's pool, and cancelling it
// takes one more (for CLIENT UNBLOCK), so the pool must be larger than the
// number of reads blocked at the same time, or cancellation waits for the
// block to end. go-redis's default (10 per CPU) is plenty for the roles.
func NewRedis(client *redis.Client, cfg Config) *Redis {
	closing, closeFn := context.WithCancel(context.Background())
	return &Redis{
		client:   client,
		cfg:      cfg.withDefaults(),
		publish:  redis.NewScript(publishScript),
		complete: redis.NewScript(completeScript),
		closing:  closing,
		close:    closeFn,
	}
}

func (r *Redis) jobsKey(region string) string { return r.cfg.Prefix + "jobs:" + region }
func (r *Redis) resultsKey() string           { return r.cfg.Prefix + "results" }
func (r *Redis) workersKey(region string) string {
	return r.cfg.Prefix + "workers:" + region
}
func (r *Redis) regionsKey() string { return r.cfg.Prefix + "regions" }
func (r *Redis) dedupeKey(j Job) string {
	return r.cfg.Prefix + "job:" + j.Region + ":" + j.ID
}

func (r *Redis) alive() error {
	if r.closing.Err() != nil {
		return ErrClosed
	}
	return nil
}

// PublishJobs appends each job to its region's stream unless the same
// region and job ID was published within JobDedupeTTL, and returns how many
// were appended. One round trip per 500 jobs. On error, the count says how
// many were appended before it.
func (r *Redis) PublishJobs(ctx context.Context, jobs []Job) (int, error) {
	if err := r.alive(); err != nil {
		return 0, err
	}
	if err := validateJobs(jobs); err != nil {
		return 0, err
	}
	total := 0
	for start := 0; start < len(jobs); start += scriptBatch {
		chunk := jobs[start:min(start+scriptBatch, len(jobs))]
		keys := make([]string, 0, 2*len(chunk))
		args := make([]any, 0, 2+len(chunk))
		args = append(args, r.cfg.JobDedupeTTL.Milliseconds(), r.cfg.JobStreamMaxLen)
		for _, j := range chunk {
			payload, err := json.Marshal(j)
			if err != nil {
				return total, fmt.Errorf("queue: encode job %q: %w", j.ID, err)
			}
			keys = append(keys, r.dedupeKey(j), r.jobsKey(j.Region))
			args = append(args, payload)
		}
		n, err := r.publish.Run(ctx, r.client, keys, args...).Int()
		if err != nil {
			return total, fmt.Errorf("queue: publish jobs: %w", err)
		}
		total += n
	}
	return total, nil
}

// ReadJobs returns up to count new jobs of region for consumer, waiting up
// to block for the first one (block <= 0: do not wait). A timeout returns
// no jobs and no error; a cancelled ctx returns ctx's error promptly.
func (r *Redis) ReadJobs(ctx context.Context, region, consumer string, count int, block time.Duration) ([]JobDelivery, error) {
	if err := validateNames(region, consumer); err != nil {
		return nil, err
	}
	stream := r.jobsKey(region)
	raw, err := r.read(ctx, stream, groupWorkers, fieldJob, consumer, count, block)
	if err != nil {
		return nil, err
	}
	out, bad := decodeJobs(raw)
	return out, r.discard(ctx, stream, groupWorkers, bad)
}

// ClaimJobs takes over up to count jobs of region that have been pending
// with any consumer for at least minIdle (count <= 0: all of them).
func (r *Redis) ClaimJobs(ctx context.Context, region, consumer string, minIdle time.Duration, count int) ([]JobDelivery, error) {
	if err := validateNames(region, consumer); err != nil {
		return nil, err
	}
	stream := r.jobsKey(region)
	raw, err := r.claim(ctx, stream, groupWorkers, fieldJob, consumer, minIdle, count)
	if err != nil {
		return nil, err
	}
	out, bad := decodeJobs(raw)
	return out, r.discard(ctx, stream, groupWorkers, bad)
}

// CompleteJob publishes res and acks and deletes the job, atomically. If a
// peer that claimed the job has already completed it, nothing is published.
func (r *Redis) CompleteJob(ctx context.Context, region, deliveryID string, res Result) error {
	_, err := r.CompleteJobs(ctx, region, []Completion{{DeliveryID: deliveryID, Result: res}})
	return err
}

// CompleteJobs is CompleteJob for a batch, in one round trip per 500
// completions. It returns how many results were published.
func (r *Redis) CompleteJobs(ctx context.Context, region string, cs []Completion) (int, error) {
	if err := r.alive(); err != nil {
		return 0, err
	}
	if err := validateNames(region); err != nil {
		return 0, err
	}
	for _, c := range cs {
		if err := validateIDs(c.DeliveryID); err != nil {
			return 0, err
		}
	}
	keys := []string{r.jobsKey(region), r.resultsKey()}
	total := 0
	for start := 0; start < len(cs); start += scriptBatch {
		chunk := cs[start:min(start+scriptBatch, len(cs))]
		args := make([]any, 0, 1+2*len(chunk))
		args = append(args, groupWorkers)
		for _, c := range chunk {
			payload, err := json.Marshal(c.Result)
			if err != nil {
				return total, fmt.Errorf("queue: encode result of %q: %w", c.Result.JobID, err)
			}
			args = append(args, c.DeliveryID, payload)
		}
		n, err := r.complete.Run(ctx, r.client, keys, args...).Int()
		if err != nil {
			return total, fmt.Errorf("queue: complete jobs: %w", err)
		}
		total += n
	}
	return total, nil
}

// DropJob acks and deletes a job without publishing a result.
func (r *Redis) DropJob(ctx context.Context, region, deliveryID string) error {
	if err := r.alive(); err != nil {
		return err
	}
	if err := validateNames(region); err != nil {
		return err
	}
	if err := validateIDs(deliveryID); err != nil {
		return err
	}
	return r.ackDelete(ctx, r.jobsKey(region), groupWorkers, deliveryID)
}

// ReadResults returns up to count new results for consumer, waiting up to
// block for the first one; see ReadJobs.
func (r *Redis) ReadResults(ctx context.Context, consumer string, count int, block time.Duration) ([]ResultDelivery, error) {
	if err := validateNames(consumer); err != nil {
		return nil, err
	}
	raw, err := r.read(ctx, r.resultsKey(), groupAlerters, fieldResult, consumer, count, block)
	if err != nil {
		return nil, err
	}
	out, bad := decodeResults(raw)
	return out, r.discard(ctx, r.resultsKey(), groupAlerters, bad)
}

// ClaimResults takes over up to count results that have been pending with
// any consumer for at least minIdle (count <= 0: all of them).
func (r *Redis) ClaimResults(ctx context.Context, consumer string, minIdle time.Duration, count int) ([]ResultDelivery, error) {
	if err := validateNames(consumer); err != nil {
		return nil, err
	}
	raw, err := r.claim(ctx, r.resultsKey(), groupAlerters, fieldResult, consumer, minIdle, count)
	if err != nil {
		return nil, err
	}
	out, bad := decodeResults(raw)
	return out, r.discard(ctx, r.resultsKey(), groupAlerters, bad)
}

// AckResults acks and deletes results, in one round trip.
func (r *Redis) AckResults(ctx context.Context, ids ...string) error {
	if err := r.alive(); err != nil {
		return err
	}
	if err := validateIDs(ids...); err != nil {
		return err
	}
	return r.ackDelete(ctx, r.resultsKey(), groupAlerters, ids...)
}

// Malformed returns how many entries were discarded because they did not
// decode.
func (r *Redis) Malformed() int64 { return r.malformed.Load() }

// Backlog returns how many jobs of region are unread or pending. Consumed
// jobs are deleted, so this is the stream's length.
func (r *Redis) Backlog(ctx context.Context, region string) (int64, error) {
	if err := r.alive(); err != nil {
		return 0, err
	}
	if err := validateNames(region); err != nil {
		return 0, err
	}
	n, err := r.client.XLen(ctx, r.jobsKey(region)).Result()
	if err != nil {
		return 0, fmt.Errorf("queue: job backlog: %w", err)
	}
	return n, nil
}

// ResultBacklog returns how many results are unread or pending, for
// example while the database is down.
func (r *Redis) ResultBacklog(ctx context.Context) (int64, error) {
	if err := r.alive(); err != nil {
		return 0, err
	}
	n, err := r.client.XLen(ctx, r.resultsKey()).Result()
	if err != nil {
		return 0, fmt.Errorf("queue: result backlog: %w", err)
	}
	return n, nil
}

// Ping reports whether Redis answers.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.alive(); err != nil {
		return err
	}
	if err := r.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("queue: ping: %w", err)
	}
	return nil
}

// Close makes blocked reads return ErrClosed and every later call fail with
// ErrClosed. It does not close the client.
func (r *Redis) Close() error {
	r.close()
	return nil
}
