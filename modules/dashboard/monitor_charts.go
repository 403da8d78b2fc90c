package dashboard

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/betterstack/betterstack/modules/chart"
	"github.com/betterstack/betterstack/modules/incident"
	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/tick"
	"github.com/betterstack/betterstack/modules/web"
)

// The monitor pages' charts are built here from ticks, rollups and
// incidents by pure functions, so what a chart shows is tested without a
// database.

// maxChartPoints is how many points a raw-tick series keeps: one per tick
// up to this (every check of the last hour at any interval down to 10 s);
// denser series are averaged into this many equal time buckets, 3 minutes
// each over 24 hours. A chart 800 units wide shows no more, and the page
// stays near 200 KB with two regions instead of 700 KB.
const maxChartPoints = 480

// tickSeries turns raw ticks (any order) into one series per region, sorted
// by region, oldest point first. A failed check is a gap in the line (its
// latency is how long it took to fail, not how fast the service answers;
// the rollups count latency the same way) and a red failure mark. Every
// point's tip gives the check's timing phases or its error.
func tickSeries(ticks []tick.Tick, from, to time.Time, maxPoints int) []chart.Series {
	by := map[string][]tick.Tick{}
	for _, t := range ticks {
		by[t.Region] = append(by[t.Region], t)
	}
	regions := make([]string, 0, len(by))
	for r := range by {
		regions = append(regions, r)
	}
	sort.Strings(regions)
	out := make([]chart.Series, 0, len(regions))
	for _, region := range regions {
		ts := by[region]
		sort.Slice(ts, func(i, j int) bool { return ts[i].ScheduledAt.Before(ts[j].ScheduledAt) })
		if len(ts) > maxPoints {
			out = append(out, chart.Series{Name: region, Points: bucketTicks(region, ts, from, to, maxPoints)})
			continue
		}
		pts := make([]chart.Point, len(ts))
		for i, t := range ts {
			pts[i] = chart.Point{T: t.CheckedAt, V: math.NaN(), Tip: tickTip(region, t), Failed: t.Status == probe.StatusDown}
			if t.Status != probe.StatusDown {
				pts[i].V = t.LatencyMS
			}
		}
		out = append(out, chart.Series{Name: region, Points: pts})
	}
	return out
}

// tickTip describes one check: when, how long and where the time went.
func tickTip(region string, t tick.Tick) string {
	at := t.CheckedAt.UTC().Format("Jan 2 15:04:05")
	if t.Status == probe.StatusDown {
		msg := t.ErrorClass
		if t.Error != "" {
			msg += ": " + t.Error
		}
		return fmt.Sprintf("%s · %s UTC · failed (%s)", region, at, msg)
	}
	tip := fmt.Sprintf("%s · %s UTC · %s — %s", region, at, web.Millis(t.LatencyMS), phases(t.Phases))
	if t.Status == probe.StatusDegraded {
		tip += " (slow)"
	}
	return tip
}

// phases formats a check's timing phases; phases that did not happen (no
// TLS over http, a reused connection) are left out.
func phases(p probe.Phases) string {
	parts := make([]string, 0, 5)
	for _, ph := range []struct {
		name string
		ms   float64
	}{{"DNS", p.DNSMS}, {"connect", p.ConnectMS}, {"TLS", p.TLSMS}, {"TTFB", p.TTFBMS}, {"transfer", p.TransferMS}} {
		if ph.ms > 0 {
			parts = append(parts, ph.name+" "+web.Millis(ph.ms))
		}
	}
	if len(parts) == 0 {
		return "no phase timings"
	}
	return strings.Join(parts, ", ")
}

// bucketTicks averages one region's ticks (oldest first) into n equal time
// buckets of [from, to); a bucket without a successful check is a gap.
func bucketTicks(region string, ts []tick.Tick, from, to time.Time, n int) []chart.Point {
	width := to.Sub(from) / time.Duration(n)
	if width <= 0 {
		width = time.Second
	}
	type acc struct {
		ok, failed int
		sum        float64
		ph         probe.Phases
	}
	buckets := make([]acc, n)
	for _, t := range ts {
		i := int(t.CheckedAt.Sub(from) / width)
		if i < 0 || i >= n {
			continue
		}
		b := &buckets[i]
		if t.Status == probe.StatusDown {
			b.failed++
			continue
		}
		b.ok++
		b.sum += t.LatencyMS
		b.ph.DNSMS += t.Phases.DNSMS
		b.ph.ConnectMS += t.Phases.ConnectMS
		b.ph.TLSMS += t.Phases.TLSMS
		b.ph.TTFBMS += t.Phases.TTFBMS
		b.ph.TransferMS += t.Phases.TransferMS
	}
	pts := make([]chart.Point, n)
	for i, b := range buckets {
		at := from.Add(time.Duration(i)*width + width/2)
		pts[i] = chart.Point{T: at, V: math.NaN()}
		if b.ok == 0 {
			if b.failed > 0 {
				pts[i].Failed = true
				pts[i].Tip = fmt.Sprintf("%s · %s UTC · %s, all failed", region, at.UTC().Format("Jan 2 15:04"), plural(b.failed, "check"))
			}
			continue
		}
		k := float64(b.ok)
		avg := probe.Phases{DNSMS: b.ph.DNSMS / k, ConnectMS: b.ph.ConnectMS / k, TLSMS: b.ph.TLSMS / k, TTFBMS: b.ph.TTFBMS / k, TransferMS: b.ph.TransferMS / k}
		pts[i].V = b.sum / k
		pts[i].Tip = fmt.Sprintf("%s · %s UTC · avg %s of %s — %s", region, at.UTC().Format("Jan 2 15:04"), web.Millis(pts[i].V),
			plural(b.ok+b.failed, "check"), phases(avg))
		if b.failed > 0 {
			pts[i].Tip += fmt.Sprintf(" · %d failed", b.failed)
		}
	}
	return pts
}

