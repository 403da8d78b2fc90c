// Package sla computes SLA reports of one monitor over a period: uptime,
// downtime, degraded and maintenance time, incidents and latency
// percentiles, for the whole period (Report) or per UTC day (Daily, CSV).
//
// It owns no tables. Data enters read-only through small interfaces it
// declares: incidents and maintenance windows from incident.Service
// (Intervals, MaintenanceSpans), daily rollups from tick.Service (Daily) and
// ownership from monitor.Service (Get). It leaves through
// GET /api/v1/monitors/{id}/sla, as JSON or, with format=csv, per day.
//
// Rules (Compute and PerDay apply them; every report repeats them in
// "rules"). The period is [from, to) in UTC; a period reaching past now
// ends now, and one reaching back before the monitor was created starts
// at its creation (unmonitored time is not uptime). All times are clipped to the period.
//   - maintenance: the union of the occurrences of the maintenance windows
//     covering the monitor, counted only from when each window was declared
//     (created), one-off and weekly (a weekly window starts at its
//     local wall-clock time in its time zone, across DST changes, and lasts
//     its duration in real time);
//   - downtime: time during which a "down" incident of the monitor was open
//     (started_at to resolved_at, or to now while open), minus maintenance;
//   - degraded: time during which a "degraded" incident was open, minus
//     maintenance and downtime; it does not count as downtime;
//   - uptime_percent: 100 × (1 − downtime / (period − maintenance)), 100
//     when the period is all maintenance; rounded down to 3 decimals, so a
//     report never shows more uptime than there was (99.9996 shows 99.999,
//     not 100);
//   - incidents: "down" incidents with time in the period outside
//     maintenance; longest and mttr (mean time to resolve, the mean duration)
//     use the same time that counts as downtime, 0 when there are none. Per
//     day, an incident spanning midnight counts on each day it touches;
//   - latency: p50/p95/p99 of successful checks from the daily rollups of
//     every UTC day the period touches (whole days), across regions; they
//     are estimates interpolated inside fixed histogram buckets
//     (tick.BucketBounds), not exact percentiles; null without checks.
package sla

import (
	"math"
	"time"

	"github.com/betterstack/betterstack/modules/tick"
)

// MaxPeriod is the longest period a report covers.
const MaxPeriod = 400 * 24 * time.Hour

// DefaultPeriod is the period of a report when none is given: it ends now.
const DefaultPeriod = 30 * 24 * time.Hour

const day = 24 * time.Hour

// Rules states how a report's figures are computed.
type Rules struct {
	Downtime      string `json:"downtime"`
	Maintenance   string `json:"maintenance"`
	Degraded      string `json:"degraded"`
	UptimePercent string `json:"uptime_percent"`
	Latency       string `json:"latency"`
	Incidents     string `json:"incidents"`
}

// rules is returned with every report; the package doc says the same.
var rules = Rules{
	Downtime:      "time during which a down incident of the monitor was open (started_at to resolved_at, or to now while open), clipped to [from, to), minus maintenance",
	Maintenance:   "union of the maintenance windows covering the monitor within [from, to): one-off windows, and weekly windows starting at their local time in their time zone (DST-aware) and lasting their duration; a window counts only from when it was declared, so one created afterwards cannot excuse a past outage",
	Degraded:      "time during which a degraded incident was open, clipped to [from, to), minus maintenance and downtime; it does not count as downtime",
	UptimePercent: "100 × (1 − downtime / (period − maintenance)), 100 when that is 0; rounded down to 3 decimals",
	Latency:       "p50/p95/p99 in ms of successful checks across regions over the UTC days the period touches, estimated by interpolation inside fixed histogram buckets (25, 50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000, 30000 ms, +inf); null without checks",
	Incidents:     "down incidents with time in [from, to) outside maintenance; longest_incident_seconds and mttr_seconds (mean duration) count the same time as downtime; 0 when none; per day, an incident spanning midnight counts on each day",
}

// Interval is a period [Start, End).
type Interval struct {
	Start time.Time
	End   time.Time
}

// Latency holds latency percentiles in milliseconds; nil without checks.
type Latency struct {
	P50 *float64 `json:"p50"`
	P95 *float64 `json:"p95"`
	P99 *float64 `json:"p99"`
}

