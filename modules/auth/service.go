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

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/database"
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
	cfg     Config
	argon   argonParams
	store   *store
	log     *slog.Logger
	limiter Limiter
	dummy   string // hash checked for unknown emails, so they cost the same time
}

// New returns the auth service.
func New(db *database.DB, cfg Config, log *slog.Logger) (*Service, error) {
	if len(cfg.JWTSecret) < 32 {
		return nil, errors.New("auth: JWT secret must be at least 32 bytes")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
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
		limiter: lim, dummy: dummy,
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
	row, err := s.store.createUser(ctx, email, hash, s.now())
	if err != nil {
		return User{}, err
	}
	s.log.Info("user created", "user_id", row.ID)
	return row.user(), nil
}

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

// Signup creates an account and signs it in. ip limits sign-ups per address.
func (s *Service) Signup(ctx context.Context, email, password, ip string) (User, string, error) {
	open, err := s.SignupOpen(ctx)
	if err != nil {
		return User{}, "", err
	}
	if !open {
		return User{}, "", ErrSignupDisabled
	}
	key := "signup:" + ip
	if blocked, wait := s.blocked(ctx, key, 2*s.cfg.LoginMaxFails); blocked {
		return User{}, "", rateLimited(wait)
	}
	u, err := s.CreateUser(ctx, email, password)
	if err != nil {
		return User{}, "", err
	}
	s.hit(ctx, key)
	tok, err := s.issueJWT(u)
	return u, tok, err
}

// blocked asks the limiter; if it cannot answer (Redis down) logins go on:
// the limit protects against guessing, it must not lock everyone out.
func (s *Service) blocked(ctx context.Context, key string, limit int) (bool, time.Duration) {
	b, wait, err := s.limiter.Blocked(ctx, key, limit)
	if err != nil {
		s.log.Warn("rate limiter unavailable; allowing the attempt", "err", err)
		return false, 0
	}
	return b, wait
}

func (s *Service) hit(ctx context.Context, key string) {
	if err := s.limiter.Hit(ctx, key); err != nil {
		s.log.Warn("rate limiter unavailable; attempt not counted", "err", err)
	}
}

func rateLimited(wait time.Duration) error {
	return &apperr.Error{Kind: apperr.RateLimited, Message: fmt.Sprintf("too many attempts; try again in %s", wait.Round(time.Second)), RetryAfter: wait}
}

// Login checks credentials and returns a session token.
func (s *Service) Login(ctx context.Context, email, password, ip string) (User, string, error) {
	email = strings.ToLower(NormalizeEmail(email))
	acct, addr := "acct:"+email, "ip:"+ip
	if blocked, wait := s.blocked(ctx, acct, s.cfg.LoginMaxFails); blocked {
		return User{}, "", rateLimited(wait)
	}
	if blocked, wait := s.blocked(ctx, addr, 2*s.cfg.LoginMaxFails); blocked {
		return User{}, "", rateLimited(wait)
	}
	row, err := s.store.userByEmail(ctx, email)
	switch {
	case errors.Is(err, ErrUserNotFound):
		checkPassword(s.dummy, password)
	case err != nil:
		return User{}, "", err
	case checkPassword(row.PasswordHash, password):
		if err := s.limiter.Reset(ctx, acct); err != nil {
			s.log.Warn("reset login failures", "err", err)
		}
		u := row.user()
		tok, err := s.issueJWT(u)
		return u, tok, err
	}
	s.hit(ctx, acct)
	s.hit(ctx, addr)
	s.log.Info("login failed", "ip", ip)
	return User{}, "", ErrInvalidCredentials
}

// ChangePassword sets a new password after checking the current one. Every
// earlier session token stops working; the returned one is valid.
func (s *Service) ChangePassword(ctx context.Context, userID int64, current, next string) (string, error) {
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
	return s.issueJWT(u)
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
	Version int64 `json:"ver"`
	jwt.RegisteredClaims
}

const issuer = "betterstack"

func (s *Service) issueJWT(u User) (string, error) {
	now := s.now()
	c := claims{
		Version: u.tokenVersion,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    issuer,
			Subject:   strconv.FormatInt(u.ID, 10),
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(s.cfg.JWTTTL)),
		},
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.cfg.JWTSecret)
}

// TokenPrefix starts every API token, so they are told apart from JWTs and
// found by secret scanners.
const TokenPrefix = "bst_"

// Authenticate resolves a bearer credential (a JWT or an API token) to its
// user. Every failure is ErrUnauthenticated; causes are not told apart.
func (s *Service) Authenticate(ctx context.Context, credential string) (User, error) {
	if strings.HasPrefix(credential, TokenPrefix) {
		return s.authenticateToken(ctx, credential)
	}
	var c claims
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuer(issuer),
		jwt.WithTimeFunc(s.cfg.Now),
	)
	_, err := parser.ParseWithClaims(credential, &c, func(*jwt.Token) (any, error) { return s.cfg.JWTSecret, nil })
	if err != nil {
		return User{}, ErrUnauthenticated
	}
	id, err := strconv.ParseInt(c.Subject, 10, 64)
	if err != nil {
		return User{}, ErrUnauthenticated
	}
	row, err := s.store.userByID(ctx, id)
	if errors.Is(err, ErrUserNotFound) || (err == nil && row.TokenVersion != c.Version) {
		return User{}, ErrUnauthenticated
	}
	if err != nil {
		return User{}, err
	}
	return row.user(), nil
}

func hashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func (s *Service) authenticateToken(ctx context.Context, secret string) (User, error) {
	u, tok, err := s.store.userByTokenHash(ctx, hashToken(secret))
	if err != nil {
		return User{}, err
	}
	// last_used_at is informational: write it at most once a minute per token.
	if now := s.now(); tok.LastUsedAt == nil || now.Sub(*tok.LastUsedAt) > time.Minute {
		if err := s.store.touchToken(ctx, tok.ID, now); err != nil {
			s.log.Warn("record token use", "token_id", tok.ID, "err", err)
		}
	}
	return u.user(), nil
}

// CreateToken makes an API token; the secret is returned only here.
func (s *Service) CreateToken(ctx context.Context, userID int64, name string) (Token, string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return Token{}, "", apperr.Field("name", "is required")
	case len(name) > maxTokenName:
		return Token{}, "", apperr.Field("name", "must be at most 100 characters")
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return Token{}, "", err
	}
	secret := TokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	row := tokenRow{UserID: userID, Name: name, TokenHash: hashToken(secret), TokenPrefix: secret[:len(TokenPrefix)+6], CreatedAt: s.now()}
	if err := s.store.createToken(ctx, &row); err != nil {
		return Token{}, "", err
	}
	return row.token(), secret, nil
}

// ListTokens lists a user's API tokens without their secrets.
func (s *Service) ListTokens(ctx context.Context, userID int64) ([]Token, error) {
	rows, err := s.store.listTokens(ctx, userID)
	out := make([]Token, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.token())
	}
	return out, err
}

// DeleteToken revokes one of the user's API tokens.
func (s *Service) DeleteToken(ctx context.Context, userID, id int64) error {
	return s.store.deleteToken(ctx, userID, id)
}

// RevokeTokens removes every API token of the user at once (a password
// change ends sessions, not tokens: this is the "everything I ever handed
// out" switch) and returns how many there were.
func (s *Service) RevokeTokens(ctx context.Context, userID int64) (int64, error) {
	n, err := s.store.deleteTokens(ctx, userID)
	if err == nil {
		s.log.Info("api tokens revoked", "user_id", userID, "count", n)
	}
	return n, err
}
