package incident

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/key"
)

// store is the only code that touches incidents, incident_events and
// maintenance_windows. It reads monitors' names and owners (read-only).
type store struct {
	db *database.DB
}

type incidentRow struct {
	ID             int64
	MonitorID      int64
	WorkspaceID    int64
	Kind           string
	Status         string
	StartedAt      time.Time
	AcknowledgedAt *time.Time
	AcknowledgedBy string
	ResolvedAt     *time.Time
	ResolvedBy     string
	Cause          Cause      `gorm:"serializer:json"`
	Regions        []string   `gorm:"serializer:json"`
	Evidence       []Evidence `gorm:"serializer:json"`
	LastRemindedAt *time.Time
	UpdatedAt      time.Time
}

func (incidentRow) TableName() string { return "incidents" }

func (r incidentRow) incident(now time.Time) Incident {
	end := now
	if r.ResolvedAt != nil {
		end = *r.ResolvedAt
	}
	regions := r.Regions
	if regions == nil {
		regions = []string{}
	}
	return Incident{ID: r.ID, MonitorID: r.MonitorID, WorkspaceID: r.WorkspaceID, Kind: Kind(r.Kind), Status: Status(r.Status),
		StartedAt: r.StartedAt, AcknowledgedAt: r.AcknowledgedAt, AcknowledgedBy: r.AcknowledgedBy, ResolvedAt: r.ResolvedAt,
		ResolvedBy: r.ResolvedBy, Cause: r.Cause, Regions: regions, Evidence: r.Evidence, DurationSec: end.Sub(r.StartedAt).Seconds()}
}

type eventRow struct {
	ID         int64
	IncidentID int64
	At         time.Time
	Type       string
	Actor      string
	Message    string
	Region     string
}

func (eventRow) TableName() string { return "incident_events" }

// monitorInfo is what incidents need to know of a monitor.
type monitorInfo struct {
	ID                 int64
	WorkspaceID        int64
	Name               string
	URL                string `gorm:"column:url"`
	RemindEverySeconds int
}

func (s *store) monitors(tx *gorm.DB, ids []int64) (map[int64]monitorInfo, error) {
	var rows []monitorInfo
	err := tx.Raw("SELECT id, workspace_id, name, target AS url, remind_every_seconds FROM monitors WHERE id IN ?", ids).Scan(&rows).Error
	out := make(map[int64]monitorInfo, len(rows))
	for _, r := range rows {
		out[r.ID] = r
	}
	return out, err
}

// openIncidents returns the unresolved incident of each monitor, locked.
func (s *store) openIncidents(tx *gorm.DB, monitorIDs []int64) (map[int64]incidentRow, error) {
	q := tx.Where("monitor_id IN ? AND status <> ?", monitorIDs, string(StatusResolved))
	if s.db.Dialect == database.Postgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var rows []incidentRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[int64]incidentRow, len(rows))
	for _, r := range rows {
		out[r.MonitorID] = r
	}
	return out, nil
}

func (s *store) windowsOf(tx *gorm.DB, userIDs []int64) ([]Window, error) {
	var rows []windowRow
	if err := tx.Where("workspace_id IN ?", userIDs).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]Window, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.window())
	}
	return out, nil
}

func (s *store) insertIncident(tx *gorm.DB, r *incidentRow) error {
	return tx.Create(r).Error
}

func (s *store) addEvents(tx *gorm.DB, evs []eventRow) error {
	if len(evs) == 0 {
		return nil
	}
	return tx.Create(&evs).Error
}

func (s *store) get(tx *gorm.DB, workspaceID, id int64, lock bool) (incidentRow, error) {
	q := tx.Where("id = ? AND workspace_id = ?", id, workspaceID)
	if lock && s.db.Dialect == database.Postgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var r incidentRow
	err := q.Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return r, ErrNotFound
	}
	return r, err
}

func (s *store) save(tx *gorm.DB, r incidentRow) error {
	return tx.Model(&incidentRow{}).Where("id = ?", r.ID).Updates(map[string]any{
		"status": r.Status, "acknowledged_at": r.AcknowledgedAt, "acknowledged_by": r.AcknowledgedBy,
		"resolved_at": r.ResolvedAt, "resolved_by": r.ResolvedBy, "last_reminded_at": r.LastRemindedAt, "updated_at": r.UpdatedAt,
	}).Error
}

