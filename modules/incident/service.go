package incident

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/betterstack/betterstack/modules/access"
	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/audit"
	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/key"
	"github.com/betterstack/betterstack/modules/probe"
	usertext "github.com/betterstack/betterstack/modules/text"
)

// Notification event names.
const (
	NoticeOpened       = "incident.opened"
	NoticeAcknowledged = "incident.acknowledged"
	NoticeResolved     = "incident.resolved"
	NoticeReminder     = "incident.reminder"
)

// MonitorRef names the monitor a notice is about.
type MonitorRef struct {
	ID     int64
	Name   string
	URL    string // an http(s) check's URL (its password masked), else ""
	Target string // what is checked, one line: the URL, host:port, a schedule
}

// refOf names m in notifications. The monitors' url column holds any
// kind's target; only an http(s) one is a URL (a heartbeat's schedule
// made one read "every%201m%20%28grace%201m%29").
func refOf(m monitorInfo) MonitorRef {
	ref := MonitorRef{ID: m.ID, Name: m.Name, Target: m.URL}
	if u, err := url.Parse(m.URL); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		ref.URL = probe.RedactURL(m.URL)
		ref.Target = ref.URL
	}
	return ref
}

// Notice is a notification to queue for a monitor's channels.
type Notice struct {
	Event    string
	Key      string // unique per incident event; each channel's key derives from it
	Incident Incident
	Monitor  MonitorRef
	Actor    string
	Comment  string
	At       time.Time
}

// outbox queues notices in the caller's transaction; channel.Service does.
type outbox interface {
	Enqueue(tx *gorm.DB, monitorID int64, n Notice) error
}

// Config tunes the incident service.
type Config struct {
	Now func() time.Time
}

// Service manages incidents and maintenance windows.
type Service struct {
	cfg    Config
	store  *store
	outbox outbox
	log    *slog.Logger
}

// New returns the incident service.
func New(db *database.DB, out outbox, cfg Config, log *slog.Logger) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg, store: &store{db: db}, outbox: out, log: log.With("module", "incident")}
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// Reconcile applies the rules to monitors whose status the ingest just
// computed, inside the ingest's transaction tx.
func (s *Service) Reconcile(tx *gorm.DB, changes []Change) error {
	if len(changes) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(changes))
	for _, c := range changes {
		ids = append(ids, c.MonitorID)
	}
	monitors, err := s.store.monitors(tx, ids)
	if err != nil {
		return fmt.Errorf("read monitors: %w", err)
	}
	open, err := s.store.openIncidents(tx, ids)
	if err != nil {
		return fmt.Errorf("read open incidents: %w", err)
	}
	users := map[int64]bool{}
	for _, m := range monitors {
		users[m.WorkspaceID] = true
	}
	userIDs := make([]int64, 0, len(users))
	for id := range users {
		userIDs = append(userIDs, id)
	}
	windows, err := s.store.windowsOf(tx, userIDs)
	if err != nil {
		return fmt.Errorf("read maintenance windows: %w", err)
	}
	for _, c := range changes {
		m, ok := monitors[c.MonitorID]
		if !ok {
			continue
		}
		if err := s.reconcileOne(tx, c, m, open, windows); err != nil {
			return err
		}
	}
	return nil
}

func inMaintenance(windows []Window, monitorID int64, at time.Time) bool {
	for _, w := range windows {
		if w.Covers(monitorID) && w.Active(at) {
			return true
		}
	}
	return false
}

