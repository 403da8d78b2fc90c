package chart

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestUptimeClass(t *testing.T) {
	tests := []struct {
		name   string
		uptime float64
		want   string
	}{
		{"full", 1, "bar-up"},
		{"99.95 %", 0.9995, "bar-up"},
		{"99.9 % exactly", 0.999, "bar-up"},
		{"99.5 %", 0.995, "bar-warn"},
		{"99 % exactly", 0.99, "bar-warn"},
		{"98.9 %", 0.989, "bar-down"},
		{"half", 0.5, "bar-down"},
		{"zero", 0, "bar-down"},
		{"no data", math.NaN(), "bar-none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := UptimeClass(tt.uptime); got != tt.want {
				t.Errorf("UptimeClass(%v) = %q, want %q", tt.uptime, got, tt.want)
			}
		})
	}
}

func TestUptimeBars(t *testing.T) {
	bars := []Bar{
		{Label: "Nov 20", Uptime: 0.9995, Tooltip: "Nov 20: 99.95 % uptime"},
		{Label: "Nov 21", Uptime: 0.995, Tooltip: "Nov 21: 99.5 % uptime, 1 incident", Href: "/status/acme/history?day=2026-11-21&region=eu"},
		{Label: "Nov 22", Uptime: 0.5, Tooltip: hostile, Href: "javascript:alert(1)"},
		{Label: "Nov 23", Uptime: math.NaN()},
	}
	out := string(UptimeBars(bars, 400, 30, "90-day uptime"))
	root := mustParse(t, out)
	checkAccessible(t, root, "90-day uptime")
	checkEscaped(t, out)
	if root.attr["viewBox"] != "0 0 400 30" || root.attr["height"] != "30" || root.attr["preserveAspectRatio"] != "none" {
		t.Errorf("sizing attributes %v", root.attr)
	}

	rects := root.find("rect", "")
	var classes, tips, xs []string
	for _, r := range rects {
		classes = append(classes, r.attr["class"])
		xs = append(xs, r.attr["x"])
		if len(r.kids) == 1 && r.kids[0].name == "title" {
			tips = append(tips, r.kids[0].text)
		}
	}
	if want := []string{"bar-up", "bar-warn", "bar-down", "bar-none"}; !slices.Equal(classes, want) {
		t.Errorf("classes = %q, want %q", classes, want)
	}
	if want := []string{"Nov 20: 99.95 % uptime", "Nov 21: 99.5 % uptime, 1 incident", hostile, "Nov 23"}; !slices.Equal(tips, want) {
		t.Errorf("titles = %q, want %q (label when no tooltip)", tips, want)
	}
	if want := []string{"12.5", "112.5", "212.5", "312.5"}; !slices.Equal(xs, want) {
		t.Errorf("x = %q, want oldest first, left to right %q", xs, want)
	}
	links := root.find("a", "")
	if len(links) != 1 || links[0].attr["href"] != "/status/acme/history?day=2026-11-21&region=eu" {
		t.Errorf("links = %v, want only the safe one", links)
	}
	if !strings.Contains(out, `href="/status/acme/history?day=2026-11-21&amp;region=eu"`) {
		t.Error("href not escaped")
	}
	if strings.Contains(out, "javascript") {
		t.Error("javascript: link emitted")
	}
}

func TestUptimeBarsCount(t *testing.T) {
	for _, n := range []int{0, 1, 30, 90} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			bars := make([]Bar, n)
			for i := range bars {
				bars[i] = Bar{Uptime: 1}
			}
			root := mustParse(t, string(UptimeBars(bars, 0, 0, "")))
			checkAccessible(t, root, "Uptime history")
			if got := len(root.find("rect", "bar-up")); got != n {
				t.Errorf("%d rects, want %d", got, n)
			}
		})
	}
}

func TestSafeHref(t *testing.T) {
	tests := []struct {
		href string
		want bool
	}{
		{"/incidents/42", true},
		{"?day=2026-11-23", true},
		{"https://status.example.com/", true},
		{"HTTP://example.com/", true},
		{"javascript:alert(1)", false},
		{"JavaScript:alert(1)", false},
		{" javascript:alert(1)", false},
		{"java\tscript:alert(1)", false},
		{"data:text/html,<script>", false},
	}
	for _, tt := range tests {
		t.Run(tt.href, func(t *testing.T) {
			if got := safeHref(tt.href); got != tt.want {
				t.Errorf("safeHref(%q) = %v, want %v", tt.href, got, tt.want)
			}
		})
	}
}

func BenchmarkUptimeBars(b *testing.B) {
	bars := make([]Bar, 90)
	for i := range bars {
		bars[i] = Bar{
			Label:   fmt.Sprintf("Day %d", i),
			Uptime:  1 - float64(i%7)/500,
			Tooltip: fmt.Sprintf("Day %d: %.2f %% uptime", i, 100-float64(i%7)/5),
			Href:    fmt.Sprintf("/status/acme/history?day=%d", i),
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		UptimeBars(bars, 0, 0, "Uptime, last 90 days")
	}
}
