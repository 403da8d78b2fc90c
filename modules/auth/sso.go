package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"

	"gorm.io/gorm"

	"github.com/betterstack/betterstack/modules/access"
	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/sso"
	"github.com/betterstack/betterstack/modules/workspace"
)

// SSOJoin is where a first-time single sign-on user goes: the workspace
// with key Workspace ("" = a personal workspace of their own) with Role.
type SSOJoin struct {
	Workspace string
	Role      access.Role
}

// LoginSSO signs in the person the OpenID provider vouched for. An account
// with that email is signed in (the provider verified the address); a new
// email gets an account with an unusable password, joining j. Two-factor
// login is the provider's business on this path (its own MFA), so no TOTP
// code is asked. Sign-up need not be open: the provider and
// sso_allowed_domains are the permission.
func (s *Service) LoginSSO(ctx context.Context, id sso.Identity, j SSOJoin, cl Client) (User, string, error) {
	email := strings.ToLower(strings.TrimSpace(id.Email))
	row, err := s.store.userByEmail(ctx, email)
	if err == nil {
		u := row.user()
		tok, err := s.startSession(ctx, u, cl, "sso")
		if err == nil {
			s.note(ctx, u.ID, u.Email, "login.success", cl, map[string]any{"method": "sso", "issuer": id.Issuer})
		}
		return u, tok, err
	}
	if !errors.Is(err, ErrUserNotFound) {
		return User{}, "", err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return User{}, "", err
	}
	// A random password nobody knows: this account logs in through SSO (or
	// sets a password with the CLI's `user passwd`).
	hash, err := hashPassword(s.argon, base64.RawURLEncoding.EncodeToString(raw))
	if err != nil {
		return User{}, "", err
	}
	var u User
	err = s.store.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		r, err := s.store.createUser(tx, email, hash, s.now())
		if err != nil {
			return err
		}
		u = r.user()
		if j.Workspace == "" {
			w, err := workspace.CreateIn(ctx, tx, email, r.ID, s.now())
			u.WorkspaceID = w.ID
			return err
		}
		w, err := workspace.JoinIn(ctx, tx, j.Workspace, r.ID, j.Role, s.now())
		u.WorkspaceID = w.ID
		return err
	})
	if err != nil {
		if errors.Is(err, workspace.ErrNotFound) {
			return User{}, "", apperr.New(apperr.Internal, "sso_workspace names no workspace: ask the installation's owner to fix the setting")
		}
		return User{}, "", err
	}
	s.log.Info("user created through single sign-on", "user_id", u.ID, "issuer", id.Issuer)
	tok, err := s.startSession(ctx, u, cl, "sso")
	if err == nil {
		s.note(ctx, u.ID, u.Email, "login.success", cl, map[string]any{"method": "sso", "issuer": id.Issuer, "new_account": true})
	}
	return u, tok, err
}
