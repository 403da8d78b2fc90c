package notify

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Bounds on user text, before any escaping, so every channel's limits hold.
const (
	maxNameLen    = 200
	maxMessageLen = 1000
	maxCommentLen = 1000
)

// message is what every channel says about an event, as plain unescaped
// text. Channels escape each piece for their markup.
type message struct {
	State string // "down", "degraded", "acknowledged", "resolved" or "test": picks colour and icon
	Verb  string // "DOWN", "STILL DEGRADED", "RESOLVED", ...
	Name  string // the monitor's display name
	Title string // Verb + ": " + Name
	Intro string // one sentence saying what happened
	Facts []fact
	Link  string // the incident in the dashboard, if known
}

// fact is one labelled detail.
type fact struct {
	Label string
	Value string
}

// describe turns e into a message. It is pure: the same event always reads
// the same.
func describe(e Event) message {
	m := message{Name: displayName(e.Monitor), Link: e.Link}
	kind := e.Incident.Kind
	if kind != "degraded" {
		kind = "down"
	}
	actor := oneLine(truncate(e.Actor, maxNameLen))
	switch e.Type {
	case EventTest:
		m.State, m.Verb = "test", "TEST"
		if m.Name == "" {
			m.Name = "BetterStack notification"
		}
		m.Intro = "This is a test notification from BetterStack. If you can read this, the channel works."
	case EventOpened:
		m.State, m.Verb = kind, strings.ToUpper(kind)
		m.Intro = fmt.Sprintf("%s is %s.", m.Name, kind)
	case EventReminder:
		m.State, m.Verb = kind, "STILL "+strings.ToUpper(kind)
		m.Intro = fmt.Sprintf("%s is still %s.", m.Name, kind)
		if d := elapsed(e.Incident.StartedAt, e.OccurredAt); d != "" {
			m.Intro = fmt.Sprintf("%s has been %s for %s.", m.Name, kind, d)
		}
	case EventAcknowledged:
		m.State, m.Verb = "acknowledged", "ACKNOWLEDGED"
		m.Intro = fmt.Sprintf("The incident on %s was acknowledged.", m.Name)
		if actor != "" {
			m.Intro = fmt.Sprintf("%s acknowledged the incident on %s.", actor, m.Name)
		}
	case EventOperatorAlert, EventOperatorResolved:
		m.State, m.Verb = "down", "ALERT"
		if e.Type == EventOperatorResolved {
			m.State, m.Verb = "resolved", "RESOLVED"
		}
		if m.Name == "" {
			m.Name = "BetterStack"
		}
		m.Title = m.Verb + ": " + m.Name
		m.Intro = oneLine(truncate(e.Comment, maxCommentLen))
		return m
	case EventResolved:
		m.State, m.Verb = "resolved", "RESOLVED"
		back := "up"
		if kind == "degraded" {
			back = "back to normal"
		}
		m.Intro = fmt.Sprintf("%s is %s.", m.Name, back)
		if d := elapsed(e.Incident.StartedAt, resolvedAt(e)); d != "" {
			m.Intro = fmt.Sprintf("%s is %s after %s.", m.Name, back, d)
		}
		if actor != "" {
			m.Intro = fmt.Sprintf("%s resolved the incident on %s.", actor, m.Name)
		}
	}
	m.Title = m.Verb + ": " + m.Name

	add := func(label, value string) {
		if value != "" {
			m.Facts = append(m.Facts, fact{label, value})
		}
	}
	label, what := e.Monitor.what()
	add(label, oneLine(truncate(what, maxURLLen)))
	if e.Type != EventTest {
		add("Cause", cause(e.Incident.Cause))
		add("Regions", oneLine(truncate(strings.Join(e.Incident.Regions, ", "), maxNameLen)))
		if !e.Incident.StartedAt.IsZero() {
			add("Started", formatTime(e.Incident.StartedAt))
		}
		switch e.Type {
		case EventAcknowledged:
			add("Acknowledged by", actor)
		case EventResolved:
			add("Duration", elapsed(e.Incident.StartedAt, resolvedAt(e)))
			add("Resolved by", actor)
		}
	}
	add("Comment", multiLine(truncate(e.Comment, maxCommentLen)))
	return m
}

