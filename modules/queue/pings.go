package queue

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Heartbeat pings travel from the api role to the alerters in a stream of
// their own, "<prefix>{pings}:pings" (consumer group "alerters"; one hash
// slot, so it works on a Cluster like the per-region streams), with the same
// guarantees as results: at-least-once, claimable after a crash, never
// trimmed by length, deleted when acked. The queue does not look inside a
// ping: its payload is the heartbeat module's JSON, so this file is the
// whole of what pings add here.

// PingDelivery is a ping handed to one consumer; ID acks it.
type PingDelivery struct {
	ID   string
	Data []byte
}

const (
	fieldPing = "ping"
	memPings  = "pings"
)

func (r *Redis) pingsKey() string { return r.cfg.Prefix + "{pings}:pings" }

// PublishPings appends each payload to the pings stream, in one round trip.
func (r *Redis) PublishPings(ctx context.Context, payloads [][]byte) error {
	if err := r.alive(); err != nil {
		return err
	}
	if len(payloads) == 0 {
		return nil
	}
	_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, b := range payloads {
			p.XAdd(ctx, &redis.XAddArgs{Stream: r.pingsKey(), Values: []any{fieldPing, b}})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("queue: publish pings: %w", err)
	}
	return nil
}

// ReadPings returns up to count new pings for consumer, waiting up to block
// for the first one; see ReadJobs.
func (r *Redis) ReadPings(ctx context.Context, consumer string, count int, block time.Duration) ([]PingDelivery, error) {
	if err := validateNames(consumer); err != nil {
		return nil, err
	}
	if err := r.alive(); err != nil {
		return nil, err
	}
	stream := r.pingsKey()
	msgs, err := r.readNow(ctx, stream, groupAlerters, consumer, count)
	if err == nil && len(msgs) == 0 && block > 0 {
		var streams []redis.XStream
		streams, err = r.readWait(ctx, []string{stream}, groupAlerters, consumer, count, block)
		for _, s := range streams {
			msgs = append(msgs, s.Messages...)
		}
	}
	if err != nil {
		return nil, r.readError(stream, err)
	}
	out, bad := pingDeliveries(rawEntries(msgs, fieldPing, ""))
	return out, r.discard(ctx, r.pingsKey(), groupAlerters, bad)
}

// ClaimPings takes over up to count pings pending with any consumer for at
// least minIdle.
func (r *Redis) ClaimPings(ctx context.Context, consumer string, minIdle time.Duration, count int) ([]PingDelivery, error) {
	if err := validateNames(consumer); err != nil {
		return nil, err
	}
	msgs, err := r.claim(ctx, r.pingsKey(), groupAlerters, consumer, minIdle, count)
	if err != nil {
		return nil, err
	}
	out, bad := pingDeliveries(rawEntries(msgs, fieldPing, ""))
	return out, r.discard(ctx, r.pingsKey(), groupAlerters, bad)
}

// AckPings acks and deletes pings.
func (r *Redis) AckPings(ctx context.Context, ids ...string) error {
	if err := r.alive(); err != nil {
		return err
	}
	if err := validateIDs(ids...); err != nil {
		return err
	}
	return r.ackDelete(ctx, r.pingsKey(), groupAlerters, ids...)
}

// PingBacklog returns the pings waiting: unread plus pending.
func (r *Redis) PingBacklog(ctx context.Context) (int64, error) {
	if err := r.alive(); err != nil {
		return 0, err
	}
	return r.client.XLen(ctx, r.pingsKey()).Result()
}

// PublishPings appends each payload to the pings stream.
func (m *Memory) PublishPings(_ context.Context, payloads [][]byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	s := m.stream(memPings)
	now := m.cfg.Now()
	for _, b := range payloads {
		m.add(s, append([]byte(nil), b...), now)
	}
	if len(payloads) > 0 {
		s.wake()
	}
	return nil
}

// ReadPings returns up to count new pings for consumer, waiting up to block
// for the first one.
func (m *Memory) ReadPings(ctx context.Context, consumer string, count int, block time.Duration) ([]PingDelivery, error) {
	if err := validateNames(consumer); err != nil {
		return nil, err
	}
	raw, err := m.read(ctx, memPings, consumer, count, block)
	if err != nil {
		return nil, err
	}
	out, bad := pingDeliveries(raw)
	m.discard(memPings, bad)
	return out, nil
}

// ClaimPings takes over up to count pings pending for at least minIdle.
func (m *Memory) ClaimPings(_ context.Context, consumer string, minIdle time.Duration, count int) ([]PingDelivery, error) {
	if err := validateNames(consumer); err != nil {
		return nil, err
	}
	raw, err := m.claim(memPings, consumer, minIdle, count)
	if err != nil {
		return nil, err
	}
	out, bad := pingDeliveries(raw)
	m.discard(memPings, bad)
	return out, nil
}

// AckPings acks and deletes pings.
func (m *Memory) AckPings(_ context.Context, ids ...string) error {
	if err := validateIDs(ids...); err != nil {
		return err
	}
	return m.ackDelete(memPings, ids...)
}

// PingBacklog returns the pings waiting: unread plus pending.
func (m *Memory) PingBacklog(context.Context) (int64, error) { return m.length(memPings) }

// pingDeliveries keeps the entries that carry a payload; the others come
// back in bad.
func pingDeliveries(raw []rawEntry) (out []PingDelivery, bad []string) {
	for _, e := range raw {
		if !e.ok || len(e.data) == 0 {
			bad = append(bad, e.id)
			continue
		}
		out = append(out, PingDelivery{ID: e.id, Data: e.data})
	}
	return out, bad
}
