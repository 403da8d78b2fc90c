package chart

import (
	"html/template"
	"math"
	"strconv"
	"time"
)

// Point is one sample of a series. Tip, when set, is shown on hover (an SVG <title> on a small invisible-until-hover circle marker).
type Point struct {
	T   time.Time
	V   float64 // NaN = no data (gap)
	Tip string
	// Failed marks a failed check (or a bucket with failures and no
	// success): drawn as a red mark on the plot's top edge, not as nothing.
	Failed bool
}

// Series is one line (for example one region). Points are in time order.
type Series struct {
	Name   string
	Points []Point
}

// LineOptions shapes a line chart.
type LineOptions struct {
	Width, Height int // viewBox size; defaults 800x240
	Title         string
	Unit          string    // y-axis unit label, e.g. "ms"
	From, To      time.Time // x range; zero = from the data
}

// Layout of a line chart, in viewBox units.
const (
	linesWidth   = 800
	linesHeight  = 240
	padLeft      = 48 // room for y labels
	padRight     = 24 // room for half of the last x label
	padTop       = 20 // room for the unit label
	xLabelBelow  = 15 // x label baseline below the plot
	legendRow    = 18 // legend line height
	legendSwatch = 16 // length of a legend's line sample
	maxNameRunes = 32 // legend names are cut beyond this
)

// Lines draws a multi-series time chart: y axis from 0 to a "nice" max (1-2-5 steps) with 4-5 gridlines and labels, x axis with 4-6 time labels (format chosen from the range: "15:04" for <= 36h, "Jan 2" otherwise, UTC), one <path> per series with class "chart-line chart-sN", a legend with the series names, and a marker with <title> for points that have a Tip. Empty input draws the frame and a centred "No data" label.
//
// NaN and infinite values are gaps; negative values are drawn at 0; points
// outside From..To are left out. When no 1-2-5 step gives 4 or 5 intervals
// the axis has 3 or 6 (see niceScale); date labels step whole days, so a
// range of 36 hours to 3 days gets 2 or 3 of them. A series with nothing to
// draw has no path but keeps its legend entry, so colours stay tied to
// series indexes; when no series has anything to draw, only the frame and
// "No data" are drawn. Series with an empty name get no legend entry; long
// names are cut. The SVG is 100 % wide without a fixed height, so it keeps
// its aspect ratio and shrinks with its text on a phone.
func Lines(series []Series, opt LineOptions) template.HTML {
	width, height := opt.Width, opt.Height
	if width <= 0 {
		width = linesWidth
	}
	if height <= 0 {
		height = linesHeight
	}
	title := opt.Title
	if title == "" {
		title = "Line chart"
	}
	keys, rows := layoutLegend(series, width)
	p := plot{
		left: padLeft, right: float64(width - padRight), top: padTop,
		bottom: max(padTop+10, float64(height-xLabelBelow-6-rows*legendRow)),
	}

	n := 0
	for _, s := range series {
		n += len(s.Points)
	}
	var w svg
	w.b = make([]byte, 0, 2048+24*n)
	w.open(width, height, `width="100%" font-family="system-ui,sans-serif" font-size="11"`, title)

	p.from, p.to, p.max, p.step = extent(series, opt)
	if p.step == 0 {
		p.axis(&w, nil)
		w.s(`<text class="chart-label" text-anchor="middle"`)
		w.attr("x", (p.left+p.right)/2)
		w.attr("y", (p.top+p.bottom)/2+4)
		w.s(`>No data</text></svg>`)
		return template.HTML(w.b) // safe: caller text went through esc
	}

	p.grid(&w, opt.Unit)
	ticks, layout := timeTicks(p.from, p.to)
	p.axis(&w, ticks)
	for _, t := range ticks {
		w.s(`<text class="chart-label" text-anchor="middle"`)
		w.attr("x", p.x(t))
		w.attr("y", p.bottom+xLabelBelow)
		w.s(">")
		w.s(t.UTC().Format(layout))
		w.s("</text>")
	}
	for i, s := range series {
		p.line(&w, i, s.Points)
	}
	for i, s := range series {
		p.markers(&w, i, s.Points)
	}
	for _, s := range series {
		p.failures(&w, s.Points)
	}
	for _, k := range keys {
		y := p.bottom + xLabelBelow + float64(k.row+1)*legendRow
		w.s(`<line class="chart-key chart-line chart-s`)
		w.i(k.series % 8)
		w.s(`"`)
		w.attr("x1", k.x)
		w.attr("y1", y-4)
		w.attr("x2", k.x+legendSwatch)
		w.attr("y2", y-4)
		w.s(` stroke="currentColor" stroke-width="3"/><text class="chart-label"`)
		w.attr("x", k.x+legendSwatch+4)
		w.attr("y", y)
		w.s(">")
		w.esc(k.name)
		w.s("</text>")
	}
	w.s("</svg>")
	return template.HTML(w.b) // safe: caller text went through esc
}

