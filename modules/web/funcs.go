package web

import (
	"fmt"
	"html/template"
	"math"
	"strings"
	"time"
)

// Funcs are the template functions every page may use.
func Funcs(a *Assets) template.FuncMap {
	return template.FuncMap{
		"asset": a.URL,
		// safeURL passes a PNG data: URI (the QR code made by the server)
		// and nothing else.
		"safeURL": func(s string) template.URL {
			if strings.HasPrefix(s, "data:image/png;base64,") {
				return template.URL(s)
			}
			return ""
		},
		"pct":      Percent,
		"ms":       Millis,
		"ago":      func(t any) string { return Ago(t, time.Now()) },
		"duration": Duration,
		"datetime": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
		"date":     func(t time.Time) string { return t.UTC().Format("Jan 2, 2006") },
		"iso":      func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"join":     strings.Join,
		"title":    Title,
	}
}

// Percent formats an uptime fraction: "99.95 %", "100 %", "—" without data.
func Percent(u float64) string {
	if math.IsNaN(u) {
		return "—"
	}
	if u >= 1 {
		return "100 %"
	}
	// Never round a failure up to 100 %.
	return fmt.Sprintf("%.2f %%", math.Floor(u*10000)/100)
}

// Millis formats a latency: "87 ms", "1.24 s", "—" without data.
func Millis(ms float64) string {
	switch {
	case math.IsNaN(ms) || ms < 0:
		return "—"
	case ms >= 1000:
		return fmt.Sprintf("%.2f s", ms/1000)
	default:
		return fmt.Sprintf("%.0f ms", ms)
	}
}

// Ago formats how long ago t was: "12 s ago", "3 min ago", "never". t may be
// a time.Time or a *time.Time.
func Ago(t any, now time.Time) string {
	var at time.Time
	switch v := t.(type) {
	case time.Time:
		at = v
	case *time.Time:
		if v == nil {
			return "never"
		}
		at = *v
	}
	if at.IsZero() {
		return "never"
	}
	d := now.Sub(at)
	if d < 0 {
		d = 0
	}
	return Duration(d.Seconds()) + " ago"
}

// Duration formats seconds for people: "45 s", "3 min", "2 h 5 min", "3 d 4 h".
func Duration(sec float64) string {
	s := int64(sec)
	switch {
	case s < 60:
		return fmt.Sprintf("%d s", s)
	case s < 3600:
		return fmt.Sprintf("%d min", s/60)
	case s < 86400:
		if m := s % 3600 / 60; m > 0 {
			return fmt.Sprintf("%d h %d min", s/3600, m)
		}
		return fmt.Sprintf("%d h", s/3600)
	default:
		if h := s % 86400 / 3600; h > 0 {
			return fmt.Sprintf("%d d %d h", s/86400, h)
		}
		return fmt.Sprintf("%d d", s/86400)
	}
}

// Title upper-cases the first letter: "down" -> "Down".
func Title(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
