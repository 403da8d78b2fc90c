package channel

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/audit"
	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/incident"
	"github.com/betterstack/betterstack/modules/key"
	"github.com/betterstack/betterstack/modules/notify"
	"github.com/betterstack/betterstack/modules/text"
)

// timeline records deliveries on incidents; incident.Service does.
type timeline interface {
	AddEvent(ctx context.Context, incidentID int64, typ, actor, message string) error
}

// Config tunes channels and delivery.
type Config struct {
	AllowPrivate bool          // let notifications reach private/loopback addresses
	PublicURL    string        // base of dashboard links in messages ("" = none)
	BaseBackoff  time.Duration // first retry delay (default 15s)
	MaxBackoff   time.Duration // longest retry delay (default 10m)
	MaxAge       time.Duration // give up after this long (default 2h)
	SendTimeout  time.Duration // one attempt (default 15s)
	Poll         time.Duration // how often to look for due notifications (default 500ms)
	// MaxPerAccount caps how many channels one account may have (0: no cap).
	MaxPerAccount int
	Now           func() time.Time
}

// Service manages channels and delivers notifications.
type Service struct {
	cfg       Config
	store     *store
	transport notify.Transport
	timeline  timeline
	log       *slog.Logger
	sent      *prometheus.CounterVec
	wake      chan struct{}
}

// New returns the channel service. timeline may be set later with
// SetTimeline (the incident service needs this service first).
func New(db *database.DB, cfg Config, log *slog.Logger, reg prometheus.Registerer) *Service {
	if cfg.BaseBackoff <= 0 {
		cfg.BaseBackoff = 15 * time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 10 * time.Minute
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = 2 * time.Hour
	}
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = 15 * time.Second
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 500 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Service{cfg: cfg, store: &store{db: db}, transport: notify.NewTransport(cfg.AllowPrivate, cfg.SendTimeout),
		log: log.With("module", "channel"), wake: make(chan struct{}, 1),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "betterstack_notifications_attempts_total",
			Help: "Notification delivery attempts by channel type and outcome."}, []string{"type", "outcome"})}
	if reg != nil {
		reg.MustRegister(s.sent)
	}
	return s
}

// SetTimeline connects the incident timeline.
func (s *Service) SetTimeline(t timeline) { s.timeline = t }

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

func (s *Service) view(r channelRow) (Channel, error) {
	masked, err := notify.Mask(r.Type, json.RawMessage(r.Config))
	if err != nil {
		return Channel{}, err
	}
	return Channel{ID: r.ID, Key: r.Key, WorkspaceID: r.WorkspaceID, Name: r.Name, Type: r.Type, Config: masked, NotifyDegraded: r.NotifyDegraded,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}, nil
}

func validName(name string) error {
	if msg := text.RequiredLine(strings.TrimSpace(name), 200); msg != "" {
		return apperr.Field("name", msg)
	}
	return nil
}

// Create validates and stores a channel.
func (s *Service) Create(ctx context.Context, workspaceID int64, in Input) (Channel, error) {
	f := apperr.Fields{}
	if in.Name == nil {
		f.Add("name", "is required")
	} else if err := validName(*in.Name); err != nil {
		f.Add("name", apperr.As(err).Fields["name"])
	}
	if in.Type == nil || *in.Type == "" {
		f.Add("type", "is required: one of "+strings.Join(notify.Types(), ", "))
	}
	if in.Config == nil {
		f.Add("config", "is required")
	}
	if err := f.Err(); err != nil {
		return Channel{}, err
	}
	if _, err := notify.Parse(*in.Type, *in.Config); err != nil {
		return Channel{}, err
	}
	if s.cfg.MaxPerAccount > 0 {
		n, err := s.store.count(ctx, workspaceID)
		if err != nil {
			return Channel{}, err
		}
		if n >= int64(s.cfg.MaxPerAccount) {
			return Channel{}, apperr.New(apperr.Forbidden, "this workspace has %d channels, the most it may have (max_channels_per_account)", n)
		}
	}
	k, err := key.For(ctx, s.store.db.DB, "channels", workspaceID, in.Key, strings.TrimSpace(*in.Name), "channel")
	if err != nil {
		return Channel{}, err
	}
	now := s.now()
	r := channelRow{WorkspaceID: workspaceID, Key: k, Name: strings.TrimSpace(*in.Name), Type: *in.Type, Config: compact(*in.Config), CreatedAt: now, UpdatedAt: now}
	if in.NotifyDegraded != nil {
		r.NotifyDegraded = *in.NotifyDegraded
	}
	if err := s.store.create(ctx, &r); err != nil {
		return Channel{}, err
	}
	ch, err := s.view(r)
	if err == nil {
		audit.Note(ctx, audit.Event{WorkspaceID: workspaceID, Action: "channel.create", RecordType: "channel", RecordID: ch.ID, RecordKey: ch.Key, After: ch})
	}
	return ch, err
}

