package channel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/key"
	"github.com/betterstack/betterstack/modules/notify"
)

// store is the only code that touches channels, notifications and
// notification_attempts; it reads monitor_channels to find a monitor's
// channels, and workspaces to find a channel by its workspace's key.
type store struct {
	db *database.DB
}

type channelRow struct {
	ID             int64
	WorkspaceID    int64
	Key            string
	Name           string
	Type           string
	Config         string
	NotifyDegraded bool
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

func (channelRow) TableName() string { return "channels" }

type notificationRow struct {
	ID            int64
	ChannelID     int64
	IncidentID    *int64
	Event         string
	Key           string
	Payload       string
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	LockedUntil   *time.Time
	LastError     string
	CreatedAt     time.Time
	DeliveredAt   *time.Time
}

func (notificationRow) TableName() string { return "notifications" }

type attemptRow struct {
	ID             int64
	NotificationID int64
	At             time.Time
	Success        bool
	Error          string
	DurationMS     float64 `gorm:"column:duration_ms"`
}

func (attemptRow) TableName() string { return "notification_attempts" }

func (s *store) create(ctx context.Context, r *channelRow) error {
	return key.Duplicate(s.db.WithContext(ctx).Create(r).Error)
}

func (s *store) get(ctx context.Context, workspaceID, id int64) (channelRow, error) {
	var r channelRow
	err := s.db.WithContext(ctx).Where("id = ? AND workspace_id = ?", id, workspaceID).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return r, ErrNotFound
	}
	return r, err
}

func (s *store) byID(ctx context.Context, id int64) (channelRow, error) {
	var r channelRow
	err := s.db.WithContext(ctx).Take(&r, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return r, ErrNotFound
	}
	return r, err
}

func (s *store) list(ctx context.Context, workspaceID int64) ([]channelRow, error) {
	var rows []channelRow
	err := s.db.WithContext(ctx).Where("workspace_id = ?", workspaceID).Order("id").Find(&rows).Error
	return rows, err
}

func (s *store) update(ctx context.Context, r channelRow) error {
	return s.db.WithContext(ctx).Model(&channelRow{}).Where("id = ? AND workspace_id = ?", r.ID, r.WorkspaceID).Updates(map[string]any{
		"key": r.Key, "name": r.Name, "config": r.Config, "notify_degraded": r.NotifyDegraded, "updated_at": r.UpdatedAt,
	}).Error
}

func (s *store) delete(ctx context.Context, workspaceID, id int64) error {
	res := s.db.WithContext(ctx).Where("id = ? AND workspace_id = ?", id, workspaceID).Delete(&channelRow{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// channelsOfMonitor returns the channels linked to a monitor.
func (s *store) channelsOfMonitor(tx *gorm.DB, monitorID int64) ([]channelRow, error) {
	var rows []channelRow
	err := tx.Table("channels").Select("channels.*").
		Joins("JOIN monitor_channels ON monitor_channels.channel_id = channels.id").
		Where("monitor_channels.monitor_id = ?", monitorID).Order("channels.id").Find(&rows).Error
	return rows, err
}

// enqueue inserts outbox rows; a key already queued is skipped.
func (s *store) enqueue(tx *gorm.DB, rows []notificationRow) error {
	if len(rows) == 0 {
		return nil
	}
	return tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "key"}}, DoNothing: true}).Create(&rows).Error
}

// lease takes up to limit due notifications for this process until
// `until`. Concurrent alerters lease disjoint rows.
func (s *store) lease(ctx context.Context, now, until time.Time, limit int) ([]notificationRow, error) {
	var rows []notificationRow
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		q := tx.Where("status = ? AND next_attempt_at <= ? AND (locked_until IS NULL OR locked_until < ?)", StatePending, now, now).
			Order("next_attempt_at").Limit(limit)
		if s.db.Dialect == database.Postgres {
			q = q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
		}
		if err := q.Find(&rows).Error; err != nil || len(rows) == 0 {
			return err
		}
		ids := make([]int64, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		return tx.Model(&notificationRow{}).Where("id IN ?", ids).Update("locked_until", until).Error
	})
	return rows, err
}

