// Package selfcheck watches BetterStack's own pipeline: it measures how far
// behind each stage is, names the stage that cannot keep up and the regions
// whose checks are being skipped, keeps a dead-man's switch alive only
// while checks really flow, and tells an operator channel when a region
// goes silent, a stage lags for long or checks are skipped.
// It owns no table and writes nothing of the pipeline: it only reads.
//
// # Stages and what their lag means
//
// A check passes four stages. Each stage's lag is the age of the oldest
// item waiting for it, so a stage that keeps up shows about zero however
// busy it is, and a stage that falls behind shows a number that grows by a
// second every second:
//
//   - pusher: scheduled, unpaused monitors of a kind workers run (heartbeats
//     are fed by pings and skipped) whose next_run_at has passed. Lag is how
//     long ago the oldest of them was due; the backlog counts those overdue
//     by more than PusherGrace (a pusher claims every second, so a few
//     seconds are normal). Read on the monitors' due index.
//   - workers (per region): jobs in the region's stream that no worker has
//     taken yet. Lag is the age of the oldest such job; jobs a worker is
//     running are not counted, since a probe may take its whole timeout.
//     A region without live workers shows here as well as silent.
//     Skipped is the other half of this stage: when a region's workers are
//     not taking jobs, the pusher's admission control publishes only part
//     of what is due there and records the slots it left out (package
//     queue, RecordSkipped), so the rest run on time instead of everything
//     running late. The lag then stays at a few seconds, below the
//     threshold, and only the skipped count tells that the region is at
//     capacity. It is the slots recorded in about the last minute (the
//     queue counts in 10 s buckets, so up to 70 s).
//   - ingest: results in the results streams not yet stored and acked by an
//     alerter (unread, or read and not acked while the database is down).
//     Lag is the age of the oldest.
//   - notifications: outbox rows still pending (being retried, or waiting
//     for a sender). Lag is the age of the oldest; a failing channel keeps
//     it growing until delivery gives up (two hours).
//
// Ages come from the queue's clock (a stream entry's ID is its time) and
// the database's rows against this process's clock; small skews are far
// below the thresholds.
//
// # The bottleneck
//
// A stage lags when its lag is above the threshold (pipeline_lag_threshold,
// 30 s): strictly above, so exactly the threshold is still fine. The
// bottleneck is the earliest lagging stage in pipeline order (pusher,
// workers, ingest, notifications), the largest lag breaking a tie between
// regions: lateness flows downstream (a job published late is late for
// everyone after it), never upstream, so the earliest lagging stage is
// the cause and the later ones its symptoms or a second problem. Judge is
// this decision, pure and tested at its boundaries.
//
// A region skips when any of its slots was skipped in that minute (Skipped
// above 0, whatever the lag): skipping is not lateness, since the checks
// that run are on time, but checks that should have run did not, and a
// monitor that kept quiet about it would say something untrue by
// omission. Judge lists the skipping regions apart from the lagging
// stages, the most skipped first; a region that both lags and skips is in
// both lists.
//
// Every alerter samples every 15 s (it only reads, so no coordination):
// gauges betterstack_pipeline_lag_seconds{stage,region},
// betterstack_pipeline_backlog{stage,region} and
// betterstack_pipeline_skipped{region} (slots skipped in the last minute),
// one warning line when a stage starts lagging or a region starts skipping
// and one info line when it recovers. The dashboard's settings page
// measures on render (the same cheap reads) and shows "Checks are running
// late" naming the bottleneck, and "Checks are being skipped" naming the
// regions at capacity.
//
// # Dead-man's switch
//
// With deadman_url set, one alerter (the leader, below) calls it every
// deadman_interval while checks flow: no stage lags and, when there are
// scheduled monitors, a tick was checked within twice the longer of
// deadman_interval and the shortest monitor interval. When the pipeline is
// stuck it stops calling instead of reporting "stuck": the point is to be
// noticed when BetterStack cannot say anything at all (the process, the
// host, its database or network are gone), and silence is the one signal
// that still arrives then. The receiver (another BetterStack's heartbeat
// monitor, or any dead-man service) alerts on the missing call. A call
// that fails is logged and counted, never retried: the next interval is the
// retry.
//
// Skipping does not stop the switch. Checks still flow and those that run
// are on time; the switch answers "can BetterStack still say anything",
// and it can: skipping is told by the dashboard, the log, the gauge and
// the operator alerts, each naming the region. Holding the switch back
// would page whoever watches it with "BetterStack is down" when the fix is
// to add workers in one region.
//
// # Operator alerts
//
// With operator_channel set, the leader also turns problems into
// notifications through that channel's outbox (so they are retried, signed
// and logged like incident notifications): a region with monitors whose
// workers have not beaten for operator_region_silence, and any stage
// lagging more than operator_lag_alert (ingest failing to store and
// notifications failing to send both show as lag), and any region whose
// checks have been skipped for more than operator_lag_alert without a
// break (subject "skipping workers in eu", apart from the lag's "stage
// workers in eu", so each starts and clears on its own; it clears once a
// minute passes without a skipped slot). The hold-off is the lag's: a
// burst the workers absorb within a minute skips a few checks and shows
// on the dashboard, but pages nobody; a region at capacity does. How long
// a region has been skipping is the leader's memory of its own samples,
// so a new leader starts counting afresh. A region monitors name that no
// worker has ever reported from (none started there yet, or a misspelt
// name) is silent from when this process began measuring. One
// "operator.alert" when a problem starts, one "operator.resolved" when it
// clears, nothing in between. What was told is read back from the outbox (the newest operator
// notifications of the channel), so a restart or a new leader neither
// repeats an alert nor forgets to clear it.
//
// # One leader
//
// On PostgreSQL the leader is the alerter holding a session advisory lock
// (pg_try_advisory_lock on a connection kept for it); when it dies its
// connection closes, the lock is free and another alerter takes it within
// a sample. On SQLite there is one process, which leads.
package selfcheck

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Stage is one step of the pipeline.
type Stage string

