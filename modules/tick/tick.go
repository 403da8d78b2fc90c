// Package tick owns check results: the ticks table (every result), the
// per-region state (monitor_region_state) and each monitor's current status
// (monitor_state). It runs the alerter's ingest.
//
// Data enters from the queue's results stream: Ingest reads results in
// batches, inserts them as ticks in one statement per batch (idempotent on
// monitor + scheduled time + region, so a result delivered twice is stored
// once), folds them into the region and monitor state in the same
// transaction, and only then acks them. A batch that cannot be stored (the
// database is down) is retried and never acked, so it waits in the stream.
// Data leaves through the ticks API and the status that monitor reads.
//
// Several alerters may run: monitor_state rows of a batch are locked in id
// order (FOR UPDATE on PostgreSQL; SQLite has one writer) before the state is
// read and written, so two alerters never interleave one monitor's counts.
//
// On PostgreSQL a batch is three statements after BEGIN: the lock (which
// reads the monitors' settings too), the ticks (returning only what was
// skipped), and the states (region and monitor rows updated in place, new
// region rows inserted), and a fourth when the batch closes hours. SQLite
// takes one more for the states.
//
// The same transaction counts the batch's checks in their hours: the hour
// being filled in its region's state row (RegionState.Hour, the open
// hour), a closed or earlier hour in rollups_hourly; each hour row goes
// into its day's rollup once it has closed (Fold). See fold.go for why and
// how every check is counted once.
//
// On PostgreSQL ticks is partitioned by UTC day (migration 00010; SQLite
// keeps one table and batched deletes, the same code otherwise). The
// alerter keeps partitions for today and PartitionDaysAhead days after
// (RunPartitions, hourly); a tick whose day has none (a late or skewed
// slot) lands in ticks_default and moves to its day when that day's
// partition is made. Retention drops a day's partition once the whole day
// is older than the setting, and deletes old rows of ticks_default in
// batches. What that trades:
//   - Dropping a day is a catalog change (milliseconds, see the benchmark
//     in partition_bench_test.go) where deleting its rows wrote a dead tuple per
//     row for vacuum, bloated the indexes and competed with ingest.
//   - Retention is day-grained: a tick may outlive the setting by up to a
//     day, as the day at the cutoff is kept whole.
//   - Partition pruning needs a filter on scheduled_at. Since and List
//     pages after the first have one; List's first page (a
//     monitor's newest ticks, no bound) merges one index scan per
//     partition: at 30 days (39 partitions) 3.4 ms to plan and 0.6 ms to run
//     on PostgreSQL 15, and the planning grows with the number of days kept.
//     ticks_default is scanned by every one of these (it may hold any day).
//   - The unique (monitor_id, scheduled_at, region) index that makes ingest
//     idempotent is one index per partition; that is allowed only because
//     it contains scheduled_at. The id column is gone (nothing read it, and
//     a partitioned table's primary key must contain the partition key);
//     ticks_default is pruned by ctid.
//   - Locks: creating a partition scans ticks_default (empty as a rule,
//     so cheap) and locks it ACCESS EXCLUSIVE meanwhile, ticks only SHARE
//     UPDATE EXCLUSIVE (ingest goes on); dropping one locks ticks ACCESS
//     EXCLUSIVE for the moment of the drop (DETACH ... CONCURRENTLY, which
//     would not, is refused while a default partition exists). Either
//     gives up after 5 s of waiting for its locks and tries again an hour
//     later, rather than queue ingest behind a long reader.
//   - More tables: retention days + 8, each with its two indexes.
package tick

import (
	"encoding/json"
	"time"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/probe"
)

// Tick is one stored check result as the API shows it.
type Tick struct {
	Region      string       `json:"region"`
	WorkerID    string       `json:"worker_id"`
	Status      probe.Status `json:"status"`
	StatusCode  int          `json:"status_code"`
	LatencyMS   float64      `json:"latency_ms"`
	Phases      probe.Phases `json:"phases"`
	ErrorClass  string       `json:"error_class"`
	Error       string       `json:"error"`
	CertExpiry  *time.Time   `json:"cert_expiry"`
	ResolvedIP  string       `json:"resolved_ip"`
	CheckedAt   time.Time    `json:"checked_at"`
	ScheduledAt time.Time    `json:"scheduled_at"`

	Evidence string `json:"-"` // JSON incident.Evidence of a failed check
	Details  string `json:"-"` // JSON []probe.Detail: the kind's own evidence; "" when none
}

