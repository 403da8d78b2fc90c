// Package channel owns notification channels (where alerts go) and the
// notification outbox with its delivery log. Tables: channels,
// notifications, notification_attempts.
//
// Data enters from users (channel CRUD, test sends) and from the incident
// service, which calls Enqueue inside the transaction that changes an
// incident: one outbox row per channel linked to the monitor, keyed by an
// idempotency key, so a notification exists exactly when its incident change
// committed. Run (alerter role) delivers due rows: it leases a batch (FOR
// UPDATE SKIP LOCKED, then locked_until), sends each through its notifier,
// records every attempt and retries failures with exponential backoff for
// MaxAge (two hours by default). A process that dies mid-send leaves the
// lease to expire and another alerter sends again: at-least-once, with the
// key for receivers to drop duplicates. Formatting and transport per type
// live in package notify.
package channel

import (
	"encoding/json"
	"time"

	"github.com/betterstack/betterstack/modules/apperr"
)

// Channel is a configured destination. Config comes back with secrets masked.
type Channel struct {
	ID             int64           `json:"id"`
	Key            string          `json:"key"`
	Name           string          `json:"name"`
	Type           string          `json:"type"`
	Config         json.RawMessage `json:"config"`
	NotifyDegraded bool            `json:"notify_degraded"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`

	WorkspaceID int64 `json:"-"`
}

// Input is a channel as written by a user; nil fields are left unchanged on
// update.
type Input struct {
	Key            *string          `json:"key"`
	Name           *string          `json:"name"`
	Type           *string          `json:"type"`
	Config         *json.RawMessage `json:"config"`
	NotifyDegraded *bool            `json:"notify_degraded"`
}

// Delivery is one notification as the delivery log shows it.
type Delivery struct {
	ID          int64      `json:"id"`
	IncidentID  *int64     `json:"incident_id"`
	Event       string     `json:"event"`
	Key         string     `json:"key"`
	Status      string     `json:"status"` // pending | delivered | failed
	Attempts    int        `json:"attempts"`
	LastError   string     `json:"last_error"`
	NextAttempt *time.Time `json:"next_attempt_at"`
	CreatedAt   time.Time  `json:"created_at"`
	DeliveredAt *time.Time `json:"delivered_at"`
	Log         []Attempt  `json:"log"`
}

// Attempt is one try at delivering a notification.
type Attempt struct {
	At         time.Time `json:"at"`
	Success    bool      `json:"success"`
	Error      string    `json:"error,omitempty"`
	DurationMS float64   `json:"duration_ms"`
}

// TestResult is the outcome of a test send.
type TestResult struct {
	Delivered  bool    `json:"delivered"`
	Error      string  `json:"error,omitempty"`
	DurationMS float64 `json:"duration_ms"`
}

// Notification states.
const (
	StatePending   = "pending"
	StateDelivered = "delivered"
	StateFailed    = "failed"
)

// Errors of this module.
var (
	ErrNotFound = apperr.New(apperr.NotFound, "channel not found")
)

// Backoff returns the wait before attempt n+1 after n failed attempts:
// base, 2×base, 4×base … capped at max.
func Backoff(n int, base, max time.Duration) time.Duration {
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	return d
}
