package heartbeat

import (
	"slices"
	"time"
)

// Status is a heartbeat monitor's state.
type Status string

// Statuses.
const (
	Pending Status = "pending" // never pinged, and the first deadline not reached
	Up      Status = "up"
	Down    Status = "down"
)

// Verdict is Evaluate's answer.
type Verdict struct {
	Status Status
	// Reason says why a monitor is down, or what a pending one waits for;
	// empty when up.
	Reason string
	// Since is when Status became true: the creation time while pending,
	// the ping that brought it up, or the instant the down stretch began.
	Since time.Time
	// NextDeadline is when the verdict changes unless a ping arrives first;
	// zero when only a ping can change it (down).
	NextDeadline time.Time
}

// Run is one run of the job. A run with End zero is still running, or, when
// Failed, did not finish in time. A run with Start zero is an end that
// closed no start.
type Run struct {
	Start    time.Time
	End      time.Time
	Duration time.Duration // End-Start when both are known
	ExitCode int           // for an end pinged as an exit code
	RunID    string
	Failed   bool
	Reason   string // why it failed
}

// Evaluate decides a heartbeat monitor's state at now from its schedule
// (assumed valid), its creation time and its pings, in any order. See the
// package doc for the rules.
func Evaluate(s Schedule, created time.Time, pings []Ping, now time.Time) Verdict {
	f := newFold(s, created)
	f.fold(pings, now)
	return f.verdict()
}

// Runs returns the job's runs as of now, oldest first, paired and judged by
// the same rules as Evaluate (so a run that made the monitor down is the
// one marked Failed).
func Runs(s Schedule, pings []Ping, now time.Time) []Run {
	// Lateness plays no part in runs: created=now puts it out of reach.
	f := newFold(s, now)
	f.fold(pings, now)
	return f.runs
}

// fold is the state of a monitor while its pings are applied in order.
type fold struct {
	s      Schedule
	plan   plan
	anchor time.Time // the last success or start; created before any
	status Status
	since  time.Time
	reason string
	runs   []Run
	open   []openRun
}

// openRun is a run that has started and not ended.
type openRun struct {
	run      int // index in fold.runs
	deadline time.Time
	timedOut bool // deadline passed (the monitor went down for it)
}

func newFold(s Schedule, created time.Time) *fold {
	return &fold{s: s, plan: s.plan(), anchor: created, status: Pending, since: created}
}

func (f *fold) fold(pings []Ping, now time.Time) {
	ps := make([]Ping, 0, len(pings))
	for _, p := range pings {
		if p.At.Compare(now) <= 0 {
			ps = append(ps, p)
		}
	}
	slices.SortStableFunc(ps, func(a, b Ping) int { return a.At.Compare(b.At) })
	for _, p := range ps {
		f.advance(p.At, false)
		f.apply(p)
	}
	f.advance(now, true)
}

// lateAt is when the job is late unless it pings; zero for never.
func (f *fold) lateAt() time.Time {
	next := f.plan.next(f.anchor)
	if next.IsZero() {
		return next
	}
	return next.Add(f.s.Grace)
}

// advance applies the deadlines that pass before t, or at t when inclusive.
// (A ping at a deadline meets it, so before a ping at t only earlier
// deadlines count; at the end of the fold, now's own deadline counts too.)
// Deadlines are compared with Compare and an operator, not Before, so that
// mutation testing can flip the boundary.
func (f *fold) advance(t time.Time, inclusive bool) {
	reached := func(d time.Time) bool {
		c := d.Compare(t)
		return c < 0 || inclusive && c == 0
	}
	var first time.Time
	var why string
	if f.status != Down {
		if d := f.lateAt(); !d.IsZero() && reached(d) {
			first, why = d, f.lateReason(d)
		}
	}
	for i := range f.open {
		o := &f.open[i]
		if o.timedOut || !reached(o.deadline) {
			continue
		}
		o.timedOut = true
		r := &f.runs[o.run]
		r.Failed, r.Reason = true, f.unfinishedReason(r.Start)
		if first.IsZero() || o.deadline.Before(first) {
			first, why = o.deadline, r.Reason
		}
	}
	if !first.IsZero() {
		f.down(first, why)
	}
}

