package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"time"
	"unicode/utf8"

	"github.com/betterstack/betterstack/modules/apperr"
)

// Session is a signed-in browser or API client, as listed to its owner.
type Session struct {
	ID         string    `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	Address    string    `json:"address"`
	UserAgent  string    `json:"user_agent"`
	Method     string    `json:"method"` // password | totp | recovery | sso
	Current    bool      `json:"current"`
}

// ErrSessionNotFound answers for a session that is not the user's.
var ErrSessionNotFound = apperr.New(apperr.NotFound, "session not found")

// TwoFactorRequired is Login's answer for an account with two-factor login
// on: the password was right, and Challenge (valid five minutes) completes
// the login with a code (CompleteLogin).
type TwoFactorRequired struct{ Challenge string }

func (e *TwoFactorRequired) Error() string { return "two-factor code required" }

const challengeTTL = 5 * time.Minute

func (s *Service) issueChallenge(u User) (string, error) {
	return s.issueJWT(u, "", "2fa", challengeTTL)
}

// startSession records a new server-side session for u and returns its
// JWT. The JWT carries a random session id; the table keeps its hash, so
// logging out or ending the session from the list invalidates the JWT.
func (s *Service) startSession(ctx context.Context, u User, cl Client, method string) (string, error) {
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	sid := base64.RawURLEncoding.EncodeToString(raw)
	now := s.now()
	row := sessionRow{ID: hashToken(sid), UserID: u.ID, CreatedAt: now, LastUsedAt: now, ExpiresAt: now.Add(s.cfg.JWTTTL),
		Address: clip(cl.IP, 64), UserAgent: clip(cl.UserAgent, 256), Method: method}
	if err := s.store.createSession(ctx, &row); err != nil {
		return "", err
	}
	return s.issueJWT(u, sid, "", s.cfg.JWTTTL)
}

func clip(v string, n int) string {
	if len(v) <= n {
		return v
	}
	v = v[:n]
	for !utf8.ValidString(v) {
		v = v[:len(v)-1]
	}
	return v
}

// Sessions lists userID's live sessions, newest first; current marks the
// one asking.
func (s *Service) Sessions(ctx context.Context, userID int64, current string) ([]Session, error) {
	rows, err := s.store.sessions(ctx, userID, s.now())
	out := make([]Session, 0, len(rows))
	for _, r := range rows {
		out = append(out, Session{ID: r.ID[:16], CreatedAt: r.CreatedAt, LastUsedAt: r.LastUsedAt, ExpiresAt: r.ExpiresAt,
			Address: r.Address, UserAgent: r.UserAgent, Method: r.Method, Current: r.ID == current})
	}
	return out, err
}

// EndSession ends one of userID's sessions, named by the id Sessions
// lists (a prefix of the stored hash: enough to tell them apart, useless
// to sign in with).
func (s *Service) EndSession(ctx context.Context, userID int64, id string) error {
	if len(id) != 16 {
		return ErrSessionNotFound
	}
	n, err := s.store.deleteSessionByPrefix(ctx, userID, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrSessionNotFound
	}
	if u, err := s.store.userByID(ctx, userID); err == nil {
		s.note(ctx, userID, u.Email, "session.end", clientOf(ctx), nil)
	}
	return nil
}

// Logout ends the session sessionID (as in Principal) on the server.
func (s *Service) Logout(ctx context.Context, sessionID string) error {
	if sessionID == "" {
		return nil
	}
	return s.store.deleteSession(ctx, sessionID)
}
