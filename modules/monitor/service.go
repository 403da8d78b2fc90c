package monitor

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/audit"
	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/key"
)

// Config tunes the monitor service.
type Config struct {
	MinInterval time.Duration // the floor for interval_seconds
	// MaxPerAccount caps how many monitors one account may have (0: no
	// cap), so one account cannot turn the workers into a load generator.
	MaxPerAccount int
	Now           func() time.Time
}

// Service manages monitors.
type Service struct {
	cfg   Config
	store *store
	log   *slog.Logger
}

// New returns the monitor service.
func New(db *database.DB, cfg Config, log *slog.Logger) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg, store: &store{db: db}, log: log.With("module", "monitor")}
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// Create validates and stores a new monitor for workspaceID. Its first check is
// due at once, so a new monitor shows a status within seconds.
func (s *Service) Create(ctx context.Context, workspaceID int64, in Input) (Monitor, error) {
	m := defaults()
	if err := applyValid(in, &m, true, s.cfg.MinInterval); err != nil {
		return Monitor{}, err
	}
	if err := s.checkChannels(ctx, workspaceID, m.ChannelIDs); err != nil {
		return Monitor{}, err
	}
	if s.cfg.MaxPerAccount > 0 {
		n, err := s.store.count(ctx, workspaceID)
		if err != nil {
			return Monitor{}, err
		}
		if n >= int64(s.cfg.MaxPerAccount) {
			return Monitor{}, apperr.New(apperr.Forbidden, "this workspace has %d monitors, the most it may have (max_monitors_per_account)", n)
		}
	}
	k, err := key.For(ctx, s.store.db.DB, "monitors", workspaceID, in.Key, m.Name, "monitor")
	if err != nil {
		return Monitor{}, err
	}
	now := s.now()
	m.Key, m.WorkspaceID, m.CreatedAt, m.UpdatedAt = k, workspaceID, now, now
	m, err = s.store.create(ctx, m, now)
	if err != nil {
		return Monitor{}, err
	}
	s.log.Info("monitor created", "monitor_id", m.ID, "workspace_id", workspaceID)
	audit.Note(ctx, audit.Event{WorkspaceID: workspaceID, Action: "monitor.create", RecordType: "monitor", RecordID: m.ID, RecordKey: m.Key, After: m, Secret: monitorSecrets})
	return m, nil
}

// Get returns one of the user's monitors.
func (s *Service) Get(ctx context.Context, workspaceID, id int64) (Monitor, error) {
	return s.store.get(ctx, workspaceID, id)
}

// Filter selects and pages monitors.
type Filter struct {
	Limit  int   // 1..500
	After  int64 // id cursor: monitors with a larger id
	Paused *bool
}

// Page is one page of a list and the cursor of the next, if any.
type Page struct {
	Data       []Monitor `json:"data"`
	NextCursor *string   `json:"next_cursor"`
}

// MaxPage is the largest page a list returns.
const MaxPage = 500

// ParseFilter reads limit and cursor as the API and dashboard pass them.
func ParseFilter(limit, cursor string) (Filter, error) {
	f := Filter{Limit: 100}
	if limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 || n > MaxPage {
			return f, apperr.Field("limit", fmt.Sprintf("must be a number from 1 to %d", MaxPage))
		}
		f.Limit = n
	}
	if cursor != "" {
		id, err := DecodeCursor(cursor)
		if err != nil {
			return f, err
		}
		f.After = id
	}
	return f, nil
}

// EncodeCursor makes an opaque cursor from an id.
func EncodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("id:" + strconv.FormatInt(id, 10)))
}

// DecodeCursor reverses EncodeCursor.
func DecodeCursor(c string) (int64, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil && len(raw) > 3 && string(raw[:3]) == "id:" {
		if id, err := strconv.ParseInt(string(raw[3:]), 10, 64); err == nil && id >= 0 {
			return id, nil
		}
	}
	return 0, apperr.Field("cursor", "is not a cursor returned by this API")
}

