package checkin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/heartbeat"
	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/queue"
)

// pingSource is what the ingest needs of the queue.
type pingSource interface {
	ReadPings(ctx context.Context, consumer string, count int, block time.Duration) ([]queue.PingDelivery, error)
	ClaimPings(ctx context.Context, consumer string, minIdle time.Duration, count int) ([]queue.PingDelivery, error)
	AckPings(ctx context.Context, ids ...string) error
}

// RunIngest stores queued pings and judges their monitors until ctx is
// done. A batch is acked only once stored; while the database is away it
// is retried with backoff and the other pings wait in the queue.
func (s *Service) RunIngest(ctx context.Context, q pingSource) error {
	lastClaim := time.Time{}
	for ctx.Err() == nil {
		var ds []queue.PingDelivery
		var err error
		if time.Since(lastClaim) > s.cfg.ClaimIdle/2 {
			lastClaim = time.Now()
			ds, err = q.ClaimPings(ctx, s.cfg.Consumer, s.cfg.ClaimIdle, s.cfg.Batch)
		}
		if err == nil && len(ds) == 0 {
			ds, err = q.ReadPings(ctx, s.cfg.Consumer, s.cfg.Batch, time.Second)
		}
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("read pings", "err", err)
				wait(ctx, time.Second)
			}
			continue
		}
		if len(ds) > 0 {
			s.ingestWithRetry(ctx, q, ds)
		}
	}
	return nil
}

func (s *Service) ingestWithRetry(ctx context.Context, q pingSource, ds []queue.PingDelivery) {
	backoff := 250 * time.Millisecond
	for {
		// Its own deadline: a batch begun is finished during shutdown.
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		ids, err := s.Ingest(sctx, ds)
		if err == nil {
			if err := q.AckPings(sctx, deliveryIDs(ds)...); err != nil {
				s.log.Warn("ack pings", "count", len(ds), "err", err) // stored: a redelivery is skipped
			}
			s.judgeAll(sctx, ids)
			cancel()
			return
		}
		cancel()
		s.log.Error("store pings failed; retrying, pings wait in the queue", "count", len(ds), "err", err, "retry_in", backoff)
		wait(ctx, backoff)
		if ctx.Err() != nil {
			return
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

func deliveryIDs(ds []queue.PingDelivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	return out
}

// Ingest stores delivered pings and returns the monitors they belong to.
// A payload that does not decode is dropped (and logged).
func (s *Service) Ingest(ctx context.Context, ds []queue.PingDelivery) ([]int64, error) {
	rows := make([]pingRow, 0, len(ds))
	seen := map[int64]bool{}
	var ids []int64
	for _, d := range ds {
		var m message
		if err := json.Unmarshal(d.Data, &m); err != nil || m.PingID == "" || m.MonitorID == 0 {
			s.log.Warn("dropping a malformed ping", "delivery_id", d.ID)
			continue
		}
		rows = append(rows, pingRow{MonitorID: m.MonitorID, PingID: m.PingID, ReceivedAt: m.At.UTC(), Signal: m.Signal,
			ExitCode: m.ExitCode, RunID: m.RunID, Method: m.Method, SourceIP: m.Source, UserAgent: m.UserAgent,
			Body: m.Body, BodyTruncated: m.Truncated})
		if !seen[m.MonitorID] {
			seen[m.MonitorID] = true
			ids = append(ids, m.MonitorID)
		}
	}
	if len(rows) == 0 {
		return nil, nil
	}
	if err := s.store.insertPings(ctx, rows, s.now()); err != nil {
		return nil, err
	}
	s.stored.Add(float64(len(rows)))
	return ids, nil
}

// judgeAll judges each monitor; a failure is logged and left to the
// decider (the monitor is due).
func (s *Service) judgeAll(ctx context.Context, ids []int64) {
	now := s.now()
	for _, id := range ids {
		if err := s.Judge(ctx, id, now); err != nil {
			s.log.Error("judge heartbeat", "monitor_id", id, "err", err)
		}
	}
}

// RunDecider judges monitors at their deadlines until ctx is done. Every
// alerter runs it; one round runs at a time (see the package doc).
func (s *Service) RunDecider(ctx context.Context) error {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		next, err := s.DecideOnce(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Error("heartbeat decider", "err", err)
		}
		d := s.cfg.DeciderIdle
		if !next.IsZero() {
			d = min(d, max(next.Sub(s.now()), 10*time.Millisecond))
		}
		t.Reset(d)
	}
}

// DecideOnce gives new heartbeat monitors their row, then, if no other
// alerter is in a round, judges every monitor due now. It returns the
// earliest deadline still ahead.
func (s *Service) DecideOnce(ctx context.Context) (time.Time, error) {
	missing, err := s.store.missing(ctx)
	if err != nil {
		return time.Time{}, err
	}
	for _, id := range missing {
		if _, err := s.ensure(ctx, id); err != nil {
			return time.Time{}, err
		}
	}
	now := s.now()
	round := func() error {
		for range 100 { // 50,000 monitors a round; the next round takes the rest
			ids, err := s.store.due(ctx, now, 500)
			if err != nil {
				return err
			}
			for _, id := range ids {
				if err := s.Judge(ctx, id, now); err != nil {
					return fmt.Errorf("monitor %d: %w", id, err)
				}
			}
			if len(ids) < 500 {
				return nil
			}
		}
		return nil
	}
	if s.store.db.Dialect == database.Postgres {
		// The advisory lock lives as long as this transaction: one round
		// at a time across every alerter; a busy lock skips the round.
		err = s.store.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			ok, err := s.store.tryDeciderLock(tx)
			if err != nil || !ok {
				return err
			}
			return round()
		})
	} else {
		err = round() // one process; judgements serialize on s.judging
	}
	if err != nil {
		return time.Time{}, err
	}
	return s.store.nextDeadline(ctx)
}

