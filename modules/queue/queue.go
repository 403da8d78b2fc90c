// Package queue carries check jobs from pushers to regional workers and
// results from workers to alerters, and keeps the register of live worker
// regions.
//
// Two implementations share one contract and one conformance test suite:
// Redis (Redis Streams, distributed: one server, Sentinel or Cluster) and
// Memory (in-process, the embedded default). Both give at-least-once
// delivery with consumer groups: a delivery stays pending until it is
// acked, and a pending delivery idle for longer than a given time can be
// claimed by another consumer. Consumers declare the small interface they
// need; this package defines none.
//
// # Data in and out
//
// Pushers call PublishJobs. Workers call ReadJobs and ClaimJobs, then
// CompleteJobs (or CompleteJob) with the probe result, or DropJob for a stale
// job; PublishResults publishes results with no job to ack (what a worker
// spooled while Redis was unreachable, or checked on its own then); they call Heartbeat periodically and Leave on shutdown. Alerters call
// ReadResults and ClaimResults, store the results, then AckResults; they
// read the results of every region. Pushers and the dashboard call Regions.
//
// # Keys
//
// In Redis, every key starts with Config.Prefix ("bs:"), and every key of a
// region carries the region as its hash tag, so that in a Redis Cluster a
// region's keys share one slot:
//
//	<prefix>{<region>}:jobs          stream, consumer group "workers"
//	<prefix>{<region>}:results       stream, consumer group "alerters"
//	<prefix>{<region>}:job:<job id>  dedupe marker, expires after JobDedupeTTL
//	<prefix>{<region>}:workers       sorted set: worker id -> last heartbeat (unix ms)
//	<prefix>{<region>}:skipped:<n>   slots the pusher left out in 10 s bucket n (skipped.go)
//	<prefix>regions                  hash: region -> last heartbeat (unix ms)
//	<prefix>result-regions           set: regions that publish results
//
// The previous release used <prefix>jobs:<region>, one <prefix>results
// stream for all regions, <prefix>job:<region>:<id> and
// <prefix>workers:<region>. Its completion script touched a region's job
// stream and the shared results stream, and its publish script markers and
// streams of several regions: a Cluster refuses both (CROSSSLOT), since
// those keys hash to different slots. Now every script and MULTI touches
// the keys of one region, so one slot: PublishJobs runs one script per
// region of its batch; CompleteJobs publishes to the region's own results
// stream, in the same script that acks the job (so a completion stays
// atomic: the result appears exactly when the job leaves the stream);
// Heartbeat is a plain pipeline (the worker set and the register are in
// different slots and nothing reads them as a pair). The region is the
// unit of scale: a Cluster spreads regions over its primaries, and a
// region's whole traffic is on one primary. Neither a region nor the prefix
// may contain '{' or '}' (both are refused), so the region is always the
// key's tag.
//
// # Results of every region
//
// An alerter reads all results streams. It finds them in the
// result-regions set, which CompleteJobs fills before it publishes the
// first result of a region (and again once a minute, in case a failover
// lost the write), and in the heartbeat register. The list is reused for
// 250 ms. ReadResults reads the streams one after another without waiting,
// starting with another region each time so a busy region cannot starve
// the others, until it has count results. With nothing to read it waits on
// every stream at once: on one server in one XREADGROUP over all streams
// (allowed outside a Cluster), in a Cluster in one blocked XREADGROUP per
// region, in parallel, each on the node of its slot (a read over several
// slots is refused), the first to return ending the others. It waits in
// rounds of 250 ms, so a region that appears meanwhile is read from within
// that time. A result's delivery ID is "<entry id>@<region>", so AckResults
// and ClaimResults know its stream. Order holds within a region, not across
// regions; nothing depends on it (ticks are keyed by monitor, region and
// scheduled time).
//
// # Dedupe
//
// A job is identified by its region and ID (the ID is derived from monitor
// and scheduled time, so it is the same in every region; the region is part
// of the dedupe key, or a job would reach only the first region).
// PublishJobs sets "<prefix>{<region>}:job:<id>" with NX and a TTL and
// appends the job to the stream only when the marker was new, in one Lua
// script per region and batch of up to 500 jobs: atomic, so two pushers
// that publish the same slot at the same moment enqueue it exactly once.
// Memory keeps the same markers in a map with expiry.
//
// # Delivery, claim and completion
//
// ReadJobs and ReadResults read new entries for one consumer of the group
// (XREADGROUP ">"), blocking up to the given time; a timeout is an empty
// result, and a cancelled context returns at once with its error (Redis
// unblocks the waiting connection with CLIENT UNBLOCK, sent to the same
// node, so nothing is read and lost behind the caller's back). ClaimJobs
// and ClaimResults take over deliveries that have been pending longer than
// minIdle (XAUTOCLAIM): this is how a crashed worker's jobs and a crashed
// alerter's results are recovered. A pending entry whose stream entry is
// gone (trimmed) is acked and skipped.
//
// CompleteJobs, in one script per batch, acks each job and, if the job was
// still pending (or still in the stream), appends its result to the
// region's results stream and deletes the job. A late completion of a job
// that a peer claimed and already completed therefore publishes nothing,
// so a job normally yields exactly one result.
//
// # Failover (Sentinel) and what is guaranteed
//
// Redis replicates asynchronously, and in a Sentinel failover a primary
// that is being replaced goes on accepting writes until its clients follow
// the switch (about a second), then drops them when it rejoins as a
// replica. So a write Redis acknowledged can be lost. The queue deals with
// it as follows:
//
//   - Jobs: with Config.WaitReplicas > 0 (the default behind Sentinel is 1),
//     PublishJobs waits (WAIT, on the connection that wrote) until that
//     many replicas have the batch, and returns ErrNotReplicated when they
//     do not within WaitTimeout; the pusher then publishes the slot again.
//     A marker that already existed is rewritten, so a retry also waits for
//     the first attempt's write. With WaitReplicas equal to the number of
//     replicas (1 for a primary and one replica), a job PublishJobs
//     accepted is on every replica and survives any failover Sentinel
//     performs. The price: publishing fails while a replica is missing. After
//     a failover the new primary has no replica until Sentinel turns the old
//     primary into one, which Sentinel does 8 s after it sees it still
//     claiming to be primary (about 10 s in all, in the test); jobs already
//     queued and results flow meanwhile. With fewer than all replicas, a
//     job can still be lost if Sentinel promotes a replica that lacked it;
//     with 0, jobs published in the second before the clients follow the
//     switch are lost (seen in the test: one batch).
//   - Completions, acks, deliveries and claims need no wait: if one is lost,
//     the job or result is still in the new primary's stream, unread or
//     pending, and is delivered or claimed again.
//
// So, at least once: every job PublishJobs accepted yields a result that an
// alerter receives and acks, provided workers and alerters keep claiming
// what is pending (and the worker does not drop the job as stale, which is
// its own rule). A job runs more than once only if its completion was lost
// (a failover, or a worker slower than the claim idle time), and a result
// is delivered more than once only if its ack was lost likewise; both are
// harmless duplicates, as ticks are stored idempotently. A job whose result
// was acked, and replicated, before a failover is never run or delivered
// again.
//
// # Trimming
//
// Consumed entries are deleted when they are acked (CompleteJobs, DropJob,
// AckResults), so each stream holds only its backlog: unread plus pending
// entries, which is what Backlog and ResultBacklog report (XLEN, summed
// over regions for results). Job streams are also capped at
// JobStreamMaxLen (approximate MAXLEN) as a safety net for a region
// without workers. The results streams are never trimmed by length: when
// the database is down results wait there, and none may be lost.
//
// # Crash recovery and damage
//
// Consumer groups are created lazily starting at ID 0 (MKSTREAM), so jobs
// published before the first worker arrived are delivered. When a stream or
// group vanishes (NOGROUP, or UNBLOCKED for a blocked read), the next read
// or claim recreates it at ID 0 and retries once; entries still in the
// stream are delivered again. An entry that does not decode is acked,
// deleted and counted (Malformed), never returned, so it cannot wedge a
// consumer.
//
// # Upgrading from the previous layout
//
// Keys the previous release left are not abandoned: results may be a
// database outage's backlog and must not be lost, and jobs in flight are
// cheap to keep. The alerters read the old results stream as one more
// source (delivery IDs without "@region") until it is empty, then delete it;
// the first read of a region moves the old job stream's entries (pending
// ones too, which at-least-once allows to run twice) into the new stream
// and deletes it, and looks again once a minute while a pusher of the old
// release may still run. Only outside a Cluster: the previous release could
// not run on one. Old worker sets and dedupe markers are left alone: the
// sets are small and counted no more (an old worker cannot read new jobs,
// so it should not make a region live), the markers expire. Upgrade pushers
// and workers together; until then old pushers' jobs reach new workers
// within a minute, and new pushers' jobs never reach old workers.
//
// # Regions
//
// Heartbeat records a worker as alive now (by Config.Now) and forgets
// workers of that region silent for more than 24 hours. Regions lists every
// region ever seen, with the number of workers heard from within a window.
// A region is remembered in a hash (not a set) so its last heartbeat is
// known even after all its workers have left.
//
// # Connecting
//
// ParseRedisURL reads redis_url in three forms, and RedisURL.NewClient makes
// the matching go-redis client:
//
//	redis://[[user]:password@]host[:6379][/db]   one server (rediss://, unix:// too)
//	redis+sentinel://[[user]:password@]host[:26379],host[:26379].../master[/db]
//	redis+cluster://[[user]:password@]host[:6379],host[:6379]...
//
// One URL rather than separate settings: it is one secret, one environment
// variable, and the form says the topology. Sentinel and Cluster URLs take
// wait_replicas=N; Sentinel also sentinel_username and sentinel_password.
// rediss+sentinel:// and rediss+cluster:// use TLS.
package queue

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/betterstack/betterstack/modules/probe"
)

