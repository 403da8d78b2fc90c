package checkin

import (
	"context"
	"time"
)

// Group commit: under load many requests wait on Redis at once, and one
// pipeline of their XADDs costs about what one XADD does. RunPublisher
// takes whatever pings are waiting (up to publishBatch), publishes them in
// one round trip and answers each request. With no load a ping waits for
// nobody: it is published alone, at once.

// publishBatch is the most pings one round trip carries.
const publishBatch = 512

// publishWait bounds how long a request waits for its ping to be queued.
const publishWait = 5 * time.Second

type pubReq struct {
	payload []byte
	done    chan error
}

// RunPublisher publishes accepted pings in batches until ctx is done,
// then, for a second, publishes what still arrives (requests finishing
// during shutdown). Without it running, Accept publishes each ping alone.
func (s *Service) RunPublisher(ctx context.Context) error {
	s.pubRunning.Store(true)
	for {
		select {
		case <-ctx.Done():
			s.pubRunning.Store(false)
			grace := time.NewTimer(time.Second)
			defer grace.Stop()
			for {
				select {
				case r := <-s.pubCh:
					s.flush(r)
				case <-grace.C:
					return nil
				}
			}
		case r := <-s.pubCh:
			s.flush(r)
		}
	}
}

// flush publishes first and whatever else is waiting, in one round trip.
func (s *Service) flush(first pubReq) {
	batch := []pubReq{first}
more:
	for len(batch) < publishBatch {
		select {
		case r := <-s.pubCh:
			batch = append(batch, r)
		default:
			break more
		}
	}
	payloads := make([][]byte, len(batch))
	for i, r := range batch {
		payloads[i] = r.payload
	}
	ctx, cancel := context.WithTimeout(context.Background(), publishWait)
	err := s.queue.PublishPings(ctx, payloads)
	cancel()
	for _, r := range batch {
		r.done <- err
	}
}

// publish queues one ping: through RunPublisher when it runs, else alone.
func (s *Service) publish(ctx context.Context, payload []byte) error {
	if !s.pubRunning.Load() {
		return s.queue.PublishPings(ctx, [][]byte{payload})
	}
	r := pubReq{payload: payload, done: make(chan error, 1)}
	t := time.NewTimer(publishWait)
	defer t.Stop()
	select {
	case s.pubCh <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return context.DeadlineExceeded
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return context.DeadlineExceeded
	}
}
