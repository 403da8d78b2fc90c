package queue

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// read reads new entries of stream for consumer, creating the group if it
// is missing. An entry's payload is in field.
func (r *Redis) read(ctx context.Context, stream, group, field, consumer string, count int, block time.Duration) ([]rawEntry, error) {
	if err := r.alive(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var msgs []redis.XMessage
	err := r.withGroup(ctx, stream, group, func() error {
		var err error
		msgs, err = r.readOnce(ctx, stream, group, consumer, count, block)
		return err
	})
	switch {
	case err == nil:
		return rawEntries(msgs, field), nil
	case errors.Is(err, ErrClosed) || errors.Is(err, ctx.Err()):
		return nil, err
	default:
		return nil, fmt.Errorf("queue: read %s: %w", stream, err)
	}
}

// readOnce tries a non-blocking read first: under load it finds entries in
// one round trip, and only an idle consumer pays for an interruptible wait.
func (r *Redis) readOnce(ctx context.Context, stream, group, consumer string, count int, block time.Duration) ([]redis.XMessage, error) {
	args := &redis.XReadGroupArgs{
		Group:    group,
		Consumer: consumer,
		Streams:  []string{stream, ">"},
		Count:    int64(max(count, 0)),
		Block:    -1,
	}
	msgs, err := xmessages(r.client.XReadGroup(ctx, args).Result())
	if err != nil || len(msgs) > 0 || block <= 0 {
		return msgs, err
	}
	// BLOCK 0 would wait forever.
	args.Block = max(block, time.Millisecond)
	return r.readBlocking(ctx, args)
}

// readBlocking runs a blocking XREADGROUP on a connection of its own, so
// that when ctx is cancelled (or the queue closed) CLIENT UNBLOCK can end the
// wait at once, as a timeout: no entry is read for a caller that has gone.
func (r *Redis) readBlocking(ctx context.Context, args *redis.XReadGroupArgs) ([]redis.XMessage, error) {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopClose := context.AfterFunc(r.closing, cancel)
	defer stopClose()
	// stopped returns why the wait was cut short, if it was.
	stopped := func() error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if r.closing.Err() != nil {
			return ErrClosed
		}
		return nil
	}

	conn := r.client.Conn()
	defer conn.Close()
	id, err := conn.ClientID(rctx).Result()
	if err != nil {
		if err := stopped(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("client id: %w", err)
	}
	readDone := make(chan struct{})
	unblocked := make(chan struct{})
	stop := context.AfterFunc(rctx, func() {
		defer close(unblocked)
		r.unblock(id, readDone)
	})
	msgs, err := xmessages(conn.XReadGroup(rctx, args).Result())
	close(readDone)
	if !stop() {
		// The connection must not go back to the pool while an UNBLOCK for
		// it may still be sent: it would interrupt someone else's read.
		<-unblocked
	}
	if len(msgs) > 0 {
		// Read just before the cancellation: hand them over rather than
		// leave them pending until someone claims them.
		return msgs, nil
	}
	if err := stopped(); err != nil {
		return nil, err
	}
	return msgs, err
}

// unblock sends CLIENT UNBLOCK for connection id until it takes effect or
// the read is over. It may run before the read has reached Redis, hence the
// retries.
func (r *Redis) unblock(id int64, readDone <-chan struct{}) {
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		n, err := r.client.ClientUnblock(ctx, id).Result()
		cancel()
		if err == nil && n == 1 {
			return
		}
		select {
		case <-readDone:
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// claim takes over entries pending for at least minIdle, following the
// XAUTOCLAIM cursor until it is done or count entries were claimed. Entries
// deleted from the stream but still pending are acked and skipped.
func (r *Redis) claim(ctx context.Context, stream, group, field, consumer string, minIdle time.Duration, count int) ([]rawEntry, error) {
	if err := r.alive(); err != nil {
		return nil, err
	}
	// Redis counts idle time in whole milliseconds.
	minIdle = max(minIdle, 0)
	if minIdle > 0 {
		minIdle = max(minIdle, time.Millisecond)
	}
	var msgs []redis.XMessage
	var gone []string
	err := r.withGroup(ctx, stream, group, func() error {
		msgs, gone = msgs[:0], gone[:0]
		start := "0-0"
		for {
			args := &redis.XAutoClaimArgs{
				Stream:   stream,
				Group:    group,
				Consumer: consumer,
				MinIdle:  minIdle,
				Start:    start,
				Count:    100,
			}
			if count > 0 {
				args.Count = int64(min(count-len(msgs), 100))
			}
			claimed, next, deleted, err := r.client.XAutoClaimWithDeleted(ctx, args).Result()
			if err != nil {
				return err
			}
			for _, m := range claimed {
				if m.Values == nil { // deleted, as Redis 6.2 reports it
					gone = append(gone, m.ID)
					continue
				}
				msgs = append(msgs, m)
			}
			gone = append(gone, deleted...)
			if next == "0-0" || (count > 0 && len(msgs) >= count) {
				return nil
			}
			start = next
		}
	})
	if err != nil {
		return nil, fmt.Errorf("queue: claim: %w", err)
	}
	if len(gone) > 0 {
		if err := r.client.XAck(ctx, stream, group, gone...).Err(); err != nil {
			return nil, fmt.Errorf("queue: ack deleted entries: %w", err)
		}
	}
	return rawEntries(msgs, field), nil
}

// discard acks, deletes and counts entries that did not decode.
func (r *Redis) discard(ctx context.Context, stream, group string, bad []string) error {
	if len(bad) == 0 {
		return nil
	}
	if err := r.ackDelete(ctx, stream, group, bad...); err != nil {
		return err
	}
	r.malformed.Add(int64(len(bad)))
	return nil
}

// ackDelete acks and deletes entries in one MULTI/EXEC.
func (r *Redis) ackDelete(ctx context.Context, stream, group string, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := r.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.XAck(ctx, stream, group, ids...)
		p.XDel(ctx, stream, ids...)
		return nil
	})
	if err != nil {
		return fmt.Errorf("queue: ack: %w", err)
	}
	return nil
}

// withGroup runs op and, if the stream or its group is missing, creates
// them and runs op once more.
func (r *Redis) withGroup(ctx context.Context, stream, group string, op func() error) error {
	err := op()
	if !isNoGroup(err) {
		return err
	}
	err = r.client.XGroupCreateMkStream(ctx, stream, group, "0").Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("queue: create group %s on %s: %w", group, stream, err)
	}
	return op()
}

// isNoGroup reports a missing stream or group: NOGROUP, or UNBLOCKED when
// the key or group was deleted under a blocked read (Redis 7.2 and later).
func isNoGroup(err error) bool {
	var rerr redis.Error
	if !errors.As(err, &rerr) {
		return false
	}
	msg := rerr.Error()
	return strings.HasPrefix(msg, "NOGROUP") || strings.HasPrefix(msg, "UNBLOCKED")
}

// xmessages flattens an XREADGROUP reply of one stream; redis.Nil (timeout)
// is no entries.
func xmessages(streams []redis.XStream, err error) ([]redis.XMessage, error) {
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []redis.XMessage
	for _, s := range streams {
		out = append(out, s.Messages...)
	}
	return out, nil
}

// rawEntries extracts the payload field of each message.
func rawEntries(msgs []redis.XMessage, field string) []rawEntry {
	out := make([]rawEntry, len(msgs))
	for i, m := range msgs {
		s, ok := m.Values[field].(string)
		out[i] = rawEntry{id: m.ID, data: []byte(s), ok: ok}
	}
	return out
}
