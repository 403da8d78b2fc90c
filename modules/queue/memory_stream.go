package queue

import (
	"sort"
	"time"
)

// memEntry is one entry of a memStream. data is never modified once stored,
// so it may be read without the lock.
type memEntry struct {
	id    string
	order uint64 // ID order, cheaper to compare than the ID
	data  []byte
	gone  bool // deleted from the stream (acked, or trimmed)
}

// memPending is a delivered entry that has not been acked.
type memPending struct {
	entry       *memEntry
	consumer    string
	deliveredAt time.Time
}

// memStream is a stream with one consumer group, as Memory needs no more.
// Every pending entry was delivered from the head of unread, so pending
// entries are always older than unread ones.
type memStream struct {
	entries map[string]*memEntry   // in the stream: unread or pending
	unread  []*memEntry            // not yet delivered, oldest first; may hold gone entries
	pending map[string]*memPending // by entry ID; the entry may be gone (trimmed)
	notify  chan struct{}          // closed and replaced when entries arrive
}

// wake releases the readers waiting for new entries.
func (s *memStream) wake() {
	close(s.notify)
	s.notify = make(chan struct{})
}

// deliver moves up to count unread entries (count <= 0: all) to consumer's
// pending entries.
func (s *memStream) deliver(consumer string, count int, now time.Time) []rawEntry {
	var out []rawEntry
	for len(s.unread) > 0 && (count <= 0 || len(out) < count) {
		e := s.unread[0]
		s.unread[0] = nil
		s.unread = s.unread[1:]
		if e.gone {
			continue
		}
		s.pending[e.id] = &memPending{entry: e, consumer: consumer, deliveredAt: now}
		out = append(out, rawEntry{id: e.id, data: e.data, ok: true})
	}
	return out
}

// remove deletes e from the stream; a pending delivery of it stays pending.
func (s *memStream) remove(e *memEntry) {
	delete(s.entries, e.id)
	e.gone = true
}

// pendingByAge returns the pending deliveries in ID order.
func (s *memStream) pendingByAge() []*memPending {
	ps := make([]*memPending, 0, len(s.pending))
	for _, p := range s.pending {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].entry.order < ps[j].entry.order })
	return ps
}

// trim deletes the oldest entries until at most maxLen remain: pending ones
// first (they are the oldest), then unread ones.
func (s *memStream) trim(maxLen int) {
	over := len(s.entries) - maxLen
	if over <= 0 {
		return
	}
	for _, p := range s.pendingByAge() {
		if over == 0 {
			return
		}
		if !p.entry.gone {
			s.remove(p.entry)
			over--
		}
	}
	for over > 0 && len(s.unread) > 0 {
		e := s.unread[0]
		s.unread[0] = nil
		s.unread = s.unread[1:]
		if !e.gone {
			s.remove(e)
			over--
		}
	}
}
