package chart

import (
	"html/template"
	"math"
	"net/url"
	"strconv"
)

// Default uptime bars size, in viewBox units.
const (
	barsWidth  = 600
	barsHeight = 32
)

// Bar is one period of an uptime bar (one day, typically).
type Bar struct {
	Label   string  // e.g. "Nov 23"
	Uptime  float64 // 0..1; NaN = no data
	Tooltip string  // e.g. "Nov 23: 99.95 % uptime, 1 incident"
	Href    string  // optional link (wraps the rect in <a href>, escaped)
}

// UptimeBars draws one thin rect per bar, left (oldest) to right, class by UptimeClass, each with a <title> of its Tooltip.
//
// A bar without a Tooltip is titled by its Label. An Href is kept only when
// it is relative or http(s): the markup bypasses html/template's URL
// filtering, so a javascript: link is dropped here instead. The SVG is 100 %
// wide and height tall, stretched (preserveAspectRatio="none"), so 90 bars
// fit a phone and a desktop alike. A width or height of 0 or less takes the
// default, 600×32.
func UptimeBars(bars []Bar, width, height int, title string) template.HTML {
	if width <= 0 {
		width = barsWidth
	}
	if height <= 0 {
		height = barsHeight
	}
	if title == "" {
		title = "Uptime history"
	}

	var w svg
	w.b = make([]byte, 0, 400+160*len(bars))
	w.open(width, height, `width="100%" height="`+strconv.Itoa(height)+`" preserveAspectRatio="none"`, title)
	slot := float64(width) / float64(max(len(bars), 1))
	gap := slot / 4
	for i, b := range bars {
		link := b.Href != "" && safeHref(b.Href)
		if link {
			w.s(`<a href="`)
			w.esc(b.Href)
			w.s(`">`)
		}
		w.s(`<rect class="`)
		w.s(UptimeClass(b.Uptime))
		w.s(`"`)
		w.attr("x", float64(i)*slot+gap/2)
		w.s(` y="0"`)
		w.attr("width", slot-gap)
		w.s(` height="`)
		w.i(height)
		w.s(`" fill="currentColor">`)
		tip := b.Tooltip
		if tip == "" {
			tip = b.Label
		}
		if tip != "" {
			w.s("<title>")
			w.esc(tip)
			w.s("</title>")
		}
		w.s("</rect>")
		if link {
			w.s("</a>")
		}
	}
	w.s("</svg>")
	return template.HTML(w.b) // safe: caller text went through esc
}

// UptimeClass returns the CSS class for an uptime fraction (see above; NaN -> "bar-none").
//
// The classes are bar-up from 99.9 %, bar-warn from 99 %, bar-down below.
func UptimeClass(u float64) string {
	switch {
	case math.IsNaN(u):
		return "bar-none"
	case u >= 0.999:
		return "bar-up"
	case u >= 0.99:
		return "bar-warn"
	default:
		return "bar-down"
	}
}

// safeHref reports whether a link may be emitted: a relative URL, or an
// absolute one with the http or https scheme.
func safeHref(href string) bool {
	u, err := url.Parse(href)
	if err != nil {
		return false
	}
	return u.Scheme == "" || u.Scheme == "http" || u.Scheme == "https"
}
