package chart

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

// ramp returns n points a minute apart from start, with values from f.
func ramp(start time.Time, n int, f func(i int) float64) []Point {
	points := make([]Point, n)
	for i := range points {
		points[i] = Point{T: start.Add(time.Duration(i) * time.Minute), V: f(i)}
	}
	return points
}

func TestLinesTwoSeries(t *testing.T) {
	series := []Series{
		{Name: "eu-west", Points: ramp(t0, 60, func(i int) float64 { return float64(i) })},
		{Name: "us-east", Points: ramp(t0, 60, func(i int) float64 { return 87 })},
	}
	out := string(Lines(series, LineOptions{Title: "Response time", Unit: "ms"}))
	root := mustParse(t, out)
	checkAccessible(t, root, "Response time")

	paths := root.find("path", "chart-line")
	if len(paths) != 2 {
		t.Fatalf("got %d chart-line paths, want 2", len(paths))
	}
	for i, p := range paths {
		if want := fmt.Sprintf("chart-line chart-s%d", i); p.attr["class"] != want {
			t.Errorf("path %d class = %q, want %q", i, p.attr["class"], want)
		}
		if p.attr["fill"] != "none" {
			t.Errorf("path %d would be filled without the stylesheet", i)
		}
	}
	labels := root.texts("text", "chart-label")
	for _, name := range []string{"eu-west", "us-east", "ms"} {
		if !slices.Contains(labels, name) {
			t.Errorf("label %q missing from %q", name, labels)
		}
	}
	if keys := root.find("line", "chart-key"); len(keys) != 2 {
		t.Errorf("got %d legend keys, want 2", len(keys))
	}
	if root.attr["viewBox"] != "0 0 800 240" || root.attr["width"] != "100%" {
		t.Errorf("sizing: viewBox %q width %q", root.attr["viewBox"], root.attr["width"])
	}
	if strings.Contains(out, "style=") {
		t.Error("inline style attribute breaks the CSP")
	}
	if again := string(Lines(series, LineOptions{Title: "Response time", Unit: "ms"})); again != out {
		t.Error("output differs between two calls")
	}
}

func TestLinesYAxis(t *testing.T) {
	tests := []struct {
		name   string
		max    float64
		labels []string
	}{
		{"87 ms tops at 100", 87, []string{"0", "20", "40", "60", "80", "100"}},
		{"exactly 100", 100, []string{"0", "20", "40", "60", "80", "100"}},
		{"fractions", 0.37, []string{"0.0", "0.1", "0.2", "0.3", "0.4"}},
		{"thousands in k", 23456, []string{"0k", "5k", "10k", "15k", "20k", "25k"}},
		{"all zero", 0, []string{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := []Series{{Points: []Point{{T: t0, V: 0}, {T: t0.Add(time.Hour), V: tt.max}}}}
			root := mustParse(t, string(Lines(s, LineOptions{})))
			var got []string
			for _, n := range root.find("text", "chart-label") {
				if n.attr["text-anchor"] == "end" {
					got = append(got, n.text)
				}
			}
			if !slices.Equal(got, tt.labels) {
				t.Errorf("y labels = %q, want %q", got, tt.labels)
			}
			grid := root.find("path", "chart-grid")
			if len(grid) != 1 || strings.Count(grid[0].attr["d"], "M") != len(tt.labels)-1 {
				t.Errorf("want %d gridlines above the axis", len(tt.labels)-1)
			}
		})
	}
}

func TestNiceScale(t *testing.T) {
	tests := []struct {
		max, top, step float64
	}{
		{87, 100, 20},
		{100, 100, 20},
		{101, 120, 20}, // no 1-2-5 step gives 4-5 intervals: 6 beats 150 in 3
		{7, 8, 2},
		{4, 4, 1},
		{1234, 1500, 500},
		{0.37, 0.4, 0.1},
		{0, 1, 0.2},
		{-5, 1, 0.2},
		{math.NaN(), 1, 0.2},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.max), func(t *testing.T) {
			top, step := niceScale(tt.max)
			if math.Abs(top-tt.top) > 1e-9 || math.Abs(step-tt.step) > 1e-9 {
				t.Errorf("niceScale(%v) = %v, %v; want %v, %v", tt.max, top, step, tt.top, tt.step)
			}
			if n := math.Round(top / step); n < 3 || n > 6 {
				t.Errorf("%v intervals", n)
			}
		})
	}
}

