package tick

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unique"

	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/incident"
	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/queue"
)

// reconciler turns status changes into incidents in the ingest's
// transaction; incident.Service does.
type reconciler interface {
	Reconcile(tx *gorm.DB, changes []incident.Change) error
}

// resultSource is what ingest needs of the queue.
type resultSource interface {
	ReadResults(ctx context.Context, consumer string, count int, block time.Duration) ([]queue.ResultDelivery, error)
	ClaimResults(ctx context.Context, consumer string, minIdle time.Duration, count int) ([]queue.ResultDelivery, error)
	AckResults(ctx context.Context, ids ...string) error
}

// Config tunes the ingest.
type Config struct {
	Consumer  string        // this alerter's consumer name
	Batch     int           // results per transaction (default 1000)
	Parallel  int           // batches stored at once (default 2)
	ClaimIdle time.Duration // results pending this long are a dead alerter's (default 30s)
	// StateCache is how many monitors' region states ingest keeps between
	// batches (default 250,000; negative: none). See stateCache.
	StateCache int
	Now        func() time.Time
}

// Service stores results and serves ticks.
type Service struct {
	cfg       Config
	store     *store
	incidents reconciler
	log       *slog.Logger
	stored    prometheus.Counter
	dupes     prometheus.Counter
	orphans   prometheus.Counter
	failures  prometheus.Counter
	batchDur  prometheus.Histogram
	cache     *stateCache
}

// New returns the tick service. incidents may be nil (no incident logic).
func New(db *database.DB, incidents reconciler, cfg Config, log *slog.Logger, reg prometheus.Registerer) *Service {
	if cfg.Batch <= 0 {
		cfg.Batch = 1000
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = 2
	}
	if cfg.StateCache == 0 {
		cfg.StateCache = 250000
	}
	if cfg.ClaimIdle <= 0 {
		cfg.ClaimIdle = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Service{cfg: cfg, store: &store{db: db}, incidents: incidents, cache: newStateCache(cfg.StateCache), log: log.With("module", "tick"),
		stored:   prometheus.NewCounter(prometheus.CounterOpts{Name: "betterstack_ingest_ticks_stored_total", Help: "Ticks inserted."}),
		dupes:    prometheus.NewCounter(prometheus.CounterOpts{Name: "betterstack_ingest_duplicates_total", Help: "Results already stored (redelivered)."}),
		orphans:  prometheus.NewCounter(prometheus.CounterOpts{Name: "betterstack_ingest_orphans_total", Help: "Results of monitors deleted meanwhile."}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{Name: "betterstack_ingest_batch_failures_total", Help: "Batches that could not be stored and were retried."}),
		batchDur: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "betterstack_ingest_batch_seconds", Help: "Time to store one batch.",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}),
	}
	if reg != nil {
		reg.MustRegister(s.stored, s.dupes, s.orphans, s.failures, s.batchDur)
	}
	return s
}

// Run ingests results until ctx is done. A batch is acked only once stored;
// while the database is unavailable it is retried with backoff and the rest
// of the results wait in the queue. Config.Parallel loops read and store at
// once, so one loop's batch is encoded, sent and decided while another's
// is in the database (one loop leaves a core idle whichever side works).
func (s *Service) Run(ctx context.Context, q resultSource) error {
	s.log.Info("ingest started", "consumer", s.cfg.Consumer, "parallel", s.cfg.Parallel, "batch", s.cfg.Batch)
	var wg sync.WaitGroup
	for i := range s.cfg.Parallel {
		wg.Go(func() { s.loop(ctx, q, i == 0) })
	}
	wg.Wait()
	s.log.Info("ingest stopped")
	return nil
}

// loop is one ingest loop; the first also takes over results a stopped
// alerter left pending.
func (s *Service) loop(ctx context.Context, q resultSource, claims bool) {
	lastClaim := time.Time{}
	for ctx.Err() == nil {
		var ds []queue.ResultDelivery
		var err error
		if claims && time.Since(lastClaim) > s.cfg.ClaimIdle/2 {
			lastClaim = time.Now()
			ds, err = q.ClaimResults(ctx, s.cfg.Consumer, s.cfg.ClaimIdle, s.cfg.Batch)
			if len(ds) > 0 {
				s.log.Info("claimed results of a stopped alerter", "count", len(ds))
			}
		}
		if err == nil && len(ds) == 0 {
			ds, err = q.ReadResults(ctx, s.cfg.Consumer, s.cfg.Batch, time.Second)
		}
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("read results", "err", err)
				sleep(ctx, time.Second)
			}
			continue
		}
		if len(ds) == 0 {
			continue
		}
		s.storeWithRetry(ctx, q, ds)
	}
}

