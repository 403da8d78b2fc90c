package statuspage

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"golang.org/x/sync/singleflight"
	"gorm.io/gorm"

	"github.com/betterstack/betterstack/modules/access"
	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/audit"
	"github.com/betterstack/betterstack/modules/auth"
	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/incident"
	"github.com/betterstack/betterstack/modules/key"
	"github.com/betterstack/betterstack/modules/tick"
)

// incidents is what pages and updates need of the incident service.
type incidents interface {
	Get(ctx context.Context, workspaceID, id int64) (incident.Detail, error)
	Resolve(ctx context.Context, workspaceID, id int64) (incident.Detail, error)
	ListWindows(ctx context.Context, workspaceID int64) ([]incident.Window, error)
}

// rollups is what badges need of the tick service.
type rollups interface {
	Window(ctx context.Context, monitorIDs []int64, now time.Time, d time.Duration) (map[int64]tick.Rollup, error)
}

var (
	_ incidents = (*incident.Service)(nil)
	_ rollups   = (*tick.Service)(nil)
)

// DefaultLoginWindow is the window wrong passwords are counted in.
const DefaultLoginWindow = 15 * time.Minute

// Config tunes the status page service.
type Config struct {
	// Key signs visitors' cookies of password-protected pages (required).
	Key []byte
	// PublicURL, when set, is the base of badge URLs and feed links
	// (https://status.example.com); otherwise they follow the request.
	PublicURL string
	// CacheTTL is how long a page's built view is reused: 0 means 5 s, a
	// negative value turns the cache off.
	CacheTTL time.Duration
	// DomainTTL is how long the custom-domain map is reused (0 means 5 s).
	DomainTTL time.Duration
	// LoginLimit wrong passwords per visitor address and page within
	// LoginWindow answer 429 (defaults 10 and 15 min).
	LoginLimit  int
	LoginWindow time.Duration
	// MaxPerAccount caps how many status pages one account may have (0:
	// no cap).
	MaxPerAccount int
	// Limiter counts wrong passwords; nil counts them in this process.
	Limiter Limiter
	// PasswordMemoryKiB lowers argon2id's memory cost (tests).
	PasswordMemoryKiB uint32
	Now               func() time.Time
}

// Service manages status pages, incident updates and badges, and builds
// what the public sees.
type Service struct {
	cfg       Config
	store     *store
	incidents incidents
	rollups   rollups
	limiter   Limiter
	log       *slog.Logger

	views   sync.Map // page id -> cachedView
	flight  singleflight.Group
	gen     atomic.Int64 // bumped by every change made here; older cached views rebuild
	domains domainCache
}

type cachedView struct {
	view    *View
	builtAt time.Time
	updated time.Time // the page's UpdatedAt it was built from
	gen     int64
}

type domainCache struct {
	mu         sync.Mutex
	slugs      map[string]string // domain -> slug; nil until first read
	at         time.Time
	refreshing bool
}