// Get returns one of the user's channels, secrets masked.
func (s *Service) Get(ctx context.Context, workspaceID, id int64) (Channel, error) {
	r, err := s.store.get(ctx, workspaceID, id)
	if err != nil {
		return Channel{}, err
	}
	return s.view(r)
}

// List returns the user's channels, secrets masked.
func (s *Service) List(ctx context.Context, workspaceID int64) ([]Channel, error) {
	rows, err := s.store.list(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	out := make([]Channel, 0, len(rows))
	for _, r := range rows {
		v, err := s.view(r)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Update changes a channel. Masked secrets sent back ("********") keep
// their stored value; the type cannot change.
func (s *Service) Update(ctx context.Context, workspaceID, id int64, in Input) (Channel, error) {
	r, err := s.store.get(ctx, workspaceID, id)
	if err != nil {
		return Channel{}, err
	}
	before, err := s.view(r)
	if err != nil {
		return Channel{}, err
	}
	if in.Type != nil && *in.Type != r.Type {
		return Channel{}, apperr.Field("type", "cannot change; create a new channel instead")
	}
	if in.Name != nil {
		if err := validName(*in.Name); err != nil {
			return Channel{}, err
		}
		r.Name = strings.TrimSpace(*in.Name)
	}
	if in.Config != nil {
		merged, err := notify.MergeSecrets(r.Type, json.RawMessage(r.Config), *in.Config)
		if err != nil {
			return Channel{}, err
		}
		if _, err := notify.Parse(r.Type, merged); err != nil {
			return Channel{}, err
		}
		r.Config = compact(merged)
	}
	if in.NotifyDegraded != nil {
		r.NotifyDegraded = *in.NotifyDegraded
	}
	if in.Key != nil && *in.Key != r.Key {
		if err := key.Check(ctx, s.store.db.DB, "channels", workspaceID, id, *in.Key); err != nil {
			return Channel{}, err
		}
		r.Key = *in.Key
	}
	r.UpdatedAt = s.now()
	if err := s.store.update(ctx, r); err != nil {
		return Channel{}, key.Duplicate(err)
	}
	ch, err := s.view(r)
	if err == nil {
		audit.Note(ctx, audit.Event{WorkspaceID: workspaceID, Action: "channel.update", RecordType: "channel", RecordID: ch.ID, RecordKey: ch.Key, Before: before, After: ch})
	}
	return ch, err
}

// Delete removes a channel, its links and its delivery log.
func (s *Service) Delete(ctx context.Context, workspaceID, id int64) error {
	r, err := s.store.get(ctx, workspaceID, id)
	if err != nil {
		return err
	}
	before, err := s.view(r)
	if err != nil {
		return err
	}
	if err := s.store.delete(ctx, workspaceID, id); err != nil {
		return err
	}
	audit.Note(ctx, audit.Event{WorkspaceID: workspaceID, Action: "channel.delete", RecordType: "channel", RecordID: id, RecordKey: before.Key, Before: before})
	return nil
}

// DeliveryPage is one page of a channel's delivery log, newest first.
type DeliveryPage struct {
	Data       []Delivery `json:"data"`
	NextCursor *string    `json:"next_cursor"`
}

// Deliveries returns a page of a channel's notifications, newest first, with
// every attempt. before is an id cursor (0 = from the newest).
func (s *Service) Deliveries(ctx context.Context, workspaceID, id int64, limit int, before int64) (DeliveryPage, error) {
	if _, err := s.store.get(ctx, workspaceID, id); err != nil {
		return DeliveryPage{}, err
	}
	ds, err := s.store.deliveries(ctx, id, limit+1, before)
	if err != nil {
		return DeliveryPage{}, err
	}
	p := DeliveryPage{Data: ds}
	if len(ds) > limit {
		p.Data = ds[:limit]
		c := strconv.FormatInt(ds[limit-1].ID, 10)
		p.NextCursor = &c
	}
	return p, nil
}

// Test sends a test message now and reports the outcome; it is logged like
// any delivery.
func (s *Service) Test(ctx context.Context, workspaceID, id int64) (TestResult, error) {
	r, err := s.store.get(ctx, workspaceID, id)
	if err != nil {
		return TestResult{}, err
	}
	ch, err := notify.Parse(r.Type, json.RawMessage(r.Config))
	if err != nil {
		return TestResult{}, err
	}
	now := s.now()
	nonce := make([]byte, 6)
	if _, err := rand.Read(nonce); err != nil {
		return TestResult{}, err
	}
	ev := notify.Event{Type: "test", Key: fmt.Sprintf("test-%d-%d-%x", r.ID, now.Unix(), nonce), OccurredAt: now,
		Monitor: notify.Monitor{Name: "BetterStack test"}}
	start := time.Now()
	sctx, cancel := context.WithTimeout(ctx, s.cfg.SendTimeout)
	err = ch.Send(sctx, s.transport, ev)
	cancel()
	res := TestResult{Delivered: err == nil, DurationMS: float64(time.Since(start).Microseconds()) / 1000}
	if err != nil {
		res.Error = oneLine(err.Error())
	}
	payload, _ := json.Marshal(ev)
	n := notificationRow{ChannelID: r.ID, Event: ev.Type, Key: ev.Key, Payload: string(payload), Attempts: 1, NextAttemptAt: now, CreatedAt: now, LastError: res.Error}
	n.Status = StateFailed
	if res.Delivered {
		n.Status, n.DeliveredAt = StateDelivered, &now
	}
	s.sent.WithLabelValues(r.Type, n.Status).Inc()
	if err := s.store.insertDone(ctx, n, attemptRow{At: now, Success: res.Delivered, Error: res.Error, DurationMS: res.DurationMS}); err != nil {
		return res, err
	}
	return res, nil
}

// Enqueue queues a notice for every channel linked to the monitor, in the
// caller's transaction (the incident change that caused it).
func (s *Service) Enqueue(tx *gorm.DB, monitorID int64, n incident.Notice) error {
	chans, err := s.store.channelsOfMonitor(tx, monitorID)
	if err != nil || len(chans) == 0 {
		return err
	}
	rows := make([]notificationRow, 0, len(chans))
	for _, c := range chans {
		if n.Incident.Kind == incident.KindDegraded && !c.NotifyDegraded {
			continue
		}
		ev := s.event(n, c.ID)
		payload, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		incID := n.Incident.ID
		rows = append(rows, notificationRow{ChannelID: c.ID, IncidentID: &incID, Event: ev.Type, Key: ev.Key, Payload: string(payload),
			Status: StatePending, NextAttemptAt: n.At, CreatedAt: n.At})
	}
	if err := s.store.enqueue(tx, rows); err != nil {
		return err
	}
	select { // in-process delivery starts without waiting for the next poll
	case s.wake <- struct{}{}:
	default:
	}
	return nil
}

func (s *Service) event(n incident.Notice, channelID int64) notify.Event {
	inc := n.Incident
	link := ""
	if s.cfg.PublicURL != "" {
		link = strings.TrimRight(s.cfg.PublicURL, "/") + fmt.Sprintf("/incidents/%d", inc.ID)
	}
	return notify.Event{
		Type: n.Event, Key: fmt.Sprintf("%s-channel-%d", n.Key, channelID), OccurredAt: n.At,
		Incident: notify.Incident{ID: inc.ID, Kind: string(inc.Kind), Status: string(inc.Status), StartedAt: inc.StartedAt,
			AcknowledgedAt: inc.AcknowledgedAt, ResolvedAt: inc.ResolvedAt, Regions: inc.Regions,
			Cause: notify.Cause{ErrorClass: inc.Cause.ErrorClass, Message: inc.Cause.Message, StatusCode: inc.Cause.StatusCode}},
		Monitor: notify.Monitor{ID: n.Monitor.ID, Name: n.Monitor.Name, URL: n.Monitor.URL, Target: n.Monitor.Target},
		Actor:   n.Actor, Comment: n.Comment, Link: link,
	}
}

// Run delivers due notifications until ctx is done.
func (s *Service) Run(ctx context.Context) error {
	s.log.Info("notification delivery started")
	t := time.NewTicker(s.cfg.Poll)
	defer t.Stop()
	for {
		for ctx.Err() == nil {
			n, err := s.deliverDue(ctx)
			if err != nil {
				if ctx.Err() == nil {
					s.log.Error("deliver notifications", "err", err)
				}
				break
			}
			if n == 0 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-s.wake:
		}
	}
}

// deliverDue leases and sends one batch; it returns how many it handled.
func (s *Service) deliverDue(ctx context.Context) (int, error) {
	now := s.now()
	rows, err := s.store.lease(ctx, now, now.Add(2*s.cfg.SendTimeout+30*time.Second), 20)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, r := range rows {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			s.deliver(r)
		}()
	}
	wg.Wait()
	return len(rows), nil
}

// deliver makes one attempt and records it. It uses its own deadline so a
// shutdown mid-send still records what happened.
func (s *Service) deliver(r notificationRow) {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.SendTimeout+10*time.Second)
	defer cancel()
	ch, err := s.store.byID(ctx, r.ChannelID)
	if err != nil {
		s.log.Warn("notification channel gone", "notification_id", r.ID, "err", err)
		return
	}
	start := time.Now()
	err = s.send(ctx, ch, r)
	dur := float64(time.Since(start).Microseconds()) / 1000
	now := s.now()
	r.Attempts++
	a := attemptRow{NotificationID: r.ID, At: now, Success: err == nil, DurationMS: dur}
	outcome := "delivered"
	switch {
	case err == nil:
		r.Status, r.DeliveredAt, r.LastError = StateDelivered, &now, ""
	case notify.IsPermanent(err) || now.Sub(r.CreatedAt) >= s.cfg.MaxAge:
		outcome = "failed"
		a.Error = oneLine(err.Error())
		r.Status, r.LastError = StateFailed, a.Error
	default:
		outcome = "retry"
		a.Error = oneLine(err.Error())
		wait := Backoff(r.Attempts, s.cfg.BaseBackoff, s.cfg.MaxBackoff)
		if ra, ok := notify.RetryAfter(err); ok && ra > wait && ra <= s.cfg.MaxBackoff {
			wait = ra
		}
		r.LastError, r.NextAttemptAt = a.Error, now.Add(wait)
	}
	s.sent.WithLabelValues(ch.Type, outcome).Inc()
	if err := s.store.finish(ctx, r, a); err != nil {
		s.log.Error("record delivery attempt", "notification_id", r.ID, "err", err)
		return
	}
	s.log.Info("notification attempt", "notification_id", r.ID, "channel_id", ch.ID, "event", r.Event, "outcome", outcome, "attempt", r.Attempts)
	if r.IncidentID != nil && s.timeline != nil && outcome != "retry" {
		typ, msg := incident.EventNotified, fmt.Sprintf("%s sent to %s %q", r.Event, ch.Type, ch.Name)
		if outcome == "failed" {
			typ, msg = incident.EventNotifyFailed, fmt.Sprintf("%s to %s %q failed after %d attempts: %s", r.Event, ch.Type, ch.Name, r.Attempts, r.LastError)
		}
		if err := s.timeline.AddEvent(ctx, *r.IncidentID, typ, "", msg); err != nil {
			s.log.Warn("record delivery on timeline", "incident_id", *r.IncidentID, "err", err)
		}
	}
}

func (s *Service) send(ctx context.Context, ch channelRow, r notificationRow) error {
	n, err := notify.Parse(ch.Type, json.RawMessage(ch.Config))
	if err != nil {
		return &notify.PermanentError{Err: err}
	}
	var ev notify.Event
	if err := json.Unmarshal([]byte(r.Payload), &ev); err != nil {
		return &notify.PermanentError{Err: fmt.Errorf("stored payload: %w", err)}
	}
	sctx, cancel := context.WithTimeout(ctx, s.cfg.SendTimeout)
	defer cancel()
	return n.Send(sctx, s.transport, ev)
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 500 {
		s = s[:500]
	}
	return s
}
