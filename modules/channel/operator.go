package channel

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/betterstack/betterstack/modules/notify"
)

// Operator alerts (package selfcheck) are notifications about BetterStack
// itself. They travel the same outbox as incident notifications, so they
// are retried, signed and logged alike; they belong to no incident.

// Find returns the channel keyed channelKey in the workspace keyed
// workspaceKey, secrets masked, or ErrNotFound.
func (s *Service) Find(ctx context.Context, workspaceKey, channelKey string) (Channel, error) {
	r, err := s.store.byKeys(ctx, strings.ToLower(workspaceKey), strings.ToLower(channelKey))
	if err != nil {
		return Channel{}, err
	}
	return s.view(r)
}

// Announce queues ev for channel channelID outside any incident. An event
// whose key was queued before is skipped.
func (s *Service) Announce(ctx context.Context, channelID int64, ev notify.Event) error {
	payload, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	at := ev.OccurredAt.UTC().Truncate(time.Microsecond)
	row := notificationRow{ChannelID: channelID, Event: ev.Type, Key: ev.Key, Payload: string(payload),
		Status: StatePending, NextAttemptAt: at, CreatedAt: at}
	if err := s.store.enqueue(s.store.db.WithContext(ctx), []notificationRow{row}); err != nil {
		return fmt.Errorf("queue operator notification: %w", err)
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return nil
}

// Announced returns, for each subject (the event's Monitor.Name) among the
// latest operator events queued for channelID, whether the newest one was
// an alert (true) or a resolution (false). It is the memory of which
// problems were told, shared by every alerter and kept across restarts.
func (s *Service) Announced(ctx context.Context, channelID int64) (map[string]bool, error) {
	rows, err := s.store.operatorEvents(ctx, channelID, 200)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, r := range rows { // newest first
		var ev notify.Event
		if err := json.Unmarshal([]byte(r.Payload), &ev); err != nil {
			continue // not ours to judge; delivery marks it failed
		}
		if _, seen := out[ev.Monitor.Name]; !seen {
			out[ev.Monitor.Name] = r.Event == notify.EventOperatorAlert
		}
	}
	return out, nil
}

// Outbox is the state of the notifications not yet delivered.
type Outbox struct {
	Pending  int64     // notifications waiting to be sent or retried
	Retrying int64     // of those, the ones that failed at least once
	Oldest   time.Time // when the oldest pending one was queued (zero: none)
}

// Outbox reports the pending notifications: how many, how many are being
// retried, and the oldest.
func (s *Service) Outbox(ctx context.Context) (Outbox, error) {
	return s.store.outbox(ctx)
}