// Judge evaluates one monitor at now and reports a changed verdict as a
// check result. The monitor's heartbeat row is locked meanwhile
// (PostgreSQL: FOR UPDATE; SQLite: the process's one judgement at a time).
func (s *Service) Judge(ctx context.Context, monitorID int64, now time.Time) error {
	if s.store.db.Dialect != database.Postgres {
		s.judging.Lock()
		defer s.judging.Unlock()
		return s.judge(s.store.db.WithContext(ctx), monitorID, now)
	}
	return s.store.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return s.judge(tx, monitorID, now)
	})
}

func (s *Service) judge(tx *gorm.DB, monitorID int64, now time.Time) error {
	row, ok, err := s.store.lockRow(tx, monitorID)
	if err != nil || !ok {
		return err
	}
	m, ok, err := s.store.monitor(tx, monitorID)
	if err != nil {
		return err
	}
	row.UpdatedAt = now
	if !ok || m.Kind != "heartbeat" {
		row.NextDeadline = nil // nothing to wait for; an edit or a ping makes it due again
		return s.store.saveVerdict(tx, row)
	}
	if m.Paused {
		// Nothing is expected while paused; the next verdict after the
		// resume is reported whatever it is (the monitor shows paused).
		row.Paused, row.Status, row.NextDeadline = true, string(heartbeat.Pending), nil
		return s.store.saveVerdict(tx, row)
	}
	if row.Paused {
		// Resumed: the schedule starts again now, as for a new monitor,
		// so the time paused is not a missed run.
		row.Paused, row.WatchFrom = false, &now
	}
	sched, err := scheduleOf(m.CheckSpec)
	if err != nil {
		s.log.Warn("heartbeat monitor with unreadable settings", "monitor_id", monitorID, "err", err)
		row.NextDeadline = nil
		return s.store.saveVerdict(tx, row)
	}
	pings, err := s.store.lastPings(tx, monitorID, s.cfg.KeepPings)
	if err != nil {
		return err
	}
	created := m.CreatedAt.UTC()
	if row.WatchFrom != nil && row.WatchFrom.After(created) {
		created = row.WatchFrom.UTC()
		pings = slices.DeleteFunc(pings, func(p Ping) bool { return p.At.Before(created) })
	}
	hp := make([]heartbeat.Ping, len(pings))
	for i, p := range pings {
		hp[i] = p.heartbeat()
	}
	v := heartbeat.Evaluate(sched, created, hp, now)
	row.NextDeadline = nil
	if !v.NextDeadline.IsZero() {
		d := v.NextDeadline.UTC()
		row.NextDeadline = &d
	}
	if v.Status != heartbeat.Pending && string(v.Status) != row.Status {
		slot := v.Since.UTC().Truncate(time.Microsecond)
		if row.ReportedAt != nil && !slot.After(*row.ReportedAt) {
			// Results older than the last one are ignored by the
			// ingest: this one must come after it.
			slot = row.ReportedAt.Add(time.Microsecond)
		}
		if err := s.results.Store(tx.Statement.Context, []queue.Result{s.resultOf(m.ID, v, slot, sched, pings, now)}); err != nil {
			return fmt.Errorf("report verdict: %w", err)
		}
		s.reported.Inc()
		s.log.Info("heartbeat verdict", "monitor_id", m.ID, "status", v.Status, "since", v.Since, "reason", v.Reason)
		row.Status, row.ReportedAt = string(v.Status), &slot
	} else if v.Status != heartbeat.Pending && row.ReportedAt != nil {
		// The verdict stands: each run that ended since the last result
		// is one more check of it. Reporting changes alone made a job's
		// "checks passed" count verdicts: 5 good runs, a failed one and a
		// good one read 2 of 3, not 6 of 7.
		var more []queue.Result
		for _, r := range heartbeat.Runs(sched, hp, now) {
			end := r.End.UTC().Truncate(time.Microsecond)
			if r.End.IsZero() || !end.After(*row.ReportedAt) {
				continue
			}
			more = append(more, s.resultOf(m.ID, v, end, sched, pings, now))
			row.ReportedAt = &end
		}
		if len(more) > 0 {
			if err := s.results.Store(tx.Statement.Context, more); err != nil {
				return fmt.Errorf("report runs: %w", err)
			}
		}
	}
	return s.store.saveVerdict(tx, row)
}