// RegionState is a monitor's state in one region.
type RegionState struct {
	MonitorID            int64        `json:"-"`
	Region               string       `json:"region"`
	Status               probe.Status `json:"status"`
	StatusCode           int          `json:"status_code"`
	ErrorClass           string       `json:"error_class"`
	Error                string       `json:"error"`
	LatencyMS            float64      `json:"latency_ms" gorm:"column:latency_ms"`
	ConsecutiveFailures  int          `json:"consecutive_failures"`
	ConsecutiveSuccesses int          `json:"consecutive_successes"`
	Failing              bool         `json:"failing"`
	LastScheduledAt      time.Time    `json:"last_scheduled_at"`
	LastCheckedAt        time.Time    `json:"last_checked_at"`
	Evidence             string       `json:"-"` // the last failed check's, JSON
	Details              string       `json:"-"` // the last check's kind evidence, JSON []probe.Detail
	// Hour is the region's open hour: the checks of the latest hour this
	// region has been checked in, not in rollups_hourly yet (countHour).
	// Checks is 0 when there is none.
	Hour Rollup `json:"-" gorm:"-"`
}

// RegionView is a region's state as the API and dashboard show it: with
// the last check's kind evidence decoded.
type RegionView struct {
	RegionState
	KindDetails []probe.Detail `json:"details,omitempty"`
}

// DetailList is the last check's kind evidence (DNS answers, certificate
// days left, packet loss), in display order; nil when there is none.
func (rs RegionState) DetailList() []probe.Detail {
	var out []probe.Detail
	// "" (a kind without details) and a damaged row both show nothing.
	_ = json.Unmarshal([]byte(rs.Details), &out)
	return out
}

// Thresholds are a monitor's confirmation settings.
type Thresholds struct {
	Failure  int
	Recovery int
}

// Apply folds one result into the region's state. A result older than the
// last one applied (delivered out of order) changes nothing. A region is
// failing after Failure consecutive failed checks and healthy again after
// Recovery consecutive successes; degraded checks count as successes here
// (slow, but answering).
func (rs RegionState) Apply(t Tick, th Thresholds) RegionState {
	if !rs.LastScheduledAt.IsZero() && !t.ScheduledAt.After(rs.LastScheduledAt) {
		return rs
	}
	rs.Region, rs.Status, rs.StatusCode = t.Region, t.Status, t.StatusCode
	rs.ErrorClass, rs.Error, rs.LatencyMS = t.ErrorClass, t.Error, t.LatencyMS
	rs.LastScheduledAt, rs.LastCheckedAt = t.ScheduledAt, t.CheckedAt
	rs.Details = t.Details
	if t.Status == probe.StatusDown {
		rs.Evidence = t.Evidence
		rs.ConsecutiveFailures++
		rs.ConsecutiveSuccesses = 0
		if rs.ConsecutiveFailures >= th.Failure {
			rs.Failing = true
		}
	} else {
		rs.ConsecutiveSuccesses++
		rs.ConsecutiveFailures = 0
		if rs.ConsecutiveSuccesses >= th.Recovery {
			rs.Failing = false
		}
	}
	return rs
}

// countHour counts t (a check of this region stored now, in slot order
// within its batch) in the region's open hour, and returns a rollup due
// for rollups_hourly, if any: the open hour itself when t is the first
// check of a later hour (t then opens its own), or t alone when its hour
// is before the open one (a late check: a worker's spool, a redelivery
// after an outage). Every check is counted once: in the open hour, or in
// the rollup returned. See fold.go.
func (rs *RegionState) countHour(monitorID int64, t Tick) (Rollup, bool) {
	h := t.ScheduledAt.UTC().Truncate(time.Hour)
	if rs.Hour.Checks == 0 || h.Equal(rs.Hour.Start) {
		if rs.Hour.Checks == 0 {
			rs.Hour = Rollup{MonitorID: monitorID, Region: t.Region, Start: h}
		}
		rs.Hour.observe(t)
		return Rollup{}, false
	}
	one := Rollup{MonitorID: monitorID, Region: t.Region, Start: h}
	one.observe(t)
	if h.Before(rs.Hour.Start) {
		return one, true
	}
	closed := rs.Hour
	rs.Hour = one
	return closed, true
}

// Errors of this module.
var (
	ErrBadCursor = apperr.Field("cursor", "is not a cursor returned by this API")
)