func (s *Service) reconcileOne(tx *gorm.DB, c Change, m monitorInfo, open map[int64]incidentRow, windows []Window) error {
	maint := inMaintenance(windows, c.MonitorID, c.At)
	var current *Incident
	row, hasOpen := open[c.MonitorID]
	if hasOpen {
		inc := row.incident(c.At)
		current = &inc
		var evs []eventRow
		for _, r := range c.Regions {
			switch {
			case r.Failing && !r.WasFailing:
				evs = append(evs, eventRow{IncidentID: row.ID, At: r.CheckedAt, Type: EventRegionFailed, Region: r.Region, Message: regionMessage(r)})
			case !r.Failing && r.WasFailing:
				evs = append(evs, eventRow{IncidentID: row.ID, At: r.CheckedAt, Type: EventRegionRecovered, Region: r.Region})
			}
		}
		if err := s.store.addEvents(tx, evs); err != nil {
			return err
		}
	}
	act := Plan(current, c.Status, maint)
	ref := refOf(m)
	if act.Resolve {
		at := c.At
		row.Status, row.ResolvedAt, row.UpdatedAt = string(StatusResolved), &at, at
		msg := "recovered"
		if act.Open != "" {
			msg = "became " + string(act.Open)
		}
		if err := s.store.save(tx, row); err != nil {
			return err
		}
		if err := s.store.addEvents(tx, []eventRow{{IncidentID: row.ID, At: at, Type: EventResolved, Message: "automatically: the monitor " + msg}}); err != nil {
			return err
		}
		s.log.Info("incident resolved", "incident_id", row.ID, "monitor_id", m.ID)
		if !maint {
			n := Notice{Event: NoticeResolved, Key: fmt.Sprintf("incident-%d-resolved", row.ID), Incident: row.incident(at), Monitor: ref, At: at}
			if err := s.outbox.Enqueue(tx, m.ID, n); err != nil {
				return err
			}
		}
	}
	if act.Open == "" {
		return nil
	}
	if !hasOpen && !c.StatusSince.IsZero() {
		// Resolved by hand during this outage: hold off only until a check
		// fails after the resolve. The next confirmed failure opens a new
		// incident, so a resolve never silences a monitor that still fails.
		since := c.StatusSince
		if last := latestConfirming(c, act.Open); last.After(since) {
			since = last
		}
		closed, err := s.store.resolvedByHandSince(tx, c.MonitorID, act.Open, since)
		if err != nil {
			return err
		}
		if closed {
			return nil
		}
	}
	inc := newIncident(c, m, act.Open)
	if err := s.store.insertIncident(tx, &inc); err != nil {
		return fmt.Errorf("open incident: %w", err)
	}
	evs := []eventRow{{IncidentID: inc.ID, At: c.At, Type: EventOpened, Message: fmt.Sprintf("%s: %s", inc.Cause.ErrorClass, inc.Cause.Message)}}
	for _, r := range c.Regions {
		if (act.Open == KindDown && r.Failing) || (act.Open == KindDegraded && r.Status == "degraded") {
			evs = append(evs, eventRow{IncidentID: inc.ID, At: r.CheckedAt, Type: EventRegionFailed, Region: r.Region, Message: regionMessage(r)})
		}
	}
	if err := s.store.addEvents(tx, evs); err != nil {
		return err
	}
	s.log.Info("incident opened", "incident_id", inc.ID, "monitor_id", m.ID, "kind", inc.Kind)
	n := Notice{Event: NoticeOpened, Key: fmt.Sprintf("incident-%d-opened", inc.ID), Incident: inc.incident(c.At), Monitor: ref, At: c.At}
	return s.outbox.Enqueue(tx, m.ID, n)
}

// latestConfirming is when the latest check that confirms an incident of
// kind ran, among c's regions (zero when none does).
func latestConfirming(c Change, kind Kind) time.Time {
	var latest time.Time
	for _, r := range c.Regions {
		confirms := (kind == KindDown && r.Failing) || (kind == KindDegraded && r.Status == "degraded")
		if confirms && r.CheckedAt.After(latest) {
			latest = r.CheckedAt
		}
	}
	return latest
}

func regionMessage(r RegionSnapshot) string {
	switch {
	case r.ErrorClass != "" && r.Error != "":
		return r.ErrorClass + ": " + r.Error
	case r.ErrorClass != "":
		return r.ErrorClass
	}
	return r.Status
}

