package queue

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// readNow reads new entries of one stream for consumer without waiting,
// creating the group if it is missing.
func (r *Redis) readNow(ctx context.Context, stream, group, consumer string, count int) ([]redis.XMessage, error) {
	var msgs []redis.XMessage
	err := r.withGroup(ctx, []string{stream}, group, func() error {
		var err error
		msgs, err = xmessages(r.client.XReadGroup(ctx, &redis.XReadGroupArgs{
			Group:    group,
			Consumer: consumer,
			Streams:  []string{stream, ">"},
			Count:    int64(max(count, 0)),
			Block:    -1,
		}).Result())
		return err
	})
	return msgs, err
}

// readWait waits up to block for new entries of any of streams, which must
// be on one server and, in a Cluster, in one slot. Each stream returns up
// to count entries; Redis answers a waiting reader with the first stream
// that gets any.
func (r *Redis) readWait(ctx context.Context, streams []string, group, consumer string, count int, block time.Duration) ([]redis.XStream, error) {
	node, err := r.nodeFor(ctx, streams[0])
	if err != nil {
		return nil, err
	}
	args := &redis.XReadGroupArgs{
		Group:    group,
		Consumer: consumer,
		Count:    int64(max(count, 0)),
		// BLOCK 0 would wait forever.
		Block: max(block, time.Millisecond),
	}
	args.Streams = append(args.Streams, streams...)
	for range streams {
		args.Streams = append(args.Streams, ">")
	}
	var out []redis.XStream
	err = r.withGroup(ctx, streams, group, func() error {
		var err error
		out, err = r.readBlocking(ctx, node, args)
		return err
	})
	return out, err
}

// readError passes cancellation and Close through and wraps the rest.
func (r *Redis) readError(stream string, err error) error {
	if errors.Is(err, ErrClosed) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("queue: read %s: %w", stream, err)
}

// readBlocking runs a blocking XREADGROUP on a connection of its own to
// node, so that when ctx is cancelled (or the queue closed) CLIENT UNBLOCK
// can end the wait at once, as a timeout: no entry is read for a caller
// that has gone.
func (r *Redis) readBlocking(ctx context.Context, node *redis.Client, args *redis.XReadGroupArgs) ([]redis.XStream, error) {
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

	conn := node.Conn()
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
		r.unblock(node, id, readDone)
	})
	streams, err := conn.XReadGroup(rctx, args).Result()
	if errors.Is(err, redis.Nil) {
		streams, err = nil, nil
	}
	close(readDone)
	if !stop() {
		// The connection must not go back to the pool while an UNBLOCK for
		// it may still be sent: it would interrupt someone else's read.
		<-unblocked
	}
	if countMessages(streams) > 0 {
		// Read just before the cancellation: hand them over rather than
		// leave them pending until someone claims them.
		return streams, nil
	}
	if err := stopped(); err != nil {
		return nil, err
	}
	return nil, err
}

// unblock sends CLIENT UNBLOCK for connection id of node until it takes
// effect or the read is over. It may run before the read has reached Redis,
// hence the retries. (Behind Sentinel, node follows the primary: in the
// instant of a failover the UNBLOCK may reach the new primary, where id is
// someone else, whose read then ends early and empty, as a timeout.)
func (r *Redis) unblock(node *redis.Client, id int64, readDone <-chan struct{}) {
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		n, err := node.ClientUnblock(ctx, id).Result()
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
func (r *Redis) claim(ctx context.Context, stream, group, consumer string, minIdle time.Duration, count int) ([]redis.XMessage, error) {
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
	err := r.withGroup(ctx, []string{stream}, group, func() error {
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
		return nil, fmt.Errorf("queue: claim %s: %w", stream, err)
	}
	if len(gone) > 0 {
		if err := r.client.XAck(ctx, stream, group, gone...).Err(); err != nil {
			return nil, fmt.Errorf("queue: ack deleted entries: %w", err)
		}
	}
	return msgs, nil
}

// discard acks, deletes and counts entries of stream that did not decode.
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

// ackDelete acks and deletes entries of one stream in one MULTI/EXEC (one
// key, so one slot).
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

// withGroup runs op and, if a stream or its group is missing, creates
// group on every one of streams (an existing group is left alone) and runs
// op once more.
func (r *Redis) withGroup(ctx context.Context, streams []string, group string, op func() error) error {
	err := op()
	if !isNoGroup(err) {
		return err
	}
	for _, s := range streams {
		if err := r.createGroup(ctx, s, group); err != nil {
			return err
		}
	}
	return op()
}

// createGroup creates group on stream at ID 0 (and the stream if missing),
// so entries already there are delivered. An existing group is kept.
func (r *Redis) createGroup(ctx context.Context, stream, group string) error {
	err := r.client.XGroupCreateMkStream(ctx, stream, group, "0").Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("queue: create group %s on %s: %w", group, stream, err)
	}
	return nil
}

// isNoGroup reports a missing stream or group: NOGROUP, or UNBLOCKED when
// the key or group was deleted under a blocked read (Redis 7.2 and later)
// or the server stopped being a primary (a failover).
func isNoGroup(err error) bool {
	var rerr redis.Error
	if !errors.As(err, &rerr) {
		return false
	}
	msg := rerr.Error()
	return strings.HasPrefix(msg, "NOGROUP") || strings.HasPrefix(msg, "UNBLOCKED")
}

// xmessages flattens an XREADGROUP reply; redis.Nil (timeout) is no
// entries.
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

func countMessages(streams []redis.XStream) int {
	n := 0
	for _, s := range streams {
		n += len(s.Messages)
	}
	return n
}

// rawEntries extracts the payload field of each message. A region other
// than "" is added to each ID (see resultID).
func rawEntries(msgs []redis.XMessage, field, region string) []rawEntry {
	out := make([]rawEntry, len(msgs))
	for i, m := range msgs {
		s, ok := m.Values[field].(string)
		out[i] = rawEntry{id: resultID(region, m.ID), data: []byte(s), ok: ok}
	}
	return out
}
