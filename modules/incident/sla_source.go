package incident

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Span is a period an incident was open or a maintenance window was in
// force, [Start, End). An incident still open ends now. Kind is the
// incident's kind, "" for maintenance.
type Span struct {
	Start time.Time
	End   time.Time
	Kind  Kind
}

// Intervals returns the incidents of monitorID open at some time in
// [from, to), split by kind, oldest first. The caller checks ownership.
func (s *Service) Intervals(ctx context.Context, monitorID int64, from, to time.Time) (down, degraded []Span, err error) {
	rows, err := s.store.overlapping(ctx, monitorID, from, to)
	if err != nil {
		return nil, nil, fmt.Errorf("read incidents: %w", err)
	}
	now := s.now()
	for _, r := range rows {
		sp := Span{Start: r.StartedAt.UTC(), End: now, Kind: Kind(r.Kind)}
		if r.ResolvedAt != nil {
			sp.End = r.ResolvedAt.UTC()
		}
		switch sp.Kind {
		case KindDown:
			down = append(down, sp)
		case KindDegraded:
			degraded = append(degraded, sp)
		}
	}
	return down, degraded, nil
}

// MaintenanceSpans returns the occurrences of the maintenance windows that
// cover monitorID and overlap [from, to), unclipped and unmerged (windows
// may overlap). The caller checks ownership.
func (s *Service) MaintenanceSpans(ctx context.Context, monitorID int64, from, to time.Time) ([]Span, error) {
	db := s.store.db.WithContext(ctx)
	ms, err := s.store.monitors(db, []int64{monitorID})
	if err != nil {
		return nil, fmt.Errorf("read monitor: %w", err)
	}
	m, ok := ms[monitorID]
	if !ok {
		return nil, nil
	}
	ws, err := s.store.windowsOf(db, []int64{m.WorkspaceID})
	if err != nil {
		return nil, fmt.Errorf("read maintenance windows: %w", err)
	}
	// A window counts only from when it was declared: one created today
	// must not excuse last month's outage in a report after the fact.
	var out []Span
	for _, w := range ws {
		if !w.Covers(monitorID) {
			continue
		}
		declared := w.CreatedAt.UTC()
		for _, sp := range w.Occurrences(maxTime(from, declared), to) {
			if sp.Start.Before(declared) {
				sp.Start = declared
			}
			if sp.Start.Before(sp.End) {
				out = append(out, sp)
			}
		}
	}
	return out, nil
}

// Occurrences returns the periods the window is in force that overlap
// [from, to), in order, unclipped. A weekly window starts at StartTime on
// each of its weekdays as the wall clock reads in TimeZone, so it keeps its
// local start across daylight-saving changes, and lasts DurationMinutes of
// real time, as Active decides. A start time that a spring-forward skips
// falls where time.Date puts it, as in Active. Windows that cannot be read
// (a bad zone or start time) yield nothing, as Active treats them.
func (w Window) Occurrences(from, to time.Time) []Span {
	if !from.Before(to) {
		return nil
	}
	if w.StartsAt != nil && w.EndsAt != nil {
		if w.StartsAt.Before(to) && w.EndsAt.After(from) {
			return []Span{{Start: w.StartsAt.UTC(), End: w.EndsAt.UTC()}}
		}
		return nil
	}
	loc, err := time.LoadLocation(w.TimeZone)
	if err != nil || len(w.Weekdays) == 0 || w.DurationMinutes <= 0 {
		return nil
	}
	var hh, mm int
	if _, err := fmt.Sscanf(w.StartTime, "%d:%d", &hh, &mm); err != nil {
		return nil
	}
	dur := time.Duration(w.DurationMinutes) * time.Minute
	// Start a week early: an occurrence of up to a week that began before
	// from may still run. Stop after the local day to falls on.
	first := from.In(loc).AddDate(0, 0, -7)
	last := to.In(loc)
	lastDay := time.Date(last.Year(), last.Month(), last.Day(), 0, 0, 0, 0, time.UTC)
	var out []Span
	for i := 0; ; i++ {
		start := time.Date(first.Year(), first.Month(), first.Day()+i, hh, mm, 0, 0, loc)
		if time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, time.UTC).After(lastDay) {
			break
		}
		if !slices.Contains(w.Weekdays, int(start.Weekday())) {
			continue
		}
		end := start.Add(dur)
		if start.Before(to) && end.After(from) {
			out = append(out, Span{Start: start.UTC(), End: end.UTC()})
		}
	}
	return out
}

// overlapping returns monitorID's incidents open at some time in
// [from, to), oldest first.
func (s *store) overlapping(ctx context.Context, monitorID int64, from, to time.Time) ([]incidentRow, error) {
	var rows []incidentRow
	err := s.db.WithContext(ctx).Select("id, kind, started_at, resolved_at").
		Where("monitor_id = ? AND started_at < ? AND (resolved_at IS NULL OR resolved_at > ?)", monitorID, to.UTC(), from.UTC()).
		Order("started_at, id").Find(&rows).Error
	return rows, err
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