// finish records an attempt and the notification's new state.
func (s *store) finish(ctx context.Context, r notificationRow, a attemptRow) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&a).Error; err != nil {
			return err
		}
		return tx.Model(&notificationRow{}).Where("id = ?", r.ID).Updates(map[string]any{
			"status": r.Status, "attempts": r.Attempts, "next_attempt_at": r.NextAttemptAt, "locked_until": nil,
			"last_error": r.LastError, "delivered_at": r.DeliveredAt,
		}).Error
	})
}

func (s *store) deliveries(ctx context.Context, channelID int64, limit int, before int64) ([]Delivery, error) {
	var rows []notificationRow
	q := s.db.WithContext(ctx).Where("channel_id = ?", channelID)
	if before > 0 {
		q = q.Where("id < ?", before)
	}
	if err := q.Order("id DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]Delivery, 0, len(rows))
	ids := make([]int64, 0, len(rows))
	for _, r := range rows {
		d := Delivery{ID: r.ID, IncidentID: r.IncidentID, Event: r.Event, Key: r.Key, Status: r.Status, Attempts: r.Attempts,
			LastError: r.LastError, CreatedAt: r.CreatedAt, DeliveredAt: r.DeliveredAt, Log: []Attempt{}}
		if r.Status == StatePending {
			t := r.NextAttemptAt
			d.NextAttempt = &t
		}
		out = append(out, d)
		ids = append(ids, r.ID)
	}
	if len(ids) == 0 {
		return out, nil
	}
	var atts []attemptRow
	if err := s.db.WithContext(ctx).Where("notification_id IN ?", ids).Order("id").Find(&atts).Error; err != nil {
		return nil, err
	}
	idx := map[int64]int{}
	for i, d := range out {
		idx[d.ID] = i
	}
	for _, a := range atts {
		i := idx[a.NotificationID]
		out[i].Log = append(out[i].Log, Attempt{At: a.At, Success: a.Success, Error: a.Error, DurationMS: a.DurationMS})
	}
	return out, nil
}

// insertDone records a notification that was sent at once (test sends).
func (s *store) insertDone(ctx context.Context, r notificationRow, a attemptRow) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&r).Error; err != nil {
			return err
		}
		a.NotificationID = r.ID
		return tx.Create(&a).Error
	})
}

func compact(raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}

// count counts the user's channels.
func (s *store) count(ctx context.Context, workspaceID int64) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&channelRow{}).Where("workspace_id = ?", workspaceID).Count(&n).Error
	return n, err
}

// byKeys finds a channel by its workspace's key and its own.
func (s *store) byKeys(ctx context.Context, workspaceKey, channelKey string) (channelRow, error) {
	var r channelRow
	err := s.db.WithContext(ctx).Table("channels").Select("channels.*").
		Joins("JOIN workspaces ON workspaces.id = channels.workspace_id").
		Where("workspaces.key = ? AND channels.key = ?", workspaceKey, channelKey).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return r, ErrNotFound
	}
	return r, err
}

// operatorEvents returns the newest operator notifications of a channel
// (its index on channel_id, id), newest first.
func (s *store) operatorEvents(ctx context.Context, channelID int64, limit int) ([]notificationRow, error) {
	var rows []notificationRow
	err := s.db.WithContext(ctx).Where("channel_id = ? AND event IN ?", channelID, []string{notify.EventOperatorAlert, notify.EventOperatorResolved}).
		Order("id DESC").Limit(limit).Find(&rows).Error
	return rows, err
}

// outbox counts pending notifications (the partial index on pending rows
// keeps this small) and finds the oldest.
func (s *store) outbox(ctx context.Context) (Outbox, error) {
	var o Outbox
	db := s.db.WithContext(ctx)
	if err := db.Model(&notificationRow{}).Where("status = ?", StatePending).Count(&o.Pending).Error; err != nil {
		return o, err
	}
	if o.Pending == 0 {
		return o, nil
	}
	if err := db.Model(&notificationRow{}).Where("status = ? AND attempts > 0", StatePending).Count(&o.Retrying).Error; err != nil {
		return o, err
	}
	var oldest []notificationRow
	if err := db.Select("id, created_at").Where("status = ?", StatePending).Order("created_at").Limit(1).Find(&oldest).Error; err != nil {
		return o, err
	}
	if len(oldest) > 0 {
		o.Oldest = oldest[0].CreatedAt
	}
	return o, nil
}
