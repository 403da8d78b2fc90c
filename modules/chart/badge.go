package chart

import (
	"math"
	"strconv"
	"strings"
)

// Badge colours.
const (
	Green  = "#4c1"
	Yellow = "#dfb317"
	Orange = "#fe7d37"
	Red    = "#e05d44"
	Grey   = "#9f9f9f"
	Blue   = "#007ec6"
)

// badgeLabel is the colour of the badge's label part.
const badgeLabel = "#555"

// colourNames lets callers name a badge colour instead of passing its code.
var colourNames = map[string]string{
	"green": Green, "yellow": Yellow, "orange": Orange,
	"red": Red, "grey": Grey, "gray": Grey, "blue": Blue,
}

// Badge returns a standalone shields.io-style flat SVG badge (it is served as image/svg+xml on its own, so it carries explicit colours, not classes): grey label part, coloured message part, text widths estimated from a per-character width table (Verdana 11px-ish), <title> "label: message", aria-label. Colour is one of the names below or a #rrggbb; anything else falls back to grey. Label and message are escaped.
//
// A colour may be given as a constant (Green), its name ("green") or any
// #rgb or #rrggbb code. Light message colours get dark text. An empty label
// draws the message part alone.
func Badge(label, message, colour string) []byte {
	colour = badgeColour(colour)
	title := message
	if label != "" {
		title = label + ": " + message
	}
	lw, lt := badgePart(label)
	mw, mt := badgePart(message)
	width := lw + mw
	text, shadow := "#fff", "#010101"
	if brightness(colour) > 0.69 {
		text, shadow = "#333", "#ccc"
	}

	var w svg
	w.b = make([]byte, 0, 1200)
	w.s(`<svg xmlns="http://www.w3.org/2000/svg" width="`)
	w.i(width)
	w.s(`" height="20" role="img" aria-label="`)
	w.esc(title)
	w.s(`"><title>`)
	w.esc(title)
	w.s(`</title><linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient><clipPath id="r"><rect width="`)
	w.i(width)
	w.s(`" height="20" rx="3" fill="#fff"/></clipPath><g clip-path="url(#r)">`)
	if lw > 0 {
		w.s(`<rect width="`)
		w.i(lw)
		w.s(`" height="20" fill="` + badgeLabel + `"/>`)
	}
	w.s(`<rect x="`)
	w.i(lw)
	w.s(`" width="`)
	w.i(mw)
	w.s(`" height="20" fill="`)
	w.s(colour)
	w.s(`"/><rect width="`)
	w.i(width)
	w.s(`" height="20" fill="url(#s)"/></g><g text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" text-rendering="geometricPrecision" font-size="11">`)
	if lw > 0 {
		badgeText(&w, label, float64(lw)/2, lt, "#fff", "#010101")
	}
	badgeText(&w, message, float64(lw)+float64(mw)/2, mt, text, shadow)
	w.s(`</g></svg>`)
	return w.b
}

// badgePart returns the width of a badge part holding text (5 px padding on
// each side) and the text's estimated width; an empty text has no part.
func badgePart(text string) (width int, textLen float64) {
	if text == "" {
		return 0, 0
	}
	textLen = textWidth(text)
	return int(math.Round(textLen)) + 10, textLen
}

// badgeText appends text centred at x with a one-pixel shadow below it.
// textLength pins the rendered width to the estimate, so a font wider than
// the table's never overflows its part.
func badgeText(w *svg, text string, x, textLen float64, fill, shadow string) {
	for _, t := range []struct {
		y           string
		fill, extra string
	}{
		{"15", shadow, ` fill-opacity=".3" aria-hidden="true"`},
		{"14", fill, ""},
	} {
		w.s(`<text`)
		w.attr("x", x)
		w.s(` y="` + t.y + `" fill="` + t.fill + `"` + t.extra)
		w.attr("textLength", textLen)
		w.s(">")
		w.esc(text)
		w.s("</text>")
	}
}

// badgeColour resolves a colour argument to a hex code, falling back to
// grey for anything that is neither a known name nor #rgb/#rrggbb.
func badgeColour(colour string) string {
	if hex, ok := colourNames[strings.ToLower(colour)]; ok {
		return hex
	}
	if (len(colour) == 4 || len(colour) == 7) && colour[0] == '#' {
		if _, err := strconv.ParseUint(colour[1:], 16, 32); err == nil {
			return strings.ToLower(colour)
		}
	}
	return Grey
}

// brightness returns the perceived brightness (0..1) of a #rgb or #rrggbb
// colour, as shields.io uses it to choose dark text on light colours.
func brightness(hex string) float64 {
	digits := hex[1:]
	if len(digits) == 3 {
		digits = string([]byte{digits[0], digits[0], digits[1], digits[1], digits[2], digits[2]})
	}
	v, err := strconv.ParseUint(digits, 16, 32)
	if err != nil {
		return 0
	}
	r, g, b := float64(v>>16), float64(v>>8&0xff), float64(v&0xff)
	return (299*r + 587*g + 114*b) / 255000
}
