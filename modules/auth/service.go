package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"gorm.io/gorm"

	"github.com/betterstack/betterstack/modules/access"
	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/audit"
	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/text"
	"github.com/betterstack/betterstack/modules/workspace"
)

// Config tunes the auth service.
type Config struct {
	JWTSecret []byte
	JWTTTL    time.Duration
	// Signup is who may sign up: "first" (only while no account exists),
	// "open" or "closed" (config.Signup*).
	Signup        string
	LoginMaxFails int           // failures per account per window; twice that per address
	LoginWindow   time.Duration //
	// PasswordMemoryKiB overrides argon2id's memory cost (tests lower it).
	PasswordMemoryKiB uint32
	// Limiter counts failed logins; nil counts them in this process.
	Limiter Limiter
	Now     func() time.Time
}

// Service manages accounts and authenticates requests.
type Service struct {
	cfg        Config
	argon      argonParams
	store      *store
	workspaces *workspace.Service
	log        *slog.Logger
	limiter    Limiter
	dummy      string // hash checked for unknown emails, so they cost the same time
}

// New returns the auth service.
func New(db *database.DB, cfg Config, log *slog.Logger) (*Service, error) {
	if len(cfg.JWTSecret) < 32 {
		return nil, errors.New("auth: JWT secret must be at least 32 bytes")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	// A zero limit would refuse every login (attempts are counted before
	// they are made); the settings' defaults stand in for unset ones.
	if cfg.LoginMaxFails < 1 {
		cfg.LoginMaxFails = 10
	}
	if cfg.LoginWindow <= 0 {
		cfg.LoginWindow = 15 * time.Minute
	}
	p := defaultArgon
	if cfg.PasswordMemoryKiB > 0 {
		p.MemoryKiB = cfg.PasswordMemoryKiB
	}
	dummy, err := hashPassword(p, "dummy password for timing")
	if err != nil {
		return nil, err
	}
	lim := cfg.Limiter
	if lim == nil {
		lim = newLimiter(cfg.LoginWindow, cfg.Now)
	}
	return &Service{
		cfg: cfg, argon: p, store: &store{db: db}, log: log.With("module", "auth"),
		workspaces: workspace.New(db, cfg.Now, log),
		limiter:    lim, dummy: dummy,
	}, nil
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// CreateUser creates an account; used by signup and the CLI.
func (s *Service) CreateUser(ctx context.Context, email, password string) (User, error) {
	email = NormalizeEmail(email)
	if err := ValidateCredentials(email, password); err != nil {
		return User{}, err
	}
	hash, err := hashPassword(s.argon, password)
	if err != nil {
		return User{}, err
	}
	return s.createUser(ctx, email, hash, "", false)
}

// createUser stores an account with its personal workspace, or, with an
// invitation token, joins the invited workspace instead (in the same
// transaction: a failed accept creates no account). With first, it is
// refused unless it is the installation's first account.
func (s *Service) createUser(ctx context.Context, email, hash, invitation string, first bool) (User, error) {
	var u User
	err := s.store.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if first && s.store.db.Dialect == database.Postgres {
			// Sign-ups while there is no account take turns, so the
			// count below sees the one before (SQLite has one writer:
			// the insert waits for it).
			if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", firstSignupLock).Error; err != nil {
				return err
			}
		}
		row, err := s.store.createUser(tx, email, hash, s.now())
		if err != nil {
			return err
		}
		if first {
			// Only the installation's first account may sign up this
			// way; SignupOpen asked before the hash, but two sign-ups
			// at once both heard yes.
			var n int64
			if err := tx.Table("users").Count(&n).Error; err != nil {
				return err
			}
			if n > 1 {
				return ErrSignupDisabled
			}
		}
		u = row.user()
		if invitation != "" {
			w, err := s.workspaces.Accept(ctx, tx, invitation, row.ID, email)
			if err != nil {
				return err
			}
			u.WorkspaceID = w.ID
			return nil
		}
		w, err := workspace.CreateIn(ctx, tx, email, row.ID, s.now())
		u.WorkspaceID = w.ID
		return err
	})
	if err != nil {
		return User{}, err
	}
	s.log.Info("user created", "user_id", u.ID)
	return u, nil
}

