package worker

import (
	"context"
	"sync"
	"time"
	"unique"

	"github.com/betterstack/betterstack/modules/queue"
	"github.com/betterstack/betterstack/modules/spool"
)

// resultSpool keeps results on disk while they cannot be published, and
// hands them back oldest first; spool.Spool implements it.
type resultSpool interface {
	Append(rs []queue.Result) (dropped int, err error)
	Len() int
	Oldest() (spool.Batch, bool, error)
	Remove(spool.Batch) error
}

var _ resultSpool = (*spool.Spool)(nil)

// link is what the worker knows of the control plane: when a queue call
// last succeeded and since when they fail, when calls succeeded again after
// failing, and the newest slot of the jobs read.
type link struct {
	mu           sync.Mutex
	lastOK       time.Time
	failingSince time.Time
	back         time.Time
	newestSlot   time.Time
}

func (l *link) ok(now time.Time) {
	l.mu.Lock()
	if !l.failingSince.IsZero() {
		l.back = now
	}
	l.lastOK, l.failingSince = now, time.Time{}
	l.mu.Unlock()
}

// read records the slots of jobs read.
func (l *link) read(ds []queue.JobDelivery) {
	l.mu.Lock()
	for _, d := range ds {
		if d.Job.ScheduledAt.After(l.newestSlot) {
			l.newestSlot = d.Job.ScheduledAt
		}
	}
	l.mu.Unlock()
}

func (l *link) handover() (back, newestSlot time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.back, l.newestSlot
}

func (l *link) failed(now time.Time) {
	l.mu.Lock()
	if l.failingSince.IsZero() {
		l.failingSince = now
	}
	l.mu.Unlock()
}

func (l *link) state() (lastOK, failingSince time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastOK, l.failingSince
}

// down reports whether the control plane counts as unreachable now.
func (w *Worker) down() bool {
	_, failing := w.link.state()
	return Down(failing, w.cfg.Now(), w.cfg.DownAfter)
}

// noteJob remembers the latest job of each monitor, for offline checks.
//
// It is kept for every monitor the worker checks, so it is kept small in
// objects for the collector to mark on every cycle: without its id, which
// offlineJob makes anew for each slot, and with the region and the kind
// as one shared string each.
func (w *Worker) noteJob(j queue.Job) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if last, ok := w.monitors[j.MonitorID]; !ok || j.ScheduledAt.After(last.ScheduledAt) {
		j.ID = ""
		j.Region = unique.Make(j.Region).Value()
		j.Request.Check.Kind = unique.Make(j.Request.Check.Kind).Value()
		w.monitors[j.MonitorID] = j
	}
}

// markDone records the slot of a result that had no chance to be
// published with its job, so the job, when Redis gives it back, is not run
// again. The monitor's interval comes from its latest job.
func (w *Worker) markDone(r queue.Result) {
	w.mu.Lock()
	defer w.mu.Unlock()
	interval := time.Hour
	if j, ok := w.monitors[r.MonitorID]; ok && j.IntervalSeconds > 0 {
		interval = time.Duration(j.IntervalSeconds) * time.Second
	}
	k := keyOf(r.MonitorID, r.ScheduledAt)
	if _, dup := w.done[k]; !dup {
		w.done[k] = r.ScheduledAt.Add(doneFor(interval, w.cfg.ClaimIdle))
	}
}

// doneAlready reports whether j's slot was checked without the control
// plane: its result is spooled or published, so the job is not run again.
func (w *Worker) doneAlready(j queue.Job) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, ok := w.done[keyOf(j.MonitorID, j.ScheduledAt)]
	return ok
}

// prune forgets done slots past their time and, while the control plane
// answers, monitors no longer scheduled.
func (w *Worker) prune(now time.Time, online bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for k, until := range w.done {
		if now.After(until) {
			delete(w.done, k)
		}
	}
	if !online {
		return
	}
	for id, j := range w.monitors {
		if !Followed(j.ScheduledAt, time.Duration(j.IntervalSeconds)*time.Second, now) {
			delete(w.monitors, id)
		}
	}
	w.forgetWatch()
}