// Job asks the workers of one region to check one monitor once.
type Job struct {
	ID              string        `json:"id"` // derived from monitor id + scheduled time: "<monitor_id>:<unix_ms>"
	MonitorID       int64         `json:"monitor_id"`
	Region          string        `json:"region"`
	ScheduledAt     time.Time     `json:"scheduled_at"`
	IntervalSeconds int           `json:"interval_seconds"` // a job older than this when picked up is stale
	Request         probe.Request `json:"request"`

	// Name and the thresholds travel with the job for a worker that loses
	// its control plane: its fallback notice names the monitor and confirms
	// a failure the way the alerter would. Jobs of older pushers lack them
	// (empty and 0), and the worker then uses fixed thresholds.
	Name              string `json:"name,omitempty"`
	FailureThreshold  int    `json:"failure_threshold,omitempty"`
	RecoveryThreshold int    `json:"recovery_threshold,omitempty"`
}

// Result is one finished check, on its way to the alerters.
type Result struct {
	JobID       string       `json:"job_id"`
	MonitorID   int64        `json:"monitor_id"`
	Region      string       `json:"region"`
	WorkerID    string       `json:"worker_id"`
	ScheduledAt time.Time    `json:"scheduled_at"`
	Result      probe.Result `json:"result"`
}

// JobDelivery is a job handed to one consumer; ID acks it.
type JobDelivery struct {
	ID  string
	Job Job
}