// firstSignupLock is the advisory lock sign-ups take while only the first
// account may sign up (any constant no other lock uses).
const firstSignupLock = 0x6273_7369_676e // "bssign"

// SignupOpen reports whether a visitor may sign up now: always when
// sign-up is open, never when closed, and by default only while the
// installation has no account (its first user becomes its owner).
func (s *Service) SignupOpen(ctx context.Context) (bool, error) {
	switch s.cfg.Signup {
	case "open":
		return true, nil
	case "first":
		n, err := s.store.countUsers(ctx)
		return n == 0, err
	}
	return false, nil
}

// Client is where a request comes from, kept with sessions and audit
// entries.
type Client struct {
	IP        string
	UserAgent string
}

// Signup creates an account and signs it in. The client's address limits
// sign-ups per address.
func (s *Service) Signup(ctx context.Context, email, password string, cl Client) (User, string, error) {
	return s.signup(ctx, email, password, "", cl)
}

// SignupInvited creates an account that joins the workspace of an
// invitation (allowed when sign-up is otherwise closed: the invitation is
// the permission) and signs it in.
func (s *Service) SignupInvited(ctx context.Context, email, password, invitation string, cl Client) (User, string, error) {
	if invitation == "" {
		return User{}, "", apperr.Field("invitation", "is required")
	}
	return s.signup(ctx, email, password, invitation, cl)
}

func (s *Service) signup(ctx context.Context, email, password, invitation string, cl Client) (User, string, error) {
	if invitation == "" {
		open, err := s.SignupOpen(ctx)
		if err != nil {
			return User{}, "", err
		}
		if !open {
			return User{}, "", ErrSignupDisabled
		}
	}
	email = NormalizeEmail(email)
	if err := ValidateCredentials(email, password); err != nil {
		return User{}, "", err
	}
	// The invitation is checked before anything costs a hash or says
	// whether the email has an account: a made-up one learns nothing.
	if invitation != "" {
		inv, err := s.workspaces.Lookup(ctx, invitation)
		if err != nil {
			return User{}, "", err
		}
		if inv.Email != "" && !strings.EqualFold(inv.Email, email) {
			return User{}, "", workspace.ErrWrongInvitee
		}
	}
	// Every sign-up that gets as far as hashing counts against its
	// address, made or not (an email that has an account, an invitation
	// used meanwhile), and is counted before it hashes, so attempts sent
	// at once cannot pass the limit together.
	key := "signup:" + cl.IP
	if ok, wait := s.take(ctx, key, 2*s.cfg.LoginMaxFails); !ok {
		s.undo(ctx, key)
		return User{}, "", rateLimited(wait)
	}
	hash, err := hashPassword(s.argon, password)
	if err != nil {
		return User{}, "", err
	}
	u, err := s.createUser(ctx, email, hash, invitation, invitation == "" && s.cfg.Signup == "first")
	if err != nil {
		return User{}, "", err
	}
	tok, err := s.startSession(ctx, u, cl, "password")
	return u, tok, err
}

// take counts an attempt for key before it is made (Limiter.Take). If the
// limiter cannot answer (Redis down) logins go on: the limit protects
// against guessing, it must not lock everyone out.
func (s *Service) take(ctx context.Context, key string, limit int) (bool, time.Duration) {
	ok, wait, err := s.limiter.Take(ctx, key, limit)
	if err != nil {
		s.log.Warn("rate limiter unavailable; allowing the attempt", "err", err)
		return true, 0
	}
	return ok, wait
}

// undo takes back attempts take counted for keys.
func (s *Service) undo(ctx context.Context, keys ...string) {
	for _, k := range keys {
		if err := s.limiter.Undo(ctx, k); err != nil {
			s.log.Warn("rate limiter unavailable; attempt left counted", "err", err)
		}
	}
}

