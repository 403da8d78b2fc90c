package heartbeat

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

const (
	ns = time.Nanosecond
	s1 = time.Second
	m  = time.Minute
	h  = time.Hour
)

// t0 is when the monitors below were created: 2026-06-01 12:00:00 UTC.
var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func rid(ids []string) string {
	if len(ids) > 0 {
		return ids[0]
	}
	return ""
}

func success(d time.Duration, id ...string) Ping {
	return Ping{At: at(d), Signal: Success, RunID: rid(id)}
}
func start(d time.Duration, id ...string) Ping { return Ping{At: at(d), Signal: Start, RunID: rid(id)} }
func fail(d time.Duration, id ...string) Ping  { return Ping{At: at(d), Signal: Fail, RunID: rid(id)} }
func exit(d time.Duration, code int, id ...string) Ping {
	return Ping{At: at(d), Signal: Exit, ExitCode: code, RunID: rid(id)}
}
func logPing(d time.Duration) Ping { return Ping{At: at(d), Signal: Log} }

// hourly is the period schedule most cases use: a ping every hour, five
// minutes' grace.
var hourly = Schedule{Period: h, Grace: 5 * m}

func with(s Schedule, change func(*Schedule)) Schedule {
	change(&s)
	return s
}

type evalCase struct {
	name  string
	s     Schedule
	pings []Ping
	now   time.Time
	want  Verdict
}

func runEvalCases(t *testing.T, created time.Time, tests []evalCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.s.Validate(); err != nil {
				t.Fatal(err)
			}
			got := Evaluate(tt.s, created, tt.pings, tt.now)
			if !sameVerdict(got, tt.want) {
				t.Errorf("Evaluate =\n  %s\nwant\n  %s", verdictString(got), verdictString(tt.want))
			}
			// The order pings are given in does not matter.
			reversed := slices.Clone(tt.pings)
			slices.Reverse(reversed)
			if got := Evaluate(tt.s, created, reversed, tt.now); !sameVerdict(got, tt.want) {
				t.Errorf("with the pings reversed, Evaluate =\n  %s\nwant\n  %s", verdictString(got), verdictString(tt.want))
			}
		})
	}
}

func sameVerdict(a, b Verdict) bool {
	return a.Status == b.Status && a.Reason == b.Reason && a.Since.Equal(b.Since) && a.NextDeadline.Equal(b.NextDeadline)
}

func verdictString(v Verdict) string {
	when := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.UTC().Format("2006-01-02 15:04:05.999999999Z")
	}
	return fmt.Sprintf("%s since %s, next %s, %q", v.Status, when(v.Since), when(v.NextDeadline), v.Reason)
}

