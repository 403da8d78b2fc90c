package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Memory is the in-process queue of the embedded mode, with the same
// semantics as Redis. Entries are stored as JSON, like in Redis: callers can
// never alias each other's maps and slices, times come back exactly as from
// Redis, and the cost (about a microsecond per job) is small next to a
// check. It is safe for concurrent use.
type Memory struct {
	cfg       Config
	malformed atomic.Int64
	done      chan struct{} // closed by Close

	mu         sync.Mutex
	closed     bool
	streams    map[string]*memStream
	lastMS     int64 // entry IDs are "<ms>-<seq>" and increase, as in Redis
	lastSeq    int64
	order      uint64
	dedupe     map[string]time.Time // region + "\x00" + job id -> expiry
	dedupeFIFO []dedupeMark         // insertion order, to expire without scanning
	workers    map[string]map[string]time.Time
	regions    map[string]time.Time
	skipped    map[string]map[int64]int64 // region -> bucket -> slots skipped (skipped.go)
}

type dedupeMark struct {
	key    string
	expiry time.Time
}

// NewMemory returns an empty in-process queue.
func NewMemory(cfg Config) *Memory {
	return &Memory{
		cfg:     cfg.withDefaults(),
		done:    make(chan struct{}),
		streams: make(map[string]*memStream),
		dedupe:  make(map[string]time.Time),
		workers: make(map[string]map[string]time.Time),
		regions: make(map[string]time.Time),
	}
}

const memResults = "results"

func memJobs(region string) string { return "jobs:" + region }

// PublishJobs appends each job to its region's stream unless the same
// region and job ID was published within JobDedupeTTL, and returns how many
// were appended.
func (m *Memory) PublishJobs(_ context.Context, jobs []Job) (int, error) {
	if err := validateJobs(jobs); err != nil {
		return 0, err
	}
	payloads := make([][]byte, len(jobs))
	for i, j := range jobs {
		b, err := json.Marshal(j)
		if err != nil {
			return 0, fmt.Errorf("queue: encode job %q: %w", j.ID, err)
		}
		payloads[i] = b
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return 0, ErrClosed
	}
	now := m.cfg.Now()
	m.expireDedupe(now)
	touched := make(map[*memStream]bool)
	n := 0
	for i, j := range jobs {
		key := j.Region + "\x00" + j.ID
		if exp, ok := m.dedupe[key]; ok && now.Before(exp) {
			continue
		}
		exp := now.Add(m.cfg.JobDedupeTTL)
		m.dedupe[key] = exp
		m.dedupeFIFO = append(m.dedupeFIFO, dedupeMark{key: key, expiry: exp})
		s := m.stream(memJobs(j.Region))
		m.add(s, payloads[i], now)
		s.trim(int(m.cfg.JobStreamMaxLen))
		touched[s] = true
		n++
	}
	for s := range touched {
		s.wake()
	}
	return n, nil
}

// ReadJobs returns up to count new jobs of region for consumer, waiting up
// to block for the first one (block <= 0: do not wait). A timeout returns
// no jobs and no error; a cancelled ctx returns ctx's error.
func (m *Memory) ReadJobs(ctx context.Context, region, consumer string, count int, block time.Duration) ([]JobDelivery, error) {
	if err := validateNames(consumer); err != nil {
		return nil, err
	}
	if err := validateRegion(region); err != nil {
		return nil, err
	}
	raw, err := m.read(ctx, memJobs(region), consumer, count, block)
	if err != nil {
		return nil, err
	}
	out, bad := decodeJobs(raw)
	m.discard(memJobs(region), bad)
	return out, nil
}

// ClaimJobs takes over up to count jobs of region that have been pending
// with any consumer for at least minIdle (count <= 0: all of them).
func (m *Memory) ClaimJobs(_ context.Context, region, consumer string, minIdle time.Duration, count int) ([]JobDelivery, error) {
	if err := validateNames(consumer); err != nil {
		return nil, err
	}
	if err := validateRegion(region); err != nil {
		return nil, err
	}
	raw, err := m.claim(memJobs(region), consumer, minIdle, count)
	if err != nil {
		return nil, err
	}
	out, bad := decodeJobs(raw)
	m.discard(memJobs(region), bad)
	return out, nil
}

// CompleteJob publishes res and acks and deletes the job, atomically. If a
// peer that claimed the job has already completed it, nothing is published.
func (m *Memory) CompleteJob(ctx context.Context, region, deliveryID string, res Result) error {
	_, err := m.CompleteJobs(ctx, region, []Completion{{DeliveryID: deliveryID, Result: res}})
	return err
}

