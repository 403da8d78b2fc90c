package checkin

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/heartbeat"
	"github.com/betterstack/betterstack/modules/queue"
)

// Config tunes the service. Zero values take the defaults.
type Config struct {
	Key                 []byte        // derives ping tokens (required)
	PublicURL           string        // base of ping URLs, without trailing slash
	MaxBody             int           // bytes of a ping body kept (default 100 KB)
	PerTokenPerMinute   int           // pings a minute per token (default 60; negative: no limit)
	PerAddressPerMinute int           // pings a minute per source address (default 600; negative: no limit)
	Consumer            string        // this alerter's consumer name
	Batch               int           // pings per ingest transaction (default 500)
	ClaimIdle           time.Duration // pings pending this long are a dead alerter's (default 30s)
	DeciderIdle         time.Duration // the decider looks at least this often (default 5s)
	KeepPings           int           // pings read per judgement (default 500)
	Now                 func() time.Time
}

// Defaults.
const (
	DefaultMaxBody = 100 << 10
)

// publisher puts pings on the queue; queue.Redis and queue.Memory do.
type publisher interface {
	PublishPings(ctx context.Context, payloads [][]byte) error
}

// resultStore stores check results like the alerter's ingest; tick.Service does.
type resultStore interface {
	Store(ctx context.Context, results []queue.Result) error
}

// Service accepts pings, stores them and judges heartbeat monitors.
type Service struct {
	cfg      Config
	store    *store
	queue    publisher
	results  resultStore
	log      *slog.Logger
	tokens   *tokenCache
	perToken *limiter
	perAddr  *limiter
	judging  sync.Mutex // SQLite: one judgement at a time in the one process

	pubCh      chan pubReq // pings waiting for RunPublisher
	pubRunning atomic.Bool

	accepted, limited, unknown prometheus.Counter
	stored, reported           prometheus.Counter
}

// New returns the service. q may be nil for a process that accepts no
// pings, results nil for one that judges none.
func New(db *database.DB, q publisher, results resultStore, cfg Config, log *slog.Logger, reg prometheus.Registerer) *Service {
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.PerTokenPerMinute == 0 {
		cfg.PerTokenPerMinute = 60
	}
	if cfg.PerAddressPerMinute == 0 {
		cfg.PerAddressPerMinute = 600
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 500
	}
	if cfg.ClaimIdle <= 0 {
		cfg.ClaimIdle = 30 * time.Second
	}
	if cfg.DeciderIdle <= 0 {
		cfg.DeciderIdle = 5 * time.Second
	}
	if cfg.KeepPings <= 0 {
		cfg.KeepPings = 500
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Consumer == "" {
		cfg.Consumer = "alerter"
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: "betterstack_heartbeat_" + name, Help: help})
	}
	s := &Service{cfg: cfg, store: &store{db: db}, queue: q, results: results, log: log.With("module", "checkin"),
		pubCh:  make(chan pubReq, 4*publishBatch),
		tokens: newTokenCache(), perToken: newLimiter(cfg.PerTokenPerMinute), perAddr: newLimiter(cfg.PerAddressPerMinute),
		accepted: counter("pings_accepted_total", "Pings accepted and queued."),
		limited:  counter("pings_limited_total", "Pings refused by a rate limit."),
		unknown:  counter("pings_unknown_total", "Pings to unknown tokens."),
		stored:   counter("pings_stored_total", "Pings stored by the alerters."),
		reported: counter("verdicts_reported_total", "Heartbeat verdict changes reported as check results."),
	}
	if reg != nil {
		reg.MustRegister(s.accepted, s.limited, s.unknown, s.stored, s.reported)
	}
	return s
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// MaxBody is the number of body bytes kept with a ping.
func (s *Service) MaxBody() int { return s.cfg.MaxBody }

// Request is one ping as the HTTP handler read it.
type Request struct {
	Token     string
	Suffix    string // the path after the token: "", "start", "fail", "log" or an exit code
	RunID     string
	Method    string
	Source    string // client address
	UserAgent string
	Body      []byte // at most MaxBody bytes
	Truncated bool
}

// Limited is the error of a ping refused by a rate limit.
type Limited struct {
	Message    string
	RetryAfter time.Duration
}

func (l *Limited) Error() string { return l.Message }

// ErrUnavailable is returned when a token cannot be resolved (database
// down and the token not seen by this process) or the queue is down.
var ErrUnavailable = apperr.New(apperr.Unavailable, "pings cannot be accepted right now; retry shortly")