func TestEvaluatePeriod(t *testing.T) {
	runEvalCases(t, t0, []evalCase{
		{
			name: "pending until the first deadline",
			s:    hourly, now: at(h + 5*m - ns),
			want: Verdict{Status: Pending, Since: t0, NextDeadline: at(h + 5*m),
				Reason: "waiting for the first ping, expected by 2026-06-01 13:05:00 UTC"},
		},
		{
			name: "down at the first deadline without a ping",
			s:    hourly, now: at(h + 5*m),
			want: Verdict{Status: Down, Since: at(h + 5*m),
				Reason: "late: expected by 2026-06-01 13:05:00 UTC (grace 5m), never pinged"},
		},
		{
			name: "log pings are not pings",
			s:    hourly, pings: []Ping{logPing(10 * m), logPing(h)}, now: at(h + 5*m),
			want: Verdict{Status: Down, Since: at(h + 5*m),
				Reason: "late: expected by 2026-06-01 13:05:00 UTC (grace 5m), never pinged"},
		},
		{
			name: "pings of no known signal are ignored",
			s:    hourly, pings: []Ping{{At: at(10 * m)}}, now: at(20 * m),
			want: Verdict{Status: Pending, Since: t0, NextDeadline: at(h + 5*m),
				Reason: "waiting for the first ping, expected by 2026-06-01 13:05:00 UTC"},
		},
		{
			name: "a success brings it up and sets the next deadline",
			s:    hourly, pings: []Ping{success(10 * m)}, now: at(20 * m),
			want: Verdict{Status: Up, Since: at(10 * m), NextDeadline: at(h + 15*m)},
		},
		{
			name: "up is dated by the ping that brought it up",
			s:    hourly, pings: []Ping{success(10 * m), success(40 * m)}, now: at(50 * m),
			want: Verdict{Status: Up, Since: at(10 * m), NextDeadline: at(h + 45*m)},
		},
		{
			name: "a log ping does not move the deadline",
			s:    hourly, pings: []Ping{success(0), logPing(h)}, now: at(h + 5*m),
			want: Verdict{Status: Down, Since: at(h + 5*m),
				Reason: "late: expected by 2026-06-01 13:05:00 UTC (grace 5m), last ping 2026-06-01 12:00:00 UTC"},
		},
		{
			name: "up one nanosecond before the deadline",
			s:    hourly, pings: []Ping{success(0)}, now: at(h + 5*m - ns),
			want: Verdict{Status: Up, Since: t0, NextDeadline: at(h + 5*m)},
		},
		{
			name: "down at the deadline",
			s:    hourly, pings: []Ping{success(0)}, now: at(h + 5*m),
			want: Verdict{Status: Down, Since: at(h + 5*m),
				Reason: "late: expected by 2026-06-01 13:05:00 UTC (grace 5m), last ping 2026-06-01 12:00:00 UTC"},
		},
		{
			name: "a ping at the deadline meets it",
			s:    hourly, pings: []Ping{success(0), success(h + 5*m)}, now: at(h + 10*m),
			want: Verdict{Status: Up, Since: t0, NextDeadline: at(2*h + 10*m)},
		},
		{
			name: "a ping one nanosecond after the deadline ends an outage",
			s:    hourly, pings: []Ping{success(0), success(h + 5*m + ns)}, now: at(h + 10*m),
			want: Verdict{Status: Up, Since: at(h + 5*m + ns), NextDeadline: at(2*h + 10*m + ns)},
		},
		{
			name: "a ping at now counts",
			s:    hourly, pings: []Ping{success(0), success(h + 5*m)}, now: at(h + 5*m),
			want: Verdict{Status: Up, Since: t0, NextDeadline: at(2*h + 10*m)},
		},
		{
			name: "a ping after now is ignored",
			s:    hourly, pings: []Ping{success(0), success(h + 5*m + ns)}, now: at(h + 5*m),
			want: Verdict{Status: Down, Since: at(h + 5*m),
				Reason: "late: expected by 2026-06-01 13:05:00 UTC (grace 5m), last ping 2026-06-01 12:00:00 UTC"},
		},
		{
			name: "a fail ping is down until the next success",
			s:    hourly, pings: []Ping{success(0), fail(10 * m)}, now: at(5 * h),
			want: Verdict{Status: Down, Since: at(10 * m), Reason: "run reported failure"},
		},
		{
			name: "a non-zero exit code is a failure",
			s:    hourly, pings: []Ping{success(0), exit(10*m, 3)}, now: at(11 * m),
			want: Verdict{Status: Down, Since: at(10 * m), Reason: "run failed with exit code 3"},
		},
		{
			name: "exit code 0 is a success",
			s:    hourly, pings: []Ping{exit(10*m, 0)}, now: at(11 * m),
			want: Verdict{Status: Up, Since: at(10 * m), NextDeadline: at(h + 15*m)},
		},
		{
			name: "a failure as the first ping",
			s:    hourly, pings: []Ping{fail(10 * m)}, now: at(11 * m),
			want: Verdict{Status: Down, Since: at(10 * m), Reason: "run reported failure"},
		},
		{
			name: "a success after a failure",
			s:    hourly, pings: []Ping{fail(10 * m), success(20 * m)}, now: at(21 * m),
			want: Verdict{Status: Up, Since: at(20 * m), NextDeadline: at(h + 25*m)},
		},
		{
			name: "a start does not end an outage",
			s:    hourly, pings: []Ping{fail(10 * m), start(20 * m)}, now: at(21 * m),
			want: Verdict{Status: Down, Since: at(10 * m), Reason: "run reported failure"},
		},
		{
			name: "late, then a success",
			s:    hourly, pings: []Ping{success(0), success(3 * h)}, now: at(3*h + m),
			want: Verdict{Status: Up, Since: at(3 * h), NextDeadline: at(4*h + 5*m)},
		},
		{
			name: "a failure during an outage does not re-date it",
			s:    hourly, pings: []Ping{success(0), fail(2 * h)}, now: at(3 * h),
			want: Verdict{Status: Down, Since: at(h + 5*m),
				Reason: "late: expected by 2026-06-01 13:05:00 UTC (grace 5m), last ping 2026-06-01 12:00:00 UTC"},
		},
	})
}

