// Package auth owns accounts and credentials: users, passwords, sessions,
// two-factor login, single sign-on and API tokens, and the middleware that
// turns a bearer credential into the request's access value
// (modules/access) in one workspace (modules/workspace).
//
// Data enters through signup (open, first-account-only, or through an
// invitation), login (password, then a TOTP code when two-factor login is
// on, or OpenID Connect), the CLI's `user create` and token management; it
// leaves as the access value on each request (server.Access). Tables:
// users, sessions, api_tokens.
//
// Decisions:
//   - Passwords are hashed with argon2id (no 72-byte limit as with bcrypt).
//   - Sessions are server-side: the HS256 JWT (golang-jwt, restricted to
//     HS256, with an expiry and the user's token_version) carries a random
//     session id whose SHA-256 is a row in sessions. Logout, "end session"
//     and turning on two-factor login delete rows, so a copied JWT stops
//     working at once; a password change bumps the version, which ends every
//     earlier JWT, and deletes the rows too.
//   - API tokens are "bst_" + 32 random bytes, shown once and stored as a
//     SHA-256 hash (they are high-entropy, so a slow hash adds nothing).
//     Each belongs to a workspace and its creator, with a scope (read or
//     write) and an optional expiry; a write token acts with the creator's
//     current role there, so removing a member ends their tokens.
//   - Two-factor login is TOTP (modules/twofactor): a login with the right
//     password answers with a five-minute challenge JWT, completed with a
//     code or a recovery code. A code's time step is recorded with a
//     conditional UPDATE, so a code works once even under two racing
//     logins; recovery codes are removed the same way. Wrong codes count
//     against the same limits as wrong passwords.
//   - Failed logins are counted per account and address pair and per
//     address in a fixed window (so an attacker who knows an email cannot
//     lock its owner out, and one address cannot spray accounts); over a
//     limit, login answers 429 with Retry-After even for the right
//     password. An unknown email costs the same hashing time as a wrong
//     password and gets the same message. With Redis configured the
//     counters live there, shared by every api process; otherwise in the
//     process. If Redis cannot answer, attempts are allowed (and logged):
//     the limit must not become a way to lock everyone out. The trade-off:
//     a password guesser with many addresses gets that many budgets; argon2,
//     the per-address limit and two-factor login are the answer to it.
//   - Single sign-on signs in the account with the provider's verified
//     email, or creates one in sso_workspace; the provider's own MFA
//     stands in for TOTP on that path.
package auth

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/betterstack/betterstack/modules/apperr"
)

// User is an account.
type User struct {
	ID        int64     `json:"id"`
	Email     string    `json:"email"`
	TwoFactor bool      `json:"two_factor"`
	CreatedAt time.Time `json:"created_at"`
	// WorkspaceID is the workspace the account was created into (its
	// personal one, or the one it was invited to); on /me, the current one.
	WorkspaceID  int64 `json:"workspace_id,omitempty"`
	tokenVersion int64
}

// Token is an API token as listed; the secret is only returned at creation.
type Token struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Scope      string     `json:"scope"`
	ExpiresAt  *time.Time `json:"expires_at"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

// Errors of this module.
var (
	ErrInvalidCredentials = apperr.New(apperr.Unauthorized, "invalid email or password")
	ErrUnauthenticated    = apperr.New(apperr.Unauthorized, "missing or invalid credentials: send Authorization: Bearer <token>")
	ErrEmailTaken         = apperr.New(apperr.Conflict, "an account with this email already exists")
	ErrTokenNotFound      = apperr.New(apperr.NotFound, "token not found")
	ErrUserNotFound       = apperr.New(apperr.NotFound, "user not found")
	ErrSignupDisabled     = apperr.New(apperr.Forbidden, "sign-up is closed on this installation (allow_signup): ask its owner to create your account with `betterstack user create`")
)

const (
	minPasswordLen = 8
	maxPasswordLen = 1024
	maxEmailLen    = 254
	maxTokenName   = 100
)

// NormalizeEmail trims an email address; comparisons are case-insensitive.
func NormalizeEmail(email string) string { return strings.TrimSpace(email) }

// ValidateCredentials checks an email and a new password, naming the field.
func ValidateCredentials(email, password string) error {
	f := apperr.Fields{}
	if msg := validateEmail(email); msg != "" {
		f.Add("email", msg)
	}
	if msg := validatePassword(password); msg != "" {
		f.Add("password", msg)
	}
	return f.Err()
}

func validateEmail(email string) string {
	if email == "" {
		return "is required"
	}
	if len(email) > maxEmailLen {
		return "must be at most 254 characters"
	}
	// net/mail parses only local@domain with both parts present; that the
	// address is the whole input rules out a display name, a comment,
	// quoting and angle brackets.
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email {
		return "must be a valid email address like name@example.com"
	}
	return ""
}

// validatePassword counts characters for the minimum (a short password in
// a script with multi-byte letters is still short) and bytes for the
// maximum (what argon2 hashes).
func validatePassword(p string) string {
	if p == "" {
		return "is required"
	}
	if utf8.RuneCountInString(p) < minPasswordLen {
		return "must be at least 8 characters"
	}
	if len(p) > maxPasswordLen {
		return "must be at most 1024 bytes"
	}
	return ""
}