// scheduleOf reads a heartbeat monitor's stored settings.
func scheduleOf(spec string) (heartbeat.Schedule, error) {
	c, err := probe.Parse(probe.Spec{Kind: "heartbeat", Config: json.RawMessage(spec)})
	if err != nil {
		return heartbeat.Schedule{}, err
	}
	hb, ok := c.(*probe.Heartbeat)
	if !ok {
		return heartbeat.Schedule{}, errors.New("not a heartbeat check")
	}
	return hb.Schedule()
}

// evidencePings is how many of the last pings a result carries.
const evidencePings = 5

// resultOf turns a verdict into a check result of region "heartbeat",
// dated slot, with the last pings as evidence.
func (s *Service) resultOf(monitorID int64, v heartbeat.Verdict, slot time.Time, sched heartbeat.Schedule, pings []Ping, now time.Time) queue.Result {
	r := probe.Result{Status: probe.StatusUp, CheckedAt: slot}
	if v.Status == heartbeat.Down {
		r.Status, r.Error, r.ErrorClass = probe.StatusDown, clip(v.Reason, 512), probe.ClassRunFailed
		if strings.HasPrefix(v.Reason, "late") {
			r.ErrorClass = probe.ClassLate
		}
	}
	r.Details = Evidence(sched, pings, now)
	return queue.Result{JobID: "hb:" + strconv.FormatInt(monitorID, 10) + ":" + strconv.FormatInt(slot.UnixMicro(), 10),
		MonitorID: monitorID, Region: Region, WorkerID: s.cfg.Consumer, ScheduledAt: slot, Result: r}
}

// Evidence describes the last pings, newest first: time, signal, source
// address, user agent, run duration, exit code and a body excerpt.
func Evidence(sched heartbeat.Schedule, pings []Ping, now time.Time) []probe.Detail {
	if len(pings) == 0 {
		return []probe.Detail{{Name: "pings", Value: "none received"}}
	}
	durations := runDurations(sched, pings, now)
	var out []probe.Detail
	for i := len(pings) - 1; i >= 0 && len(out) < evidencePings; i-- {
		p := pings[i]
		var b strings.Builder
		b.WriteString(p.Signal)
		if p.Signal == "exit" {
			b.WriteString(" " + strconv.Itoa(p.ExitCode))
		}
		if p.RunID != "" {
			b.WriteString(" rid " + p.RunID)
		}
		b.WriteString(" from " + p.Source)
		if p.UserAgent != "" {
			b.WriteString(" (" + clip(p.UserAgent, 60) + ")")
		}
		if d, ok := durations[p.ID]; ok {
			b.WriteString(", run " + d.Round(time.Millisecond).String())
		}
		if body := strings.Join(strings.Fields(p.Body), " "); body != "" {
			b.WriteString(": " + clip(body, 120))
		}
		out = append(out, probe.Detail{Name: "ping " + p.At.UTC().Format("2006-01-02 15:04:05 UTC"), Value: b.String()})
	}
	return out
}

// runDurations maps the id of each ping that ended a timed run to the run's
// duration.
func runDurations(sched heartbeat.Schedule, pings []Ping, now time.Time) map[int64]time.Duration {
	hp := make([]heartbeat.Ping, len(pings))
	byEnd := map[time.Time][]int64{}
	for i, p := range pings {
		hp[i] = p.heartbeat()
		if p.Signal != "start" && p.Signal != "log" {
			byEnd[p.At] = append(byEnd[p.At], p.ID)
		}
	}
	out := map[int64]time.Duration{}
	for _, r := range heartbeat.Runs(sched, hp, now) {
		if r.Start.IsZero() || r.End.IsZero() {
			continue
		}
		if ids := byEnd[r.End]; len(ids) > 0 {
			out[ids[0]] = r.Duration
			byEnd[r.End] = ids[1:]
		}
	}
	return out
}

func wait(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
