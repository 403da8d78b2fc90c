// Package heartbeat decides the state of heartbeat (cron job) monitors: jobs
// that report to BetterStack instead of being probed by it. It owns the
// schedule maths, the run bookkeeping and the up/down decision, and nothing
// else: no table, no HTTP handler, no goroutine. Data enters as a Schedule,
// the monitor's creation time, the pings received (Ping, parsed from the
// request path by ParseSignal) and the current time; it leaves as a Verdict
// (Evaluate), the expected times (Schedule.NextN) and the run list (Runs).
// client.go is the other end of the wire: RunAndReport wraps a command and
// pings for it. Package checkin does the I/O around these decisions: the
// ping URL, the ping log, the queue, the one decider and the results.
//
// # Signals
//
// A job pings /ping/{token} (success), /start, /fail, /{exit-code} (0 is a
// success, 1-255 a failure) or /log (kept for the record, changes nothing),
// optionally with ?rid= so that concurrent runs pair their start and end.
//
// # Schedules
//
// A schedule is either a Period (the next ping is due Period after the last
// one) or a five-field Cron expression read in the IANA zone TZ (UTC when
// empty), plus a Grace: a ping is late when it has not arrived Grace after it
// was due. Bounds, chosen so that a typo is caught and every real job fits:
// Period and Grace from 1 minute to 400 days (a yearly job with weeks to
// spare; a grace of zero would make every job late by its own network
// latency), MinRun and MaxRun from 0 (unset) to 400 days with MinRun below
// MaxRun when both are set. Cron fields are minute, hour, day of month,
// month, day of week (0-6, Sunday is 0; names such as MON and JAN work);
// lists, ranges and steps work; descriptors (@daily), seconds and a TZ=
// prefix do not: the zone is its own field. An expression that can never
// match (30 February) is refused.
//
// # Daylight saving time
//
// Cron times are wall-clock times in TZ, and a change of the clocks neither
// skips nor doubles a run. This is the behaviour of the cron daemons most
// jobs run under (ISC/Vixie cron, cronie, Debian's cron), and it is written
// here rather than taken from a library because robfig/cron v3.0.1 and
// gronx v1.20.4 both get it wrong (tested: for "30 2 * * *" in
// Europe/Berlin both skip the spring-forward day; on the fall-back day
// robfig fires twice and gronx fires once at the second 02:30, while in
// America/New_York gronx picks the first 01:30: Go's time.Date resolves an
// ambiguous wall time differently east and west of Greenwich). robfig/cron
// is used only to parse the expression.
//
//   - A wall time the clocks skip (02:30 on 2026-03-29 in Europe/Berlin) is
//     expected at the moment of the change (03:00 CEST, 01:00 UTC), once,
//     however many skipped times match ("*/15 * * * *" expects 01:45 CET,
//     then 03:00 CEST, then 03:15 CEST). Not at 03:30 CEST (which is also the
//     instant 02:30 would have been on the old offset): cron daemons run the
//     job at 03:00, and a ping that arrives before the time it was expected
//     counts for the slot before it, so the slot it was meant for would look
//     missed. A scheduler that runs it at 03:30 instead (where Go's
//     time.Date puts it) is 30 minutes after the expected time, within a
//     grace of 30 minutes or more.
//   - A wall time the clocks show twice (02:30 on 2026-10-25 in
//     Europe/Berlin) is expected once, at its first occurrence (02:30 CEST,
//     00:30 UTC). That also holds for jobs that run more often than hourly:
//     the repeated hour expects nothing the second time, which can delay an
//     alert by an hour once a year but cannot raise a false one.
//
// # The decision
//
// Evaluate folds the pings in time order (pings after now are ignored; ties
// keep their order) and is a pure function of its arguments:
//
//   - pending: nothing but log pings yet and the first deadline not reached.
//     The first deadline is created+Period+Grace, or the first cron time
//     after created, plus Grace.
//   - down, late: the deadline passed with no ping. The deadline is the last
//     success or start, plus Period, plus Grace; for cron it is the first
//     expected time after the last success or start, plus Grace. A start
//     counts: a job that started on time is not late while it runs (its run
//     deadline covers it) until its next run is due, and a run still going
//     then does not excuse the next one's missing start.
//   - down, failed: a /fail, a non-zero exit code, a run shorter than MinRun
//     or longer than MaxRun, or a run that started and did not end within
//     MaxRun (Grace when MaxRun is unset).
//   - Down lasts until the next success (a start does not end it). Since is
//     when the down stretch began and Reason says what began it: the
//     deadline instant for lateness and unfinished runs, the ping's time for
//     a failure. Incidents are dated by what happened, not by when someone
//     looked, and a failure during an outage does not re-date it.
//
// Boundaries: a deadline is met by a ping at the deadline itself; at the
// deadline without one the verdict is down (so NextDeadline is the exact
// instant to wake). A run of exactly MinRun or exactly MaxRun passes.
//
// Runs: a start opens a run; an end (success, fail or exit code) closes the
// latest open run with the same run id, where no id is an id of its own (an
// end without rid closes the latest open start without rid). An end that
// closes nothing is a run of its own with no start and no duration, and no
// MinRun check. A run that passed its deadline stays open, so a late end
// still records its duration (and fails a MaxRun); it is forgotten when the
// next start with the same run id arrives, so a crashed run is not paired
// with some later end. Without run ids, overlapping runs pair newest first:
// jobs that overlap should send rid.
package heartbeat

