// Package chart draws the charts of the dashboard and the public status pages
// as SVG: response-time sparklines, multi-region latency lines, daily uptime
// bars, and the standalone status badge.
//
// Charts are drawn on the server because the pages have no JavaScript
// framework and run under a strict Content-Security-Policy (no scripts, no
// inline styles): inline SVG renders in the same response, works with
// scripting off, scales to phone width through its viewBox, and is a few
// kilobytes. Hover details are SVG <title> elements, which browsers show as
// tooltips without any script.
//
// Data enters as plain values (floats, times, labels) and leaves as markup:
// template.HTML for charts placed inside pages, []byte for the badge. Every
// function is pure and its output deterministic (coordinates are printed
// with one decimal), so tests can compare it. Every caller-supplied text is
// XML-escaped, and characters XML cannot carry are replaced by U+FFFD.
//
// Inline charts carry no colours. They set CSS classes that the page
// stylesheet styles for the light and dark theme, with presentation
// attributes (fill="none", stroke="currentColor") as a fallback that any CSS
// rule overrides:
//
//	chart                      root <svg> of every inline chart
//	chart-grid                 gridlines
//	chart-axis                 axes and ticks
//	chart-label                axis labels, legend names, "No data"
//	chart-line chart-s0..s7    a series line (series index mod 8)
//	chart-key                  the legend's sample of a series line
//	chart-marker               a point with a tip; opacity 0 until :hover
//	spark                      a sparkline
//	bar-up bar-warn bar-down bar-none   uptime bars
//
// The badge is served alone as image/svg+xml, so it carries its colours.
package chart

import (
	"math"
	"strconv"
	"unicode/utf8"
)

// svg accumulates markup. Numbers are appended with strconv into the same
// buffer, which keeps a 1,440-point chart to a handful of allocations.
type svg struct{ b []byte }

// s appends trusted markup.
func (w *svg) s(markup string) { w.b = append(w.b, markup...) }

// i appends an integer.
func (w *svg) i(n int) { w.b = strconv.AppendInt(w.b, int64(n), 10) }

// f appends a coordinate with one decimal. Values that round to zero print
// as "0.0", never "-0.0", so output does not depend on the sign of noise.
func (w *svg) f(v float64) {
	if v > -0.05 && v < 0.05 {
		v = 0
	}
	w.b = strconv.AppendFloat(w.b, v, 'f', 1, 64)
}

// attr appends ` name="value"` with a coordinate value.
func (w *svg) attr(name string, v float64) {
	w.s(" ")
	w.s(name)
	w.s(`="`)
	w.f(v)
	w.s(`"`)
}

// esc appends caller-supplied text escaped for XML text and attribute
// values. Control characters, invalid UTF-8 and the non-characters
// U+FFFE/U+FFFF, which no XML document may contain, become U+FFFD. Runs of
// plain text are copied whole.
func (w *svg) esc(text string) {
	b, plain := w.b, 0
	for i := 0; i < len(text); {
		c, size, repl := text[i], 1, ""
		switch {
		case c == '&':
			repl = "&amp;"
		case c == '<':
			repl = "&lt;"
		case c == '>':
			repl = "&gt;"
		case c == '"':
			repl = "&#34;"
		case c == '\'':
			repl = "&#39;"
		case c == '\t', c == '\n', c == '\r':
		case c < 0x20:
			repl = "\uFFFD"
		case c >= utf8.RuneSelf:
			var r rune
			r, size = utf8.DecodeRuneInString(text[i:])
			if (r == utf8.RuneError && size == 1) || r == 0xFFFE || r == 0xFFFF {
				repl = "\uFFFD"
			}
		}
		if repl != "" {
			b = append(b, text[plain:i]...)
			b = append(b, repl...)
			plain = i + size
		}
		i += size
	}
	w.b = append(b, text[plain:]...)
}

// open appends the root element of an inline chart (viewBox, the caller's
// sizing attributes, class "chart", role="img", aria-label) and its <title>,
// which screen readers announce and browsers show on hover.
func (w *svg) open(width, height int, sizing, title string) {
	w.s(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 `)
	w.i(width)
	w.s(" ")
	w.i(height)
	w.s(`" `)
	w.s(sizing)
	w.s(` class="chart" role="img" aria-label="`)
	w.esc(title)
	w.s(`"><title>`)
	w.esc(title)
	w.s(`</title>`)
}

// finite reports whether v can be drawn (not NaN, not infinite).
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// polyline appends path data through n points. at returns a point's
// coordinates, or ok false for a gap, which ends the current subpath; each
// run of points starts with an M command. A run of a single point gets a
// zero-length segment ("h0") so round line caps draw it as a dot.
func (w *svg) polyline(n int, at func(i int) (x, y float64, ok bool)) {
	run := 0
	for i := range n {
		x, y, ok := at(i)
		if !ok {
			if run == 1 {
				w.s("h0")
			}
			run = 0
			continue
		}
		if run == 0 {
			w.s("M")
		} else {
			w.s("L")
		}
		w.f(x)
		w.s(" ")
		w.f(y)
		run++
	}
	if run == 1 {
		w.s("h0")
	}
}

// verdana holds advance widths of printable ASCII (space to '~') in
// thousandths of an em, from Verdana's metrics. Verdana is wide, so the
// estimate errs towards room to spare for other sans-serif fonts.
var verdana = [95]uint16{
	352, 394, 459, 818, 636, 1076, 727, 269, 454, 454, 636, 818, 364, 454, 364, 454, // ' ' to '/'
	636, 636, 636, 636, 636, 636, 636, 636, 636, 636, // '0' to '9'
	454, 454, 818, 818, 818, 545, 1000, // ':' to '@'
	684, 686, 698, 771, 632, 575, 775, 751, 421, 455, 693, 557, 843, // 'A' to 'M'
	748, 787, 603, 787, 695, 684, 616, 732, 684, 989, 685, 615, 685, // 'N' to 'Z'
	454, 454, 454, 818, 636, 636, // '[' to '`'
	601, 623, 521, 623, 596, 352, 623, 633, 274, 344, 592, 274, 973, // 'a' to 'm'
	633, 607, 623, 623, 427, 521, 394, 633, 592, 818, 592, 592, 525, // 'n' to 'z'
	636, 454, 636, 818, // '{' to '~'
}

// textWidth estimates the width in pixels of text set at 11 px. Characters
// outside ASCII count as a digit, and from U+2E80 on (CJK, emoji) as a full
// em.
func textWidth(text string) float64 {
	var milli int
	for _, r := range text {
		switch {
		case r >= ' ' && r <= '~':
			milli += int(verdana[r-' '])
		case r >= 0x2E80:
			milli += 1000
		default:
			milli += 636
		}
	}
	return float64(milli) * 11 / 1000
}

// truncate shortens text to at most n runes, marking the cut with "…".
func truncate(text string, n int) string {
	if utf8.RuneCountInString(text) <= n {
		return text
	}
	runes := []rune(text)
	return string(runes[:n-1]) + "…"
}
