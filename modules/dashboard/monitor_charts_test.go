package dashboard

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/chart"
	"github.com/betterstack/betterstack/modules/incident"
	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/tick"
)

var t0 = time.Date(2030, 11, 23, 12, 0, 0, 0, time.UTC)

func tk(region string, at time.Time, status probe.Status, ms float64) tick.Tick {
	return tick.Tick{Region: region, Status: status, LatencyMS: ms, CheckedAt: at, ScheduledAt: at,
		Phases: probe.Phases{DNSMS: 1, ConnectMS: 2, TTFBMS: ms - 3}, ErrorClass: map[bool]string{true: "timeout"}[status == probe.StatusDown]}
}

func values(pts []chart.Point) []float64 {
	out := make([]float64, len(pts))
	for i, p := range pts {
		out[i] = p.V
	}
	return out
}

// sameFloats compares with NaN equal to NaN.
func sameFloats(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return x == y || math.IsNaN(x) && math.IsNaN(y) })
}

func TestTickSeries(t *testing.T) {
	nan := math.NaN()
	ticks := []tick.Tick{ // newest first, as the ticks API returns them
		tk("us", t0.Add(2*time.Minute), probe.StatusDegraded, 900),
		tk("eu", t0.Add(2*time.Minute), probe.StatusUp, 40),
		tk("eu", t0.Add(time.Minute), probe.StatusDown, 10000),
		tk("eu", t0, probe.StatusUp, 30),
	}
	got := tickSeries(ticks, t0, t0.Add(time.Hour), 100)
	if len(got) != 2 || got[0].Name != "eu" || got[1].Name != "us" {
		t.Fatalf("series = %+v", got)
	}
	if v := values(got[0].Points); !sameFloats(v, []float64{30, nan, 40}) {
		t.Errorf("eu values = %v; a failed check must be a gap", v)
	}
	for _, c := range []struct {
		tip  string
		want []string
	}{
		{got[0].Points[0].Tip, []string{"eu", "Nov 23 12:00:00 UTC", "30 ms", "DNS 1 ms, connect 2 ms, TTFB 27 ms"}},
		{got[0].Points[1].Tip, []string{"failed (timeout)"}},
		{got[1].Points[0].Tip, []string{"us", "900 ms", "(slow)"}},
	} {
		for _, w := range c.want {
			if !strings.Contains(c.tip, w) {
				t.Errorf("tip %q lacks %q", c.tip, w)
			}
		}
	}

	// Denser than maxPoints: averaged into equal buckets, gaps kept.
	var dense []tick.Tick
	for i := range 6 {
		st := probe.StatusUp
		if i >= 4 {
			st = probe.StatusDown
		}
		dense = append(dense, tk("eu", t0.Add(time.Duration(i)*10*time.Minute), st, float64(10*(i+1))))
	}
	got = tickSeries(dense, t0, t0.Add(time.Hour), 3)
	if v := values(got[0].Points); !sameFloats(v, []float64{15, 35, nan}) {
		t.Errorf("bucketed = %v", v)
	}
	if tip := got[0].Points[0].Tip; !strings.Contains(tip, "avg 15 ms of 2 checks") {
		t.Errorf("bucket tip = %q", tip)
	}
	// A bucket where every check failed is a failure, not nothing.
	if p := got[0].Points[2]; !p.Failed || !strings.Contains(p.Tip, "2 checks, all failed") || !got[0].Points[1].T.Equal(t0.Add(30*time.Minute)) {
		t.Errorf("buckets = %+v", got[0].Points)
	}
	if got[0].Points[0].Failed || got[0].Points[1].Failed {
		t.Errorf("buckets with successes marked failed: %+v", got[0].Points)
	}
}

