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
	ID            int64
	Email         string
	PasswordHash  string
	TokenVersion  int64
	TotpSecret    string
	TotpEnabled   bool
	TotpLastStep  int64
	RecoveryCodes string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

func (userRow) TableName() string { return "users" }

func (r userRow) user() User {
	return User{ID: r.ID, Email: r.Email, CreatedAt: r.CreatedAt, TwoFactor: r.TotpEnabled, tokenVersion: r.TokenVersion}
}

type tokenRow struct {
	ID          int64
	UserID      int64
	WorkspaceID int64
	Name        string
	Scope       string
	TokenHash   string
	TokenPrefix string
	ExpiresAt   *time.Time
	CreatedAt   time.Time
	LastUsedAt  *time.Time
}

func (tokenRow) TableName() string { return "api_tokens" }

func (r tokenRow) token() Token {
	return Token{ID: r.ID, Name: r.Name, Prefix: r.TokenPrefix, Scope: r.Scope, ExpiresAt: r.ExpiresAt, CreatedAt: r.CreatedAt, LastUsedAt: r.LastUsedAt}
}

func (s *store) createUser(tx *gorm.DB, email, hash string, now time.Time) (userRow, error) {
	row := userRow{Email: email, PasswordHash: hash, TokenVersion: 1, RecoveryCodes: "[]", CreatedAt: now, UpdatedAt: now}
	err := tx.Create(&row).Error
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

func (s *store) listTokens(ctx context.Context, ws, userID int64) ([]tokenRow, error) {
	var rows []tokenRow
	err := s.db.WithContext(ctx).Where("workspace_id = ? AND user_id = ?", ws, userID).Order("id").Find(&rows).Error
	return rows, err
}

func (s *store) deleteToken(ctx context.Context, ws, userID, id int64) error {
	res := s.db.WithContext(ctx).Where("id = ? AND workspace_id = ? AND user_id = ?", id, ws, userID).Delete(&tokenRow{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrTokenNotFound
	}
	return nil
}

// deleteTokens removes every API token of the user and says how many.
func (s *store) deleteTokens(ctx context.Context, ws, userID int64) (int64, error) {
	res := s.db.WithContext(ctx).Where("workspace_id = ? AND user_id = ?", ws, userID).Delete(&tokenRow{})
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

type sessionRow struct {
	ID         string
	UserID     int64
	CreatedAt  time.Time
	LastUsedAt time.Time
	ExpiresAt  time.Time
	Address    string
	UserAgent  string
	Method     string
}

func (sessionRow) TableName() string { return "sessions" }

var errNoSession = errors.New("no such session")

func (s *store) createSession(ctx context.Context, r *sessionRow) error {
	return s.db.WithContext(ctx).Create(r).Error
}

func (s *store) session(ctx context.Context, id string) (sessionRow, error) {
	var r sessionRow
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return r, errNoSession
	}
	return r, err
}

func (s *store) touchSession(ctx context.Context, id string, now time.Time) error {
	return s.db.WithContext(ctx).Model(&sessionRow{}).Where("id = ?", id).Update("last_used_at", now).Error
}

func (s *store) sessions(ctx context.Context, userID int64, now time.Time) ([]sessionRow, error) {
	var rows []sessionRow
	err := s.db.WithContext(ctx).Where("user_id = ? AND expires_at > ?", userID, now).Order("created_at DESC").Limit(100).Find(&rows).Error
	return rows, err
}

func (s *store) deleteSession(ctx context.Context, id string) error {
	return s.db.WithContext(ctx).Where("id = ?", id).Delete(&sessionRow{}).Error
}

func (s *store) deleteSessionByPrefix(ctx context.Context, userID int64, prefix string) (int64, error) {
	res := s.db.WithContext(ctx).Where("user_id = ? AND substr(id, 1, 16) = ?", userID, prefix).Delete(&sessionRow{})
	return res.RowsAffected, res.Error
}

// deleteSessions ends every session of userID except keep's.
func (s *store) deleteSessions(ctx context.Context, userID int64, keep string) (int64, error) {
	res := s.db.WithContext(ctx).Where("user_id = ? AND id <> ?", userID, keep).Delete(&sessionRow{})
	return res.RowsAffected, res.Error
}

// purgeSessions removes expired sessions.
func (s *store) purgeSessions(ctx context.Context, now time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Where("expires_at <= ?", now).Delete(&sessionRow{})
	return res.RowsAffected, res.Error
}

func (s *store) setTOTP(ctx context.Context, userID int64, cols map[string]any) error {
	return s.db.WithContext(ctx).Model(&userRow{}).Where("id = ?", userID).Updates(cols).Error
}

// advanceTOTPStep records the step of a used code if no other login
// recorded it (or a later one) first.
func (s *store) advanceTOTPStep(ctx context.Context, userID, from, to int64) (int64, error) {
	res := s.db.WithContext(ctx).Model(&userRow{}).Where("id = ? AND totp_last_step = ?", userID, from).Update("totp_last_step", to)
	return res.RowsAffected, res.Error
}

// useRecoveryCode swaps the recovery code list if it is still old.
func (s *store) useRecoveryCode(ctx context.Context, userID int64, old, next string) (int64, error) {
	res := s.db.WithContext(ctx).Model(&userRow{}).Where("id = ? AND recovery_codes = ?", userID, old).Update("recovery_codes", next)
	return res.RowsAffected, res.Error
}