// New returns the status page service.
func New(db *database.DB, inc incidents, ro rollups, cfg Config, log *slog.Logger) (*Service, error) {
	if len(cfg.Key) < 16 {
		return nil, errors.New("statuspage: a key of at least 16 bytes is required to sign visitors' cookies")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = 5 * time.Second
	}
	if cfg.DomainTTL <= 0 {
		cfg.DomainTTL = 5 * time.Second
	}
	if cfg.LoginLimit <= 0 {
		cfg.LoginLimit = 10
	}
	if cfg.LoginWindow <= 0 {
		cfg.LoginWindow = DefaultLoginWindow
	}
	lim := cfg.Limiter
	if lim == nil {
		lim = auth.NewMemoryLimiter(cfg.LoginWindow, cfg.Now)
	}
	return &Service{cfg: cfg, store: &store{db: db}, incidents: inc, rollups: ro, limiter: lim,
		log: log.With("module", "statuspage")}, nil
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// changed drops what this process cached about pages.
func (s *Service) changed() {
	s.gen.Add(1)
	s.domains.mu.Lock()
	s.domains.at = time.Time{}
	s.domains.mu.Unlock()
}

// Create validates and stores a new page of workspaceID.
func (s *Service) Create(ctx context.Context, workspaceID int64, in Input) (Page, error) {
	if s.cfg.MaxPerAccount > 0 {
		n, err := s.store.countPages(ctx, workspaceID)
		if err != nil {
			return Page{}, err
		}
		if n >= int64(s.cfg.MaxPerAccount) {
			return Page{}, apperr.New(apperr.Forbidden, "this workspace has %d status pages, the most it may have (max_status_pages_per_account)", n)
		}
	}
	p := Page{WorkspaceID: workspaceID}
	in.apply(&p)
	if err := s.prepare(ctx, &p, in); err != nil {
		return Page{}, err
	}
	given := in.Key
	if given == nil || *given == "" {
		given = &p.Slug // a page's key is its slug unless given
	}
	var err error
	if p.Key, err = key.For(ctx, s.store.db.DB, "status_pages", workspaceID, given, p.Title, "status-page"); err != nil {
		return Page{}, err
	}
	p.CreatedAt = s.now()
	p.UpdatedAt = p.CreatedAt
	if err := s.save(ctx, &p); err != nil {
		return Page{}, err
	}
	s.log.Info("status page created", "status_page_id", p.ID, "workspace_id", workspaceID)
	audit.Note(ctx, audit.Event{WorkspaceID: workspaceID, Action: "status_page.create", RecordType: "status_page", RecordID: p.ID, RecordKey: p.Key, After: p})
	return p, nil
}

// Update changes the given fields of one of the user's pages.
func (s *Service) Update(ctx context.Context, workspaceID, id int64, in Input) (Page, error) {
	p, err := s.store.page(ctx, workspaceID, id)
	if err != nil {
		return Page{}, err
	}
	before := p
	in.apply(&p)
	if err := s.prepare(ctx, &p, in); err != nil {
		return Page{}, err
	}
	if in.Key != nil && *in.Key != p.Key {
		if err := key.Check(ctx, s.store.db.DB, "status_pages", workspaceID, id, *in.Key); err != nil {
			return Page{}, err
		}
		p.Key = *in.Key
	}
	p.UpdatedAt = s.now()
	if err := s.save(ctx, &p); err != nil {
		return Page{}, err
	}
	audit.Note(ctx, audit.Event{WorkspaceID: workspaceID, Action: "status_page.update", RecordType: "status_page", RecordID: p.ID, RecordKey: p.Key, Before: before, After: p})
	return p, nil
}

func (s *Service) save(ctx context.Context, p *Page) error {
	err := s.store.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.store.taken(tx, *p); err != nil {
			return err
		}
		return s.store.savePage(tx, p)
	})
	if err != nil {
		return err
	}
	p.Protected = p.PasswordHash != ""
	s.changed()
	return nil
}