// Accept resolves the token, applies the rate limits and queues the ping.
func (s *Service) Accept(ctx context.Context, r Request) error {
	now := s.now()
	if ok, wait := s.perAddr.allow(r.Source, now); !ok {
		s.limited.Inc()
		return &Limited{Message: "too many pings from this address: at most " + itoa(s.cfg.PerAddressPerMinute) + " a minute", RetryAfter: wait}
	}
	sig, code, err := heartbeat.ParseSignal(r.Suffix)
	monitorID, lerr := s.resolve(ctx, r.Token, now)
	if lerr != nil {
		return lerr
	}
	if monitorID == 0 {
		s.unknown.Inc()
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	if ok, wait := s.perToken.allow(r.Token, now); !ok {
		s.limited.Inc()
		return &Limited{Message: "too many pings for this ping URL: at most " + itoa(s.cfg.PerTokenPerMinute) + " a minute", RetryAfter: wait}
	}
	m := message{PingID: newPingID(), MonitorID: monitorID, At: now, Signal: signalWord(sig), ExitCode: code,
		RunID: clip(r.RunID, 64), Method: r.Method, Source: clip(r.Source, 64), UserAgent: clip(r.UserAgent, 256),
		Body: cleanText(r.Body), Truncated: r.Truncated}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := s.publish(ctx, b); err != nil {
		s.log.Error("queue a ping", "monitor_id", monitorID, "err", err)
		return ErrUnavailable
	}
	s.accepted.Inc()
	return nil
}

// resolve returns the monitor of a token (0: unknown), from the cache when
// fresh, else the database; while the database cannot answer, a cached
// entry of any age serves.
func (s *Service) resolve(ctx context.Context, token string, now time.Time) (int64, error) {
	hash := hashToken(token)
	e, ok, fresh := s.tokens.get(hash, now)
	if fresh {
		return e.monitorID, nil
	}
	id, err := s.store.monitorFor(ctx, hash)
	if err != nil {
		if ok {
			return e.monitorID, nil
		}
		s.log.Warn("resolve a ping token", "err", err)
		return 0, ErrUnavailable
	}
	s.tokens.put(hash, id, now)
	return id, nil
}

// newPingID is a random id given to a ping when it is accepted.
func newPingID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// cleanText makes a body storable as text: valid UTF-8, no NUL.
func cleanText(b []byte) string {
	t := string(b)
	if !utf8.ValidString(t) {
		t = strings.ToValidUTF8(t, "\uFFFD")
	}
	return strings.ReplaceAll(t, "\x00", "")
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

func itoa(n int) string { return strconv.Itoa(n) }

// PingURL returns a monitor's ping URL and creates its token on first
// use. ok is false when the stored hash does not match the token derived
// now (the server key changed): the owner must rotate.
func (s *Service) PingURL(ctx context.Context, monitorID int64) (url string, ok bool, err error) {
	r, found, err := s.store.get(ctx, monitorID)
	if err != nil {
		return "", false, err
	}
	if !found {
		if r, err = s.ensure(ctx, monitorID); err != nil {
			return "", false, err
		}
	}
	if strings.HasPrefix(r.TokenHash, unsetToken) {
		u, err := s.Rotate(ctx, monitorID)
		return u, err == nil, err
	}
	tok := tokenFor(s.cfg.Key, monitorID, r.TokenSalt)
	if !hmac.Equal([]byte(hashToken(tok)), []byte(r.TokenHash)) {
		return "", false, nil
	}
	return s.cfg.PublicURL + "/ping/" + tok, true, nil
}

// unsetToken marks a row created without the token key.
const unsetToken = "unset:"

// ensure creates a monitor's heartbeat row (with a token) if it has none.
func (s *Service) ensure(ctx context.Context, monitorID int64) (hbRow, error) {
	salt, now := newSalt(), s.now()
	hash := unsetToken + salt // no key here (an alerter alone): the api sets it
	if len(s.cfg.Key) > 0 {
		hash = hashToken(tokenFor(s.cfg.Key, monitorID, salt))
	}
	r := hbRow{MonitorID: monitorID, TokenSalt: salt, TokenHash: hash,
		Status: string(heartbeat.Pending), NextDeadline: &now, UpdatedAt: now}
	if err := s.store.create(ctx, r); err != nil {
		return hbRow{}, err
	}
	got, _, err := s.store.get(ctx, monitorID)
	return got, err
}

// Rotate gives a monitor a new token and returns its URL; the old one
// stops working (at once here, within 30 s on other api processes).
func (s *Service) Rotate(ctx context.Context, monitorID int64) (string, error) {
	old, found, err := s.store.get(ctx, monitorID)
	if err != nil {
		return "", err
	}
	if !found {
		if old, err = s.ensure(ctx, monitorID); err != nil {
			return "", err
		}
	}
	salt := newSalt()
	tok := tokenFor(s.cfg.Key, monitorID, salt)
	if err := s.store.setToken(ctx, monitorID, hashToken(tok), salt, old.UpdatedAt); err != nil {
		return "", err
	}
	s.tokens.forget(old.TokenHash)
	s.log.Info("ping token rotated", "monitor_id", monitorID)
	return s.cfg.PublicURL + "/ping/" + tok, nil
}

// Page is one page of pings.
type Page struct {
	Data       []Ping  `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

// MaxPage is the largest page of pings.
const MaxPage = 500

// ParseFilter reads limit and cursor as the API passes them.
func ParseFilter(limit, cur string) (PageFilter, error) {
	f := PageFilter{Limit: 50}
	if limit != "" {
		n, err := parseInt(limit)
		if err != nil || n < 1 || n > MaxPage {
			return f, apperr.Field("limit", "must be a number from 1 to 500")
		}
		f.Limit = n
	}
	if cur != "" {
		c, ok := parseCursor(cur)
		if !ok {
			return f, apperr.Field("cursor", "is not a cursor returned by this API")
		}
		f.Before = &c
	}
	return f, nil
}

func parseInt(v string) (int, error) { return strconv.Atoi(v) }

// List returns a page of a monitor's pings, newest first. The caller
// checks that the monitor is the workspace's.
func (s *Service) List(ctx context.Context, monitorID int64, f PageFilter) (Page, error) {
	want := f.Limit
	f.Limit++
	ps, err := s.store.list(ctx, monitorID, f)
	if err != nil {
		return Page{}, err
	}
	p := Page{Data: ps}
	if len(ps) > want {
		p.Data = ps[:want]
		c := cursor{At: ps[want-1].At, ID: ps[want-1].ID}.String()
		p.NextCursor = &c
	}
	if p.Data == nil {
		p.Data = []Ping{}
	}
	return p, nil
}

// hmacKey derives the token key from a server secret, so the JWT secret
// itself never signs anything else.
func hmacKey(secret []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("betterstack heartbeat ping tokens"))
	return m.Sum(nil)
}

// KeyFrom derives Config.Key from a server secret.
func KeyFrom(secret []byte) []byte { return hmacKey(secret) }
