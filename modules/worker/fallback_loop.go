package worker

import (
	"context"
	"strconv"
	"time"

	"github.com/betterstack/betterstack/modules/notify"
	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/queue"
)

// fallbackSender delivers one fallback notice, one attempt;
// notify.FallbackHook implements it.
type fallbackSender interface {
	Send(ctx context.Context, n notify.FallbackNotice) error
}

var _ fallbackSender = notify.FallbackHook{}

// Delivery of a fallback notice: each attempt bounded by fallbackTimeout,
// retried after each of fallbackRetries (or the wait a 429 or 503 asked
// for, up to fallbackMaxWait) unless the receiver refused it for good.
const (
	fallbackTimeout = 10 * time.Second
	fallbackMaxWait = 30 * time.Second
)

var fallbackRetries = []time.Duration{2 * time.Second, 8 * time.Second}

// Queues between the publishing loop, the gate and the delivery: bounded,
// and never waited on; a notice that finds one full is dropped, counted
// and logged.
const (
	fallbackObserved = 1024
	fallbackQueued   = 64
)

// observe folds a finished check into its monitor's Watch and queues the
// notice it asks for. offline: the result could not be published.
func (w *Worker) observe(r queue.Result, offline bool) {
	if w.cfg.Fallback == nil {
		return
	}
	w.mu.Lock()
	j, known := w.monitors[r.MonitorID]
	if !known {
		w.mu.Unlock()
		return
	}
	failure, recovery := FallbackThresholds(j)
	s, v := Observe(w.watch[r.MonitorID], r.ScheduledAt, r.Result.Status == probe.StatusDown, offline, failure, recovery)
	w.watch[r.MonitorID] = s
	var n notify.FallbackNotice
	switch v {
	case NoticeDown:
		n = w.downNotice(j, r, s, failure)
		w.told[r.MonitorID] = n
	case NoticeRecovered:
		// The down notice's failure, told again with its end.
		told, ok := w.told[r.MonitorID]
		if !ok {
			told = w.downNotice(j, r, s, failure)
		}
		n = told
		n.Type, n.RecoveredAt = notify.FallbackRecovered, r.ScheduledAt
		n.Key = fallbackKey(w.cfg.Region, r.MonitorID, n.FirstFailureAt, n.Type)
		n.OccurredAt = w.cfg.Now()
		n.LastContact, _ = w.link.state()
	}
	if !s.Notified {
		delete(w.told, r.MonitorID) // recovered, or the alerter's to tell
	}
	w.mu.Unlock()
	if v == Quiet {
		return
	}
	select {
	case w.fbObserved <- n:
	default:
		w.fbNotices.WithLabelValues(n.Type, "dropped").Inc()
		w.log.Error("fallback notice dropped: queue full", "monitor_id", n.MonitorID, "event", n.Type)
	}
}

// downNotice is the notice of r, the failed check that confirmed j's
// monitor down.
func (w *Worker) downNotice(j queue.Job, r queue.Result, s Watch, failure int) notify.FallbackNotice {
	lastOK, _ := w.link.state()
	n := notify.FallbackNotice{
		Type: notify.FallbackDown, Key: fallbackKey(w.cfg.Region, r.MonitorID, s.FirstFailure, notify.FallbackDown),
		OccurredAt: w.cfg.Now(), WorkerID: w.cfg.ID, Region: w.cfg.Region, LastContact: lastOK,
		MonitorID: r.MonitorID, MonitorName: j.Name, Kind: j.Request.Check.Kind,
		FirstFailureAt: s.FirstFailure, Failures: s.Failures, Threshold: failure,
		ErrorClass: string(r.Result.ErrorClass), Error: r.Result.Error, StatusCode: r.Result.StatusCode,
	}
	if c, err := probe.Parse(j.Request.Check); err == nil {
		n.Target = c.Target()
	}
	return n
}

// forgetWatch drops the fallback state of monitors no longer followed
// (under mu).
func (w *Worker) forgetWatch() {
	for id := range w.watch {
		if _, ok := w.monitors[id]; !ok {
			delete(w.watch, id)
			delete(w.told, id)
		}
	}
}

