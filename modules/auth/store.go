package auth

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/betterstack/betterstack/modules/database"
)

// store is the only code that touches users and api_tokens.
type store struct {
	db *database.DB
}

type userRow struct {
	ID           int64
	Email        string
	PasswordHash string
	TokenVersion int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (userRow) TableName() string { return "users" }

func (r userRow) user() User {
	return User{ID: r.ID, Email: r.Email, CreatedAt: r.CreatedAt, tokenVersion: r.TokenVersion}
}

type tokenRow struct {
	ID          int64
	UserID      int64
	Name        string
	TokenHash   string
	TokenPrefix string
	CreatedAt   time.Time
	LastUsedAt  *time.Time
}

func (tokenRow) TableName() string { return "api_tokens" }

func (r tokenRow) token() Token {
	return Token{ID: r.ID, Name: r.Name, Prefix: r.TokenPrefix, CreatedAt: r.CreatedAt, LastUsedAt: r.LastUsedAt}
}

func (s *store) createUser(ctx context.Context, email, hash string, now time.Time) (userRow, error) {
	row := userRow{Email: email, PasswordHash: hash, TokenVersion: 1, CreatedAt: now, UpdatedAt: now}
	err := s.db.WithContext(ctx).Create(&row).Error
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return row, ErrEmailTaken
	}
	return row, err
}

func (s *store) userByEmail(ctx context.Context, email string) (userRow, error) {
	var row userRow
	err := s.db.WithContext(ctx).Where("lower(email) = lower(?)", email).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return row, ErrUserNotFound
	}
	return row, err
}

func (s *store) userByID(ctx context.Context, id int64) (userRow, error) {
	var row userRow
	err := s.db.WithContext(ctx).Take(&row, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return row, ErrUserNotFound
	}
	return row, err
}

// setPassword stores a new hash and bumps the token version, returning it.
func (s *store) setPassword(ctx context.Context, id int64, hash string, now time.Time) (int64, error) {
	var version int64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&userRow{}).Where("id = ?", id).Updates(map[string]any{
			"password_hash": hash,
			"token_version": gorm.Expr("token_version + 1"),
			"updated_at":    now,
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrUserNotFound
		}
		return tx.Model(&userRow{}).Where("id = ?", id).Pluck("token_version", &version).Error
	})
	return version, err
}

func (s *store) createToken(ctx context.Context, row *tokenRow) error {
	return s.db.WithContext(ctx).Create(row).Error
}

func (s *store) listTokens(ctx context.Context, userID int64) ([]tokenRow, error) {
	var rows []tokenRow
	err := s.db.WithContext(ctx).Where("user_id = ?", userID).Order("id").Find(&rows).Error
	return rows, err
}

func (s *store) deleteToken(ctx context.Context, userID, id int64) error {
	res := s.db.WithContext(ctx).Where("id = ? AND user_id = ?", id, userID).Delete(&tokenRow{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrTokenNotFound
	}
	return nil
}

// deleteTokens removes every API token of the user and says how many.
func (s *store) deleteTokens(ctx context.Context, userID int64) (int64, error) {
	res := s.db.WithContext(ctx).Where("user_id = ?", userID).Delete(&tokenRow{})
	return res.RowsAffected, res.Error
}

// userByTokenHash finds the owner of an API token and the token row.
func (s *store) userByTokenHash(ctx context.Context, hash string) (userRow, tokenRow, error) {
	var tok tokenRow
	err := s.db.WithContext(ctx).Where("token_hash = ?", hash).Take(&tok).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return userRow{}, tok, ErrUnauthenticated
	}
	if err != nil {
		return userRow{}, tok, err
	}
	u, err := s.userByID(ctx, tok.UserID)
	if errors.Is(err, ErrUserNotFound) {
		return u, tok, ErrUnauthenticated
	}
	return u, tok, err
}

func (s *store) touchToken(ctx context.Context, id int64, now time.Time) error {
	return s.db.WithContext(ctx).Model(&tokenRow{}).Where("id = ?", id).Update("last_used_at", now).Error
}

// countUsers counts the accounts (0 or more: the sign-up rule only asks
// whether there is one).
func (s *store) countUsers(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Table("users").Limit(1).Count(&n).Error
	return n, err
}
