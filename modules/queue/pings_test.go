package queue

import (
	"context"
	"testing"
	"time"
)

// pingQueue is what the heartbeat module uses of a queue.
type pingQueue interface {
	PublishPings(ctx context.Context, payloads [][]byte) error
	ReadPings(ctx context.Context, consumer string, count int, block time.Duration) ([]PingDelivery, error)
	ClaimPings(ctx context.Context, consumer string, minIdle time.Duration, count int) ([]PingDelivery, error)
	AckPings(ctx context.Context, ids ...string) error
	PingBacklog(ctx context.Context) (int64, error)
}

var (
	_ pingQueue = (*Redis)(nil)
	_ pingQueue = (*Memory)(nil)
)

// TestPings: on both backends a published ping is read once, stays pending
// (and claimable by a peer) until acked, and is gone after the ack.
func TestPings(t *testing.T) {
	for name, open := range map[string]opener{"memory": openMemory, "redis": openRedis} {
		t.Run(name, func(t *testing.T) {
			h := open(t, Config{Now: newFakeClock().Now})
			q, peer := h.q.(pingQueue), h.peer().(pingQueue)
			ctx := t.Context()
			if err := q.PublishPings(ctx, [][]byte{[]byte(`{"a":1}`), []byte(`{"b":2}`)}); err != nil {
				t.Fatal(err)
			}
			ds, err := q.ReadPings(ctx, "a1", 10, 0)
			if err != nil || len(ds) != 2 || string(ds[0].Data) != `{"a":1}` || string(ds[1].Data) != `{"b":2}` {
				t.Fatalf("ReadPings = %+v, %v", ds, err)
			}
			if again, _ := peer.ReadPings(ctx, "a2", 10, 0); len(again) != 0 {
				t.Fatalf("a delivered ping was read again: %+v", again)
			}
			// A crashed alerter's pings: claimed by a peer (any idle time).
			claimed, err := peer.ClaimPings(ctx, "a2", 0, 10)
			if err != nil || len(claimed) != 2 {
				t.Fatalf("ClaimPings = %+v, %v", claimed, err)
			}
			if err := peer.AckPings(ctx, claimed[0].ID, claimed[1].ID); err != nil {
				t.Fatal(err)
			}
			if n, err := q.PingBacklog(ctx); err != nil || n != 0 {
				t.Fatalf("backlog after ack = %d, %v", n, err)
			}
		})
	}
}