// CompleteJobs is CompleteJob for a batch. It returns how many results were
// published.
func (m *Memory) CompleteJobs(_ context.Context, region string, cs []Completion) (int, error) {
	if err := validateRegion(region); err != nil {
		return 0, err
	}
	payloads := make([][]byte, len(cs))
	for i, c := range cs {
		if err := validateIDs(c.DeliveryID); err != nil {
			return 0, err
		}
		b, err := json.Marshal(c.Result)
		if err != nil {
			return 0, fmt.Errorf("queue: encode result of %q: %w", c.Result.JobID, err)
		}
		payloads[i] = b
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return 0, ErrClosed
	}
	now := m.cfg.Now()
	jobs, results := m.stream(memJobs(region)), m.stream(memResults)
	n := 0
	for i, c := range cs {
		_, pending := jobs.pending[c.DeliveryID]
		e, inStream := jobs.entries[c.DeliveryID]
		if !pending && !inStream {
			continue // a peer claimed and completed it
		}
		delete(jobs.pending, c.DeliveryID)
		if inStream {
			jobs.remove(e)
		}
		m.add(results, payloads[i], now)
		n++
	}
	if n > 0 {
		results.wake()
	}
	return n, nil
}

// PublishResults appends results to the results stream without acking any
// job; see Redis.PublishResults.
func (m *Memory) PublishResults(_ context.Context, region string, rs []Result) (int, error) {
	if err := validateRegion(region); err != nil {
		return 0, err
	}
	payloads, err := encodeResults(rs)
	if err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return 0, ErrClosed
	}
	if len(payloads) == 0 {
		return 0, nil
	}
	now := m.cfg.Now()
	results := m.stream(memResults)
	for _, b := range payloads {
		m.add(results, b, now)
	}
	results.wake()
	return len(payloads), nil
}

// DropJob acks and deletes a job without publishing a result.
func (m *Memory) DropJob(_ context.Context, region, deliveryID string) error {
	if err := validateRegion(region); err != nil {
		return err
	}
	if err := validateIDs(deliveryID); err != nil {
		return err
	}
	return m.ackDelete(memJobs(region), deliveryID)
}

// ReadResults returns up to count new results for consumer, waiting up to
// block for the first one; see ReadJobs.
func (m *Memory) ReadResults(ctx context.Context, consumer string, count int, block time.Duration) ([]ResultDelivery, error) {
	if err := validateNames(consumer); err != nil {
		return nil, err
	}
	raw, err := m.read(ctx, memResults, consumer, count, block)
	if err != nil {
		return nil, err
	}
	out, bad := decodeResults(raw)
	m.discard(memResults, bad)
	return out, nil
}

// ClaimResults takes over up to count results that have been pending with
// any consumer for at least minIdle (count <= 0: all of them).
func (m *Memory) ClaimResults(_ context.Context, consumer string, minIdle time.Duration, count int) ([]ResultDelivery, error) {
	if err := validateNames(consumer); err != nil {
		return nil, err
	}
	raw, err := m.claim(memResults, consumer, minIdle, count)
	if err != nil {
		return nil, err
	}
	out, bad := decodeResults(raw)
	m.discard(memResults, bad)
	return out, nil
}

// AckResults acks and deletes results.
func (m *Memory) AckResults(_ context.Context, ids ...string) error {
	if err := validateIDs(ids...); err != nil {
		return err
	}
	return m.ackDelete(memResults, ids...)
}

// Malformed returns how many entries were discarded because they did not
// decode. Memory writes every entry itself, so this stays 0 unless the
// encoding of Job or Result changes incompatibly.
func (m *Memory) Malformed() int64 { return m.malformed.Load() }

// Backlog returns how many jobs of region are unread or pending.
func (m *Memory) Backlog(_ context.Context, region string) (int64, error) {
	if err := validateRegion(region); err != nil {
		return 0, err
	}
	return m.length(memJobs(region))
}

// ResultBacklog returns how many results are unread or pending.
func (m *Memory) ResultBacklog(_ context.Context) (int64, error) {
	return m.length(memResults)
}

// Ping reports ErrClosed after Close, nil before.
func (m *Memory) Ping(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	return nil
}

// Close makes blocked reads return ErrClosed and every later call fail with
// ErrClosed. Entries still queued are lost: the embedded mode keeps nothing
// across restarts.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.closed {
		m.closed = true
		close(m.done)
	}
	return nil
}

// Heartbeat records that workerID of region is alive now, and forgets the
// region's workers silent for more than 24 hours.
func (m *Memory) Heartbeat(_ context.Context, region, workerID string) error {
	if err := validateNames(workerID); err != nil {
		return err
	}
	if err := validateRegion(region); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	// Millisecond precision, as in Redis.
	now := time.UnixMilli(m.cfg.Now().UnixMilli())
	ws := m.workers[region]
	if ws == nil {
		ws = make(map[string]time.Time)
		m.workers[region] = ws
	}
	ws[workerID] = now
	forget := now.Add(-regionsForgetAfter)
	for w, seen := range ws {
		if seen.Before(forget) {
			delete(ws, w)
		}
	}
	m.regions[region] = now
	return nil
}