// plot maps data to the plot area of a line chart.
type plot struct {
	left, right, top, bottom float64 // area, in viewBox units
	from, to                 time.Time
	max, step                float64 // y axis: 0..max in steps; step 0 = no data
}

// x maps a time to a horizontal position.
func (p plot) x(t time.Time) float64 {
	return p.left + float64(t.Sub(p.from))/float64(p.to.Sub(p.from))*(p.right-p.left)
}

// y maps a value to a vertical position; negative values sit on the axis.
func (p plot) y(v float64) float64 {
	return p.bottom - max(v, 0)/p.max*(p.bottom-p.top)
}

// at returns a point's position, or ok false when it is not drawn.
func (p plot) at(pt Point) (x, y float64, ok bool) {
	if !finite(pt.V) || pt.T.Before(p.from) || pt.T.After(p.to) {
		return 0, 0, false
	}
	return p.x(pt.T), p.y(pt.V), true
}

// axis appends the y and x axes with a tick mark under each time label.
func (p plot) axis(w *svg, ticks []time.Time) {
	w.s(`<path class="chart-axis" fill="none" stroke="currentColor" d="M`)
	w.f(p.left)
	w.s(" ")
	w.f(p.top)
	w.s("V")
	w.f(p.bottom)
	w.s("H")
	w.f(p.right)
	for _, t := range ticks {
		w.s("M")
		w.f(p.x(t))
		w.s(" ")
		w.f(p.bottom)
		w.s("v4")
	}
	w.s(`"/>`)
}

// grid appends the horizontal gridlines, their labels and the unit.
func (p plot) grid(w *svg, unit string) {
	n := int(math.Round(p.max / p.step))
	w.s(`<path class="chart-grid" fill="none" stroke="currentColor" stroke-opacity="0.2" d="`)
	for i := 1; i <= n; i++ {
		w.s("M")
		w.f(p.left)
		w.s(" ")
		w.f(p.y(float64(i) * p.step))
		w.s("H")
		w.f(p.right)
	}
	w.s(`"/>`)
	for i := 0; i <= n; i++ {
		w.s(`<text class="chart-label" text-anchor="end"`)
		w.attr("x", p.left-6)
		w.attr("y", p.y(float64(i)*p.step)+4)
		w.s(">")
		w.s(yLabel(float64(i)*p.step, p.step, p.max))
		w.s("</text>")
	}
	if unit != "" {
		w.s(`<text class="chart-label" text-anchor="end"`)
		w.attr("x", p.left-6)
		w.attr("y", p.top-8)
		w.s(">")
		w.esc(unit)
		w.s("</text>")
	}
}

// line appends one series' path, if it has anything to draw.
func (p plot) line(w *svg, index int, points []Point) {
	drawn := false
	for _, pt := range points {
		if _, _, ok := p.at(pt); ok {
			drawn = true
			break
		}
	}
	if !drawn {
		return
	}
	w.s(`<path class="chart-line chart-s`)
	w.i(index % 8)
	w.s(`" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linejoin="round" stroke-linecap="round" d="`)
	w.polyline(len(points), func(i int) (float64, float64, bool) { return p.at(points[i]) })
	w.s(`"/>`)
}

// markers appends a hover marker for each drawn point that has a tip. The
// marker is transparent (opacity 0) until the stylesheet's :hover rule
// shows it; it is filled so that it catches the pointer.
func (p plot) markers(w *svg, index int, points []Point) {
	for _, pt := range points {
		if pt.Tip == "" {
			continue
		}
		x, y, ok := p.at(pt)
		if !ok {
			continue
		}
		w.s(`<circle class="chart-marker chart-s`)
		w.i(index % 8)
		w.s(`"`)
		w.attr("cx", x)
		w.attr("cy", y)
		w.s(` r="4" fill="currentColor" opacity="0"><title>`)
		w.esc(pt.Tip)
		w.s(`</title></circle>`)
	}
}

// failures appends a red tick on the plot's top edge for each failed
// point, with its tip.
func (p plot) failures(w *svg, points []Point) {
	for _, pt := range points {
		if !pt.Failed || pt.T.Before(p.from) || pt.T.After(p.to) {
			continue
		}
		w.s(`<rect class="chart-fail"`)
		w.attr("x", p.x(pt.T)-1.5)
		w.attr("y", p.top)
		w.s(` width="3" height="10">`)
		if pt.Tip != "" {
			w.s("<title>")
			w.esc(pt.Tip)
			w.s("</title>")
		}
		w.s(`</rect>`)
	}
}

// legendKey is one legend entry: a line sample and the series name.
type legendKey struct {
	series int
	name   string
	x      float64
	row    int
}

// layoutLegend places the named series left to right under the x labels,
// wrapping to a new row when a row is full, and returns the number of rows.
func layoutLegend(series []Series, width int) ([]legendKey, int) {
	var keys []legendKey
	x, row := float64(padLeft), 0
	for i, s := range series {
		if s.Name == "" {
			continue
		}
		name := truncate(s.Name, maxNameRunes)
		w := legendSwatch + 4 + textWidth(name)
		if x > padLeft && x+w > float64(width-padRight) {
			x, row = padLeft, row+1
		}
		keys = append(keys, legendKey{series: i, name: name, x: x, row: row})
		x += w + 16
	}
	if len(keys) == 0 {
		return nil, 0
	}
	return keys, row + 1
}