import (
	"fmt"
	"strconv"
	"time"

	"github.com/betterstack/betterstack/modules/apperr"
)

// Bounds of a Schedule's durations; see the package doc.
const (
	MinPeriod = time.Minute
	MaxPeriod = maxDays * 24 * time.Hour
	MinGrace  = time.Minute
	MaxGrace  = maxDays * 24 * time.Hour
	MaxRunMax = maxDays * 24 * time.Hour // the largest MinRun or MaxRun

	maxDays = 400
)

// ErrUnknownSignal is returned by ParseSignal for a path it does not know.
var ErrUnknownSignal = apperr.New(apperr.NotFound, "unknown ping: use /start, /fail, /log, an exit code 0-255 or nothing")

// Schedule says when a job is expected to ping and how long its runs may
// take. Exactly one of Period and Cron is set.
type Schedule struct {
	Period time.Duration // a ping every Period
	Grace  time.Duration // how late a ping may be
	Cron   string        // five-field cron expression
	TZ     string        // IANA zone the Cron expression is read in; "" is UTC
	MinRun time.Duration // a shorter run fails; 0: no minimum
	MaxRun time.Duration // a longer run fails; 0: no maximum
}

// Validate checks the schedule, naming the offending fields check.period,
// check.grace, check.cron, check.tz, check.min_run and check.max_run.
func (s Schedule) Validate() error {
	// Conditions are ifs rather than switch cases throughout the package:
	// Go's coverage does not count case expressions, so gremlins would
	// leave their comparisons untested.
	bad := apperr.Fields{}
	if s.Cron != "" {
		if s.Period != 0 {
			bad.Add("check.period", "leave empty when a cron expression is set")
		}
		if _, err := parseCron(s.Cron); err != nil {
			bad.Add("check.cron", err.Error())
		}
		if _, err := loadZone(s.TZ); err != nil {
			bad.Add("check.tz", err.Error())
		}
	} else {
		if s.Period == 0 { // the first message for a field wins
			bad.Add("check.period", "set a period or a cron expression")
		}
		if s.Period < MinPeriod || s.Period > MaxPeriod {
			bad.Add("check.period", "must be from 1m to "+days(MaxPeriod))
		}
		if s.TZ != "" {
			bad.Add("check.tz", "only used with a cron expression")
		}
	}
	if s.Grace < MinGrace || s.Grace > MaxGrace {
		bad.Add("check.grace", "must be from 1m to "+days(MaxGrace))
	}
	if s.MinRun < 0 || s.MinRun > MaxRunMax {
		bad.Add("check.min_run", "must be from 0 (none) to "+days(MaxRunMax))
	}
	if s.MaxRun < 0 || s.MaxRun > MaxRunMax {
		bad.Add("check.max_run", "must be from 0 (none) to "+days(MaxRunMax))
	}
	if s.MaxRun > 0 && s.MinRun >= s.MaxRun {
		bad.Add("check.min_run", "must be less than the maximum run time")
	}
	return bad.Err()
}

// days writes a whole number of days.
func days(d time.Duration) string {
	return strconv.Itoa(int(d/(24*time.Hour))) + " days"
}

// Signal is what a ping says about the job.
type Signal uint8

// Signals. The zero Signal is none of them; Evaluate ignores it.
const (
	_       Signal = iota
	Success        // /ping/{token}
	Start          // /ping/{token}/start
	Fail           // /ping/{token}/fail
	Log            // /ping/{token}/log: recorded, changes nothing
	Exit           // /ping/{token}/{0-255}: 0 is a success
)

// String returns the signal's path word ("" for Success, "exit" for Exit).
func (g Signal) String() string {
	switch g {
	case Success:
		return ""
	case Start:
		return "start"
	case Fail:
		return "fail"
	case Log:
		return "log"
	case Exit:
		return "exit"
	}
	return "signal(" + strconv.Itoa(int(g)) + ")"
}

// ParseSignal reads the part of a ping path after the token: "", "start",
// "fail", "log" or an exit code "0" to "255" written plainly (no sign, no
// leading zero). exitCode is set for Exit only.
func ParseSignal(pathSuffix string) (sig Signal, exitCode int, err error) {
	switch pathSuffix {
	case "":
		return Success, 0, nil
	case "start":
		return Start, 0, nil
	case "fail":
		return Fail, 0, nil
	case "log":
		return Log, 0, nil
	}
	n, err := strconv.Atoi(pathSuffix)
	if err != nil || strconv.Itoa(n) != pathSuffix || n < 0 || n > 255 {
		return 0, 0, fmt.Errorf("%w (got %q)", ErrUnknownSignal, pathSuffix)
	}
	return Exit, n, nil
}

// Ping is one request a job made.
type Ping struct {
	At       time.Time
	Signal   Signal
	ExitCode int    // for Exit
	RunID    string // the rid query parameter; "" when absent
}

// failed reports whether the ping ends a run with a failure, and why.
func (p Ping) failed() (bool, string) {
	if p.Signal == Fail {
		return true, "run reported failure"
	}
	if p.Signal == Exit && p.ExitCode != 0 {
		return true, "run failed with exit code " + strconv.Itoa(p.ExitCode)
	}
	return false, ""
}