// rollupSeries turns hourly rollups (per region) into one series per region
// with a point per hour of [from, to): the hour's mean latency, a gap for
// an hour without successful checks.
func rollupSeries(rs []tick.Rollup, from, to time.Time) []chart.Series {
	from = from.UTC().Truncate(time.Hour)
	n := int(to.Sub(from) / time.Hour)
	if to.Sub(from)%time.Hour != 0 {
		n++
	}
	by := map[string]map[int64]tick.Rollup{}
	for _, r := range rs {
		if by[r.Region] == nil {
			by[r.Region] = map[int64]tick.Rollup{}
		}
		by[r.Region][r.Start.Unix()] = r
	}
	regions := make([]string, 0, len(by))
	for r := range by {
		regions = append(regions, r)
	}
	sort.Strings(regions)
	out := make([]chart.Series, 0, len(regions))
	for _, region := range regions {
		pts := make([]chart.Point, n)
		for i := range pts {
			at := from.Add(time.Duration(i) * time.Hour)
			pts[i] = chart.Point{T: at, V: math.NaN()}
			r, ok := by[region][at.Unix()]
			if ok && r.Checks > 0 && r.Successes() == 0 {
				pts[i].Failed = true
				pts[i].Tip = fmt.Sprintf("%s · %s UTC · %s, all failed", region, at.Format("Jan 2 15:04"), plural(int(r.Checks), "check"))
				continue
			}
			if !ok || r.Successes() == 0 {
				continue
			}
			pts[i].V = r.AvgLatency()
			pts[i].Tip = fmt.Sprintf("%s · %s UTC · avg %s, p95 %s · %s", region, at.Format("Jan 2 15:04"), web.Millis(r.AvgLatency()),
				web.Millis(r.Percentile(95)), plural(int(r.Checks), "check"))
			if r.Failures > 0 {
				pts[i].Tip += fmt.Sprintf(", %d failed", r.Failures)
			}
		}
		out = append(out, chart.Series{Name: region, Points: pts})
	}
	return out
}

// sparkValues returns n hourly mean latencies ending with the hour of now,
// from one monitor's hourly rollups merged across regions; NaN for an hour
// without successful checks.
func sparkValues(merged []tick.Rollup, now time.Time, n int) []float64 {
	first := now.UTC().Truncate(time.Hour).Add(-time.Duration(n-1) * time.Hour)
	out := make([]float64, n)
	for i := range out {
		out[i] = math.NaN()
	}
	for _, r := range merged {
		i := int(r.Start.Sub(first) / time.Hour)
		if i >= 0 && i < n && !r.Start.Before(first) {
			out[i] = r.AvgLatency()
		}
	}
	return out
}

// dayBars returns one bar per UTC day of the days ending today, from one
// monitor's daily rollups merged across regions; each bar's tooltip gives
// the day's uptime and how many of incs overlapped it.
func dayBars(merged []tick.Rollup, incs []incident.Incident, now time.Time, days int) []chart.Bar {
	today := now.UTC().Truncate(24 * time.Hour)
	by := map[int64]tick.Rollup{}
	for _, r := range merged {
		by[r.Start.Unix()] = r
	}
	bars := make([]chart.Bar, days)
	for i := range bars {
		day := today.AddDate(0, 0, i-days+1)
		label := day.Format("Jan 2")
		up := math.NaN()
		if r, ok := by[day.Unix()]; ok {
			up = r.Uptime()
		}
		n := 0
		for _, inc := range incs {
			end := now
			if inc.ResolvedAt != nil {
				end = *inc.ResolvedAt
			}
			if inc.StartedAt.Before(day.Add(24*time.Hour)) && !end.Before(day) {
				n++
			}
		}
		tip := label + ": no data"
		if !math.IsNaN(up) {
			tip = label + ": " + web.Percent(up) + " uptime"
		}
		if n > 0 || !math.IsNaN(up) {
			tip += ", " + plural(n, "incident")
		}
		bars[i] = chart.Bar{Label: label, Uptime: up, Tooltip: tip}
	}
	return bars
}

// plural says "1 check", "3 checks", "0 incidents".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// pickRange returns the chart range asked for by key, or, when none is
// asked, the shortest one that holds the monitor's whole life (a monitor
// made ten minutes ago gets the last hour, not its data squeezed into the
// right edge of a day), 24 hours at most.
func pickRange(key string, created, now time.Time) chartRange {
	for _, r := range chartRanges {
		if r.Key == key {
			return r
		}
	}
	age := now.Sub(created)
	for _, r := range chartRanges[:2] {
		if age <= r.Span {
			return r
		}
	}
	return chartRanges[1]
}

// chartFrom is where a range's chart starts: the range's start, or, when
// the monitor is younger, its creation or its first check if earlier (no
// empty left part, no data cut off).
func chartFrom(r chartRange, created time.Time, series []chart.Series, now time.Time) time.Time {
	from := now.Add(-r.Span)
	start := created
	for _, s := range series {
		for _, p := range s.Points {
			if !p.T.IsZero() && p.T.Before(start) {
				start = p.T
			}
		}
	}
	if start.After(from) && start.Before(now) {
		return start
	}
	return from
}
