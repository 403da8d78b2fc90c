package probe

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/heartbeat"
)

// Error classes of heartbeat monitors: the job did not ping in time, or it
// reported (or its run times showed) a failure.
const (
	ClassLate      ErrorClass = "late"
	ClassRunFailed ErrorClass = "run_failed"
)

// Heartbeat is a job that reports to BetterStack by pinging its URL instead
// of being probed: its settings are the schedule it is expected to keep
// (see package heartbeat). Durations are written like "90s", "5m", "1h30m"
// or "2d"; an empty string is unset.
type Heartbeat struct {
	Period string `json:"period,omitempty"`  // a ping every Period; or Cron
	Cron   string `json:"cron,omitempty"`    // five-field cron expression; or Period
	TZ     string `json:"tz,omitempty"`      // IANA zone of Cron; "" is UTC
	Grace  string `json:"grace"`             // how late a ping may be
	MinRun string `json:"min_run,omitempty"` // a shorter run fails
	MaxRun string `json:"max_run,omitempty"` // a longer run fails
}

var _ Check = (*Heartbeat)(nil)

// heartbeatKind registers Heartbeat as "heartbeat": never scheduled, its
// results come from the pings the job sends.
var heartbeatKind = Kind{
	Name:      "heartbeat",
	Title:     "Heartbeat (cron job)",
	Scheduled: false,
	New:       func() Check { return &Heartbeat{Grace: "5m"} },
	Fields: []Field{
		{Name: "period", Label: "Period", Type: FieldText,
			Help: "A ping is expected this often (1m to 400d), e.g. 1h; leave empty when a cron expression is set.", Placeholder: "1h"},
		{Name: "cron", Label: "Cron expression", Type: FieldText,
			Help: "Five fields: minute hour day-of-month month day-of-week; replaces the period.", Placeholder: "0 3 * * *"},
		{Name: "tz", Label: "Time zone", Type: FieldText,
			Help: "IANA zone the cron expression is read in; empty is UTC.", Placeholder: "Europe/Berlin"},
		{Name: "grace", Label: "Grace time", Type: FieldText, Required: true,
			Help: "How late a ping may be before the job counts as late (1m to 400d).", Placeholder: "5m"},
		{Name: "min_run", Label: "Minimum run time", Type: FieldText,
			Help: "A run (start to end) shorter than this fails; empty for none.", Placeholder: "30s"},
		{Name: "max_run", Label: "Maximum run time", Type: FieldText,
			Help: "A run longer than this fails, as does a start without an end by then; empty for none.", Placeholder: "2h"},
	},
}

// Schedule returns the settings as a heartbeat.Schedule. A duration that
// does not parse is reported as a validation error naming its field.
func (c *Heartbeat) Schedule() (heartbeat.Schedule, error) {
	bad := apperr.Fields{}
	dur := func(field, v string) time.Duration {
		d, err := ParseDuration(v)
		if err != nil {
			bad.Add("check."+field, err.Error())
		}
		return d
	}
	s := heartbeat.Schedule{
		Period: dur("period", c.Period), Grace: dur("grace", c.Grace),
		Cron: strings.TrimSpace(c.Cron), TZ: strings.TrimSpace(c.TZ),
		MinRun: dur("min_run", c.MinRun), MaxRun: dur("max_run", c.MaxRun),
	}
	return s, bad.Err()
}

// Validate implements Check.
func (c *Heartbeat) Validate() error {
	s, err := c.Schedule()
	if err != nil {
		return err
	}
	return s.Validate()
}

// Target implements Check: "every 1h (grace 5m)" or
// "cron 0 3 * * * Europe/Berlin (grace 5m)".
func (c *Heartbeat) Target() string {
	if c.Cron != "" {
		tz := c.TZ
		if tz == "" {
			tz = "UTC"
		}
		return "cron " + strings.TrimSpace(c.Cron) + " " + tz + " (grace " + c.Grace + ")"
	}
	return "every " + c.Period + " (grace " + c.Grace + ")"
}

// Run implements Check. Heartbeats are never probed (the pusher does not
// schedule them); a job for one that reaches a worker anyway says so.
func (c *Heartbeat) Run(context.Context, *Env) Result {
	return Result{Status: StatusDown, ErrorClass: ClassInternal, Error: "heartbeat monitors are not probed: the job pings its URL"}
}

// errBadDuration is ParseDuration's answer to what it cannot read.
var errBadDuration = errors.New("must be a duration such as 90s, 5m, 1h30m or 2d")

// ParseDuration reads a duration as users write them in check settings:
// Go's form ("90s", "1h30m") plus whole days ("2d"); "" is zero.
func ParseDuration(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	if n, ok := strings.CutSuffix(v, "d"); ok {
		d, err := strconv.Atoi(n)
		if err != nil || d < 0 || d > 100000 {
			return 0, errBadDuration
		}
		return time.Duration(d) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, errBadDuration
	}
	return d, nil
}