// storeWithRetry stores and acks one batch, retrying until it succeeds or
// ctx ends (then the batch stays pending and is claimed later).
func (s *Service) storeWithRetry(ctx context.Context, q resultSource, ds []queue.ResultDelivery) {
	results := make([]queue.Result, len(ds))
	ids := make([]string, len(ds))
	for i, d := range ds {
		results[i], ids[i] = d.Result, d.ID
	}
	backoff := 250 * time.Millisecond
	for {
		// Storing uses its own deadline, not ctx: a batch begun is finished
		// even during shutdown, so it is not stored and then left unacked.
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := s.Store(sctx, results)
		if err == nil {
			err = q.AckResults(sctx, ids...)
			cancel()
			if err != nil {
				// Stored but not acked: a redelivery is a harmless duplicate.
				s.log.Warn("ack results", "count", len(ids), "err", err)
			}
			return
		}
		cancel()
		s.failures.Inc()
		s.log.Error("store results failed; retrying, results wait in the queue", "count", len(results), "err", err, "retry_in", backoff)
		sleep(ctx, backoff)
		if ctx.Err() != nil {
			return
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

// errNeedStates ends a batch's first attempt when some of its monitors have
// no monitor_state row yet (see Service.Store).
var errNeedStates = errors.New("monitors without a state row")

// Store inserts results as ticks and folds them into monitor state in one
// transaction. Duplicates and results of deleted monitors are skipped.
func (s *Service) Store(ctx context.Context, results []queue.Result) error {
	start := time.Now()
	defer func() { s.batchDur.Observe(time.Since(start).Seconds()) }()
	now := s.cfg.Now().UTC().Truncate(time.Microsecond)
	// Counted only once the transaction commits: a batch that rolls back is
	// retried and must not be counted twice.
	var stored, dupes, orphans int
	var cacheable map[int64]cachedRegions // region states as of the commit
	// A monitor's first result has no monitor_state row to lock yet: the
	// first attempt finds which ones (needStates), their rows are created
	// outside the transaction and the batch is stored again, once. Ids
	// still without a row then are of deleted monitors.
	var needStates []int64
	ids := uniqueMonitorIDs(results)
	store := func(tx *gorm.DB) error {
		stored, dupes, orphans = 0, 0, 0
		cacheable = map[int64]cachedRegions{}
		// Lock the monitors first, in id order, before any other write:
		// batches stored at once (Config.Parallel, or several alerters)
		// then serialize per monitor on one lock order and cannot deadlock
		// on its ticks, rollups or region rows.
		settings, states, missing, err := s.store.lockMonitors(tx, ids)
		if err != nil {
			return fmt.Errorf("lock monitor state: %w", err)
		}
		if len(missing) > 0 && needStates == nil {
			needStates = missing
			return errNeedStates
		}
		ticks := make([]newTick, 0, len(results))
		inBatch := make(map[slotKey]bool, len(results))
		for _, r := range results {
			if _, ok := settings[r.MonitorID]; !ok {
				orphans++
				continue
			}
			t := newTick{MonitorID: r.MonitorID, Tick: fromResult(r)}
			t.key = t.slot()
			if inBatch[t.key] { // delivered twice into one batch: stored and counted once
				dupes++
				continue
			}
			inBatch[t.key] = true
			ticks = append(ticks, t)
		}
		if len(ticks) == 0 {
			return nil
		}
		present := make([]int64, 0, len(settings))
		for id := range settings {
			present = append(present, id)
		}
		// Region states as this process last wrote them, where nothing
		// wrote them since (the locked version proves it); read the rest.
		regions := make(map[int64][]RegionState, len(present))
		var miss []int64
		for _, id := range present {
			if rs, ok := s.cache.get(id, states[id].Version); ok {
				regions[id] = rs
			} else {
				miss = append(miss, id)
			}
		}
		read, err := s.store.readRegionStates(tx, miss)
		if err != nil {
			return fmt.Errorf("read region state: %w", err)
		}
		for _, id := range miss {
			regions[id] = read[id]
			cacheable[id] = cachedRegions{version: states[id].Version, regions: read[id]}
		}
		// Apply in slot order so consecutive counts follow time.
		sort.SliceStable(ticks, func(i, j int) bool { return ticks[i].ScheduledAt.Before(ticks[j].ScheduledAt) })
		twice := dupes // delivered twice into this batch
		old, err := s.store.insertTicks(tx, ticks)
		if err != nil {
			return fmt.Errorf("insert ticks: %w", err)
		}
		// The ticks not stored before, filtered in place (a tick is some
		// 500 bytes; the batch's slice is not read again), and their
		// monitors' working state: a copy of each one's region rows (the
		// cache's are shared), with which were failing and which this
		// batch touched.
		received := len(ticks)
		fresh := ticks[:0]
		work := make(map[int64]*monitorWork, len(present))
		for _, t := range ticks {
			if old[t.key] {
				continue
			}
			fresh = append(fresh, t)
			if work[t.MonitorID] == nil {
				work[t.MonitorID] = newMonitorWork(regions[t.MonitorID])
			}
		}
		stored, dupes = len(fresh), twice+received-len(fresh)
		if len(fresh) == 0 {
			return nil
		}
		changedIDs := make([]int64, 0, len(work))
		for id := range work {
			changedIDs = append(changedIDs, id)
		}
		slices.Sort(changedIDs)
		var touchedRows int
		var due []Rollup // for rollups_hourly: open hours a later check closed, and late checks
		for _, t := range fresh {
			w := work[t.MonitorID]
			i := w.region(t.MonitorID, t.Region)
			w.regions[i] = w.regions[i].Apply(t.Tick, settings[t.MonitorID].thresholds())
			if r, ok := w.regions[i].countHour(t.MonitorID, t.Tick); ok {
				due = append(due, r)
			}
			if !w.touched[i] {
				w.touched[i] = true
				touchedRows++
			}
		}
		// The hours due go into rollups_hourly; an hour already folded
		// into its day (Fold) has this batch's share added to the day's
		// row here.
		if len(due) > 0 {
			hours := byKey(due)
			folded, err := s.store.addRollups(tx, hourlyTable, hours)
			if err != nil {
				return fmt.Errorf("hourly rollups: %w", err)
			}
			if len(folded) > 0 {
				late := make([]Rollup, 0, len(folded))
				for _, r := range hours {
					if folded[keyOf(r)] {
						late = append(late, r)
					}
				}
				if _, err := s.store.addRollups(tx, dailyTable, byDay(late)); err != nil {
					return fmt.Errorf("daily rollups: %w", err)
				}
			}
		}
		// By monitor, then region: one lock order for every batch.
		regionRows := make([]RegionState, 0, touchedRows)
		for _, id := range changedIDs {
			w := work[id]
			w.sortByRegion()
			for i, r := range w.regions {
				if w.touched[i] {
					regionRows = append(regionRows, r)
				}
			}
		}
		stateRows := make([]stateRow, 0, len(changedIDs))
		var changes []incident.Change
		for _, id := range changedIDs {
			st, w := states[id], work[id]
			all := w.regions
			var last time.Time
			for _, r := range all {
				if r.LastCheckedAt.After(last) {
					last = r.LastCheckedAt
				}
			}
			// Decide and date by the checks, not by when they were stored:
			// after a backlog (alerter or database away), the decision is
			// as of the latest check, so a monitor is not judged silent
			// (unknown) for results that were only late to arrive, and an
			// incident starts when its checks failed.
			at := now
			if !last.IsZero() && last.Before(now) {
				at = last
			}
			status := Decide(settings[id].settings(), monitor.Status(st.Status), all, at)
			flipped := false
			snaps := make([]incident.RegionSnapshot, 0, len(all))
			for i, r := range all { // sorted by region
				was := w.wasFailing[i]
				if was != r.Failing { // only a region this batch touched can have turned
					flipped = true
				}
				snaps = append(snaps, incident.RegionSnapshot{Region: r.Region, Failing: r.Failing, WasFailing: was, Status: string(r.Status),
					StatusCode: r.StatusCode, ErrorClass: r.ErrorClass, Error: r.Error, CheckedAt: r.LastCheckedAt, Evidence: r.Evidence})
			}
			statusChanged := string(status) != st.Status
			if statusChanged {
				s.log.Info("monitor status changed", "monitor_id", id, "from", st.Status, "to", status)
				st.Status, st.StatusSince = string(status), at
			}
			st.MonitorID, st.UpdatedAt = id, now
			st.Version++
			cacheable[id] = cachedRegions{version: st.Version, regions: all}
			if !last.IsZero() {
				st.LastCheckedAt = &last
			}
			stateRows = append(stateRows, st)
			if statusChanged || flipped || status != monitor.StatusUp {
				changes = append(changes, incident.Change{MonitorID: id, Status: string(status), StatusSince: st.StatusSince, Regions: snaps, At: at})
			}
		}
		if err := s.store.saveStates(tx, regionRows, stateRows); err != nil {
			return err
		}
		if s.incidents != nil && len(changes) > 0 { // in monitor id order, as changedIDs
			if err := s.incidents.Reconcile(tx, changes); err != nil {
				return fmt.Errorf("incidents: %w", err)
			}
		}
		return nil
	}
	err := s.store.db.WithContext(ctx).Transaction(store)
	if errors.Is(err, errNeedStates) {
		if err = s.store.createStates(ctx, needStates, now); err != nil {
			return fmt.Errorf("create monitor state: %w", err)
		}
		err = s.store.db.WithContext(ctx).Transaction(store)
	}
	if err == nil {
		for id, c := range cacheable {
			s.cache.put(id, c.version, c.regions)
		}
		s.stored.Add(float64(stored))
		s.dupes.Add(float64(dupes))
		s.orphans.Add(float64(orphans))
	}
	return err
}

// monitorWork is one monitor's region rows while a batch is applied:
// regions (a copy), which were failing before the batch (wasFailing) and
// which the batch touched, index by index.
type monitorWork struct {
	regions             []RegionState
	wasFailing, touched []bool
}

func newMonitorWork(rs []RegionState) *monitorWork {
	w := &monitorWork{regions: slices.Clone(rs), wasFailing: make([]bool, len(rs), len(rs)+1), touched: make([]bool, len(rs), len(rs)+1)}
	for i, r := range rs {
		w.wasFailing[i] = r.Failing
	}
	return w
}

// region is the index of region's row, added (never checked from there
// before, so not failing) when there is none.
func (w *monitorWork) region(id int64, region string) int {
	for i := range w.regions {
		if w.regions[i].Region == region {
			return i
		}
	}
	w.regions = append(w.regions, RegionState{MonitorID: id, Region: region})
	w.wasFailing, w.touched = append(w.wasFailing, false), append(w.touched, false)
	return len(w.regions) - 1
}

// sortByRegion orders the rows, and their flags with them, by region.
func (w *monitorWork) sortByRegion() {
	for i := 1; i < len(w.regions); i++ { // a few regions: insertion sort keeps the flags in step
		for j := i; j > 0 && w.regions[j].Region < w.regions[j-1].Region; j-- {
			w.regions[j], w.regions[j-1] = w.regions[j-1], w.regions[j]
			w.wasFailing[j], w.wasFailing[j-1] = w.wasFailing[j-1], w.wasFailing[j]
			w.touched[j], w.touched[j-1] = w.touched[j-1], w.touched[j]
		}
	}
}

func fromResult(r queue.Result) Tick {
	p := r.Result
	checked := p.CheckedAt
	if checked.IsZero() {
		checked = r.ScheduledAt
	}
	var cert *time.Time
	if p.CertExpiry != nil {
		c := p.CertExpiry.UTC().Truncate(time.Microsecond)
		cert = &c
	}
	var details string
	if len(p.Details) > 0 {
		if b, err := json.Marshal(p.Details); err == nil {
			details = string(b)
		}
	}
	var evidence string
	if p.Status == probe.StatusDown {
		phases, _ := json.Marshal(p.Phases)
		ev, err := json.Marshal(incident.Evidence{Region: r.Region, CheckedAt: checked.UTC(), StatusCode: p.StatusCode,
			ErrorClass: string(p.ErrorClass), Error: p.Error, ResolvedIP: p.ResolvedIP, Headers: p.ResponseHeaders,
			Body: p.BodyExcerpt, Phases: phases, Details: p.Details})
		if err == nil {
			evidence = string(ev)
		}
	}
	// The region, status and error class are a few values each, and the
	// alerter keeps the last of them for every monitor (stateCache): one
	// shared string each instead of one per result, so the collector has
	// fewer objects to mark on every cycle.
	return Tick{
		Evidence: evidence, Details: details,
		Region: unique.Make(r.Region).Value(), WorkerID: r.WorkerID, Status: probe.Status(unique.Make(string(p.Status)).Value()),
		StatusCode: p.StatusCode, LatencyMS: p.LatencyMS,
		Phases: p.Phases, ErrorClass: unique.Make(string(p.ErrorClass)).Value(), Error: p.Error, CertExpiry: cert, ResolvedIP: p.ResolvedIP,
		CheckedAt: checked.UTC().Truncate(time.Microsecond), ScheduledAt: r.ScheduledAt.UTC().Truncate(time.Microsecond),
	}
}

func uniqueMonitorIDs(rs []queue.Result) []int64 {
	seen := map[int64]bool{}
	out := make([]int64, 0, len(rs))
	for _, r := range rs {
		if !seen[r.MonitorID] {
			seen[r.MonitorID] = true
			out = append(out, r.MonitorID)
		}
	}
	return out
}

// resultWait is what the sweep asks the queue: how long the oldest result
// not yet stored has waited (both queues answer it).
type resultWait interface {
	ResultLate(ctx context.Context) (time.Duration, error)
}

// RunSweep marks monitors unknown when every region stopped reporting, every
// `every`, until ctx is done. The sweep reads every monitor's state, so at
// a few hundred thousand monitors it takes a second or so of the
// database's time: the pause after a sweep grows with it (sweepPause), and
// the sweep takes at most a twentieth of that time. q may be nil.
func (s *Service) RunSweep(ctx context.Context, every time.Duration, q resultWait) error {
	pause := every
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(pause):
		}
		started := time.Now()
		n, err := s.Sweep(ctx, q)
		pause = sweepPause(every, time.Since(started))
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Error("mark silent monitors", "err", err)
		case n > 0:
			s.log.Warn("monitors without results from any region", "count", n)
		}
	}
}

