package sla

import (
	"sort"
	"time"
)

// clip cuts ivs to [from, to), dropping what falls outside or is empty.
func clip(ivs []Interval, from, to time.Time) []Interval {
	out := make([]Interval, 0, len(ivs))
	for _, iv := range ivs {
		iv = Interval{Start: maxTime(iv.Start, from), End: minTime(iv.End, to)}
		if iv.Start.Before(iv.End) {
			out = append(out, iv)
		}
	}
	return out
}

// union merges ivs into sorted, disjoint, non-empty intervals; touching
// intervals merge. It sorts ivs in place.
func union(ivs []Interval) []Interval {
	sort.Slice(ivs, func(i, j int) bool { return ivs[i].Start.Before(ivs[j].Start) })
	var out []Interval
	for _, iv := range ivs {
		if !iv.Start.Before(iv.End) {
			continue
		}
		if n := len(out); n > 0 && !iv.Start.After(out[n-1].End) {
			out[n-1].End = maxTime(out[n-1].End, iv.End)
			continue
		}
		out = append(out, iv)
	}
	return out
}

// subtract returns the parts of a not in b; both must be unions.
func subtract(a, b []Interval) []Interval {
	var out []Interval
	j := 0
	for _, iv := range a {
		start := iv.Start
		for j < len(b) && !b[j].End.After(start) {
			j++
		}
		for k := j; k < len(b) && b[k].Start.Before(iv.End); k++ {
			if b[k].Start.After(start) {
				out = append(out, Interval{Start: start, End: b[k].Start})
			}
			start = maxTime(start, b[k].End)
		}
		if start.Before(iv.End) {
			out = append(out, Interval{Start: start, End: iv.End})
		}
	}
	return out
}

// total is the summed length of disjoint intervals.
func total(ivs []Interval) time.Duration {
	var d time.Duration
	for _, iv := range ivs {
		d += iv.End.Sub(iv.Start)
	}
	return d
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
