package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// scriptBatch is the most jobs or completions handled by one Lua call: large
// enough that a batch is one round trip, small enough that Redis is never
// busy with one script for more than about a millisecond.
const scriptBatch = 500

// publishScript sets each job's dedupe marker and appends the job only when
// the marker was new. With ARGV[3] = 1 (waiting for replicas) a marker that
// already exists is rewritten unchanged: the WAIT that follows then also
// covers the earlier write that set it, which may not have reached a
// replica yet. All keys are of one region (one hash slot).
// KEYS: stream, marker, marker, ...; ARGV: ttl ms, stream cap, rewrite,
// payload, payload, ...
const publishScript = `
local n = 0
for i = 2, #KEYS do
  if redis.call('SET', KEYS[i], '1', 'NX', 'PX', ARGV[1]) then
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'job', ARGV[i + 2])
    n = n + 1
  elseif ARGV[3] == '1' then
    redis.call('SET', KEYS[i], '1', 'XX', 'KEEPTTL')
  end
end
return n
`

// completeScript acks each job and, when it was still pending or still in
// the stream (its group was recreated), publishes the result to the
// region's results stream and deletes the job. A job that is neither was
// completed by a peer that claimed it. Both streams are of one region (one
// hash slot).
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

// registerEvery is how often a process re-announces a region whose results
// it publishes (see registerResults).
const registerEvery = time.Minute

// Redis is the distributed queue on Redis Streams. It is safe for
// concurrent use. The client belongs to the caller; Close does not close it.
type Redis struct {
	client    redis.UniversalClient
	cfg       Config
	publish   *redis.Script
	complete  *redis.Script
	malformed atomic.Int64
	closing   context.Context
	close     context.CancelFunc

	sources    sourceCache // the alerters' view of the results streams
	regMu      sync.Mutex
	registered map[string]time.Time // region -> when its results stream was last announced
	legacyMu   sync.Mutex
	legacyJobs map[string]time.Time // region -> last look for jobs in the previous layout
	rotate     atomic.Uint64        // spreads result reads over the regions
}

// NewRedis returns a queue on client: a *redis.Client (one server, or the
// primary behind Sentinel from redis.NewFailoverClient) or a
// *redis.ClusterClient; redis.NewUniversalClient and RedisURL.NewClient
// return one of them. It does no I/O: streams and consumer groups are
// created when first used.
//
// A blocked read holds one connection of client's pool (in a Cluster, of
// the node's pool; an alerter's read blocks on every region's node at
// once), and cancelling it takes one more (for CLIENT UNBLOCK), so the pool
// must be larger than the number of reads blocked at the same time, or
// cancellation waits for the block to end. go-redis's default (10 per CPU)
// is plenty for the roles.
func NewRedis(client redis.UniversalClient, cfg Config) *Redis {
	closing, closeFn := context.WithCancel(context.Background())
	return &Redis{
		client:     client,
		cfg:        cfg.withDefaults(),
		publish:    redis.NewScript(publishScript),
		complete:   redis.NewScript(completeScript),
		closing:    closing,
		close:      closeFn,
		registered: make(map[string]time.Time),
		legacyJobs: make(map[string]time.Time),
	}
}

func (r *Redis) alive() error {
	if r.closing.Err() != nil {
		return ErrClosed
	}
	return nil
}

// PublishJobs appends each job to its region's stream unless the same
// region and job ID was published within JobDedupeTTL, and returns how many
// were appended. One round trip per region and 500 jobs (two with
// WaitReplicas). On error, the count says how many were appended before
// it.
func (r *Redis) PublishJobs(ctx context.Context, jobs []Job) (int, error) {
	if err := r.alive(); err != nil {
		return 0, err
	}
	if err := validateJobs(jobs); err != nil {
		return 0, err
	}
	// A script may only touch one region's keys: split the batch by region,
	// keeping each region's order.
	var regions []string
	byRegion := make(map[string][]Job)
	for _, j := range jobs {
		if _, ok := byRegion[j.Region]; !ok {
			regions = append(regions, j.Region)
		}
		byRegion[j.Region] = append(byRegion[j.Region], j)
	}
	total := 0
	for _, region := range regions {
		rjobs := byRegion[region]
		for start := 0; start < len(rjobs); start += scriptBatch {
			n, err := r.publishChunk(ctx, region, rjobs[start:min(start+scriptBatch, len(rjobs))])
			total += n
			if err != nil {
				return total, err
			}
		}
	}
	return total, nil
}

