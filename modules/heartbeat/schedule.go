package heartbeat

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// cronParser reads exactly minute, hour, day of month, month, day of week.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

// cronHorizon is how far ahead a cron time is looked for. Every expression
// that can match at all matches within it: the rarest, 29 February, is at
// most eight years apart (2096 to 2104).
const cronHorizon = 10 // years

// cronSpec is a parsed expression: bit n of a field is set when n matches.
type cronSpec struct {
	minute, hour, dom, month, dow uint64
	// domStar and dowStar are set when the field was "*" (or "*/1"): then
	// the day must match both fields, otherwise either (cron's rule for
	// "0 0 1 * MON": the 1st and every Monday).
	domStar, dowStar bool
}

// starBit is robfig/cron's mark for a field written as "*".
const starBit = 1 << 63

func parseCron(expr string) (cronSpec, error) {
	if n := len(strings.Fields(expr)); n != 5 {
		return cronSpec{}, fmt.Errorf("must have 5 fields (minute hour day-of-month month day-of-week), not %d", n)
	}
	sched, err := cronParser.Parse(expr)
	if err != nil {
		return cronSpec{}, fmt.Errorf("not a cron expression: %v", err)
	}
	ss := sched.(*cron.SpecSchedule) // the only kind a parser without descriptors returns
	c := cronSpec{
		minute: ss.Minute, hour: ss.Hour, month: ss.Month,
		dom: ss.Dom &^ starBit, dow: ss.Dow &^ starBit,
		domStar: ss.Dom&starBit != 0, dowStar: ss.Dow&starBit != 0,
	}
	start := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, ok := c.nextWall(start, start.AddDate(cronHorizon, 0, 0)); !ok {
		return cronSpec{}, errors.New("never matches a date (such as 30 February)")
	}
	return c, nil
}

func loadZone(name string) (*time.Location, error) {
	if name == "Local" { // the server's zone: not something a user can mean
		return nil, errors.New(`use an IANA zone name such as "Europe/Berlin"`)
	}
	loc, err := time.LoadLocation(name) // "" is UTC
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q: use an IANA name such as \"Europe/Berlin\"", name)
	}
	return loc, nil
}

// dayMatches reports whether the civil date of w matches the day fields.
func (c cronSpec) dayMatches(w time.Time) bool {
	dom := c.dom&(1<<uint(w.Day())) != 0
	dow := c.dow&(1<<uint(w.Weekday())) != 0
	if c.domStar || c.dowStar {
		return dom && dow
	}
	return dom || dow
}

// nextWall returns the first wall-clock minute at or after w that matches,
// looking no further than limit. Wall times are civil times carried in a
// time.Time in UTC, where days have no gaps and no repeats.
func (c cronSpec) nextWall(w, limit time.Time) (time.Time, bool) {
	for w.Before(limit) {
		if c.month&(1<<uint(w.Month())) == 0 {
			w = time.Date(w.Year(), w.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 1, 0)
			continue
		}
		if !c.dayMatches(w) {
			w = time.Date(w.Year(), w.Month(), w.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
			continue
		}
		if c.hour&(1<<uint(w.Hour())) == 0 {
			w = w.Truncate(time.Hour).Add(time.Hour)
			continue
		}
		if c.minute&(1<<uint(w.Minute())) == 0 {
			w = w.Add(time.Minute)
			continue
		}
		return w, true
	}
	return time.Time{}, false
}

// instant returns when the wall time w happens in loc: its first occurrence
// when the clocks show it twice, the moment they jump past it when they skip
// it. The offsets in force two days before and after w cover any change
// near it (no zone changes its clocks twice in four days); the one before
// is tried first, and at a fall-back it is the larger one, so it gives the
// earlier instant.
func instant(w time.Time, loc *time.Location) time.Time {
	for _, probe := range [2]time.Duration{-48 * time.Hour, 48 * time.Hour} {
		_, off := w.Add(probe).In(loc).Zone()
		t := w.Add(-time.Duration(off) * time.Second)
		if _, got := t.In(loc).Zone(); got == off {
			return t.In(loc)
		}
	}
	// Skipped: on the old offset w falls after the change, inside the new
	// zone, which starts at the change.
	_, off := w.Add(-48 * time.Hour).In(loc).Zone()
	start, _ := w.Add(-time.Duration(off) * time.Second).In(loc).ZoneBounds()
	return start.In(loc)
}

// next returns the first expected instant after after, or the zero time.
func (c cronSpec) next(after time.Time, loc *time.Location) time.Time {
	a := after.In(loc)
	// Wall times map to instants in order (first occurrences only), so no
	// wall time before after's own can be expected after it.
	w := time.Date(a.Year(), a.Month(), a.Day(), a.Hour(), a.Minute(), 0, 0, time.UTC)
	limit := w.AddDate(cronHorizon, 0, 0)
	for {
		m, ok := c.nextWall(w, limit)
		if !ok {
			return time.Time{}
		}
		if t := instant(m, loc); t.Compare(after) > 0 {
			return t
		}
		w = m.Add(time.Minute)
	}
}

// plan is a Schedule made ready for computing: parsed once per call.
type plan struct {
	period time.Duration
	cron   *cronSpec
	loc    *time.Location
}

func (s Schedule) plan() plan {
	if s.Cron == "" {
		return plan{period: s.Period, loc: time.UTC}
	}
	c, err := parseCron(s.Cron)
	loc, zerr := loadZone(s.TZ)
	if err != nil || zerr != nil {
		return plan{loc: time.UTC} // invalid: nothing is ever expected
	}
	return plan{cron: &c, loc: loc}
}

// next is the first expected time after after; the zero time for never.
func (p plan) next(after time.Time) time.Time {
	if p.cron != nil {
		return p.cron.next(after, p.loc)
	}
	if p.period > 0 {
		return after.Add(p.period)
	}
	return time.Time{}
}

// Next returns the first time a ping is expected after after. For a period
// schedule that is after+Period (pass the last ping); for a cron schedule it
// is the next matching time, in the schedule's zone, strictly after after.
// It returns the zero time for an invalid schedule.
func (s Schedule) Next(after time.Time) time.Time {
	return s.plan().next(after)
}

// NextN returns the next n expected times after after (the dashboard's "next
// five"), fewer if the schedule is invalid.
func (s Schedule) NextN(after time.Time, n int) []time.Time {
	p := s.plan()
	var out []time.Time
	for range n {
		after = p.next(after)
		if after.IsZero() {
			break
		}
		out = append(out, after)
	}
	return out
}

// fmtDuration writes d without trailing zero units: 5m, 1h30m, 2s.
func fmtDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") { // 1h5m0s, 5m0s
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") { // 1h0m (from 1h0m0s)
		s = s[:len(s)-2]
	}
	return s
}