func rateLimited(wait time.Duration) error {
	return &apperr.Error{Kind: apperr.RateLimited, Message: fmt.Sprintf("too many attempts; try again in %s", wait.Round(time.Second)), RetryAfter: wait}
}

// Login checks credentials and returns a session token. Failures are
// counted per account and address pair and per address, so knowing
// someone's email is not enough to lock them out from their own address.
// An account with two-factor login on gets a *TwoFactorRequired error
// carrying the challenge to complete with CompleteLogin.
func (s *Service) Login(ctx context.Context, email, password string, cl Client) (User, string, error) {
	email = strings.ToLower(NormalizeEmail(email))
	acct, addr := "acct:"+email+"|"+cl.IP, "ip:"+cl.IP
	// Each attempt is counted as a failure before its password is hashed,
	// and taken back if it was not one: counted after, every attempt sent
	// at once got past the limit.
	if ok, wait := s.take(ctx, acct, s.cfg.LoginMaxFails); !ok {
		s.undo(ctx, acct) // refused before trying: not an attempt
		return User{}, "", rateLimited(wait)
	}
	if ok, wait := s.take(ctx, addr, 2*s.cfg.LoginMaxFails); !ok {
		s.undo(ctx, acct, addr)
		return User{}, "", rateLimited(wait)
	}
	row, err := s.store.userByEmail(ctx, email)
	switch {
	case errors.Is(err, ErrUserNotFound):
		checkPassword(s.dummy, password)
		s.note(ctx, 0, email, "login.failure", cl, map[string]any{"reason": "unknown email"})
	case err != nil:
		s.undo(ctx, acct, addr)
		return User{}, "", err
	case checkPassword(row.PasswordHash, password):
		u := row.user()
		s.undo(ctx, addr)
		if row.TotpEnabled {
			// The failures are reset only once the code is right too:
			// knowing the password must not buy fresh code guesses.
			s.undo(ctx, acct)
			ch, err := s.issueChallenge(u)
			if err != nil {
				return User{}, "", err
			}
			return u, "", &TwoFactorRequired{Challenge: ch}
		}
		if err := s.limiter.Reset(ctx, acct); err != nil {
			s.log.Warn("reset login failures", "err", err)
		}
		tok, err := s.startSession(ctx, u, cl, "password")
		if err == nil {
			s.note(ctx, u.ID, u.Email, "login.success", cl, map[string]any{"method": "password"})
		}
		return u, tok, err
	}
	if err == nil {
		s.note(ctx, row.ID, row.Email, "login.failure", cl, map[string]any{"reason": "wrong password"})
	}
	s.log.Info("login failed", "ip", cl.IP)
	return User{}, "", ErrInvalidCredentials
}

// ChangePassword sets a new password after checking the current one. Every
// earlier session token stops working; the returned one is valid.
func (s *Service) ChangePassword(ctx context.Context, userID int64, current, next string, cl Client) (string, error) {
	row, err := s.store.userByID(ctx, userID)
	if err != nil {
		return "", err
	}
	if !checkPassword(row.PasswordHash, current) {
		return "", apperr.Field("current_password", "is not your current password")
	}
	if msg := validatePassword(next); msg != "" {
		return "", apperr.Field("new_password", msg)
	}
	hash, err := hashPassword(s.argon, next)
	if err != nil {
		return "", err
	}
	version, err := s.store.setPassword(ctx, userID, hash, s.now())
	if err != nil {
		return "", err
	}
	u := row.user()
	u.tokenVersion = version
	s.log.Info("password changed", "user_id", userID)
	s.note(ctx, userID, row.Email, "password.change", cl, nil)
	if _, err := s.store.deleteSessions(ctx, userID, ""); err != nil {
		return "", err
	}
	return s.startSession(ctx, u, cl, "password")
}