// extent returns the x range (the options', else the data's) and the y
// scale, 0 to a nice max in steps; step is 0 when no point can be drawn.
func extent(series []Series, opt LineOptions) (from, to time.Time, top, step float64) {
	from, to = opt.From, opt.To
	if from.IsZero() || to.IsZero() {
		var lo, hi time.Time
		for _, s := range series {
			for _, pt := range s.Points {
				if lo.IsZero() || pt.T.Before(lo) {
					lo = pt.T
				}
				if hi.IsZero() || pt.T.After(hi) {
					hi = pt.T
				}
			}
		}
		if from.IsZero() {
			from = lo
		}
		if to.IsZero() {
			to = hi
		}
	}
	if to.Before(from) {
		from, to = to, from
	}
	if !to.After(from) { // one instant: centre it in an hour
		from, to = from.Add(-30*time.Minute), to.Add(30*time.Minute)
	}

	hi, found := 0.0, false
	for _, s := range series {
		for _, pt := range s.Points {
			if finite(pt.V) && !pt.T.Before(from) && !pt.T.After(to) {
				hi, found = max(hi, pt.V), true
			}
		}
	}
	if !found {
		for _, s := range series {
			for _, pt := range s.Points {
				if pt.Failed && !pt.T.Before(from) && !pt.T.After(to) {
					// Only failures: draw the frame with a nominal scale so
					// they are shown.
					top, step = niceScale(1)
					return from, to, top, step
				}
			}
		}
		return from, to, 0, 0
	}
	top, step = niceScale(hi)
	return from, to, top, step
}

// niceScale returns the top of a y axis from 0 that holds max, and its step
// from the 1-2-5 series (…, 0.5, 1, 2, 5, 10, 20, …). It takes the step that
// gives 4 or 5 intervals; when none does (the series jumps by 2 or 2.5), the
// one with the lowest top among 3 to 6 intervals. A max of 0 or less gets
// the scale 0 to 1.
func niceScale(max float64) (top, step float64) {
	if !(max > 0) || !finite(max) {
		max = 1
	}
	exp := math.Floor(math.Log10(max))
	for _, want := range [][2]int{{4, 5}, {3, 6}} {
		for e := exp - 1; e <= exp; e++ {
			for _, m := range []float64{1, 2, 5} {
				s := m * math.Pow(10, e)
				n := int(math.Ceil(max/s - 1e-9))
				if n < want[0] || n > want[1] {
					continue
				}
				if t := float64(n) * s; top == 0 || t < top {
					top, step = t, s
				}
			}
		}
		if top > 0 {
			return top, step
		}
	}
	return top, step // not reached: some step always gives 3 to 6
}

// yLabel formats a y axis value with the decimals its step needs, in
// thousands ("12k") when the axis reaches 10,000.
func yLabel(v, step, top float64) string {
	suffix := ""
	if top >= 10000 {
		v, step, suffix = v/1000, step/1000, "k"
	}
	dec := 0
	if step < 1 {
		dec = int(math.Ceil(-math.Log10(step) - 1e-9))
	}
	return strconv.FormatFloat(v, 'f', dec, 64) + suffix
}

// tickSteps are the candidate spacings of time labels, aligned to multiples
// of the step since the zero time, which for steps dividing a day is UTC
// midnight. Day steps serve ranges labelled by date.
var (
	clockSteps = []time.Duration{
		time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
		time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour,
	}
	daySteps = []time.Duration{
		24 * time.Hour, 48 * time.Hour, 72 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour, 21 * 24 * time.Hour,
		30 * 24 * time.Hour, 60 * 24 * time.Hour, 91 * 24 * time.Hour, 182 * 24 * time.Hour, 365 * 24 * time.Hour,
	}
)

// timeTicks returns the times to label on the x axis and their layout:
// "15:04" for ranges up to 36 hours, "Jan 2" beyond. It takes the smallest
// step that gives at most 6 labels, which is 4 to 6 for most ranges; a
// range just past a step boundary (a 3-day range in whole days) gets 3.
func timeTicks(from, to time.Time) ([]time.Time, string) {
	layout, steps := "15:04", clockSteps
	if to.Sub(from) > 36*time.Hour {
		layout, steps = "Jan 2", daySteps
	}
	for i, step := range steps {
		first := from.Truncate(step)
		if first.Before(from) {
			first = first.Add(step)
		}
		n := 0
		if !first.After(to) {
			n = int(to.Sub(first)/step) + 1
		}
		if n > 6 && i < len(steps)-1 {
			continue
		}
		ticks := make([]time.Time, 0, n)
		for t := first; !t.After(to); t = t.Add(step) {
			ticks = append(ticks, t)
		}
		return ticks, layout
	}
	return nil, layout
}