// publishChunk runs publishScript for jobs of one region and, with
// WaitReplicas, waits for the replicas on the same connection (WAIT counts
// the writes of its own connection only).
func (r *Redis) publishChunk(ctx context.Context, region string, jobs []Job) (int, error) {
	keys := make([]string, 0, 1+len(jobs))
	keys = append(keys, r.jobsKey(region))
	args := make([]any, 0, 3+len(jobs))
	rewrite := 0
	if r.cfg.WaitReplicas > 0 {
		rewrite = 1
	}
	args = append(args, r.cfg.JobDedupeTTL.Milliseconds(), r.cfg.JobStreamMaxLen, rewrite)
	for _, j := range jobs {
		payload, err := json.Marshal(j)
		if err != nil {
			return 0, fmt.Errorf("queue: encode job %q: %w", j.ID, err)
		}
		keys = append(keys, r.dedupeKey(region, j.ID))
		args = append(args, payload)
	}
	if r.cfg.WaitReplicas == 0 {
		n, err := r.publish.Run(ctx, r.client, keys, args...).Int()
		if err != nil {
			return 0, fmt.Errorf("queue: publish jobs: %w", err)
		}
		return n, nil
	}
	node, err := r.nodeFor(ctx, keys[0])
	if err != nil {
		return 0, err
	}
	conn := node.Conn()
	defer conn.Close()
	n, err := r.publish.Run(ctx, conn, keys, args...).Int()
	if err != nil {
		return 0, fmt.Errorf("queue: publish jobs: %w", err)
	}
	acked, err := conn.Wait(ctx, r.cfg.WaitReplicas, r.cfg.WaitTimeout).Result()
	if err != nil {
		return n, fmt.Errorf("queue: publish jobs: wait for replicas: %w", err)
	}
	if acked < int64(r.cfg.WaitReplicas) {
		return n, fmt.Errorf("%w: %d of %d within %v (region %s)", ErrNotReplicated, acked, r.cfg.WaitReplicas, r.cfg.WaitTimeout, region)
	}
	return n, nil
}