// newIncident builds an incident from the regions that confirm it.
func newIncident(c Change, m monitorInfo, kind Kind) incidentRow {
	var regions []string
	var evidence []Evidence
	classes := map[string]int{}
	var latest RegionSnapshot
	for _, r := range c.Regions {
		confirms := (kind == KindDown && r.Failing) || (kind == KindDegraded && r.Status == "degraded")
		if !confirms {
			continue
		}
		regions = append(regions, r.Region)
		classes[r.ErrorClass]++
		if r.CheckedAt.After(latest.CheckedAt) {
			latest = r
		}
		if e, ok := decodeEvidence(r.Evidence); ok && kind == KindDown {
			e.Region = r.Region
			evidence = append(evidence, e)
		}
	}
	sort.Strings(regions)
	// The class most regions agree on (ties: the first by name) picks the
	// cause; the cause is then the latest observation of that class, taken
	// whole from one region, so class and message never come from two.
	best, class := -1, ""
	for cl, n := range classes {
		if n > best || (n == best && cl < class) {
			best, class = n, cl
		}
	}
	var seen RegionSnapshot
	for _, r := range c.Regions {
		confirms := (kind == KindDown && r.Failing) || (kind == KindDegraded && r.Status == "degraded")
		if confirms && r.ErrorClass == class && (seen.Region == "" || r.CheckedAt.After(seen.CheckedAt)) {
			seen = r
		}
	}
	cause := Cause{ErrorClass: seen.ErrorClass, Message: seen.Error, StatusCode: seen.StatusCode, Region: seen.Region}
	if kind == KindDegraded {
		// A degraded check says why when it can (a certificate or domain
		// close to expiry, a ping's round trip over its limit); one that
		// only took longer than degraded_after_ms says nothing.
		switch {
		case seen.Error == "" && seen.ErrorClass == "":
			cause = Cause{ErrorClass: "degraded", Message: "responses slower than the monitor's degraded threshold", StatusCode: latest.StatusCode,
				Region: latest.Region}
		case cause.ErrorClass == "":
			cause.ErrorClass = "degraded"
		}
	}
	if regions == nil {
		regions = []string{}
	}
	if evidence == nil {
		evidence = []Evidence{}
	}
	return incidentRow{MonitorID: m.ID, WorkspaceID: m.WorkspaceID, Kind: string(kind), Status: string(StatusOpen), StartedAt: c.At,
		Cause: cause, Regions: regions, Evidence: evidence, UpdatedAt: c.At}
}

// Page is one page of incidents, newest first.
type Page struct {
	Data       []Incident `json:"data"`
	NextCursor *string    `json:"next_cursor"`
}

// List returns the user's incidents, newest first.
func (s *Service) List(ctx context.Context, workspaceID int64, f Filter) (Page, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	want := f.Limit
	f.Limit++
	rows, err := s.store.list(ctx, workspaceID, f)
	if err != nil {
		return Page{}, err
	}
	now := s.now()
	p := Page{Data: make([]Incident, 0, len(rows))}
	for i, r := range rows {
		if i == want {
			c := fmt.Sprint(rows[want-1].ID)
			p.NextCursor = &c
			break
		}
		p.Data = append(p.Data, r.incident(now))
	}
	return p, nil
}

// Get returns one of the user's incidents with its timeline and evidence.
func (s *Service) Get(ctx context.Context, workspaceID, id int64) (Detail, error) {
	r, err := s.store.get(s.store.db.WithContext(ctx), workspaceID, id, false)
	if err != nil {
		return Detail{}, err
	}
	evs, err := s.store.events(ctx, id)
	if err != nil {
		return Detail{}, err
	}
	inc := r.incident(s.now())
	ev := inc.Evidence
	if ev == nil {
		ev = []Evidence{}
	}
	return Detail{Incident: inc, Events: evs, Evidence: ev}, nil
}