func TestLinesXAxis(t *testing.T) {
	clock := regexp.MustCompile(`^\d\d:\d\d$`)
	date := regexp.MustCompile(`^[A-Z][a-z][a-z] \d\d?$`)
	india := time.FixedZone("IST", 5*3600+1800)
	tests := []struct {
		name     string
		from, to time.Time
		format   *regexp.Regexp
		want     []string // exact labels, when given
	}{
		{"6 hours", t0, t0.Add(6 * time.Hour), clock, []string{"00:00", "02:00", "04:00", "06:00"}},
		{"24 hours", t0.Add(12 * time.Hour), t0.Add(36 * time.Hour), clock, []string{"12:00", "18:00", "00:00", "06:00", "12:00"}},
		{"36 hours is still clock", t0, t0.Add(36 * time.Hour), clock, nil},
		// Dates need whole-day steps, so a range this short gets 2 labels.
		{"just over 36 hours is dates", t0, t0.Add(36*time.Hour + time.Minute), date, []string{"Nov 23", "Nov 24"}},
		{"7 days", t0.AddDate(0, 0, -7), t0, date, nil},
		{"30 days", t0.AddDate(0, 0, -30), t0, date, nil},
		{"90 days", t0.AddDate(0, 0, -90), t0, date, nil},
		{"labels in UTC", t0.In(india), t0.Add(6 * time.Hour).In(india), clock, []string{"00:00", "02:00", "04:00", "06:00"}},
		{"20 minutes", t0, t0.Add(20 * time.Minute), clock, []string{"00:00", "00:05", "00:10", "00:15", "00:20"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := []Series{{Name: "eu", Points: []Point{{T: tt.from, V: 1}, {T: tt.to, V: 2}}}}
			root := mustParse(t, string(Lines(s, LineOptions{})))
			var got []string
			for _, n := range root.find("text", "chart-label") {
				if n.attr["text-anchor"] == "middle" {
					got = append(got, n.text)
				}
			}
			if tt.want == nil && (len(got) < 3 || len(got) > 6) {
				t.Errorf("%d x labels %q, want 4-6 (3 at a step boundary)", len(got), got)
			}
			for _, l := range got {
				if !tt.format.MatchString(l) {
					t.Errorf("x label %q does not match %s", l, tt.format)
				}
			}
			if tt.want != nil && !slices.Equal(got, tt.want) {
				t.Errorf("x labels = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLinesEmpty(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name   string
		series []Series
		opt    LineOptions
	}{
		{"no series", nil, LineOptions{}},
		{"series without points", []Series{{Name: "eu"}}, LineOptions{}},
		{"all NaN", []Series{{Name: "eu", Points: ramp(t0, 10, func(int) float64 { return nan })}}, LineOptions{}},
		{"all outside the range", []Series{{Name: "eu", Points: ramp(t0, 10, func(int) float64 { return 5 })}},
			LineOptions{From: t0.Add(time.Hour), To: t0.Add(2 * time.Hour)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := mustParse(t, string(Lines(tt.series, tt.opt)))
			checkAccessible(t, root, "Line chart")
			if got := root.texts("text", "chart-label"); !slices.Equal(got, []string{"No data"}) {
				t.Errorf("labels = %q, want only No data", got)
			}
			if n := len(root.find("path", "chart-axis")); n != 1 {
				t.Errorf("%d axis paths, want the frame", n)
			}
			if n := len(root.find("path", "chart-line")); n != 0 {
				t.Errorf("%d series paths, want none", n)
			}
		})
	}
}

func TestLinesGapsRangeAndTips(t *testing.T) {
	points := ramp(t0, 10, func(i int) float64 { return float64(i) })
	points[4].V = math.NaN()
	points[2].Tip = "00:02 eu-west 2 ms"
	points[7].Tip = hostile
	points[9].Tip = "outside the range"
	series := []Series{
		{Name: hostile, Points: points},
		{Name: "", Points: ramp(t0, 10, func(int) float64 { return 3 })},
	}
	for i := range 7 { // 9 series in all: colours wrap after 8
		series = append(series, Series{Name: fmt.Sprintf("r%d", i), Points: ramp(t0, 10, func(int) float64 { return 1 })})
	}
	out := string(Lines(series, LineOptions{Title: hostile, Unit: hostile, To: t0.Add(8 * time.Minute)}))
	root := mustParse(t, out)
	checkAccessible(t, root, hostile)
	checkEscaped(t, out)

	paths := root.find("path", "chart-line")
	if len(paths) != 9 {
		t.Fatalf("%d series paths, want 9", len(paths))
	}
	if d := paths[0].attr["d"]; strings.Count(d, "M") != 2 {
		t.Errorf("NaN should split the line in two: %q", d)
	}
	if got := paths[8].attr["class"]; got != "chart-line chart-s0" {
		t.Errorf("ninth series class = %q, want chart-line chart-s0", got)
	}
	if d := paths[1].attr["d"]; strings.Count(d, "L") != 8 {
		t.Errorf("points after To should be left out: %q", d)
	}
	markers := root.find("circle", "chart-marker")
	var tips []string
	for _, m := range markers {
		if m.attr["class"] != "chart-marker chart-s0" || m.attr["opacity"] != "0" {
			t.Errorf("marker attributes %v", m.attr)
		}
		tips = append(tips, m.kids[0].text)
	}
	if want := []string{"00:02 eu-west 2 ms", hostile}; !slices.Equal(tips, want) {
		t.Errorf("marker tips = %q, want %q", tips, want)
	}
	if n := len(root.find("line", "chart-key")); n != 8 {
		t.Errorf("%d legend keys, want 8 (the unnamed series has none)", n)
	}
}

func TestLinesLegendWraps(t *testing.T) {
	var series []Series
	for i := range 8 {
		series = append(series, Series{Name: fmt.Sprintf("region-with-a-long-name-%d", i), Points: ramp(t0, 5, func(int) float64 { return 1 })})
	}
	series[7].Name = strings.Repeat("x", 100)
	root := mustParse(t, string(Lines(series, LineOptions{Width: 400, Height: 300})))
	rows := map[string]bool{}
	for _, k := range root.find("line", "chart-key") {
		rows[k.attr["y1"]] = true
		var x float64
		if _, err := fmt.Sscan(k.attr["x1"], &x); err != nil || x < padLeft || x > 400-padRight {
			t.Errorf("key at x=%q outside the chart", k.attr["x1"])
		}
	}
	if len(rows) < 3 {
		t.Errorf("legend in %d rows, want it wrapped to at least 3 at width 400", len(rows))
	}
	if labels := root.texts("text", "chart-label"); !slices.Contains(labels, strings.Repeat("x", 31)+"…") {
		t.Errorf("long name not cut: %q", labels)
	}
}

func BenchmarkLines(b *testing.B) {
	series := []Series{
		{Name: "eu-west", Points: ramp(t0, 720, func(i int) float64 { return 80 + 40*math.Sin(float64(i)/30) })},
		{Name: "us-east", Points: ramp(t0, 720, func(i int) float64 { return 120 + 30*math.Cos(float64(i)/20) })},
	}
	opt := LineOptions{Title: "Response time, last 12 hours", Unit: "ms"}
	b.ReportAllocs()
	for b.Loop() {
		Lines(series, opt)
	}
}

// TestLinesFailures: failed points are drawn as red marks with their tip,
// also when nothing succeeded (the chart is not "No data" then).
func TestLinesFailures(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	nan := math.NaN()
	only := Lines([]Series{{Name: "eu", Points: []Point{
		{T: t0, V: nan, Failed: true, Tip: "eu · failed (timeout)"},
		{T: t0.Add(time.Minute), V: nan, Failed: true, Tip: "eu · failed <again>"},
	}}}, LineOptions{From: t0.Add(-time.Minute), To: t0.Add(2 * time.Minute)})
	s := string(only)
	if strings.Contains(s, "No data") || strings.Count(s, `class="chart-fail"`) != 2 ||
		!strings.Contains(s, "<title>eu · failed (timeout)</title>") || !strings.Contains(s, "failed &lt;again&gt;") {
		t.Errorf("only failures: %s", s)
	}
	mixed := string(Lines([]Series{{Name: "eu", Points: []Point{
		{T: t0, V: 20}, {T: t0.Add(time.Minute), V: nan, Failed: true}, {T: t0.Add(10 * time.Minute), V: nan, Failed: true},
	}}}, LineOptions{From: t0, To: t0.Add(5 * time.Minute)}))
	if n := strings.Count(mixed, `class="chart-fail"`); n != 1 {
		t.Errorf("%d failure marks, want 1 (one is outside the range)", n)
	}
	gap := string(Lines([]Series{{Name: "eu", Points: []Point{{T: t0, V: nan}}}}, LineOptions{From: t0, To: t0.Add(time.Minute)}))
	if !strings.Contains(gap, "No data") || strings.Contains(gap, "chart-fail") {
		t.Errorf("a gap is not a failure: %s", gap)
	}
}
