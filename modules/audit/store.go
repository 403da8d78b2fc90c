package audit

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/betterstack/betterstack/modules/database"
)

// store is the only code that touches audit_log.
type store struct {
	db *database.DB
}

type row struct {
	ID          int64
	WorkspaceID int64
	ActorUserID *int64
	Actor       string
	Action      string
	RecordType  string
	RecordID    *int64
	RecordKey   string
	Changes     string
	Address     string
	UserAgent   string
	CreatedAt   time.Time
}

func (row) TableName() string { return "audit_log" }

// insert writes r through db, which is the pool or the caller's transaction.
func (s *store) insert(db *gorm.DB, r *row) error {
	return db.Create(r).Error
}

// list returns up to limit entries of a workspace with an id below before
// (0: from the newest), newest first.
func (s *store) list(ctx context.Context, workspaceID int64, f Filter, before int64, limit int) ([]row, error) {
	q := s.db.WithContext(ctx).Where("workspace_id = ?", workspaceID)
	if before > 0 {
		q = q.Where("id < ?", before)
	}
	if a := f.Action; a != "" {
		// Compare a prefix with substr, not LIKE: "_" is a LIKE wildcard and
		// action names contain it.
		if a[len(a)-1] == '.' {
			q = q.Where("substr(action, 1, ?) = ?", len(a), a)
		} else {
			q = q.Where("(action = ? OR substr(action, 1, ?) = ?)", a, len(a)+1, a+".")
		}
	}
	if f.ActorUserID != nil {
		q = q.Where("actor_user_id = ?", *f.ActorUserID)
	}
	if f.RecordType != "" {
		q = q.Where("record_type = ?", f.RecordType)
	}
	if f.RecordKey != "" {
		q = q.Where("record_key = ?", f.RecordKey)
	}
	if !f.Since.IsZero() {
		q = q.Where("created_at >= ?", f.Since)
	}
	if !f.Until.IsZero() {
		q = q.Where("created_at < ?", f.Until)
	}
	var rows []row
	err := q.Order("id DESC").Limit(limit).Find(&rows).Error
	return rows, err
}

// purgeBatch deletes up to n of the oldest entries created before `before`
// and says how many it deleted. The subquery walks the created_at index and
// stops after n rows, so each statement (and its locks, and SQLite's write
// lock) stays short.
func (s *store) purgeBatch(ctx context.Context, before time.Time, n int) (int64, error) {
	res := s.db.WithContext(ctx).Exec(
		"DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE created_at < ? ORDER BY created_at LIMIT ?)", before, n)
	return res.RowsAffected, res.Error
}