// Acknowledge marks an open incident as being handled by the user and tells
// the monitor's channels. Acknowledging twice changes nothing.
func (s *Service) Acknowledge(ctx context.Context, workspaceID, id int64) (Detail, error) {
	err := s.store.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		r, err := s.store.get(tx, workspaceID, id, true)
		if err != nil {
			return err
		}
		switch Status(r.Status) {
		case StatusResolved:
			return ErrAlreadyResolved
		case StatusAcknowledged:
			return nil
		}
		now := s.now()
		actor := access.ActorOf(ctx)
		r.Status, r.AcknowledgedAt, r.AcknowledgedBy, r.UpdatedAt = string(StatusAcknowledged), &now, actor, now
		if err := s.store.save(tx, r); err != nil {
			return err
		}
		if err := s.store.addEvents(tx, []eventRow{{IncidentID: id, At: now, Type: EventAcknowledged, Actor: actor}}); err != nil {
			return err
		}
		return s.notifyUser(tx, r, NoticeAcknowledged, actor, "", now)
	})
	if err != nil {
		return Detail{}, err
	}
	return s.Get(ctx, workspaceID, id)
}

// Resolve closes an incident by hand. The monitor's state is unchanged: if
// it is still down, no new incident opens until it recovers and fails again.
func (s *Service) Resolve(ctx context.Context, workspaceID, id int64) (Detail, error) {
	err := s.store.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		r, err := s.store.get(tx, workspaceID, id, true)
		if err != nil {
			return err
		}
		if Status(r.Status) == StatusResolved {
			return ErrAlreadyResolved
		}
		now := s.now()
		actor := access.ActorOf(ctx)
		r.Status, r.ResolvedAt, r.ResolvedBy, r.UpdatedAt = string(StatusResolved), &now, actor, now
		if err := s.store.save(tx, r); err != nil {
			return err
		}
		if err := s.store.addEvents(tx, []eventRow{{IncidentID: id, At: now, Type: EventResolved, Actor: actor, Message: "by hand"}}); err != nil {
			return err
		}
		return s.notifyUser(tx, r, NoticeResolved, actor, "", now)
	})
	if err != nil {
		return Detail{}, err
	}
	return s.Get(ctx, workspaceID, id)
}

// MaxComment is the longest comment accepted.
const MaxComment = 4000

// Comment adds a user's note to an incident's timeline.
func (s *Service) Comment(ctx context.Context, workspaceID, id int64, text string) (Event, error) {
	text = strings.TrimSpace(text)
	if msg := usertext.RequiredBlock(text, MaxComment); msg != "" {
		return Event{}, apperr.Field("text", msg)
	}
	var ev eventRow
	err := s.store.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := s.store.get(tx, workspaceID, id, false); err != nil {
			return err
		}
		ev = eventRow{IncidentID: id, At: s.now(), Type: EventComment, Actor: access.ActorOf(ctx), Message: text}
		return tx.Create(&ev).Error
	})
	return Event{ID: ev.ID, At: ev.At, Type: ev.Type, Actor: ev.Actor, Message: ev.Message}, err
}

// AddEvent records something on an incident's timeline (the outbox reports
// deliveries this way).
func (s *Service) AddEvent(ctx context.Context, incidentID int64, typ, actor, message string) error {
	return s.store.addEvents(s.store.db.WithContext(ctx), []eventRow{{IncidentID: incidentID, At: s.now(), Type: typ, Actor: actor, Message: message}})
}

func (s *Service) notifyUser(tx *gorm.DB, r incidentRow, event, actor, comment string, at time.Time) error {
	ms, err := s.store.monitors(tx, []int64{r.MonitorID})
	if err != nil {
		return err
	}
	m := ms[r.MonitorID]
	n := Notice{Event: event, Key: fmt.Sprintf("incident-%d-%s", r.ID, strings.TrimPrefix(event, "incident.")),
		Incident: r.incident(at), Monitor: refOf(m), Actor: actor, Comment: comment, At: at}
	return s.outbox.Enqueue(tx, r.MonitorID, n)
}

// RunReminders sends reminders for incidents that stay open past their
// monitor's remind_every, until ctx is done.
func (s *Service) RunReminders(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := s.remind(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("reminders", "err", err)
		}
	}
}

