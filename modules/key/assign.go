package key

import (
	"context"
	"errors"
	"strings"

	"gorm.io/gorm"

	"github.com/betterstack/betterstack/modules/apperr"
)

// For returns the key of a new record in table for workspace ws: given
// (checked, and refused with a "key" field error when invalid or taken),
// or one made from name when given is nil or empty. prefix names the
// record kind for a name with no usable characters ("monitor").
func For(ctx context.Context, db *gorm.DB, table string, ws int64, given *string, name, prefix string) (string, error) {
	if given != nil && strings.TrimSpace(*given) != "" {
		k := strings.TrimSpace(*given)
		return k, Check(ctx, db, table, ws, 0, k)
	}
	base := Slug(name, prefix)
	return Unique(ctx, base, base+"-"+randomSuffix(), func(ctx context.Context, k string) (bool, error) {
		return taken(ctx, db, table, ws, 0, k)
	})
}

// Check refuses k for record id (0 = a new one) of table in workspace ws
// when it is invalid or another record there has it.
func Check(ctx context.Context, db *gorm.DB, table string, ws, id int64, k string) error {
	if msg := Validate(k); msg != "" {
		return apperr.Field("key", msg)
	}
	used, err := taken(ctx, db, table, ws, id, k)
	if err != nil {
		return err
	}
	if used {
		return apperr.Field("key", "is already used by another record in this workspace: keys are unique")
	}
	return nil
}

func taken(ctx context.Context, db *gorm.DB, table string, ws, id int64, k string) (bool, error) {
	var n int64
	err := db.WithContext(ctx).Table(table).Where("workspace_id = ? AND key = ? AND id <> ?", ws, k, id).Count(&n).Error
	return n > 0, err
}

// Duplicate turns a unique-index violation on the key (two creates racing
// for one name) into the same field error Check gives.
func Duplicate(err error) error {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return apperr.Field("key", "is already used by another record in this workspace: keys are unique")
	}
	return err
}
