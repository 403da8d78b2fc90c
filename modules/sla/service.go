package sla

import (
	"context"
	"fmt"
	"time"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/incident"
	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/tick"
)

// IncidentSource gives a monitor's incidents and maintenance;
// incident.Service does.
type IncidentSource interface {
	Intervals(ctx context.Context, monitorID int64, from, to time.Time) (down, degraded []incident.Span, err error)
	MaintenanceSpans(ctx context.Context, monitorID int64, from, to time.Time) ([]incident.Span, error)
}

// RollupSource gives daily rollups; tick.Service does.
type RollupSource interface {
	Daily(ctx context.Context, monitorIDs []int64, from, to time.Time) ([]tick.Rollup, error)
}

// MonitorGetter finds one of a user's monitors; monitor.Service does.
type MonitorGetter interface {
	Get(ctx context.Context, workspaceID, id int64) (monitor.Monitor, error)
}

var (
	_ IncidentSource = (*incident.Service)(nil)
	_ RollupSource   = (*tick.Service)(nil)
	_ MonitorGetter  = (*monitor.Service)(nil)
)

// Config tunes the SLA service.
type Config struct {
	Now func() time.Time
}

// Service computes SLA reports.
type Service struct {
	cfg       Config
	incidents IncidentSource
	rollups   RollupSource
	monitors  MonitorGetter
}

// New returns the SLA service.
func New(incidents IncidentSource, rollups RollupSource, monitors MonitorGetter, cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg, incidents: incidents, rollups: rollups, monitors: monitors}
}

// Period resolves a requested period: a zero to is now, a zero from is
// DefaultPeriod before to. to must be after from and at most MaxPeriod
// later. The result ends at now at the latest (and starts no later than it
// ends), since the future has no figures yet. Pure.
func Period(from, to, now time.Time) (time.Time, time.Time, error) {
	now = now.UTC().Truncate(time.Microsecond)
	if to.IsZero() {
		to = now
	}
	if from.IsZero() {
		from = to.Add(-DefaultPeriod)
	}
	from, to = from.UTC(), to.UTC()
	switch {
	case !from.Before(now):
		return from, to, apperr.Field("from", "is in the future: a report covers time that has passed")
	case !to.After(from):
		return from, to, apperr.Field("to", "must be after from")
	case to.Sub(from) > MaxPeriod:
		return from, to, apperr.Field("from", fmt.Sprintf("must be at most %d days before to", int(MaxPeriod/day)))
	}
	to = minTime(to, now)
	from = minTime(from, to)
	return from, to, nil
}

// input is what a report is computed from.
type input struct {
	from, to                    time.Time
	down, degraded, maintenance []Interval
	days                        []tick.Rollup
}

func (s *Service) load(ctx context.Context, workspaceID, monitorID int64, from, to time.Time) (input, error) {
	from, to, err := Period(from, to, s.cfg.Now())
	if err != nil {
		return input{}, err
	}
	m, err := s.monitors.Get(ctx, workspaceID, monitorID)
	if err != nil {
		return input{}, err
	}
	// Nothing was monitored before the monitor existed: that time is not
	// uptime, so the period starts no earlier than its creation.
	if created := m.CreatedAt.UTC(); from.Before(created) {
		if !to.After(created) {
			return input{}, apperr.Field("to", "is before the monitor was created ("+created.Format(time.RFC3339)+")")
		}
		from = created
	}
	in := input{from: from, to: to}
	down, degraded, err := s.incidents.Intervals(ctx, monitorID, from, to)
	if err != nil {
		return input{}, err
	}
	maint, err := s.incidents.MaintenanceSpans(ctx, monitorID, from, to)
	if err != nil {
		return input{}, err
	}
	in.down, in.degraded, in.maintenance = intervals(down), intervals(degraded), intervals(maint)
	if in.days, err = s.rollups.Daily(ctx, []int64{monitorID}, from, to); err != nil {
		return input{}, fmt.Errorf("read rollups: %w", err)
	}
	return in, nil
}

func intervals(spans []incident.Span) []Interval {
	out := make([]Interval, 0, len(spans))
	for _, sp := range spans {
		out = append(out, Interval{Start: sp.Start, End: sp.End})
	}
	return out
}

// Report returns the SLA of one of the user's monitors over [from, to)
// (zero times take the defaults of Period).
func (s *Service) Report(ctx context.Context, workspaceID, monitorID int64, from, to time.Time) (Report, error) {
	in, err := s.load(ctx, workspaceID, monitorID, from, to)
	if err != nil {
		return Report{}, err
	}
	return in.report(monitorID), nil
}

// report computes the whole period's report of what load read.
func (in input) report(monitorID int64) Report {
	r := Compute(in.from, in.to, in.down, in.degraded, in.maintenance, in.days)
	r.MonitorID = monitorID
	return r
}

// Daily returns the SLA of one of the user's monitors per UTC day of
// [from, to), oldest first.
func (s *Service) Daily(ctx context.Context, workspaceID, monitorID int64, from, to time.Time) ([]Day, error) {
	in, err := s.load(ctx, workspaceID, monitorID, from, to)
	if err != nil {
		return nil, err
	}
	return PerDay(in.from, in.to, in.down, in.degraded, in.maintenance, in.days), nil
}

// ReportAndDays returns both the report and its per-day rows from one read
// of the monitor's incidents, windows and rollups (the monthly report page
// shows both).
func (s *Service) ReportAndDays(ctx context.Context, workspaceID, monitorID int64, from, to time.Time) (Report, []Day, error) {
	in, err := s.load(ctx, workspaceID, monitorID, from, to)
	if err != nil {
		return Report{}, nil, err
	}
	return in.report(monitorID), PerDay(in.from, in.to, in.down, in.degraded, in.maintenance, in.days), nil
}