// fallbackLoop passes observed notices through the Gate, sends the summary
// of those it held back when the cap has room, and hands what may go to
// the delivery loop.
func (w *Worker) fallbackLoop(ctx context.Context) {
	g := Gate{PerMinute: w.cfg.FallbackPerMinute}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case n := <-w.fbObserved:
			now := w.cfg.Now()
			w.summarize(&g, now)
			if g.Admit(now, n.Type, n.MonitorID) {
				w.log.Warn("control plane unreachable: telling the fallback webhook", "monitor_id", n.MonitorID,
					"event", n.Type, "failures", n.Failures, "since", n.FirstFailureAt)
				w.queueNotice(n)
			} else {
				// Logged once, with the summary: a worker whose own network
				// broke must not write a line per monitor either.
				w.fbNotices.WithLabelValues(n.Type, "held_back").Inc()
			}
		case <-t.C:
			w.summarize(&g, w.cfg.Now())
		}
	}
}

// summarize queues the summary of the notices g held back, if it may go.
func (w *Worker) summarize(g *Gate, now time.Time) {
	h, ok := g.Summary(now)
	if !ok {
		return
	}
	w.log.Warn("fallback notices held back by worker_fallback_per_minute: sending a summary", "held_back", h.Count(),
		"down", h.Down, "recovered", h.Recovered, "since", h.Since, "per_minute", g.PerMinute)
	lastOK, _ := w.link.state()
	w.queueNotice(notify.FallbackNotice{
		Type: notify.FallbackSummary, Key: "fallback:" + w.cfg.Region + ":" + w.cfg.ID + ":summary:" + strconv.FormatInt(h.Since.UnixMilli(), 10),
		OccurredAt: now, WorkerID: w.cfg.ID, Region: w.cfg.Region, LastContact: lastOK,
		Held: h.Count(), HeldDown: h.Down, HeldUp: h.Recovered, HeldIDs: h.IDs, HeldSince: h.Since, HeldPerMin: g.PerMinute,
	})
}

func (w *Worker) queueNotice(n notify.FallbackNotice) {
	select {
	case w.fbQueued <- n:
	default:
		w.fbNotices.WithLabelValues(n.Type, "dropped").Inc()
		w.log.Error("fallback notice dropped: delivery queue full", "monitor_id", n.MonitorID, "event", n.Type)
	}
}

// deliverLoop sends queued notices one at a time, in order.
func (w *Worker) deliverLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			if left := len(w.fbQueued); left > 0 {
				w.log.Warn("fallback notices not sent: worker stopping", "count", left)
			}
			return
		case n := <-w.fbQueued:
			err := deliver(ctx, w.cfg.Fallback, n, fallbackRetries)
			if err != nil {
				w.fbNotices.WithLabelValues(n.Type, "failed").Inc()
				w.log.Error("fallback notice not delivered", "monitor_id", n.MonitorID, "event", n.Type, "err", err)
				continue
			}
			w.fbNotices.WithLabelValues(n.Type, "sent").Inc()
			w.log.Info("fallback notice sent", "monitor_id", n.MonitorID, "event", n.Type)
		}
	}
}

// deliver sends n, retrying after each of waits (or the longer wait a 429
// or 503 asked for, at most fallbackMaxWait) until it is accepted, refused
// for good (notify.IsPermanent) or ctx ends; it returns the last error.
func deliver(ctx context.Context, s fallbackSender, n notify.FallbackNotice, waits []time.Duration) error {
	for attempt := 0; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, fallbackTimeout)
		err := s.Send(actx, n)
		cancel()
		if err == nil || notify.IsPermanent(err) || attempt >= len(waits) || ctx.Err() != nil {
			return err
		}
		wait := waits[attempt]
		if asked, ok := notify.RetryAfter(err); ok {
			wait = max(wait, min(asked, fallbackMaxWait))
		}
		sleep(ctx, wait)
	}
}
