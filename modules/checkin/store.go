package checkin

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/betterstack/betterstack/modules/database"
)

// store is the only code that touches heartbeat_monitors and
// heartbeat_pings (and reads what it needs of monitors).
type store struct {
	db *database.DB
}

// hbRow is a heartbeat_monitors row.
type hbRow struct {
	MonitorID    int64 `gorm:"primaryKey;autoIncrement:false"`
	TokenHash    string
	TokenSalt    string
	Status       string
	ReportedAt   *time.Time
	NextDeadline *time.Time
	Paused       bool       // the monitor was paused when last judged
	WatchFrom    *time.Time // the schedule counts from here (the last resume); nil: from creation
	UpdatedAt    time.Time
}

func (hbRow) TableName() string { return "heartbeat_monitors" }

// pingRow is a heartbeat_pings row.
type pingRow struct {
	ID            int64
	MonitorID     int64
	PingID        string
	ReceivedAt    time.Time
	Signal        string
	ExitCode      int
	RunID         string
	Method        string
	SourceIP      string `gorm:"column:source_ip"`
	UserAgent     string
	Body          string
	BodyTruncated bool
}

func (pingRow) TableName() string { return "heartbeat_pings" }

func (r pingRow) ping() Ping {
	return Ping{ID: r.ID, MonitorID: r.MonitorID, At: r.ReceivedAt.UTC(), Signal: r.Signal, ExitCode: r.ExitCode, RunID: r.RunID,
		Method: r.Method, Source: r.SourceIP, UserAgent: r.UserAgent, Body: r.Body, BodyTruncated: r.BodyTruncated}
}

// monRow is what a judgement reads of a monitor.
type monRow struct {
	ID          int64
	WorkspaceID int64
	Kind        string
	CheckSpec   string
	Paused      bool
	CreatedAt   time.Time
}

// monitorFor returns the monitor behind a token hash; 0 when none.
func (s *store) monitorFor(ctx context.Context, hash string) (int64, error) {
	var ids []int64
	err := s.db.WithContext(ctx).Model(&hbRow{}).Where("token_hash = ?", hash).Limit(1).Pluck("monitor_id", &ids).Error
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	return ids[0], nil
}

// get returns a monitor's heartbeat row.
func (s *store) get(ctx context.Context, monitorID int64) (hbRow, bool, error) {
	var r hbRow
	err := s.db.WithContext(ctx).Where("monitor_id = ?", monitorID).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return hbRow{}, false, nil
	}
	return r, err == nil, err
}

// create inserts r unless the monitor has a row already.
func (s *store) create(ctx context.Context, r hbRow) error {
	return s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&r).Error
}

// setToken replaces a monitor's token.
func (s *store) setToken(ctx context.Context, monitorID int64, hash, salt string, now time.Time) error {
	return s.db.WithContext(ctx).Model(&hbRow{}).Where("monitor_id = ?", monitorID).
		Updates(map[string]any{"token_hash": hash, "token_salt": salt, "updated_at": now}).Error
}

// missing returns heartbeat monitors that have no row yet.
func (s *store) missing(ctx context.Context) ([]int64, error) {
	var ids []int64
	err := s.db.WithContext(ctx).Raw(`SELECT id FROM monitors WHERE kind = 'heartbeat'
		AND NOT EXISTS (SELECT 1 FROM heartbeat_monitors h WHERE h.monitor_id = monitors.id)`).Scan(&ids).Error
	return ids, err
}

// due returns monitors to judge at now: a deadline passed, or the monitor
// was edited since it was last judged.
func (s *store) due(ctx context.Context, now time.Time, limit int) ([]int64, error) {
	var ids []int64
	err := s.db.WithContext(ctx).Raw(`SELECT h.monitor_id FROM heartbeat_monitors h JOIN monitors m ON m.id = h.monitor_id
		WHERE (NOT m.paused AND (h.next_deadline <= ? OR m.updated_at > h.updated_at OR h.paused))
			OR (m.paused AND NOT h.paused)
		ORDER BY h.next_deadline LIMIT ?`, now, limit).Scan(&ids).Error
	return ids, err
}

// nextDeadline returns the earliest deadline of an unpaused monitor; the
// zero time when there is none.
func (s *store) nextDeadline(ctx context.Context) (time.Time, error) {
	var r struct{ NextDeadline *time.Time }
	err := s.db.WithContext(ctx).Raw(`SELECT h.next_deadline FROM heartbeat_monitors h JOIN monitors m ON m.id = h.monitor_id
		WHERE NOT m.paused AND h.next_deadline IS NOT NULL ORDER BY h.next_deadline LIMIT 1`).Scan(&r).Error
	if err != nil || r.NextDeadline == nil {
		return time.Time{}, err
	}
	return *r.NextDeadline, nil
}