func TestRollupSeriesAndSpark(t *testing.T) {
	nan := math.NaN()
	hour := func(region string, h int, checks, failures int64, sum float64) tick.Rollup {
		return tick.Rollup{MonitorID: 1, Region: region, Start: t0.Add(time.Duration(h) * time.Hour), Checks: checks, Failures: failures,
			LatencySum: sum, LatencyMin: 1, LatencyMax: 500}
	}
	rs := []tick.Rollup{hour("eu", 0, 60, 0, 6000), hour("us", 0, 60, 0, 12000), hour("eu", 2, 60, 60, 0), hour("eu", 3, 60, 30, 600)}
	got := rollupSeries(rs, t0.Add(30*time.Minute), t0.Add(3*time.Hour+time.Minute))
	if len(got) != 2 || got[0].Name != "eu" {
		t.Fatalf("series = %+v", got)
	}
	if v := values(got[0].Points); !sameFloats(v, []float64{100, nan, nan, 20}) {
		t.Errorf("eu hourly = %v; missing and all-failed hours are gaps", v)
	}
	if tip := got[0].Points[3].Tip; !strings.Contains(tip, "avg 20 ms") || !strings.Contains(tip, "60 checks, 30 failed") {
		t.Errorf("hour tip = %q", tip)
	}

	merged := tick.MergeRegions(rs)
	spark := sparkValues(merged, t0.Add(3*time.Hour+10*time.Minute), 5)
	if !sameFloats(spark, []float64{nan, 150, nan, nan, 20}) {
		t.Errorf("spark = %v", spark)
	}
}

func TestDayBars(t *testing.T) {
	now := t0 // Nov 23, 12:00
	day := func(d int) time.Time { return now.Truncate(24*time.Hour).AddDate(0, 0, d) }
	resolved := day(-1).Add(time.Hour)
	rollups := []tick.Rollup{
		{MonitorID: 1, Start: day(-2), Checks: 10000, Failures: 5},
		{MonitorID: 1, Start: day(-1), Checks: 100},
		{MonitorID: 1, Start: day(0), Checks: 100, Failures: 50},
	}
	incs := []incident.Incident{
		{ID: 2, StartedAt: now.Add(-time.Hour)},                            // open: today
		{ID: 1, StartedAt: day(-1).Add(-time.Hour), ResolvedAt: &resolved}, // across midnight: Nov 21 and 22
	}
	bars := dayBars(rollups, incs, now, 4)
	want := []string{"Nov 20: no data", "Nov 21: 99.95 % uptime, 1 incident", "Nov 22: 100 % uptime, 1 incident", "Nov 23: 50.00 % uptime, 1 incident"}
	for i, b := range bars {
		if b.Tooltip != want[i] {
			t.Errorf("bar %d = %q, want %q", i, b.Tooltip, want[i])
		}
	}
	if !math.IsNaN(bars[0].Uptime) || bars[2].Uptime != 1 || bars[3].Label != "Nov 23" {
		t.Errorf("bars = %+v", bars)
	}
}