func (s *Service) remind(ctx context.Context) error {
	return s.store.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := s.now()
		rows, err := s.store.dueReminders(tx, now)
		if err != nil || len(rows) == 0 {
			return err
		}
		userIDs := make([]int64, 0, len(rows))
		for _, r := range rows {
			userIDs = append(userIDs, r.WorkspaceID)
		}
		windows, err := s.store.windowsOf(tx, userIDs)
		if err != nil {
			return err
		}
		for _, r := range rows {
			r.LastRemindedAt, r.UpdatedAt = &now, now
			if err := s.store.save(tx, r); err != nil {
				return err
			}
			if inMaintenance(windows, r.MonitorID, now) {
				continue
			}
			if err := s.store.addEvents(tx, []eventRow{{IncidentID: r.ID, At: now, Type: EventReminder}}); err != nil {
				return err
			}
			ms, err := s.store.monitors(tx, []int64{r.MonitorID})
			if err != nil {
				return err
			}
			m := ms[r.MonitorID]
			n := Notice{Event: NoticeReminder, Key: fmt.Sprintf("incident-%d-reminder-%d", r.ID, now.Unix()),
				Incident: r.incident(now), Monitor: refOf(m), At: now}
			if err := s.outbox.Enqueue(tx, r.MonitorID, n); err != nil {
				return err
			}
		}
		return nil
	})
}

// CreateWindow adds a maintenance window for the user's monitors.
func (s *Service) CreateWindow(ctx context.Context, workspaceID int64, w Window) (Window, error) {
	w.MonitorIDs = dedupeIDs(w.MonitorIDs)
	if err := w.Validate(); err != nil {
		return Window{}, err
	}
	n, err := s.store.ownedMonitors(ctx, workspaceID, w.MonitorIDs)
	if err != nil {
		return Window{}, err
	}
	if int(n) != len(w.MonitorIDs) {
		return Window{}, apperr.Field("monitor_ids", "lists a monitor that does not exist")
	}
	var given *string
	if w.Key != "" {
		given = &w.Key
	}
	if w.Key, err = key.For(ctx, s.store.db.DB, "maintenance_windows", workspaceID, given, w.Name, "window"); err != nil {
		return Window{}, err
	}
	w.WorkspaceID, w.CreatedAt = workspaceID, s.now()
	w, err = s.store.createWindow(ctx, w)
	if err == nil {
		audit.Note(ctx, audit.Event{WorkspaceID: workspaceID, Action: "maintenance_window.create", RecordType: "maintenance_window", RecordID: w.ID, RecordKey: w.Key, After: w})
	}
	return w, err
}

// ListWindows returns the user's maintenance windows.
func (s *Service) ListWindows(ctx context.Context, workspaceID int64) ([]Window, error) {
	return s.store.listWindows(ctx, workspaceID)
}

// GetWindow returns one of the user's maintenance windows.
func (s *Service) GetWindow(ctx context.Context, workspaceID, id int64) (Window, error) {
	return s.store.getWindow(ctx, workspaceID, id)
}

// DeleteWindow removes one of the user's maintenance windows.
func (s *Service) DeleteWindow(ctx context.Context, workspaceID, id int64) error {
	before, err := s.store.getWindow(ctx, workspaceID, id)
	if err != nil {
		return err
	}
	if err := s.store.deleteWindow(ctx, workspaceID, id); err != nil {
		return err
	}
	audit.Note(ctx, audit.Event{WorkspaceID: workspaceID, Action: "maintenance_window.delete", RecordType: "maintenance_window", RecordID: id, RecordKey: before.Key, Before: before})
	return nil
}

// UnderMaintenance returns the ids of workspaceID's monitors that a window covers
// now, so pages can say "maintenance" rather than the checks' status.
func (s *Service) UnderMaintenance(ctx context.Context, workspaceID int64) (map[int64]bool, error) {
	ws, err := s.store.listWindows(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := map[int64]bool{}
	for _, w := range ws {
		if w.Active(now) {
			for _, id := range w.MonitorIDs {
				out[id] = true
			}
		}
	}
	return out, nil
}

// InMaintenance reports whether monitorID of workspaceID is in a window now.
func (s *Service) InMaintenance(ctx context.Context, workspaceID, monitorID int64) (bool, error) {
	ws, err := s.store.listWindows(ctx, workspaceID)
	return inMaintenance(ws, monitorID, s.now()), err
}

func dedupeIDs(ids []int64) []int64 {
	seen := map[int64]bool{}
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