// ResultDelivery is a result handed to one consumer; ID acks it.
type ResultDelivery struct {
	ID     string
	Result Result
}

// Completion is one finished job: the delivery to ack and its result.
type Completion struct {
	DeliveryID string
	Result     Result
}

// Region is a worker region as seen through heartbeats.
type Region struct {
	Name       string
	Workers    int       // workers with a heartbeat within the window asked for
	LastSeenAt time.Time // the region's latest heartbeat, millisecond precision
	Live       bool      // at least one live worker
}

// Sentinel errors.
var (
	// ErrClosed is returned by every method after Close.
	ErrClosed = errors.New("queue: closed")
	// ErrInvalid wraps a rejected argument: a job without ID or region, an
	// empty region or consumer name, a malformed delivery ID.
	ErrInvalid = errors.New("queue: invalid argument")
	// ErrNotReplicated is returned by Redis.PublishJobs when fewer than
	// Config.WaitReplicas replicas confirmed the jobs in time. The jobs may
	// be in the stream, or may vanish in a failover: publish them again
	// (the dedupe markers keep a second copy out when the first is there).
	ErrNotReplicated = errors.New("queue: not confirmed by enough replicas")
)

// Consumer group names.
const (
	groupWorkers  = "workers"
	groupAlerters = "alerters"
)