func TestPagination(t *testing.T) {
	labels := func(ls []pageLink) string {
		var out []string
		for _, l := range ls {
			s := l.Label
			if l.Current {
				s = "[" + s + "]"
			}
			out = append(out, s)
		}
		return strings.Join(out, " ")
	}
	cases := []struct {
		name        string
		page, total int
		want        string
	}{
		{"one page", 1, 100, ""},
		{"empty", 1, 0, ""},
		{"first of three", 1, 201, "[1] 2 3 Next ›"},
		{"middle of fifty", 25, 5000, "‹ Previous 1 … 23 24 [25] 26 27 … 50 Next ›"},
		{"last of fifty", 50, 5000, "‹ Previous 1 … 48 49 [50]"},
		{"past the end", 9, 201, "‹ Previous 1 2 3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := labels(pagination("", "", c.page, c.total)); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
	if got := pagination("a b", "down", 2, 300)[0].Href; got != "/?q=a+b&status=down" {
		t.Errorf("previous link = %q", got)
	}
}

func TestFormInput(t *testing.T) {
	f := monitorForm{Name: "n", Kind: "http", Check: map[string]string{"url": "https://x", "method": "GET",
		"headers": "A: 1\r\n\r\nB-C:  two words ", "expected_status": "200, 3xx\n404", "follow_redirects": "1"},
		IntervalSeconds: "30", TimeoutMS: "", Quorum: "", DegradedAfterMS: "1_000", FailureThreshold: "x", Regions: []string{"eu"},
		OtherRegions: "us, ap", RemindEverySec: "3.5"}
	bad := apperr.Fields{}
	in := f.input(bad)
	if len(bad) != 2 || bad["failure_threshold"] != "must be a whole number" || bad["remind_every_seconds"] == "" {
		t.Errorf("parse errors = %v", bad)
	}
	var h probe.HTTP
	if in.Check == nil || in.Check.Kind != "http" || json.Unmarshal(in.Check.Config, &h) != nil {
		t.Fatalf("check = %+v", in.Check)
	}
	if h.Headers["A"] != "1" || h.Headers["B-C"] != "two words" || len(h.Headers) != 2 {
		t.Errorf("headers = %v", h.Headers)
	}
	if h.URL != "https://x" || !h.FollowRedirects || h.KeywordAbsent {
		t.Errorf("check = %+v", h)
	}
	if !slices.Equal(h.ExpectedStatus, []string{"200", "3xx", "404"}) || !slices.Equal(*in.Regions, []string{"eu", "us", "ap"}) {
		t.Errorf("lists = %v %v", h.ExpectedStatus, *in.Regions)
	}
	if *in.IntervalSeconds != 30 || *in.TimeoutMS != 10000 || *in.Quorum != 0 || *in.DegradedAfterMS != 1000 || in.FailureThreshold != nil {
		t.Errorf("numbers: interval %v timeout %v quorum %v degraded %v failure %v", *in.IntervalSeconds, *in.TimeoutMS, *in.Quorum,
			*in.DegradedAfterMS, in.FailureThreshold)
	}
	for _, c := range []struct{ text, want string }{
		{"no colon", `line 1 is not "Name: value"`},
		{"A: 1\n: empty name", `line 2 is not "Name: value"`},
		{"A: 1\nA: 2", `"A" is given twice`},
	} {
		if _, msg := parseHeaders(c.text); msg != c.want {
			t.Errorf("parseHeaders(%q) = %q, want %q", c.text, msg, c.want)
		}
	}
}

func TestPickRangeFromTheData(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		key     string
		age     time.Duration
		want    string
		fromAge time.Duration // how long before now the chart starts
	}{
		{"", 10 * time.Minute, "1h", 10 * time.Minute},
		{"", time.Hour, "1h", time.Hour},
		{"", time.Hour + time.Second, "24h", time.Hour + time.Second},
		{"", 24 * time.Hour, "24h", 24 * time.Hour},
		{"", 90 * 24 * time.Hour, "24h", 24 * time.Hour},
		{"7d", 2 * time.Hour, "7d", 2 * time.Hour},
		{"30d", 90 * 24 * time.Hour, "30d", 30 * 24 * time.Hour},
		{"bogus", 3 * time.Hour, "24h", 3 * time.Hour},
	} {
		created := now.Add(-tc.age)
		r := pickRange(tc.key, created, now)
		if r.Key != tc.want {
			t.Errorf("range %q at age %s = %s, want %s", tc.key, tc.age, r.Key, tc.want)
		}
		if from := chartFrom(r, created, nil, now); !from.Equal(now.Add(-tc.fromAge)) {
			t.Errorf("range %s at age %s starts %s before now, want %s", r.Key, tc.age, now.Sub(from), tc.fromAge)
		}
	}
}

func TestChartStartsAtTheFirstData(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	created := now.Add(-10 * time.Minute)
	early := []chart.Series{{Points: []chart.Point{{T: now.Add(-20 * time.Minute)}, {T: now.Add(-5 * time.Minute)}}}}
	if from := chartFrom(chartRanges[0], created, early, now); !from.Equal(now.Add(-20 * time.Minute)) {
		t.Errorf("data before the creation (a migrated monitor) is kept: from %s", from)
	}
	old := []chart.Series{{Points: []chart.Point{{T: now.Add(-2 * time.Hour)}}}}
	if from := chartFrom(chartRanges[0], created, old, now); !from.Equal(now.Add(-time.Hour)) {
		t.Errorf("never before the range: from %s", from)
	}
}