// prepare validates p, checks its monitors are the owner's, names
// components without a display name after their monitor, and hashes a new
// password.
func (s *Service) prepare(ctx context.Context, p *Page, in Input) error {
	f := apperr.Fields{}
	if ae := apperr.As(p.Validate()); ae != nil {
		for k, v := range ae.Fields {
			f.Add(k, v)
		}
	}
	if in.Password != nil {
		if ae := apperr.As(validatePassword(*in.Password)); ae != nil {
			f.Add("password", ae.Fields["password"])
		}
	}
	names, err := s.store.monitorNames(ctx, p.WorkspaceID, p.monitorIDs())
	if err != nil {
		return err
	}
	for i, sec := range p.Sections {
		for j, c := range sec.Components {
			name, ok := names[c.MonitorID]
			switch {
			case c.MonitorID < 1:
			case !ok:
				f.Add(fmt.Sprintf("sections[%d].components[%d].monitor_id", i, j), "is not one of your monitors")
			case c.DisplayName == "":
				p.Sections[i].Components[j].DisplayName = truncate(name, MaxName)
			}
		}
	}
	switch {
	case p.CustomDomain == "":
	case s.cfg.PublicURL == "":
		// Without it the dashboard's own address is unknown, and a page
		// could claim it and stand in front of everyone's dashboard.
		f.Add("custom_domain", "needs public_url (BETTERSTACK_PUBLIC_URL) set to the dashboard's address first, so no page can take that address over")
	case s.ownHost(p.CustomDomain):
		f.Add("custom_domain", "is this installation's own address")
	}
	if err := f.Err(); err != nil {
		return err
	}
	if in.Password != nil {
		p.PasswordHash = ""
		if *in.Password != "" {
			h, err := auth.HashPassword(*in.Password, s.cfg.PasswordMemoryKiB)
			if err != nil {
				return err
			}
			p.PasswordHash = h
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// Get returns one of the user's pages.
func (s *Service) Get(ctx context.Context, workspaceID, id int64) (Page, error) {
	return s.store.page(ctx, workspaceID, id)
}

// List returns the user's pages, oldest first.
func (s *Service) List(ctx context.Context, workspaceID int64) ([]Page, error) {
	return s.store.pages(ctx, workspaceID)
}

// Delete removes one of the user's pages.
func (s *Service) Delete(ctx context.Context, workspaceID, id int64) error {
	before, err := s.store.page(ctx, workspaceID, id)
	if err != nil {
		return err
	}
	if err := s.store.deletePage(ctx, workspaceID, id); err != nil {
		return err
	}
	audit.Note(ctx, audit.Event{WorkspaceID: workspaceID, Action: "status_page.delete", RecordType: "status_page", RecordID: id, RecordKey: before.Key, Before: before})
	s.changed()
	s.log.Info("status page deleted", "status_page_id", id, "workspace_id", workspaceID)
	return nil
}

// PostUpdate adds a public update to one of the user's incidents. A
// "resolved" update also resolves the incident if it is still open.
func (s *Service) PostUpdate(ctx context.Context, workspaceID, incidentID int64, in UpdateInput) (Update, error) {
	inc, err := s.incidents.Get(ctx, workspaceID, incidentID)
	if err != nil {
		return Update{}, err
	}
	if err := in.Validate(); err != nil {
		return Update{}, err
	}
	// Resolve first: if that fails nothing is written, and a retry finds
	// the incident resolved and only adds the update.
	if UpdateStatus(in.Status) == UpdateResolved && inc.Status != incident.StatusResolved {
		if _, err := s.incidents.Resolve(ctx, workspaceID, incidentID); err != nil && !errors.Is(err, incident.ErrAlreadyResolved) {
			return Update{}, err
		}
	}
	u, err := s.store.insertUpdate(ctx, updateRow{IncidentID: incidentID, UserID: access.From(ctx).UserID, Status: in.Status, Message: in.Message, CreatedAt: s.now()})
	if err != nil {
		return Update{}, err
	}
	s.changed()
	return u, nil
}

// Updates returns the updates of one of the user's incidents, oldest first.
func (s *Service) Updates(ctx context.Context, workspaceID, incidentID int64) ([]Update, error) {
	if _, err := s.incidents.Get(ctx, workspaceID, incidentID); err != nil {
		return nil, err
	}
	by, err := s.store.updatesOf(ctx, []int64{incidentID})
	if err != nil {
		return nil, err
	}
	out := by[incidentID]
	if out == nil {
		out = []Update{}
	}
	return out, nil
}

// Lookup returns the page a public URL names, without its sections. An
// unknown slug is ErrNotFound, whoever owns what.
func (s *Service) Lookup(ctx context.Context, slug string) (Page, error) {
	if !slugPattern.MatchString(slug) {
		return Page{}, ErrNotFound
	}
	return s.store.pageBySlug(ctx, slug)
}

// SlugForDomain returns the slug of the page served on host (lowercase,
// without port), from a map refreshed every DomainTTL. Every request of
// the dashboard asks, so one request refreshes while the others read the
// previous map, and a database that cannot answer slows one request per
// DomainTTL, not all of them (the last map read stays in use).
func (s *Service) SlugForDomain(ctx context.Context, host string) (string, bool) {
	if s.cfg.PublicURL == "" || s.ownHost(host) {
		return "", false
	}
	d := &s.domains
	now := s.cfg.Now()
	d.mu.Lock()
	slugs := d.slugs
	refresh := now.Sub(d.at) >= s.cfg.DomainTTL && (!d.refreshing || slugs == nil)
	if refresh {
		d.refreshing = true
	}
	d.mu.Unlock()
	if refresh {
		m, err := s.store.domains(ctx)
		d.mu.Lock()
		d.refreshing = false
		if err != nil {
			s.log.Warn("read custom domains", "err", err)
		} else {
			d.slugs, d.at, slugs = m, now, m
		}
		d.mu.Unlock()
	}
	slug, ok := slugs[host]
	return slug, ok
}

// ownHost reports whether host is the installation's own (PublicURL's),
// which no page may take over.
func (s *Service) ownHost(host string) bool {
	if s.cfg.PublicURL == "" {
		return false
	}
	u, err := url.Parse(s.cfg.PublicURL)
	return err == nil && strings.EqualFold(u.Hostname(), host)
}

// View returns what the public sees of p, reusing a view built less than
// CacheTTL ago (and after p's last change): a burst of visitors costs one
// build, which singleflight shares between concurrent requests.
func (s *Service) View(ctx context.Context, p Page) (*View, error) {
	gen := s.gen.Load()
	if s.cfg.CacheTTL > 0 {
		if c, ok := s.views.Load(p.ID); ok {
			cv := c.(cachedView)
			if cv.gen == gen && cv.updated.Equal(p.UpdatedAt) && s.cfg.Now().Sub(cv.builtAt) < s.cfg.CacheTTL {
				return cv.view, nil
			}
		}
	}
	key := strconv.FormatInt(p.ID, 10) + "@" + strconv.FormatInt(p.UpdatedAt.UnixNano(), 10) + "@" + strconv.FormatInt(gen, 10)
	v, err, _ := s.flight.Do(key, func() (any, error) {
		// Not the first caller's context: its cancellation must not fail
		// the requests that share this build.
		v, err := s.build(context.WithoutCancel(ctx), p)
		if err != nil {
			return nil, err
		}
		if s.cfg.CacheTTL > 0 {
			s.views.Store(p.ID, cachedView{view: v, builtAt: s.cfg.Now(), updated: p.UpdatedAt, gen: gen})
		}
		return v, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*View), nil
}

// build reads the facts a view is made of.
func (s *Service) build(ctx context.Context, p Page) (*View, error) {
	ps := []Page{p}
	ps[0].Sections = []Section{}
	if err := s.store.attachSections(ctx, ps); err != nil {
		return nil, err
	}
	p = ps[0]
	ids := p.monitorIDs()
	now := s.now()
	first := now.Truncate(24*time.Hour).AddDate(0, 0, -(Days - 1))
	in := viewInput{Page: p, Now: now}
	var err error
	if in.Statuses, err = s.store.monitorStatuses(ctx, ids); err != nil {
		return nil, fmt.Errorf("read monitor states: %w", err)
	}
	if len(ids) > 0 {
		if in.Days, err = s.store.dailyUptime(ctx, ids, first, now.Add(time.Hour)); err != nil {
			return nil, fmt.Errorf("read rollups: %w", err)
		}
	}
	if in.Incidents, err = s.store.incidentFacts(ctx, ids, first); err != nil {
		return nil, fmt.Errorf("read incidents: %w", err)
	}
	incIDs := make([]int64, len(in.Incidents))
	for i, f := range in.Incidents {
		incIDs[i] = f.ID
	}
	if in.Updates, err = s.store.updatesOf(ctx, incIDs); err != nil {
		return nil, fmt.Errorf("read incident updates: %w", err)
	}
	if in.Windows, err = s.incidents.ListWindows(ctx, p.WorkspaceID); err != nil {
		return nil, fmt.Errorf("read maintenance windows: %w", err)
	}
	return buildView(in), nil
}

// Login checks a visitor's password for a protected page. Wrong passwords
// count per page and address; past the limit every attempt answers 429
// until the window ends.
func (s *Service) Login(ctx context.Context, p Page, password, ip string) error {
	key := "statuspage:" + strconv.FormatInt(p.ID, 10) + ":" + ip
	if !p.Protected {
		return nil
	}
	// Counted before the hash and taken back if right: counted after,
	// every password sent at once was tried.
	ok, wait, err := s.limiter.Take(ctx, key, s.cfg.LoginLimit)
	if err != nil {
		return err
	}
	if !ok {
		_ = s.limiter.Undo(ctx, key) // refused, not tried
		return &apperr.Error{Kind: apperr.RateLimited, Message: "too many wrong passwords; try again later", RetryAfter: wait}
	}
	if auth.CheckPassword(p.PasswordHash, password) {
		return s.limiter.Undo(ctx, key)
	}
	return ErrWrongPassword
}

// VisitorToken is the cookie value that admits a visitor to protected page
// p: an HMAC of the page id and its password hash, so a new password turns
// every old cookie away.
func (s *Service) VisitorToken(p Page) string {
	m := hmac.New(sha256.New, s.cfg.Key)
	fmt.Fprintf(m, "betterstack status page visitor\x00%d\x00%s", p.ID, p.PasswordHash)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Admits reports whether a visitor holding token may see p.
func (s *Service) Admits(p Page, token string) bool {
	if !p.Protected {
		return true
	}
	return token != "" && hmac.Equal([]byte(token), []byte(s.VisitorToken(p)))
}

// randomToken returns 32 random bytes, URL-safe.
func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