// The stages, in pipeline order.
const (
	StagePusher        Stage = "pusher"
	StageWorkers       Stage = "workers"
	StageIngest        Stage = "ingest"
	StageNotifications Stage = "notifications"
)

// rank is a stage's position in the pipeline.
func (s Stage) rank() int {
	switch s {
	case StagePusher:
		return 0
	case StageWorkers:
		return 1
	case StageIngest:
		return 2
	case StageNotifications:
		return 3
	}
	return 4
}

// SkippedWithin is how far back Measure counts skipped slots.
const SkippedWithin = time.Minute

// PusherGrace is how overdue a monitor may be before it counts in the
// pusher's backlog: pushers claim every second.
const PusherGrace = 5 * time.Second

// Measure is one stage's state at a moment (workers: one region's).
type Measure struct {
	Stage   Stage
	Region  string        // workers only
	Backlog int64         // items waiting
	Lag     time.Duration // age of the oldest waiting item; 0 when none waits
	// Skipped (workers only) is how many slots of this region the pusher
	// left out in about the last minute because its workers were not
	// taking jobs.
	Skipped int64
	// SkippingFor (workers only, set by Service.Sample) is how long the
	// region has been skipping without a sample that found it not: an
	// operator is told once that is past operator_lag_alert, not for a
	// burst the workers absorbed.
	SkippingFor time.Duration
}

// Name is the stage as people read it: "workers in eu" for a region.
func (m Measure) Name() string {
	if m.Region != "" {
		return fmt.Sprintf("%s in %s", m.Stage, m.Region)
	}
	return string(m.Stage)
}

// Region is a worker region as the sampler saw it.
type Region struct {
	Name     string
	LastSeen time.Time // the region's latest worker heartbeat; zero if none ever
	Expected bool      // monitors run there (named, or any monitor without regions)
}

// Sample is one measurement of the whole pipeline.
type Sample struct {
	At time.Time
	// Since is when the process taking the sample began measuring: a
	// region no worker has ever reported from counts as silent from then.
	Since    time.Time
	Stages   []Measure
	Regions  []Region
	Monitors int64 // scheduled, unpaused monitors
	// ShortestInterval is the shortest interval among them.
	ShortestInterval time.Duration
	// NewestTick is when the newest stored result was checked (zero: none).
	NewestTick time.Time
	// IngestWait is the pushers' pusher_ingest_wait: past it the results
	// waiting to be stored, not the workers, make the pushers skip
	// (Verdict.SkipCause). Zero: never.
	IngestWait time.Duration
}

// Verdict is what a sample means.
type Verdict struct {
	Lagging    []Measure // stages above the threshold, bottleneck first
	Bottleneck *Measure  // nil when nothing lags
	// Skipping are the worker regions whose checks the pusher is leaving
	// out (Skipped above 0), most skipped first. A region may both lag and
	// skip.
	Skipping []Measure
	// SkipCause is why the pushers skip: StageIngest when the oldest
	// result waiting to be stored is past Sample.IngestWait (they publish
	// less everywhere so the ingest catches up), StageWorkers otherwise
	// (the skipping regions' workers are at capacity). Set only when
	// Skipping is not empty.
	SkipCause Stage
}

