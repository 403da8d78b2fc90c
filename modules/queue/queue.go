// Package queue carries check jobs from pushers to regional workers and
// results from workers to alerters, and keeps the register of live worker
// regions.
//
// Two implementations share one contract and one conformance test suite:
// Redis (Redis Streams, distributed) and Memory (in-process, the embedded
// default). Both give at-least-once delivery with consumer groups: a delivery
// stays pending until it is acked, and a pending delivery idle for longer
// than a given time can be claimed by another consumer. Consumers declare
// the small interface they need; this package defines none.
//
// # Data in and out
//
// Pushers call PublishJobs. Workers call ReadJobs and ClaimJobs, then
// CompleteJobs (or CompleteJob) with the probe result, or DropJob for a stale
// job; they call Heartbeat periodically and Leave on shutdown. Alerters call
// ReadResults and ClaimResults, store the results, then AckResults. Pushers
// and the dashboard call Regions.
//
// In Redis, every key starts with Config.Prefix ("bs:"):
//
//	<prefix>jobs:<region>            stream, consumer group "workers"
//	<prefix>results                  stream, consumer group "alerters"
//	<prefix>job:<region>:<job id>    dedupe marker, expires after JobDedupeTTL
//	<prefix>workers:<region>         sorted set: worker id -> last heartbeat (unix ms)
//	<prefix>regions                  hash: region -> last heartbeat (unix ms)
//
// # Dedupe
//
// A job is identified by its region and ID (the ID is derived from monitor
// and scheduled time, so it is the same in every region; the region is part
// of the dedupe key, or a job would reach only the first region).
// PublishJobs sets "<prefix>job:<region>:<id>" with NX and a TTL and appends
// the job to the stream only when the marker was new, in one Lua script per
// batch of up to 500 jobs: one round trip, and atomic, so two pushers that
// publish the same slot at the same moment enqueue it exactly once. Memory
// keeps the same markers in a map with expiry.
//
// # Delivery, claim and completion
//
// ReadJobs and ReadResults read new entries for one consumer of the group
// (XREADGROUP ">"), blocking up to the given time; a timeout is an empty
// result, and a cancelled context returns at once with its error (Redis
// unblocks the waiting connection with CLIENT UNBLOCK, so nothing is read
// and lost behind the caller's back). ClaimJobs and ClaimResults take over
// deliveries that have been pending longer than minIdle (XAUTOCLAIM): this
// is how a crashed worker's jobs and a crashed alerter's results are
// recovered. A pending entry whose stream entry is gone (trimmed) is acked
// and skipped.
//
// CompleteJobs, in one script per batch, acks each job and, if the job was
// still pending (or still in the stream), appends its result to the results
// stream and deletes the job. A late completion of a job that a peer claimed
// and already completed therefore publishes nothing, so a job normally
// yields exactly one result.
//
// # Trimming
//
// Consumed entries are deleted when they are acked (CompleteJobs, DropJob,
// AckResults), so each stream holds only its backlog: unread plus pending
// entries, which is what Backlog and ResultBacklog report (XLEN). Job
// streams are also capped at JobStreamMaxLen (approximate MAXLEN) as a
// safety net for a region without workers. The results stream is never
// trimmed by length: when the database is down results wait there, and none
// may be lost.
//
// # Crash recovery and damage
//
// Consumer groups are created lazily starting at ID 0 (MKSTREAM), so jobs
// published before the first worker arrived are delivered. When a stream or
// group vanishes (NOGROUP), the next read or claim recreates it at ID 0 and
// retries once; entries still in the stream are delivered again. An entry
// that does not decode is acked, deleted and counted (Malformed), never
// returned, so it cannot wedge a consumer.
//
// # Regions
//
// Heartbeat records a worker as alive now (by Config.Now) and forgets
// workers of that region silent for more than 24 hours. Regions lists every
// region ever seen, with the number of workers heard from within a window.
// A region is remembered in a hash (not a set) so its last heartbeat is
// known even after all its workers have left.
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
	}
	return nil
}

// validateNames rejects empty region and consumer names.
func validateNames(names ...string) error {
	for _, n := range names {
		if n == "" {
			return fmt.Errorf("%w: empty region or consumer name", ErrInvalid)
		}
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