// displayName names a monitor: its name, else its URL, else its ID.
func displayName(mon Monitor) string {
	switch {
	case strings.TrimSpace(mon.Name) != "":
		return oneLine(truncate(mon.Name, maxNameLen))
	case mon.URL != "":
		return oneLine(truncate(mon.URL, maxNameLen))
	case mon.ID != 0:
		return "monitor #" + strconv.FormatInt(mon.ID, 10)
	}
	return ""
}

// cause renders why a check failed, e.g. "http_status (HTTP 503): expected 2xx".
func cause(c Cause) string {
	s := c.ErrorClass
	if c.StatusCode > 0 {
		if s != "" {
			s += " (HTTP " + strconv.Itoa(c.StatusCode) + ")"
		} else {
			s = "HTTP " + strconv.Itoa(c.StatusCode)
		}
	}
	if msg := oneLine(truncate(c.Message, maxMessageLen)); msg != "" {
		if s != "" {
			s += ": "
		}
		s += msg
	}
	return s
}

// resolvedAt is when the incident ended: its ResolvedAt, else the event time.
func resolvedAt(e Event) time.Time {
	if e.Incident.ResolvedAt != nil {
		return *e.Incident.ResolvedAt
	}
	return e.OccurredAt
}

// elapsed renders the time from start to end, "" if unknown.
func elapsed(start, end time.Time) string {
	if start.IsZero() || end.IsZero() || end.Before(start) {
		return ""
	}
	return humanDuration(end.Sub(start))
}

// humanDuration renders d in its two largest units: "3s", "4m 5s", "2h 10m",
// "3d 4h".
func humanDuration(d time.Duration) string {
	secs := int64(d.Round(time.Second) / time.Second)
	units := []struct {
		n    int64
		name string
	}{{secs / 86400, "d"}, {secs / 3600 % 24, "h"}, {secs / 60 % 60, "m"}, {secs % 60, "s"}}
	for i, u := range units {
		if u.n == 0 && i < len(units)-1 {
			continue
		}
		s := strconv.FormatInt(u.n, 10) + u.name
		if i+1 < len(units) && units[i+1].n != 0 {
			s += " " + strconv.FormatInt(units[i+1].n, 10) + units[i+1].name
		}
		return s
	}
	return "0s"
}

// formatTime renders t in UTC, to the second.
func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// icon is the emoji for a message state.
func icon(state string) string {
	switch state {
	case "down":
		return "🔴"
	case "degraded":
		return "🟠"
	case "acknowledged":
		return "👀"
	case "resolved":
		return "✅"
	}
	return "🧪"
}

// color is the RGB colour for a message state.
func color(state string) int {
	switch state {
	case "down":
		return 0xD93025
	case "degraded":
		return 0xF29900
	case "acknowledged":
		return 0x1A73E8
	case "resolved":
		return 0x188038
	}
	return 0x80868B
}

// oneLine replaces every control character (CR and LF included) and run of
// white space with one space, so user text cannot start a new header or
// line of markup.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}), " ")
}

// multiLine is oneLine for text that may keep its line breaks: each line is
// cleaned and blank lines at either end are dropped.
func multiLine(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = oneLine(l)
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}

// truncate shortens s to at most n runes, marking the cut with "…".
func truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	runes := []rune(s)
	return string(runes[:n-1]) + "…"
}

// fit escapes s with esc, first shortening s so the escaped text is at most
// n runes: cutting after escaping could split an escape sequence.
func fit(s string, n int, esc func(string) string) string {
	out := esc(s)
	if utf8.RuneCountInString(out) <= n {
		return out
	}
	runes := []rune(s)
	lo, hi := 0, len(runes) // binary search the longest prefix that fits
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if utf8.RuneCountInString(esc(string(runes[:mid]))+"…") <= n {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return esc(string(runes[:lo])) + "…"
}