// existing returns which of ids are monitors still.
func (s *store) existing(tx *gorm.DB, ids []int64) (map[int64]bool, error) {
	var have []int64
	if err := tx.Raw(`SELECT id FROM monitors WHERE id IN ?`, ids).Scan(&have).Error; err != nil {
		return nil, err
	}
	out := make(map[int64]bool, len(have))
	for _, id := range have {
		out[id] = true
	}
	return out, nil
}

// insertPings stores pings (a ping already stored is skipped) and makes
// their monitors due at now, so that a judgement lost after this commit
// is made by the decider.
func (s *store) insertPings(ctx context.Context, rows []pingRow, now time.Time) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		ids := make([]int64, 0, len(rows))
		for _, r := range rows {
			ids = append(ids, r.MonitorID)
		}
		have, err := s.existing(tx, ids)
		if err != nil {
			return err
		}
		keep := rows[:0:0]
		touched := []int64{}
		for _, r := range rows {
			if have[r.MonitorID] { // a monitor deleted meanwhile loses its pings
				keep = append(keep, r)
				touched = append(touched, r.MonitorID)
			}
		}
		if len(keep) == 0 {
			return nil
		}
		if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "ping_id"}}, DoNothing: true}).
			CreateInBatches(keep, 200).Error; err != nil {
			return err
		}
		return tx.Exec(`UPDATE heartbeat_monitors SET next_deadline = ? WHERE monitor_id IN ?`, now, touched).Error
	})
}

// lastPings returns up to n pings of a monitor, oldest first.
func (s *store) lastPings(tx *gorm.DB, monitorID int64, n int) ([]Ping, error) {
	var rows []pingRow
	if err := tx.Where("monitor_id = ?", monitorID).Order("received_at DESC, id DESC").Limit(n).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]Ping, len(rows))
	for i, r := range rows {
		out[len(rows)-1-i] = r.ping()
	}
	return out, nil
}

// monitor reads what a judgement needs of a monitor.
func (s *store) monitor(tx *gorm.DB, id int64) (monRow, bool, error) {
	var ms []monRow
	err := tx.Raw(`SELECT id, workspace_id, kind, check_spec, paused, created_at FROM monitors WHERE id = ?`, id).Scan(&ms).Error
	if err != nil || len(ms) == 0 {
		return monRow{}, false, err
	}
	return ms[0], true, nil
}

// lockRow reads a heartbeat row inside tx, locked on PostgreSQL until the
// transaction ends.
func (s *store) lockRow(tx *gorm.DB, monitorID int64) (hbRow, bool, error) {
	q := tx.Where("monitor_id = ?", monitorID)
	if s.db.Dialect == database.Postgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var r hbRow
	err := q.Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return hbRow{}, false, nil
	}
	return r, err == nil, err
}

// saveVerdict records what was reported and when to look again.
func (s *store) saveVerdict(tx *gorm.DB, r hbRow) error {
	return tx.Model(&hbRow{}).Where("monitor_id = ?", r.MonitorID).Updates(map[string]any{
		"status": r.Status, "reported_at": r.ReportedAt, "next_deadline": r.NextDeadline, "updated_at": r.UpdatedAt,
		"paused": r.Paused, "watch_from": r.WatchFrom,
	}).Error
}

// deciderLock is the advisory lock key of the decider round ("hb" "dc").
const deciderLock = 0x68620064

// tryDeciderLock takes the decider's lock for tx's lifetime; always true on
// SQLite (one process).
func (s *store) tryDeciderLock(tx *gorm.DB) (bool, error) {
	if s.db.Dialect != database.Postgres {
		return true, nil
	}
	var ok bool
	err := tx.Raw("SELECT pg_try_advisory_xact_lock(?)", deciderLock).Scan(&ok).Error
	return ok, err
}

// PageFilter selects a page of pings.
type PageFilter struct {
	Limit  int
	Before *cursor
}

type cursor struct {
	At time.Time
	ID int64
}

func (c cursor) String() string {
	return strconv.FormatInt(c.At.UnixMicro(), 10) + "." + strconv.FormatInt(c.ID, 10)
}

func parseCursor(v string) (cursor, bool) {
	a, b, ok := strings.Cut(v, ".")
	us, err1 := strconv.ParseInt(a, 10, 64)
	id, err2 := strconv.ParseInt(b, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return cursor{}, false
	}
	return cursor{At: time.UnixMicro(us).UTC(), ID: id}, true
}

// list returns a page of a monitor's pings, newest first.
func (s *store) list(ctx context.Context, monitorID int64, f PageFilter) ([]Ping, error) {
	q := s.db.WithContext(ctx).Where("monitor_id = ?", monitorID)
	if f.Before != nil {
		q = q.Where("received_at < ? OR (received_at = ? AND id < ?)", f.Before.At, f.Before.At, f.Before.ID)
	}
	var rows []pingRow
	if err := q.Order("received_at DESC, id DESC").Limit(f.Limit).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]Ping, len(rows))
	for i, r := range rows {
		out[i] = r.ping()
	}
	return out, nil
}