func (f *fold) apply(p Ping) {
	switch p.Signal {
	case Start:
		f.start(p)
	case Success, Fail, Exit:
		f.end(p)
	}
	// Log and unknown signals change nothing.
}

func (f *fold) start(p Ping) {
	// A run that timed out is forgotten once the same run id starts again,
	// so that a crashed run is not paired with a later end.
	f.open = slices.DeleteFunc(f.open, func(o openRun) bool {
		return o.timedOut && f.runs[o.run].RunID == p.RunID
	})
	f.runs = append(f.runs, Run{Start: p.At, RunID: p.RunID})
	limit := f.s.Grace
	if f.s.MaxRun > 0 {
		limit = f.s.MaxRun
	}
	f.open = append(f.open, openRun{run: len(f.runs) - 1, deadline: p.At.Add(limit)})
	f.anchor = p.At
	if f.status == Pending {
		f.up(p.At)
	}
}

func (f *fold) end(p Ping) {
	r := &f.runs[f.closeRun(p)]
	r.End, r.ExitCode = p.At, p.ExitCode
	r.Failed, r.Reason = p.failed()
	if !r.Start.IsZero() {
		r.Duration = p.At.Sub(r.Start)
		// A failure the job reported keeps its own reason.
		if !r.Failed && r.Duration < f.s.MinRun {
			r.Failed = true
			r.Reason = "run took " + fmtDuration(r.Duration) + ", shorter than the minimum " + fmtDuration(f.s.MinRun)
		}
		if !r.Failed && f.s.MaxRun > 0 && r.Duration > f.s.MaxRun {
			r.Failed = true
			r.Reason = "run took " + fmtDuration(r.Duration) + ", longer than the maximum " + fmtDuration(f.s.MaxRun)
		}
	}
	if r.Failed {
		f.down(p.At, r.Reason)
		return
	}
	f.anchor = p.At
	f.up(p.At)
}

// closeRun removes the latest open run with p's run id and returns its
// index in runs, or adds a run without a start for p.
func (f *fold) closeRun(p Ping) int {
	for i := len(f.open) - 1; i >= 0; i-- {
		if o := f.open[i]; f.runs[o.run].RunID == p.RunID {
			f.open = slices.Delete(f.open, i, i+1)
			return o.run
		}
	}
	f.runs = append(f.runs, Run{RunID: p.RunID})
	return len(f.runs) - 1
}

func (f *fold) down(at time.Time, why string) {
	if f.status != Down {
		f.status, f.since, f.reason = Down, at, why
	}
}

func (f *fold) up(at time.Time) {
	if f.status != Up {
		f.status, f.since, f.reason = Up, at, ""
	}
}

func (f *fold) verdict() Verdict {
	v := Verdict{Status: f.status, Since: f.since, Reason: f.reason}
	if f.status == Down {
		return v
	}
	v.NextDeadline = f.lateAt()
	for _, o := range f.open {
		if !o.timedOut && (v.NextDeadline.IsZero() || o.deadline.Before(v.NextDeadline)) {
			v.NextDeadline = o.deadline
		}
	}
	if f.status == Pending {
		v.Reason = "waiting for the first ping, expected by " + f.fmtTime(v.NextDeadline)
	}
	return v
}

func (f *fold) lateReason(deadline time.Time) string {
	last := "never pinged"
	if f.status != Pending {
		last = "last ping " + f.fmtTime(f.anchor)
	}
	return "late: expected by " + f.fmtTime(deadline) + " (grace " + fmtDuration(f.s.Grace) + "), " + last
}

func (f *fold) unfinishedReason(start time.Time) string {
	limit := "grace " + fmtDuration(f.s.Grace)
	if f.s.MaxRun > 0 {
		limit = "max run time " + fmtDuration(f.s.MaxRun)
	}
	return "started " + f.fmtTime(start) + " and never finished (" + limit + ")"
}

// fmtTime writes t in the schedule's zone (UTC for a period schedule).
func (f *fold) fmtTime(t time.Time) string {
	return t.In(f.plan.loc).Format("2006-01-02 15:04:05 MST")
}