// Judge names the lagging stages, the bottleneck and the skipping regions:
// a stage lags when its lag is above threshold; the bottleneck is the
// earliest lagging stage in pipeline order, the larger lag first within a
// stage; a workers stage skips when any of its slots was skipped, the most
// skipped first, then by region.
func Judge(s Sample, threshold time.Duration) Verdict {
	var v Verdict
	for _, m := range s.Stages {
		if m.Lag > threshold {
			v.Lagging = append(v.Lagging, m)
		}
		if m.Stage == StageWorkers && m.Skipped > 0 {
			v.Skipping = append(v.Skipping, m)
		}
	}
	if len(v.Skipping) > 0 {
		v.SkipCause = StageWorkers
		for _, m := range s.Stages {
			if m.Stage == StageIngest && s.IngestWait > 0 && m.Lag > s.IngestWait {
				v.SkipCause = StageIngest
			}
		}
	}
	slices.SortStableFunc(v.Lagging, func(a, b Measure) int {
		if c := cmp.Compare(a.Stage.rank(), b.Stage.rank()); c != 0 {
			return c
		}
		return cmp.Compare(b.Lag, a.Lag)
	})
	if len(v.Lagging) > 0 {
		v.Bottleneck = &v.Lagging[0]
	}
	slices.SortFunc(v.Skipping, func(a, b Measure) int {
		if c := cmp.Compare(b.Skipped, a.Skipped); c != 0 {
			return c
		}
		return cmp.Compare(a.Region, b.Region)
	})
	return v
}

// Flowing decides the dead-man's switch: true while nothing lags and, when
// there are scheduled monitors, a result checked within twice the longer of
// interval and the shortest monitor interval is stored. why says what
// stopped it. Skipping does not stop it (see the package doc).
func Flowing(s Sample, v Verdict, interval time.Duration) (ok bool, why string) {
	if b := v.Bottleneck; b != nil {
		return false, fmt.Sprintf("%s is %s behind", b.Name(), b.Lag.Round(time.Second))
	}
	if s.Monitors == 0 {
		return true, ""
	}
	window := 2 * max(interval, s.ShortestInterval)
	if s.NewestTick.IsZero() {
		return false, "no result has been stored yet"
	}
	if age := s.At.Sub(s.NewestTick); age > window {
		return false, fmt.Sprintf("the newest stored result was checked %s ago", age.Round(time.Second))
	}
	return true, ""
}

// Problem is something an operator is told about.
type Problem struct {
	// Subject is a stable name: "region eu", "stage ingest", "stage
	// workers in eu", "skipping workers in eu".
	Subject string
	Message string // for people
}

// Problems lists what to tell an operator: expected regions silent for
// more than silence, stages lagging more than lagAlert, and regions whose
// checks have been skipped for more than lagAlert.
func Problems(s Sample, lagAlert, silence time.Duration) []Problem {
	var out []Problem
	for _, r := range s.Regions {
		if !r.Expected {
			continue
		}
		if r.LastSeen.IsZero() {
			if quiet := s.At.Sub(s.Since); quiet > silence {
				out = append(out, Problem{Subject: "region " + r.Name,
					Message: fmt.Sprintf("Region %s has monitors but no worker has ever reported from it (watched for %s), so their checks there are not running. Start one with betterstack serve --role=worker --region=%s, or correct the monitors' regions.",
						r.Name, quiet.Round(time.Second), r.Name)})
			}
			continue
		}
		if quiet := s.At.Sub(r.LastSeen); quiet > silence {
			out = append(out, Problem{Subject: "region " + r.Name,
				Message: fmt.Sprintf("Region %s is silent: no worker has reported for %s, so its checks are not running.", r.Name, quiet.Round(time.Second))})
		}
	}
	for _, m := range Judge(s, lagAlert).Lagging {
		out = append(out, Problem{Subject: "stage " + m.Name(),
			Message: fmt.Sprintf("Checks are running late: the %s stage is %s behind (%d waiting).", m.Name(), m.Lag.Round(time.Second), m.Backlog)})
	}
	v := Judge(s, lagAlert)
	for _, m := range v.Skipping {
		if m.SkippingFor <= lagAlert {
			continue
		}
		msg := fmt.Sprintf("Checks are being skipped: the %s have been at capacity for %s; %s skipped in the last minute so the rest run on time. Add workers in %s or lengthen intervals.",
			m.Name(), m.SkippingFor.Round(time.Second), checksWere(m.Skipped), m.Region)
		if v.SkipCause == StageIngest {
			msg = fmt.Sprintf("Checks are being skipped: for %s results have been waiting longer than %s to be stored; %s skipped in the last minute in %s so the ingest can catch up. Give the database more CPU, run another alerter, or lengthen intervals.",
				m.SkippingFor.Round(time.Second), s.IngestWait.Round(time.Second), checksWere(m.Skipped), m.Region)
		}
		out = append(out, Problem{Subject: "skipping " + m.Name(), Message: msg})
	}
	return out
}

// checksWere is "1 check was" or "n checks were".
func checksWere(n int64) string {
	if n == 1 {
		return "1 check was"
	}
	return fmt.Sprintf("%d checks were", n)
}

// Changes compares the problems now with what was told (subject -> the
// last word was an alert) and returns the problems to announce and the
// subjects to clear.
func Changes(told map[string]bool, now []Problem) (start []Problem, clear []string) {
	current := map[string]bool{}
	for _, p := range now {
		current[p.Subject] = true
		if !told[p.Subject] {
			start = append(start, p)
		}
	}
	for subject, open := range told {
		if open && !current[subject] {
			clear = append(clear, subject)
		}
	}
	slices.Sort(clear)
	return start, clear
}