func TestEvaluateRuns(t *testing.T) {
	runEvalCases(t, t0, []evalCase{
		{
			name: "a start ends pending; the run must end within the grace",
			s:    hourly, pings: []Ping{start(10 * m)}, now: at(11 * m),
			want: Verdict{Status: Up, Since: at(10 * m), NextDeadline: at(15 * m)},
		},
		{
			name: "a start that never ends: up one nanosecond before the grace is over",
			s:    hourly, pings: []Ping{success(0), start(30 * m)}, now: at(35*m - ns),
			want: Verdict{Status: Up, Since: t0, NextDeadline: at(35 * m)},
		},
		{
			name: "a start that never ends: down when the grace is over",
			s:    hourly, pings: []Ping{success(0), start(30 * m)}, now: at(35 * m),
			want: Verdict{Status: Down, Since: at(35 * m),
				Reason: "started 2026-06-01 12:30:00 UTC and never finished (grace 5m)"},
		},
		{
			name: "an end at the run deadline meets it",
			s:    hourly, pings: []Ping{success(0), start(30 * m), success(35 * m)}, now: at(36 * m),
			want: Verdict{Status: Up, Since: t0, NextDeadline: at(h + 40*m)},
		},
		{
			// Measured from the success at t0 it would be late at 13:05.
			name:  "a start is on schedule: a run longer than the grace is not late",
			s:     with(hourly, func(s *Schedule) { s.MaxRun = 55 * m }),
			pings: []Ping{success(0), start(h), success(h + 50*m)}, now: at(h + 51*m),
			want: Verdict{Status: Up, Since: t0, NextDeadline: at(2*h + 55*m)},
		},
		{
			name:  "max run: up one nanosecond before it",
			s:     with(hourly, func(s *Schedule) { s.MaxRun = 20 * m }),
			pings: []Ping{success(0), start(30 * m)}, now: at(50*m - ns),
			want: Verdict{Status: Up, Since: t0, NextDeadline: at(50 * m)},
		},
		{
			name:  "max run: down when a run has not ended by then",
			s:     with(hourly, func(s *Schedule) { s.MaxRun = 20 * m }),
			pings: []Ping{success(0), start(30 * m)}, now: at(50 * m),
			want: Verdict{Status: Down, Since: at(50 * m),
				Reason: "started 2026-06-01 12:30:00 UTC and never finished (max run time 20m)"},
		},
		{
			name:  "max run: a run of exactly the maximum passes",
			s:     with(hourly, func(s *Schedule) { s.MaxRun = h }),
			pings: []Ping{start(0), success(h)}, now: at(h + m),
			want: Verdict{Status: Up, Since: t0, NextDeadline: at(2*h + 5*m)},
		},
		{
			name:  "max run: a longer run is down from the maximum on",
			s:     with(hourly, func(s *Schedule) { s.MaxRun = h }),
			pings: []Ping{start(0), success(h + s1)}, now: at(h + 2*m),
			want: Verdict{Status: Down, Since: at(h),
				Reason: "started 2026-06-01 12:00:00 UTC and never finished (max run time 1h)"},
		},
		{
			name:  "without a max run, a run that ends after the grace brings it back up",
			s:     hourly,
			pings: []Ping{start(0), success(10 * m)}, now: at(11 * m),
			want: Verdict{Status: Up, Since: at(10 * m), NextDeadline: at(h + 15*m)},
		},
		{
			name:  "min run: a run of exactly the minimum passes",
			s:     with(hourly, func(s *Schedule) { s.MinRun = m }),
			pings: []Ping{start(0), success(m)}, now: at(2 * m),
			want: Verdict{Status: Up, Since: t0, NextDeadline: at(h + 6*m)},
		},
		{
			name:  "min run: a shorter run fails",
			s:     with(hourly, func(s *Schedule) { s.MinRun = m }),
			pings: []Ping{start(0), success(59 * s1)}, now: at(2 * m),
			want: Verdict{Status: Down, Since: at(59 * s1),
				Reason: "run took 59s, shorter than the minimum 1m"},
		},
		{
			name:  "min run: an end that closes no start has no duration to check",
			s:     with(hourly, func(s *Schedule) { s.MinRun = m }),
			pings: []Ping{start(0, "a"), success(10*s1, "z")}, now: at(20 * s1),
			want: Verdict{Status: Up, Since: t0, NextDeadline: at(5 * m)},
		},
		{
			// a finishes first; pairing the first end with the latest start
			// would make b a 2-minute run and fail it.
			name:  "run ids pair two concurrent runs that finish in the opposite order",
			s:     with(hourly, func(s *Schedule) { s.MinRun = 3 * m }),
			pings: []Ping{start(0, "a"), start(m, "b"), success(3*m, "a"), success(4*m, "b")},
			now:   at(5 * m),
			want:  Verdict{Status: Up, Since: t0, NextDeadline: at(h + 9*m)},
		},
		{
			name:  "the run id's own end fails it",
			s:     hourly,
			pings: []Ping{start(0, "a"), start(m, "b"), exit(3*m, 2, "a")},
			now:   at(4 * m),
			want:  Verdict{Status: Down, Since: at(3 * m), Reason: "run failed with exit code 2"},
		},
		{
			// The crashed run (t0) is forgotten when the next run starts, so
			// the plain success at 2h closes nothing instead of closing it as
			// a two-hour run.
			name:  "a run that timed out is forgotten at the next start with its run id",
			s:     with(hourly, func(s *Schedule) { s.MaxRun = 10 * m }),
			pings: []Ping{start(0), start(h), success(h + m), success(2 * h)}, now: at(2*h + m),
			want: Verdict{Status: Up, Since: at(h + m), NextDeadline: at(3*h + 5*m)},
		},
		{
			name:  "a run that timed out is kept when another run id starts",
			s:     with(hourly, func(s *Schedule) { s.MaxRun = 10 * m }),
			pings: []Ping{start(0, "x"), start(h, "y"), success(h+m, "x")}, now: at(h + 2*m),
			want: Verdict{Status: Down, Since: at(10 * m),
				Reason: "started 2026-06-01 12:00:00 UTC and never finished (max run time 10m)"},
		},
		{
			name:  "a run that timed out sets no deadline",
			s:     with(hourly, func(s *Schedule) { s.MaxRun = 10 * m }),
			pings: []Ping{start(0, "x"), success(20*m, "y")}, now: at(21 * m),
			want: Verdict{Status: Up, Since: at(20 * m), NextDeadline: at(h + 25*m)},
		},
		{
			name:  "the earliest open run sets the deadline",
			s:     with(hourly, func(s *Schedule) { s.MaxRun = 20 * m }),
			pings: []Ping{success(0), start(10*m, "a"), start(5*m, "b"), start(15*m, "c")}, now: at(16 * m),
			want: Verdict{Status: Up, Since: t0, NextDeadline: at(25 * m)},
		},
		{
			name:  "lateness before an unfinished run: the outage starts when it was late",
			s:     with(hourly, func(s *Schedule) { s.MaxRun = 2 * h }),
			pings: []Ping{success(0), start(10 * m)}, now: at(3 * h),
			want: Verdict{Status: Down, Since: at(h + 15*m),
				Reason: "late: expected by 2026-06-01 13:15:00 UTC (grace 5m), last ping 2026-06-01 12:10:00 UTC"},
		},
		{
			name:  "lateness and an unfinished run at the same instant: late is the reason",
			s:     with(hourly, func(s *Schedule) { s.MaxRun = h + 5*m }),
			pings: []Ping{success(0), start(10 * m)}, now: at(3 * h),
			want: Verdict{Status: Down, Since: at(h + 15*m),
				Reason: "late: expected by 2026-06-01 13:15:00 UTC (grace 5m), last ping 2026-06-01 12:10:00 UTC"},
		},
		{
			name:  "an unfinished run before lateness: the outage starts when the run should have ended",
			s:     hourly,
			pings: []Ping{success(0), start(10 * m)}, now: at(3 * h),
			want: Verdict{Status: Down, Since: at(15 * m),
				Reason: "started 2026-06-01 12:10:00 UTC and never finished (grace 5m)"},
		},
	})
}