// SetPassword replaces a password without the current one (the CLI's reset).
func (s *Service) SetPassword(ctx context.Context, email, password string) error {
	if msg := validatePassword(password); msg != "" {
		return apperr.Field("password", msg)
	}
	row, err := s.store.userByEmail(ctx, NormalizeEmail(email))
	if err != nil {
		return err
	}
	hash, err := hashPassword(s.argon, password)
	if err != nil {
		return err
	}
	_, err = s.store.setPassword(ctx, row.ID, hash, s.now())
	return err
}

// Get returns a user by id.
func (s *Service) Get(ctx context.Context, id int64) (User, error) {
	row, err := s.store.userByID(ctx, id)
	return row.user(), err
}

type claims struct {
	Version int64  `json:"ver"`
	Session string `json:"sid,omitempty"`
	Purpose string `json:"use,omitempty"` // "" = session; "2fa" = a login's challenge
	jwt.RegisteredClaims
}

const issuer = "betterstack"

func (s *Service) issueJWT(u User, sid, purpose string, ttl time.Duration) (string, error) {
	now := s.now()
	c := claims{
		Version: u.tokenVersion,
		Session: sid,
		Purpose: purpose,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    issuer,
			Subject:   strconv.FormatInt(u.ID, 10),
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.cfg.JWTSecret)
}

// TokenPrefix starts every API token, so they are told apart from JWTs and
// found by secret scanners.
const TokenPrefix = "bst_"

// Principal is who a credential stands for: the user, and for an API token
// its workspace and scope, or for a session its id.
type Principal struct {
	User        User
	TokenID     int64
	WorkspaceID int64        // the token's workspace; 0 for a session
	Scope       access.Scope // the token's scope; "" for a session
	SessionID   string       // the session's id (hashed); "" for a token
}

// Authenticate resolves a bearer credential (a session JWT or an API token)
// to who it stands for. Every failure is ErrUnauthenticated; causes are not
// told apart.
func (s *Service) Authenticate(ctx context.Context, credential string) (Principal, error) {
	if strings.HasPrefix(credential, TokenPrefix) {
		return s.authenticateToken(ctx, credential)
	}
	c, row, err := s.parseJWT(ctx, credential, "")
	if err != nil {
		return Principal{}, err
	}
	sess, err := s.store.session(ctx, hashToken(c.Session))
	if errors.Is(err, errNoSession) || (err == nil && (sess.UserID != row.ID || !s.now().Before(sess.ExpiresAt))) {
		return Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, err
	}
	if now := s.now(); now.Sub(sess.LastUsedAt) > time.Minute {
		if err := s.store.touchSession(ctx, sess.ID, now); err != nil {
			s.log.Warn("record session use", "err", err)
		}
	}
	return Principal{User: row.user(), SessionID: sess.ID}, nil
}

// parseJWT checks a JWT of purpose and returns its claims and user.
func (s *Service) parseJWT(ctx context.Context, credential, purpose string) (claims, userRow, error) {
	var c claims
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuer(issuer),
		jwt.WithTimeFunc(s.cfg.Now),
	)
	_, err := parser.ParseWithClaims(credential, &c, func(*jwt.Token) (any, error) { return s.cfg.JWTSecret, nil })
	if err != nil || c.Purpose != purpose || (purpose == "" && c.Session == "") {
		return c, userRow{}, ErrUnauthenticated
	}
	id, err := strconv.ParseInt(c.Subject, 10, 64)
	if err != nil {
		return c, userRow{}, ErrUnauthenticated
	}
	row, err := s.store.userByID(ctx, id)
	if errors.Is(err, ErrUserNotFound) || (err == nil && row.TokenVersion != c.Version) {
		return c, userRow{}, ErrUnauthenticated
	}
	return c, row, err
}

func hashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func (s *Service) authenticateToken(ctx context.Context, secret string) (Principal, error) {
	u, tok, err := s.store.userByTokenHash(ctx, hashToken(secret))
	if err != nil {
		return Principal{}, err
	}
	now := s.now()
	if tok.ExpiresAt != nil && !now.Before(*tok.ExpiresAt) {
		return Principal{}, ErrUnauthenticated
	}
	// last_used_at is informational: write it at most once a minute per token.
	if tok.LastUsedAt == nil || now.Sub(*tok.LastUsedAt) > time.Minute {
		if err := s.store.touchToken(ctx, tok.ID, now); err != nil {
			s.log.Warn("record token use", "token_id", tok.ID, "err", err)
		}
	}
	return Principal{User: u.user(), TokenID: tok.ID, WorkspaceID: tok.WorkspaceID, Scope: access.Scope(tok.Scope)}, nil
}

// TokenInput is a new API token's settings.
type TokenInput struct {
	Name      string     `json:"name"`
	Scope     string     `json:"scope"`      // read | write (default write)
	ExpiresAt *time.Time `json:"expires_at"` // nil = never
}

// CreateToken makes an API token of userID for workspace ws; the secret is
// returned only here.
func (s *Service) CreateToken(ctx context.Context, ws, userID int64, in TokenInput) (Token, string, error) {
	f := apperr.Fields{}
	name := strings.TrimSpace(in.Name)
	if msg := text.RequiredLine(name, maxTokenName); msg != "" {
		f.Add("name", msg)
	}
	scope := access.Scope(strings.TrimSpace(in.Scope))
	if scope == "" {
		scope = access.ScopeWrite
	}
	if scope != access.ScopeRead && scope != access.ScopeWrite {
		f.Add("scope", `must be "read" or "write"`)
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(s.now()) {
		f.Add("expires_at", "must be in the future")
	}
	if err := f.Err(); err != nil {
		return Token{}, "", err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return Token{}, "", err
	}
	secret := TokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	row := tokenRow{UserID: userID, WorkspaceID: ws, Name: name, Scope: string(scope), TokenHash: hashToken(secret),
		TokenPrefix: secret[:len(TokenPrefix)+6], CreatedAt: s.now()}
	if in.ExpiresAt != nil {
		t := in.ExpiresAt.UTC().Truncate(time.Microsecond)
		row.ExpiresAt = &t
	}
	if err := s.store.createToken(ctx, &row); err != nil {
		return Token{}, "", err
	}
	audit.Note(ctx, audit.Event{WorkspaceID: ws, Action: "token.create", RecordType: "token", RecordID: row.ID, RecordKey: row.TokenPrefix,
		After: map[string]any{"name": row.Name, "scope": row.Scope, "expires_at": row.ExpiresAt}})
	return row.token(), secret, nil
}

// ListTokens lists userID's API tokens in workspace ws without secrets.
func (s *Service) ListTokens(ctx context.Context, ws, userID int64) ([]Token, error) {
	rows, err := s.store.listTokens(ctx, ws, userID)
	out := make([]Token, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.token())
	}
	return out, err
}

// DeleteToken revokes one of userID's API tokens in workspace ws.
func (s *Service) DeleteToken(ctx context.Context, ws, userID, id int64) error {
	if err := s.store.deleteToken(ctx, ws, userID, id); err != nil {
		return err
	}
	audit.Note(ctx, audit.Event{WorkspaceID: ws, Action: "token.delete", RecordType: "token", RecordID: id})
	return nil
}

// RevokeTokens removes every API token of userID in workspace ws at once (a
// password change ends sessions, not tokens: this is the "everything I ever
// handed out" switch) and returns how many there were.
func (s *Service) RevokeTokens(ctx context.Context, ws, userID int64) (int64, error) {
	n, err := s.store.deleteTokens(ctx, ws, userID)
	if err == nil {
		s.log.Info("api tokens revoked", "user_id", userID, "workspace_id", ws, "count", n)
		audit.Note(ctx, audit.Event{WorkspaceID: ws, Action: "token.revoke_all", RecordType: "token", After: map[string]any{"revoked": n}})
	}
	return n, err
}