// ReadJobs returns up to count new jobs of region for consumer, waiting up
// to block for the first one (block <= 0: do not wait). A timeout returns
// no jobs and no error; a cancelled ctx returns ctx's error promptly.
func (r *Redis) ReadJobs(ctx context.Context, region, consumer string, count int, block time.Duration) ([]JobDelivery, error) {
	if err := validateNames(consumer); err != nil {
		return nil, err
	}
	if err := validateRegion(region); err != nil {
		return nil, err
	}
	if err := r.alive(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := r.moveLegacyJobs(ctx, region); err != nil {
		return nil, err
	}
	stream := r.jobsKey(region)
	msgs, err := r.readNow(ctx, stream, groupWorkers, consumer, count)
	if err == nil && len(msgs) == 0 && block > 0 {
		var streams []redis.XStream
		streams, err = r.readWait(ctx, []string{stream}, groupWorkers, consumer, count, block)
		for _, s := range streams {
			msgs = append(msgs, s.Messages...)
		}
	}
	if err != nil {
		return nil, r.readError(stream, err)
	}
	out, bad := decodeJobs(rawEntries(msgs, fieldJob, ""))
	return out, r.discard(ctx, stream, groupWorkers, bad)
}

// ClaimJobs takes over up to count jobs of region that have been pending
// with any consumer for at least minIdle (count <= 0: all of them).
func (r *Redis) ClaimJobs(ctx context.Context, region, consumer string, minIdle time.Duration, count int) ([]JobDelivery, error) {
	if err := validateNames(consumer); err != nil {
		return nil, err
	}
	if err := validateRegion(region); err != nil {
		return nil, err
	}
	if err := r.alive(); err != nil {
		return nil, err
	}
	if err := r.moveLegacyJobs(ctx, region); err != nil {
		return nil, err
	}
	stream := r.jobsKey(region)
	msgs, err := r.claim(ctx, stream, groupWorkers, consumer, minIdle, count)
	if err != nil {
		return nil, err
	}
	out, bad := decodeJobs(rawEntries(msgs, fieldJob, ""))
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
	if err := validateRegion(region); err != nil {
		return 0, err
	}
	for _, c := range cs {
		if err := validateIDs(c.DeliveryID); err != nil {
			return 0, err
		}
	}
	if len(cs) == 0 {
		return 0, nil
	}
	if err := r.registerResults(ctx, region); err != nil {
		return 0, err
	}
	keys := []string{r.jobsKey(region), r.resultsKey(region)}
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

// PublishResults appends results to region's results stream without
// acking any job: for results whose job could not be completed (a worker
// that lost Redis spooled them locally) or that had no job (checks a worker
// ran on its own while the control plane was unreachable). Ingest is
// idempotent on monitor, region and scheduled time, so a result published
// here and also by CompleteJobs is stored once. One round trip per 500
// results; on error, the count says how many were appended before it.
func (r *Redis) PublishResults(ctx context.Context, region string, rs []Result) (int, error) {
	if err := r.alive(); err != nil {
		return 0, err
	}
	if err := validateRegion(region); err != nil {
		return 0, err
	}
	if len(rs) == 0 {
		return 0, nil
	}
	payloads, err := encodeResults(rs)
	if err != nil {
		return 0, err
	}
	if err := r.registerResults(ctx, region); err != nil {
		return 0, err
	}
	key := r.resultsKey(region)
	total := 0
	for start := 0; start < len(payloads); start += scriptBatch {
		chunk := payloads[start:min(start+scriptBatch, len(payloads))]
		_, err := r.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
			for _, b := range chunk {
				p.XAdd(ctx, &redis.XAddArgs{Stream: key, Values: []any{fieldResult, b}})
			}
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("queue: publish results: %w", err)
		}
		total += len(chunk)
	}
	return total, nil
}

// registerResults adds region to the set the alerters read results streams
// from, before anything is published there, so that a results stream that
// exists is always found. A process announces each region once a minute:
// often enough to repair the set after a failover lost the write, rarely
// enough to cost nothing.
func (r *Redis) registerResults(ctx context.Context, region string) error {
	r.regMu.Lock()
	last, ok := r.registered[region]
	r.regMu.Unlock()
	if ok && time.Since(last) < registerEvery {
		return nil
	}
	if err := r.client.SAdd(ctx, r.resultRegionsKey(), region).Err(); err != nil {
		return fmt.Errorf("queue: register results of %s: %w", region, err)
	}
	r.regMu.Lock()
	r.registered[region] = time.Now()
	r.regMu.Unlock()
	if !ok {
		// This process's own alerter reads the new stream at once.
		r.sources.invalidate()
	}
	return nil
}

// DropJob acks and deletes a job without publishing a result.
func (r *Redis) DropJob(ctx context.Context, region, deliveryID string) error {
	if err := r.alive(); err != nil {
		return err
	}
	if err := validateRegion(region); err != nil {
		return err
	}
	if err := validateIDs(deliveryID); err != nil {
		return err
	}
	return r.ackDelete(ctx, r.jobsKey(region), groupWorkers, deliveryID)
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
	if err := validateRegion(region); err != nil {
		return 0, err
	}
	n, err := r.client.XLen(ctx, r.jobsKey(region)).Result()
	if err != nil {
		return 0, fmt.Errorf("queue: job backlog: %w", err)
	}
	return n, nil
}

// Ping reports whether Redis answers (in a Cluster, every primary).
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.alive(); err != nil {
		return err
	}
	var err error
	if c, ok := r.client.(*redis.ClusterClient); ok {
		err = c.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
			return node.Ping(ctx).Err()
		})
	} else {
		err = r.client.Ping(ctx).Err()
	}
	if err != nil {
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