// Stream entry fields holding the JSON payload.
const (
	fieldJob    = "job"
	fieldResult = "result"
)

// regionsForgetAfter is how long a silent worker stays in its region's set.
const regionsForgetAfter = 24 * time.Hour

// validateJobs rejects a batch before anything of it is published.
func validateJobs(jobs []Job) error {
	for i, j := range jobs {
		if j.ID == "" {
			return fmt.Errorf("%w: job %d has no id", ErrInvalid, i)
		}
		if j.Region == "" {
			return fmt.Errorf("%w: job %q has no region", ErrInvalid, j.ID)
		}
		if err := validateRegion(j.Region); err != nil {
			return err
		}
	}
	return nil
}

// validateNames rejects empty consumer and worker names.
func validateNames(names ...string) error {
	for _, n := range names {
		if n == "" {
			return fmt.Errorf("%w: empty region or consumer name", ErrInvalid)
		}
	}
	return nil
}

// validateRegion rejects an empty region name and one with '{' or '}': in
// Redis the region is the hash tag of its keys, and a brace in it would
// change the tag.
func validateRegion(region string) error {
	if region == "" || strings.ContainsAny(region, "{}") {
		return fmt.Errorf("%w: region %q", ErrInvalid, region)
	}
	return nil
}

// validateIDs rejects anything that is not a stream entry ID ("<ms>-<seq>"),
// so both backends refuse the same input.
func validateIDs(ids ...string) error {
	for _, id := range ids {
		ms, seq, ok := strings.Cut(id, "-")
		if !ok {
			return fmt.Errorf("%w: delivery id %q", ErrInvalid, id)
		}
		if _, err := strconv.ParseUint(ms, 10, 64); err != nil {
			return fmt.Errorf("%w: delivery id %q", ErrInvalid, id)
		}
		if _, err := strconv.ParseUint(seq, 10, 64); err != nil {
			return fmt.Errorf("%w: delivery id %q", ErrInvalid, id)
		}
	}
	return nil
}

// rawEntry is a stream entry before decoding; ok is false when the payload
// field is missing.
type rawEntry struct {
	id   string
	data []byte
	ok   bool
}

// decodeEntries unmarshals each entry's payload. Entries that do not decode,
// or decode to something that fails valid (say "{}" or "null"), come back in
// bad, for the caller to ack, delete and count.
func decodeEntries[T any](raw []rawEntry, valid func(*T) bool) (ids []string, vals []T, bad []string) {
	ids = make([]string, 0, len(raw))
	vals = make([]T, 0, len(raw))
	for _, e := range raw {
		var v T
		if !e.ok || json.Unmarshal(e.data, &v) != nil || !valid(&v) {
			bad = append(bad, e.id)
			continue
		}
		ids = append(ids, e.id)
		vals = append(vals, v)
	}
	return ids, vals, bad
}

// decodeJobs turns raw entries into job deliveries.
func decodeJobs(raw []rawEntry) ([]JobDelivery, []string) {
	ids, jobs, bad := decodeEntries(raw, func(j *Job) bool { return j.ID != "" && j.Region != "" })
	out := make([]JobDelivery, len(ids))
	for i := range ids {
		out[i] = JobDelivery{ID: ids[i], Job: jobs[i]}
	}
	return out, bad
}

// decodeResults turns raw entries into result deliveries.
func decodeResults(raw []rawEntry) ([]ResultDelivery, []string) {
	ids, results, bad := decodeEntries(raw, func(r *Result) bool { return r.JobID != "" })
	out := make([]ResultDelivery, len(ids))
	for i := range ids {
		out[i] = ResultDelivery{ID: ids[i], Result: results[i]}
	}
	return out, bad
}

// encodeResults checks and encodes results published without a job
// (PublishResults on both backends).
func encodeResults(rs []Result) ([][]byte, error) {
	payloads := make([][]byte, len(rs))
	for i, res := range rs {
		if res.JobID == "" {
			return nil, fmt.Errorf("%w: result %d has no job id", ErrInvalid, i)
		}
		b, err := json.Marshal(res)
		if err != nil {
			return nil, fmt.Errorf("queue: encode result of %q: %w", res.JobID, err)
		}
		payloads[i] = b
	}
	return payloads, nil
}