func (s *store) events(ctx context.Context, incidentID int64) ([]Event, error) {
	var rows []eventRow
	if err := s.db.WithContext(ctx).Where("incident_id = ?", incidentID).Order("at, id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]Event, 0, len(rows))
	for _, r := range rows {
		out = append(out, Event{ID: r.ID, At: r.At, Type: r.Type, Actor: r.Actor, Message: r.Message, Region: r.Region})
	}
	return out, nil
}

// Filter selects incidents.
type Filter struct {
	MonitorID int64
	Status    string // "", open (= open or acknowledged), acknowledged, resolved
	Limit     int
	Before    int64 // id cursor: incidents with a smaller id (newest first)
}

func (s *store) list(ctx context.Context, workspaceID int64, f Filter) ([]incidentRow, error) {
	q := s.db.WithContext(ctx).Where("workspace_id = ?", workspaceID)
	if f.MonitorID > 0 {
		q = q.Where("monitor_id = ?", f.MonitorID)
	}
	switch f.Status {
	case "open":
		q = q.Where("status <> ?", string(StatusResolved))
	case "acknowledged", "resolved":
		q = q.Where("status = ?", f.Status)
	}
	if f.Before > 0 {
		q = q.Where("id < ?", f.Before)
	}
	var rows []incidentRow
	err := q.Order("id DESC").Limit(f.Limit).Find(&rows).Error
	return rows, err
}

// dueReminders returns open incidents whose monitor wants reminders and
// whose last reminder (or start) is older than the monitor's period.
func (s *store) dueReminders(tx *gorm.DB, now time.Time) ([]incidentRow, error) {
	var rows []incidentRow
	q := tx.Table("incidents").Select("incidents.*").
		Joins("JOIN monitors ON monitors.id = incidents.monitor_id").
		Where("incidents.status <> ? AND monitors.remind_every_seconds > 0", string(StatusResolved))
	if s.db.Dialect == database.Postgres {
		q = q.Where("COALESCE(incidents.last_reminded_at, incidents.started_at) + monitors.remind_every_seconds * interval '1 second' <= ?", now).
			Clauses(clause.Locking{Strength: "UPDATE", Table: clause.Table{Name: "incidents"}, Options: "SKIP LOCKED"})
	} else {
		q = q.Where("julianday(COALESCE(incidents.last_reminded_at, incidents.started_at)) + monitors.remind_every_seconds / 86400.0 <= julianday(?)", now)
	}
	err := q.Limit(100).Find(&rows).Error
	return rows, err
}

type windowRow struct {
	ID              int64
	WorkspaceID     int64
	Key             string
	Name            string
	MonitorIDs      []int64 `gorm:"serializer:json"`
	StartsAt        *time.Time
	EndsAt          *time.Time
	Weekdays        []int `gorm:"serializer:json"`
	StartTime       string
	DurationMinutes int
	TimeZone        string
	CreatedAt       time.Time
}

func (windowRow) TableName() string { return "maintenance_windows" }

func (r windowRow) window() Window {
	return Window{ID: r.ID, Key: r.Key, WorkspaceID: r.WorkspaceID, Name: r.Name, MonitorIDs: r.MonitorIDs, StartsAt: r.StartsAt, EndsAt: r.EndsAt,
		Weekdays: r.Weekdays, StartTime: r.StartTime, DurationMinutes: r.DurationMinutes, TimeZone: r.TimeZone, CreatedAt: r.CreatedAt}
}

func (s *store) createWindow(ctx context.Context, w Window) (Window, error) {
	r := windowRow{WorkspaceID: w.WorkspaceID, Key: w.Key, Name: w.Name, MonitorIDs: w.MonitorIDs, StartsAt: w.StartsAt, EndsAt: w.EndsAt,
		Weekdays: w.Weekdays, StartTime: w.StartTime, DurationMinutes: w.DurationMinutes, TimeZone: w.TimeZone, CreatedAt: w.CreatedAt}
	if r.Weekdays == nil {
		r.Weekdays = []int{}
	}
	err := s.db.WithContext(ctx).Create(&r).Error
	return r.window(), key.Duplicate(err)
}

func (s *store) listWindows(ctx context.Context, workspaceID int64) ([]Window, error) {
	var rows []windowRow
	if err := s.db.WithContext(ctx).Where("workspace_id = ?", workspaceID).Order("id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]Window, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.window())
	}
	return out, nil
}

func (s *store) getWindow(ctx context.Context, workspaceID, id int64) (Window, error) {
	var r windowRow
	err := s.db.WithContext(ctx).Where("id = ? AND workspace_id = ?", id, workspaceID).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Window{}, ErrWindowNotFound
	}
	return r.window(), err
}

func (s *store) deleteWindow(ctx context.Context, workspaceID, id int64) error {
	res := s.db.WithContext(ctx).Where("id = ? AND workspace_id = ?", id, workspaceID).Delete(&windowRow{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrWindowNotFound
	}
	return nil
}

// ownedMonitors returns how many of ids belong to workspaceID.
func (s *store) ownedMonitors(ctx context.Context, workspaceID int64, ids []int64) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Table("monitors").Where("workspace_id = ? AND id IN ?", workspaceID, ids).Count(&n).Error
	return n, err
}

func decodeEvidence(raw string) (Evidence, bool) {
	if raw == "" {
		return Evidence{}, false
	}
	var e Evidence
	if json.Unmarshal([]byte(raw), &e) != nil {
		return Evidence{}, false
	}
	return e, true
}

// resolvedByHandSince reports whether the monitor's latest incident of kind
// was resolved by a user at or after since (the outage's start, or its
// latest failed check: a later failure opens a new incident).
func (s *store) resolvedByHandSince(tx *gorm.DB, monitorID int64, kind Kind, since time.Time) (bool, error) {
	var n int64
	err := tx.Model(&incidentRow{}).
		Where("monitor_id = ? AND kind = ? AND status = ? AND resolved_by <> '' AND resolved_at >= ?", monitorID, string(kind), string(StatusResolved), since).
		Count(&n).Error
	return n > 0, err
}