func TestEvaluateCron(t *testing.T) {
	berlin := Schedule{Cron: "30 2 * * *", TZ: "Europe/Berlin", Grace: 10 * m}
	newYork := Schedule{Cron: "30 2 * * *", TZ: "America/New_York", Grace: 10 * m}
	hourlyCron := Schedule{Cron: "0 * * * *", Grace: 5 * m}
	ping := func(s string) Ping { return Ping{At: utc(t, s), Signal: Success} }
	created := utc(t, "2026-03-01 00:00")
	runEvalCases(t, created, []evalCase{
		{
			name: "pending until the first cron time plus grace",
			s:    hourlyCron, now: utc(t, "2026-03-01 01:05").Add(-ns),
			want: Verdict{Status: Pending, Since: created, NextDeadline: utc(t, "2026-03-01 01:05"),
				Reason: "waiting for the first ping, expected by 2026-03-01 01:05:00 UTC"},
		},
		{
			name: "late: the first cron time after the last success, plus grace",
			s:    hourlyCron, pings: []Ping{ping("2026-03-02 12:00:30")}, now: utc(t, "2026-03-02 13:05"),
			want: Verdict{Status: Down, Since: utc(t, "2026-03-02 13:05"),
				Reason: "late: expected by 2026-03-02 13:05:00 UTC (grace 5m), last ping 2026-03-02 12:00:30 UTC"},
		},
		{
			name: "Berlin spring forward: 02:30 is expected at 03:00 CEST",
			s:    berlin, pings: []Ping{ping("2026-03-28 01:31")}, now: utc(t, "2026-03-29 01:10"),
			want: Verdict{Status: Down, Since: utc(t, "2026-03-29 01:10"),
				Reason: "late: expected by 2026-03-29 03:10:00 CEST (grace 10m), last ping 2026-03-28 02:31:00 CET"},
		},
		{
			name: "Berlin spring forward: a job run at 03:00 CEST is on time",
			s:    berlin, pings: []Ping{ping("2026-03-28 01:31"), ping("2026-03-29 01:00:30")}, now: utc(t, "2026-03-29 12:00"),
			want: Verdict{Status: Up, Since: utc(t, "2026-03-28 01:31"), NextDeadline: utc(t, "2026-03-30 00:40")},
		},
		{
			name: "Berlin fall back: the second 02:30 expects nothing",
			s:    berlin, pings: []Ping{ping("2026-10-25 00:31")}, now: utc(t, "2026-10-25 01:45"),
			want: Verdict{Status: Up, Since: utc(t, "2026-10-25 00:31"), NextDeadline: utc(t, "2026-10-26 01:40")},
		},
		{
			name: "New York spring forward: 02:30 is expected at 03:00 EDT",
			s:    newYork, pings: []Ping{ping("2026-03-07 07:31")}, now: utc(t, "2026-03-08 07:10"),
			want: Verdict{Status: Down, Since: utc(t, "2026-03-08 07:10"),
				Reason: "late: expected by 2026-03-08 03:10:00 EDT (grace 10m), last ping 2026-03-07 02:31:00 EST"},
		},
		{
			name:  "New York fall back: up through the repeated hour",
			s:     Schedule{Cron: "30 1 * * *", TZ: "America/New_York", Grace: 10 * m},
			pings: []Ping{ping("2026-11-01 05:31")}, now: utc(t, "2026-11-01 06:45"),
			want: Verdict{Status: Up, Since: utc(t, "2026-11-01 05:31"), NextDeadline: utc(t, "2026-11-02 06:40")},
		},
	})
}

