package chart

import (
	"html/template"
	"math"
	"strconv"
)

// Default sparkline size, in viewBox units.
const (
	sparkWidth  = 100
	sparkHeight = 24
)

// Sparkline draws a small line of values left to right; NaN values are gaps (the line breaks). All-NaN or empty draws an empty frame with the title.
//
// The values are scaled from their minimum (bottom) to their maximum (top),
// so the line shows variation rather than magnitude; equal values draw a flat
// line across the middle. Infinite values are gaps too. The SVG is 100 % wide
// and height tall, stretched (preserveAspectRatio="none") with a stroke that
// does not scale, so it fills a table cell at any width. A width or height
// of 0 or less takes the default, 100×24.
func Sparkline(values []float64, width, height int, title string) template.HTML {
	if width <= 0 {
		width = sparkWidth
	}
	if height <= 0 {
		height = sparkHeight
	}
	if title == "" {
		title = "Trend"
	}

	var w svg
	w.b = make([]byte, 0, 400+16*len(values))
	w.open(width, height, `width="100%" height="`+strconv.Itoa(height)+`" preserveAspectRatio="none"`, title)

	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range values {
		if finite(v) {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	if lo <= hi { // at least one value to draw
		// Keep the stroke inside the frame at the top and bottom.
		pad := min(2, float64(height)/4)
		span := float64(height) - 2*pad
		y := func(v float64) float64 {
			if hi == lo {
				return float64(height) / 2
			}
			return pad + (hi-v)/(hi-lo)*span
		}
		x := func(i int) float64 {
			if len(values) == 1 {
				return float64(width) / 2
			}
			return float64(i) * float64(width) / float64(len(values)-1)
		}
		w.s(`<path class="spark" d="`)
		w.polyline(len(values), func(i int) (float64, float64, bool) {
			v := values[i]
			return x(i), y(v), finite(v)
		})
		w.s(`" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linejoin="round" stroke-linecap="round" vector-effect="non-scaling-stroke"/>`)
	}
	w.s(`</svg>`)
	return template.HTML(w.b) // safe: caller text went through esc
}