// Report is a monitor's SLA over [From, To).
type Report struct {
	MonitorID              int64     `json:"monitor_id"`
	From                   time.Time `json:"from"`
	To                     time.Time `json:"to"`
	UptimePercent          float64   `json:"uptime_percent"`
	DowntimeSeconds        float64   `json:"downtime_seconds"`
	DegradedSeconds        float64   `json:"degraded_seconds"`
	MaintenanceSeconds     float64   `json:"maintenance_seconds"`
	Incidents              int       `json:"incidents"`
	LongestIncidentSeconds float64   `json:"longest_incident_seconds"`
	MTTRSeconds            float64   `json:"mttr_seconds"`
	Latency                Latency   `json:"latency_ms"`
	Checks                 int64     `json:"checks"`
	FailedChecks           int64     `json:"failed_checks"`
	Rules                  Rules     `json:"rules"`
}

// Day is the SLA of one UTC day, or of its part inside the period.
type Day struct {
	Date               string  `json:"date"` // YYYY-MM-DD
	UptimePercent      float64 `json:"uptime_percent"`
	DowntimeSeconds    float64 `json:"downtime_seconds"`
	DegradedSeconds    float64 `json:"degraded_seconds"`
	MaintenanceSeconds float64 `json:"maintenance_seconds"`
	Incidents          int     `json:"incidents"`
	Latency            Latency `json:"latency_ms"`
}

// Compute applies the rules to the monitor's down and degraded incidents,
// maintenance occurrences (in any order, overlapping or not) and daily
// rollups (per region or merged). Pure.
func Compute(from, to time.Time, down, degraded, maintenance []Interval, days []tick.Rollup) Report {
	from, to = from.UTC(), to.UTC()
	if to.Before(from) {
		to = from
	}
	maint := union(clip(maintenance, from, to))
	downtime := subtract(union(clip(down, from, to)), maint)
	slow := subtract(subtract(union(clip(degraded, from, to)), maint), downtime)
	r := Report{From: from, To: to, Rules: rules,
		DowntimeSeconds: seconds(total(downtime)), DegradedSeconds: seconds(total(slow)), MaintenanceSeconds: seconds(total(maint)),
		UptimePercent: percent(total(downtime), to.Sub(from)-total(maint))}

	var longest, sum time.Duration
	for _, iv := range down {
		d := total(subtract(clip([]Interval{iv}, from, to), maint))
		if d <= 0 {
			continue
		}
		r.Incidents++
		sum += d
		longest = max(longest, d)
	}
	if r.Incidents > 0 {
		r.LongestIncidentSeconds = seconds(longest)
		r.MTTRSeconds = seconds(sum / time.Duration(r.Incidents))
	}

	var all tick.Rollup
	for _, d := range days {
		if d.Start.Before(to) && d.Start.Add(day).After(from) {
			all.Add(d)
		}
	}
	r.Checks, r.FailedChecks = all.Checks, all.Failures
	r.Latency = latencyOf(all)
	return r
}

// PerDay applies the rules to each UTC day the period touches, the first
// and last clipped to it. Pure.
func PerDay(from, to time.Time, down, degraded, maintenance []Interval, days []tick.Rollup) []Day {
	from, to = from.UTC(), to.UTC()
	byDay := map[int64][]tick.Rollup{}
	for _, d := range days {
		k := d.Start.UTC().Truncate(day).Unix()
		byDay[k] = append(byDay[k], d)
	}
	var out []Day
	for d := from.Truncate(day); d.Before(to); d = d.Add(day) {
		lo, hi := maxTime(d, from), minTime(d.Add(day), to)
		r := Compute(lo, hi, down, degraded, maintenance, byDay[d.Unix()])
		out = append(out, Day{Date: d.Format(time.DateOnly), UptimePercent: r.UptimePercent, DowntimeSeconds: r.DowntimeSeconds,
			DegradedSeconds: r.DegradedSeconds, MaintenanceSeconds: r.MaintenanceSeconds, Incidents: r.Incidents, Latency: r.Latency})
	}
	return out
}

func latencyOf(r tick.Rollup) Latency {
	p := func(q float64) *float64 {
		v := r.Percentile(q)
		if math.IsNaN(v) {
			return nil
		}
		v = math.Round(v*10) / 10
		return &v
	}
	return Latency{P50: p(50), P95: p(95), P99: p(99)}
}

// percent is the uptime of avail with down of it down, rounded down to 3
// decimals (the epsilon absorbs float error in exact values like 99.95).
func percent(down, avail time.Duration) float64 {
	if avail <= 0 {
		return 100
	}
	p := 100 * (1 - float64(down)/float64(avail))
	return math.Max(0, math.Floor(p*1000+1e-6)/1000)
}

// seconds rounds d to milliseconds, in seconds.
func seconds(d time.Duration) float64 { return math.Round(d.Seconds()*1000) / 1000 }