func TestRuns(t *testing.T) {
	tests := []struct {
		name  string
		s     Schedule
		pings []Ping
		now   time.Time
		want  []Run
	}{
		{
			name:  "concurrent runs pair by run id",
			s:     hourly,
			pings: []Ping{start(0, "a"), start(m, "b"), exit(3*m, 0, "a"), exit(4*m, 2, "b")},
			now:   at(5 * m),
			want: []Run{
				{Start: at(0), End: at(3 * m), Duration: 3 * m, RunID: "a"},
				{Start: at(m), End: at(4 * m), Duration: 3 * m, ExitCode: 2, RunID: "b", Failed: true, Reason: "run failed with exit code 2"},
			},
		},
		{
			name:  "without run ids an end closes the latest open start",
			s:     hourly,
			pings: []Ping{start(0), start(m), success(2 * m)},
			now:   at(3 * m),
			want: []Run{
				{Start: at(0)},
				{Start: at(m), End: at(2 * m), Duration: m},
			},
		},
		{
			name:  "a run that did not finish in time",
			s:     hourly,
			pings: []Ping{start(0)},
			now:   at(5 * m),
			want:  []Run{{Start: at(0), Failed: true, Reason: "started 2026-06-01 12:00:00 UTC and never finished (grace 5m)"}},
		},
		{
			name:  "a run still within its time",
			s:     hourly,
			pings: []Ping{start(0)},
			now:   at(5*m - ns),
			want:  []Run{{Start: at(0)}},
		},
		{
			name:  "a late end records the duration and fails a max run",
			s:     with(hourly, func(s *Schedule) { s.MaxRun = h }),
			pings: []Ping{start(0), success(h + s1)},
			now:   at(2 * h),
			want: []Run{{Start: at(0), End: at(h + s1), Duration: h + s1, Failed: true,
				Reason: "run took 1h0m1s, longer than the maximum 1h"}},
		},
		{
			name:  "a late end without a max run passes",
			s:     hourly,
			pings: []Ping{start(0), success(10 * m)},
			now:   at(h),
			want:  []Run{{Start: at(0), End: at(10 * m), Duration: 10 * m}},
		},
		{
			name:  "an end that closes no start, and log pings",
			s:     hourly,
			pings: []Ping{logPing(0), exit(m, 3), fail(2 * m), logPing(3 * m)},
			now:   at(h),
			want: []Run{
				{End: at(m), ExitCode: 3, Failed: true, Reason: "run failed with exit code 3"},
				{End: at(2 * m), Failed: true, Reason: "run reported failure"},
			},
		},
		{
			name:  "a start and its end at the same instant, in that order",
			s:     hourly,
			pings: []Ping{start(m), success(m)},
			now:   at(h),
			want:  []Run{{Start: at(m), End: at(m)}},
		},
		{
			name:  "pings after now are not runs yet",
			s:     hourly,
			pings: []Ping{start(0), success(h + ns)},
			now:   at(h),
			want:  []Run{{Start: at(0), Failed: true, Reason: "started 2026-06-01 12:00:00 UTC and never finished (grace 5m)"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Runs(tt.s, tt.pings, tt.now)
			if len(got) != len(tt.want) {
				t.Fatalf("Runs = %+v, want %+v", got, tt.want)
			}
			for i := range got {
				g, w := got[i], tt.want[i]
				if !g.Start.Equal(w.Start) || !g.End.Equal(w.End) || g.Duration != w.Duration || g.ExitCode != w.ExitCode ||
					g.RunID != w.RunID || g.Failed != w.Failed || g.Reason != w.Reason {
					t.Errorf("run %d = %+v\nwant %+v", i, g, w)
				}
			}
		})
	}
}