// offlineLoop watches the link: it logs when the control plane goes and
// comes back and, while it is gone (for at most OfflineFor), checks the
// monitors it knows at their slots and sends the results to done, which
// spools them. When Redis answers again it goes on so until the first
// jobs are read (Handover): the pusher may need longer than Redis to be
// back, and the slots in between would be checked by no one.
func (w *Worker) offlineLoop(ctx context.Context, slots chan struct{}, wg *sync.WaitGroup, done chan<- queue.Completion) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	offline, stopped, handover := false, false, false
	lastPrune := time.Time{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := w.cfg.Now()
		down := w.down()
		if now.Sub(lastPrune) >= 10*time.Second {
			w.prune(now, !down)
			lastPrune = now
		}
		lastOK, _ := w.link.state()
		if !down {
			if offline {
				w.offline.Set(0)
				handover = !stopped && w.cfg.Spool != nil
				w.log.Info("control plane reachable again: checking offline until jobs arrive", "spooled", w.spoolLen(),
					"at_most", handoverFor)
			}
			offline, stopped = false, false
			if handover {
				back, newest := w.link.handover()
				if handover = Handover(back, newest, now, handoverFor); !handover {
					w.log.Info("back to jobs", "jobs_flowing", !newest.Before(back))
				}
			}
			if handover {
				w.runOffline(now, OfflineUntil(lastOK, w.cfg.OfflineFor), lastOK, slots, wg, done)
			}
			continue
		}
		if !offline {
			offline = true
			w.offline.Set(1)
			w.log.Warn("control plane unreachable: results go to the local spool", "last_ok", lastOK,
				"offline_checks_for", w.cfg.OfflineFor, "monitors", w.monitorCount())
		}
		if w.cfg.Spool == nil {
			continue
		}
		until := OfflineUntil(lastOK, w.cfg.OfflineFor)
		if now.After(until) {
			if !stopped && !until.IsZero() {
				w.log.Warn("offline checks stopped: control plane unreachable for too long", "since", lastOK)
			}
			stopped = true
			continue
		}
		w.runOffline(now, until, lastOK, slots, wg, done)
	}
}

// runOffline starts the checks due offline at now.
func (w *Worker) runOffline(now, until, lastOK time.Time, slots chan struct{}, wg *sync.WaitGroup, done chan<- queue.Completion) {
	for _, j := range w.dueOffline(now, until, lastOK) {
		w.offlineChecks.Inc()
		w.run(queue.JobDelivery{Job: j}, slots, wg, done)
	}
}

// dueOffline returns the jobs to run offline at now and records them done
// and as each monitor's latest job.
func (w *Worker) dueOffline(now, until, lastOK time.Time) []queue.Job {
	grace := w.cfg.DownAfter + maxEarly
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []queue.Job
	for id, last := range w.monitors {
		interval := time.Duration(last.IntervalSeconds) * time.Second
		if !Followed(last.ScheduledAt, interval, lastOK) {
			continue
		}
		for _, slot := range OfflineSlots(last.ScheduledAt, interval, now, until, grace) {
			j := offlineJob(last, slot)
			w.monitors[id] = j
			k := keyOf(j.MonitorID, slot)
			if _, dup := w.done[k]; dup {
				continue
			}
			w.done[k] = slot.Add(doneFor(interval, w.cfg.ClaimIdle))
			out = append(out, j)
		}
	}
	return out
}

func (w *Worker) monitorCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.monitors)
}

func (w *Worker) spoolLen() int {
	if w.cfg.Spool == nil {
		return 0
	}
	return w.cfg.Spool.Len()
}

// spoolResults keeps results that could not be published. Their slots are
// recorded done, so the jobs, when Redis gives them back, are not run again.
func (w *Worker) spoolResults(rs []queue.Result) {
	for _, r := range rs {
		w.markDone(r)
	}
	dropped, err := w.cfg.Spool.Append(rs)
	if err != nil {
		w.spoolDropped.WithLabelValues("write_error").Add(float64(len(rs)))
		w.log.Error("spool results: results lost", "count", len(rs), "err", err)
		return
	}
	w.spooled.Add(float64(len(rs)))
	if dropped > 0 {
		w.spoolDropped.WithLabelValues("full").Add(float64(dropped))
		w.log.Warn("spool full: oldest results dropped", "dropped", dropped)
	}
}

// replayLoop publishes what the spool holds, oldest first, whenever the
// control plane answers.
func (w *Worker) replayLoop(ctx context.Context) {
	if w.cfg.Spool == nil {
		return
	}
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for !w.down() && w.cfg.Spool.Len() > 0 && ctx.Err() == nil {
			if !w.replayOne(ctx) {
				break
			}
		}
	}
}

// replayOne publishes the oldest spooled batch; false when it could not.
func (w *Worker) replayOne(ctx context.Context) bool {
	b, ok, err := w.cfg.Spool.Oldest()
	if err != nil {
		w.log.Error("read spool", "err", err)
		return false
	}
	if !ok {
		return false
	}
	byRegion := map[string][]queue.Result{}
	for _, r := range b.Results {
		region := r.Region
		if region == "" {
			region = w.cfg.Region
		}
		byRegion[region] = append(byRegion[region], r)
	}
	for region, rs := range byRegion {
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := w.q.PublishResults(pctx, region, rs)
		cancel()
		if err != nil {
			w.link.failed(w.cfg.Now())
			if ctx.Err() == nil {
				w.log.Warn("replay spooled results", "count", len(rs), "err", err)
			}
			// Published regions of this batch go again with the rest:
			// ingest stores each result once.
			return false
		}
	}
	w.link.ok(w.cfg.Now())
	if err := w.cfg.Spool.Remove(b); err != nil {
		w.log.Error("remove replayed spool segment", "err", err)
		return false
	}
	w.replayed.Add(float64(len(b.Results)))
	w.log.Info("spooled results published", "count", len(b.Results), "left", w.cfg.Spool.Len())
	return true
}