// List returns one page of the user's monitors in creation order.
func (s *Service) List(ctx context.Context, workspaceID int64, f Filter) (Page, error) {
	if f.Limit < 1 || f.Limit > MaxPage {
		f.Limit = 100
	}
	want := f.Limit
	f.Limit++
	ms, err := s.store.list(ctx, workspaceID, f)
	if err != nil {
		return Page{}, err
	}
	p := Page{Data: ms}
	if len(ms) > want {
		p.Data = ms[:want]
		c := EncodeCursor(ms[want-1].ID)
		p.NextCursor = &c
	}
	return p, nil
}

// Update changes the given fields of one of the user's monitors. A change to
// what or how often it checks, or a resume, makes the next check due now.
func (s *Service) Update(ctx context.Context, workspaceID, id int64, in Input) (Monitor, error) {
	m, err := s.store.get(ctx, workspaceID, id)
	if err != nil {
		return Monitor{}, err
	}
	before := m
	if err := applyValid(in, &m, false, s.cfg.MinInterval); err != nil {
		return Monitor{}, err
	}
	if err := s.checkChannels(ctx, workspaceID, m.ChannelIDs); err != nil {
		return Monitor{}, err
	}
	if in.Key != nil && *in.Key != m.Key {
		if err := key.Check(ctx, s.store.db.DB, "monitors", workspaceID, id, *in.Key); err != nil {
			return Monitor{}, err
		}
		m.Key = *in.Key
	}
	now := s.now()
	m.UpdatedAt = now
	var nextRun *time.Time
	if m.IntervalSeconds != before.IntervalSeconds || !bytes.Equal(m.Check.Config, before.Check.Config) ||
		m.Check.Kind != before.Check.Kind || (before.Paused && !m.Paused) {
		nextRun = &now
	}
	m, err = s.store.update(ctx, m, nextRun)
	if err != nil {
		return Monitor{}, err
	}
	s.log.Info("monitor updated", "monitor_id", id, "workspace_id", workspaceID)
	audit.Note(ctx, audit.Event{WorkspaceID: workspaceID, Action: "monitor.update", RecordType: "monitor", RecordID: m.ID, RecordKey: m.Key, Before: before, After: m, Secret: monitorSecrets})
	return m, nil
}

// Pause stops checks of a monitor.
func (s *Service) Pause(ctx context.Context, workspaceID, id int64) (Monitor, error) {
	t := true
	return s.Update(ctx, workspaceID, id, Input{Paused: &t})
}

// Resume restarts checks of a paused monitor, the first one at once.
func (s *Service) Resume(ctx context.Context, workspaceID, id int64) (Monitor, error) {
	f := false
	return s.Update(ctx, workspaceID, id, Input{Paused: &f})
}

// CheckNow makes one of the user's monitors due at once, so the pusher
// hands it to the workers within a second or so instead of at its next
// slot. A paused monitor is not checked (ErrPaused).
func (s *Service) CheckNow(ctx context.Context, workspaceID, id int64) error {
	m, err := s.store.get(ctx, workspaceID, id)
	if err != nil {
		return err
	}
	if m.Paused {
		return ErrPaused
	}
	return s.store.schedule(ctx, m.ID, s.now())
}

// Validate checks in as Create (id 0) or Update of monitor id would, without
// storing anything, so a form can show every problem at once.
func (s *Service) Validate(ctx context.Context, workspaceID, id int64, in Input) error {
	m := defaults()
	if id != 0 {
		var err error
		if m, err = s.store.get(ctx, workspaceID, id); err != nil {
			return err
		}
	}
	if err := applyValid(in, &m, id == 0, s.cfg.MinInterval); err != nil {
		return err
	}
	return s.checkChannels(ctx, workspaceID, m.ChannelIDs)
}

