package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The read-only ages below let a health sampler (package selfcheck) say
// how long the oldest item has waited at each stage. A stream entry's ID
// starts with the millisecond it was added, so the age needs no extra
// field: it is the queue's own clock (Redis's, or Config.Now in Memory).

// entryTime is the time an entry ID "<ms>-<seq>" was added.
func entryTime(id string) (time.Time, error) {
	ms, _, _ := strings.Cut(id, "-")
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: entry id %q", ErrInvalid, id)
	}
	return time.UnixMilli(n), nil
}

// OldestJob returns when the oldest job of region that no worker has taken
// yet was published; zero when none waits. Jobs a worker is running are not
// counted: a probe may take its whole timeout, and that is not a backlog.
func (r *Redis) OldestJob(ctx context.Context, region string) (time.Time, error) {
	msg, err := r.oldestJobEntry(ctx, region)
	if err != nil || msg == nil {
		return time.Time{}, err
	}
	return entryTime(msg.ID)
}

// oldestJobEntry returns the oldest entry of region's job stream that no
// worker has taken yet, nil when none waits.
func (r *Redis) oldestJobEntry(ctx context.Context, region string) (*redis.XMessage, error) {
	if err := r.alive(); err != nil {
		return nil, err
	}
	if err := validateRegion(region); err != nil {
		return nil, err
	}
	key := r.jobsKey(region)
	start := "-"
	groups, err := r.client.XInfoGroups(ctx, key).Result()
	if err != nil && !isNoSuchKey(err) {
		return nil, fmt.Errorf("queue: oldest job: %w", err)
	}
	for _, g := range groups {
		if g.Name == groupWorkers && g.LastDeliveredID != "" && g.LastDeliveredID != "0-0" {
			start = "(" + g.LastDeliveredID
		}
	}
	msgs, err := r.client.XRangeN(ctx, key, start, "+", 1).Result()
	if err != nil {
		return nil, fmt.Errorf("queue: oldest job: %w", err)
	}
	if len(msgs) == 0 {
		return nil, nil
	}
	return &msgs[0], nil
}

// JobLate returns how late the oldest job of region that no worker has
// taken yet is: the time since its slot, or since it was published when
// that was after the slot (a job published ahead waits for its slot, which
// is not lateness). Zero when none waits or it is not due yet. Now is
// Redis's own clock (TIME), the slot the pusher's: hosts whose clocks agree
// (NTP) are assumed, as everywhere lateness is measured.
func (r *Redis) JobLate(ctx context.Context, region string) (time.Duration, error) {
	msg, err := r.oldestJobEntry(ctx, region)
	if err != nil || msg == nil {
		return 0, err
	}
	s, _ := msg.Values[fieldJob].(string)
	due, err := jobDue(msg.ID, []byte(s))
	if err != nil {
		return 0, err
	}
	now, err := r.client.Time(ctx).Result()
	if err != nil {
		return 0, fmt.Errorf("queue: job lateness: %w", err)
	}
	return max(now.Sub(due), 0), nil
}

// ResultLate returns how long the oldest result still in a results stream
// has waited to be stored, by Redis's own clock (TIME), so the pushers
// that read it need not agree with Redis's host on the time; zero when
// none waits.
func (r *Redis) ResultLate(ctx context.Context) (time.Duration, error) {
	oldest, err := r.OldestResult(ctx)
	if err != nil || oldest.IsZero() {
		return 0, err
	}
	now, err := r.client.Time(ctx).Result()
	if err != nil {
		return 0, fmt.Errorf("queue: result lateness: %w", err)
	}
	return max(now.Sub(oldest), 0), nil
}

// jobDue is when a queued job became due: its slot, or its publication when
// that came later. A payload that does not decode (the worker will discard
// it) counts from its publication.
func jobDue(id string, payload []byte) (time.Time, error) {
	published, err := entryTime(id)
	if err != nil {
		return time.Time{}, err
	}
	var j struct {
		ScheduledAt time.Time `json:"scheduled_at"`
	}
	if json.Unmarshal(payload, &j) == nil && j.ScheduledAt.After(published) {
		return j.ScheduledAt, nil
	}
	return published, nil
}

// OldestResult returns when the oldest result still in a results stream
// (unread, or read and not yet acked by an alerter) was published; zero
// when every result was stored.
func (r *Redis) OldestResult(ctx context.Context) (time.Time, error) {
	if err := r.alive(); err != nil {
		return time.Time{}, err
	}
	sources, err := r.resultSources(ctx, 0)
	if err != nil {
		return time.Time{}, fmt.Errorf("queue: oldest result: %w", err)
	}
	firsts := make([]*redis.XMessageSliceCmd, len(sources))
	_, err = r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, s := range sources {
			firsts[i] = p.XRangeN(ctx, s.key, "-", "+", 1)
		}
		return nil
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("queue: oldest result: %w", err)
	}
	var oldest time.Time
	for _, f := range firsts {
		if len(f.Val()) == 0 {
			continue
		}
		at, err := entryTime(f.Val()[0].ID)
		if err != nil {
			return time.Time{}, err
		}
		if oldest.IsZero() || at.Before(oldest) {
			oldest = at
		}
	}
	return oldest, nil
}

// isNoSuchKey reports Redis's answer to XINFO on a missing stream.
func isNoSuchKey(err error) bool {
	return err != nil && strings.Contains(err.Error(), "no such key")
}

// OldestJob returns when the oldest job of region that no worker has taken
// yet was published; zero when none waits.
func (m *Memory) OldestJob(_ context.Context, region string) (time.Time, error) {
	e, err := m.oldestUnread(region)
	if err != nil || e == nil {
		return time.Time{}, err
	}
	return entryTime(e.id)
}

// oldestUnread returns the oldest job of region no worker has taken, nil
// when none waits.
func (m *Memory) oldestUnread(region string) (*memEntry, error) {
	if err := validateRegion(region); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	s := m.streams[memJobs(region)]
	if s == nil {
		return nil, nil
	}
	for _, e := range s.unread {
		if !e.gone {
			return e, nil
		}
	}
	return nil, nil
}

// OldestResult returns when the oldest result not yet acked was published;
// zero when every result was stored.
func (m *Memory) OldestResult(_ context.Context) (time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return time.Time{}, ErrClosed
	}
	s := m.streams[memResults]
	if s == nil {
		return time.Time{}, nil
	}
	var first *memEntry
	for _, e := range s.entries {
		if first == nil || e.order < first.order {
			first = e
		}
	}
	if first == nil {
		return time.Time{}, nil
	}
	return entryTime(first.id)
}

// ResultLate returns how long the oldest result not yet acked has waited,
// by the queue's clock (see Redis.ResultLate); zero when none waits.
func (m *Memory) ResultLate(ctx context.Context) (time.Duration, error) {
	oldest, err := m.OldestResult(ctx)
	if err != nil || oldest.IsZero() {
		return 0, err
	}
	return max(m.cfg.Now().Sub(oldest), 0), nil
}

// JobLate returns how late the oldest job of region that no worker has
// taken yet is, by the queue's clock (see Redis.JobLate).
func (m *Memory) JobLate(_ context.Context, region string) (time.Duration, error) {
	e, err := m.oldestUnread(region)
	if err != nil || e == nil {
		return 0, err
	}
	due, err := jobDue(e.id, e.data)
	if err != nil {
		return 0, err
	}
	return max(m.cfg.Now().Sub(due), 0), nil
}