// Leave removes workerID from region, at graceful shutdown.
func (m *Memory) Leave(_ context.Context, region, workerID string) error {
	if err := validateNames(workerID); err != nil {
		return err
	}
	if err := validateRegion(region); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	delete(m.workers[region], workerID)
	return nil
}

// Regions lists every region that ever sent a heartbeat, sorted by name,
// counting the workers heard from within liveWithin.
func (m *Memory) Regions(_ context.Context, liveWithin time.Duration) ([]Region, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	since := time.UnixMilli(m.cfg.Now().Add(-liveWithin).UnixMilli())
	out := make([]Region, 0, len(m.regions))
	for name, seen := range m.regions {
		n := 0
		for _, t := range m.workers[name] {
			if !t.Before(since) {
				n++
			}
		}
		out = append(out, Region{Name: name, Workers: n, LastSeenAt: seen, Live: n > 0})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// read delivers new entries of stream name to consumer, waiting on the
// stream's notify channel (not polling) for up to block.
func (m *Memory) read(ctx context.Context, name, consumer string, count int, block time.Duration) ([]rawEntry, error) {
	var timeout <-chan time.Time
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			return nil, ErrClosed
		}
		s := m.stream(name)
		got := s.deliver(consumer, count, m.cfg.Now())
		wake := s.notify
		m.mu.Unlock()
		if len(got) > 0 || block <= 0 {
			return got, nil
		}
		if timeout == nil {
			t := time.NewTimer(block)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-wake:
		case <-timeout:
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-m.done:
			return nil, ErrClosed
		}
	}
}

// claim takes over entries of stream name pending for at least minIdle,
// oldest first. Pending entries whose stream entry is gone are acked and
// skipped.
func (m *Memory) claim(name, consumer string, minIdle time.Duration, count int) ([]rawEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	s := m.stream(name)
	now := m.cfg.Now()
	var out []rawEntry
	for _, p := range s.pendingByAge() {
		if count > 0 && len(out) >= count {
			break
		}
		if now.Sub(p.deliveredAt) < minIdle {
			continue
		}
		if p.entry.gone {
			delete(s.pending, p.entry.id)
			continue
		}
		p.consumer, p.deliveredAt = consumer, now
		out = append(out, rawEntry{id: p.entry.id, data: p.entry.data, ok: true})
	}
	return out, nil
}

// discard acks, deletes and counts entries that did not decode.
func (m *Memory) discard(name string, bad []string) {
	if len(bad) == 0 {
		return
	}
	// ackDelete fails only after Close, when there is nothing left to fix.
	if m.ackDelete(name, bad...) == nil {
		m.malformed.Add(int64(len(bad)))
	}
}

// ackDelete acks and deletes entries of stream name.
func (m *Memory) ackDelete(name string, ids ...string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	s := m.stream(name)
	for _, id := range ids {
		delete(s.pending, id)
		if e, ok := s.entries[id]; ok {
			s.remove(e)
		}
	}
	return nil
}

// length returns the number of entries in stream name.
func (m *Memory) length(name string) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return 0, ErrClosed
	}
	return int64(len(m.stream(name).entries)), nil
}

// stream returns stream name, creating it. Callers hold m.mu.
func (m *Memory) stream(name string) *memStream {
	s := m.streams[name]
	if s == nil {
		s = &memStream{
			entries: make(map[string]*memEntry),
			pending: make(map[string]*memPending),
			notify:  make(chan struct{}),
		}
		m.streams[name] = s
	}
	return s
}

// add appends an entry with a new ID to s. Callers hold m.mu.
func (m *Memory) add(s *memStream, data []byte, now time.Time) {
	ms := now.UnixMilli()
	if ms > m.lastMS {
		m.lastMS, m.lastSeq = ms, 0
	} else {
		m.lastSeq++
	}
	m.order++
	e := &memEntry{id: fmt.Sprintf("%d-%d", m.lastMS, m.lastSeq), order: m.order, data: data}
	s.entries[e.id] = e
	s.unread = append(s.unread, e)
}

// expireDedupe forgets dedupe marks that expired. The TTL is fixed, so
// marks expire in insertion order. Callers hold m.mu.
func (m *Memory) expireDedupe(now time.Time) {
	i := 0
	for ; i < len(m.dedupeFIFO); i++ {
		d := m.dedupeFIFO[i]
		if now.Before(d.expiry) {
			break
		}
		if exp, ok := m.dedupe[d.key]; ok && exp.Equal(d.expiry) {
			delete(m.dedupe, d.key)
		}
	}
	m.dedupeFIFO = m.dedupeFIFO[i:]
}