// Delete removes one of the user's monitors.
func (s *Service) Delete(ctx context.Context, workspaceID, id int64) error {
	before, err := s.store.get(ctx, workspaceID, id)
	if err != nil {
		return err
	}
	if err := s.store.delete(ctx, workspaceID, id); err != nil {
		return err
	}
	s.log.Info("monitor deleted", "monitor_id", id, "workspace_id", workspaceID)
	audit.Note(ctx, audit.Event{WorkspaceID: workspaceID, Action: "monitor.delete", RecordType: "monitor", RecordID: id, RecordKey: before.Key, Before: before, Secret: monitorSecrets})
	return nil
}

// ClaimDue hands up to limit monitors whose next check is due at now to fn,
// which publishes them and returns each one's next due time. It returns how
// many were claimed. Safe with several pushers at once.
func (s *Service) ClaimDue(ctx context.Context, now time.Time, limit int, fn func([]Monitor) (map[int64]time.Time, error)) (int, error) {
	return s.store.claimDue(ctx, now.UTC(), limit, nil, nil, fn)
}

// Claim refines ClaimDueWith.
type Claim struct {
	// Skip, if set, is put each due slot first, before its monitor is
	// read: the slots it leaves out move to the next due time it returns
	// and are not handed to fn (they still count as claimed). The pusher
	// skips this way past its workers' capacity, where most of a claim's
	// cost would go to monitors that are then not run.
	Skip SkipFunc
	// Known, if set, returns the caller's copy of a monitor an earlier
	// claim handed it. A due monitor whose row has not changed since that
	// copy was read is handed to fn as that copy, not read and decoded
	// again (on PostgreSQL, where the row's xmin says it is unchanged
	// whatever wrote to it; SQLite reads every monitor).
	Known KnownFunc
}

// ClaimDueWith is ClaimDue refined by c. The pusher claims with it.
func (s *Service) ClaimDueWith(ctx context.Context, now time.Time, limit int, c Claim, fn func([]Monitor) (map[int64]time.Time, error)) (int, error) {
	return s.store.claimDue(ctx, now.UTC(), limit, c.Skip, c.Known, fn)
}

// checkChannels makes sure every linked channel is the user's own.
func (s *Service) checkChannels(ctx context.Context, workspaceID int64, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	n, err := s.store.ownedChannels(ctx, workspaceID, ids)
	if err != nil {
		return err
	}
	if int(n) != len(ids) {
		return apperr.Field("channel_ids", "lists a channel that does not exist")
	}
	return nil
}

// Ping reports whether the database answers (the pusher tells a slow
// database from a down one with it).
func (s *Service) Ping(ctx context.Context) error { return s.store.db.Ping(ctx) }

// monitorSecrets are the monitor fields the audit log masks: header values
// and bodies may carry credentials (URL passwords are masked anyway).
var monitorSecrets = []string{"check.headers", "check.body"}

// Seed stores ms as they are (ids, schedule and check included) for workspaceID,
// in batches, without validation: benchmarks and load tests build large
// installs through it rather than writing this module's table themselves.
func (s *Service) Seed(ctx context.Context, workspaceID int64, ms []Monitor) error {
	now := s.now()
	rows := make([]row, len(ms))
	for i, m := range ms {
		m.WorkspaceID = workspaceID
		if m.CreatedAt.IsZero() {
			m.CreatedAt, m.UpdatedAt = now, now
		}
		if m.Regions == nil {
			m.Regions = []string{}
		}
		if m.Key == "" && m.ID != 0 {
			m.Key = "monitor-" + strconv.FormatInt(m.ID, 10)
		} else if m.Key == "" {
			m.Key = key.Slug(m.Name, "monitor") + "-" + strconv.Itoa(i) + "-" + strconv.FormatInt(now.UnixNano(), 36)
		}
		rows[i] = toRow(m)
		rows[i].NextRunAt = m.NextRunAt
	}
	return s.store.seed(ctx, rows)
}