// Sweep marks monitors unknown whose every region stopped reporting, as of
// now less how long the oldest result not yet stored has waited in q: a
// result still queued (the ingest behind, or catching up after a database
// outage) is not silence, and was measured at 300,000 monitors to turn
// thousands of monitors unknown whose results were waiting. When q cannot
// say (nil, or Redis down) it judges as of now. It returns how many it
// marked.
func (s *Service) Sweep(ctx context.Context, q resultWait) (int64, error) {
	now := s.cfg.Now().UTC().Truncate(time.Microsecond)
	asOf := now
	if q != nil {
		if late, err := q.ResultLate(ctx); err == nil {
			asOf = now.Add(-late)
		}
	}
	return s.store.markSilent(ctx, now, asOf)
}

// sweepPause is the wait after a sweep that took took: every, or twenty
// times took when that is longer, but never more than six times every (a
// minute at the alerter's 10 s), so a silent monitor is marked at most that
// late after its 2 × interval + 30 s.
func sweepPause(every, took time.Duration) time.Duration {
	return min(max(every, 20*took), 6*every)
}

// Page is one page of ticks.
type Page struct {
	Data       []Tick  `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

// List returns a monitor's ticks, newest first. The caller checks ownership.
func (s *Service) List(ctx context.Context, monitorID int64, f TickFilter) (Page, error) {
	want := f.Limit
	f.Limit++
	ticks, err := s.store.list(ctx, monitorID, f, s.cfg.Now())
	if err != nil {
		return Page{}, err
	}
	p := Page{Data: ticks}
	if len(ticks) > want {
		p.Data = ticks[:want]
		last := ticks[want-1]
		c := encodeCursor(cursor{ScheduledAt: last.ScheduledAt, Region: last.Region})
		p.NextCursor = &c
	}
	return p, nil
}

// Regions returns one monitor's per-region state. The caller checks ownership.
func (s *Service) Regions(ctx context.Context, monitorID int64) ([]RegionView, error) {
	rs, err := s.store.regionStates(ctx, monitorID)
	if err != nil {
		return nil, err
	}
	out := make([]RegionView, len(rs))
	for i, r := range rs {
		out[i] = RegionView{RegionState: r, KindDetails: r.DetailList()}
	}
	return out, nil
}

func encodeCursor(c cursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.ScheduledAt.UnixMicro(), 10) + ":" + c.Region))
}

func decodeCursor(s string) (cursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, ErrBadCursor
	}
	ts, region, ok := strings.Cut(string(raw), ":")
	us, perr := strconv.ParseInt(ts, 10, 64)
	if !ok || perr != nil || region == "" {
		return cursor{}, ErrBadCursor
	}
	return cursor{ScheduledAt: time.UnixMicro(us).UTC(), Region: region}, nil
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
