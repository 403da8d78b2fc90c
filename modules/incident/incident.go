// Package incident owns incidents, their timelines and maintenance windows.
// Tables: incidents, incident_events, maintenance_windows.
//
// Data enters from the alerter's ingest: after a batch of results changes a
// monitor's confirmed status, Reconcile runs in the same transaction and
// opens, escalates or resolves the monitor's incident, records region
// failures and recoveries on its timeline and queues notifications through
// the outbox (channel module) — so a status change, its incident and its
// notifications commit together or not at all. Users acknowledge, resolve
// and comment through the API. Data leaves through the API and dashboard.
//
// Rules (Plan is the pure function that applies them):
//   - a monitor has at most one unresolved incident (a unique index says so);
//   - status down opens a "down" incident, degraded a "degraded" one; a
//     change between the two resolves the old incident and opens the new;
//   - up resolves; unknown (every region silent), pending and paused change
//     nothing: the monitor's target is not blamed for our own missing regions;
//   - an incident a user resolved by hand stays resolved while the monitor
//     keeps the status it had then: a new one opens only after the status
//     changes (it recovers and fails again), so resolving is not undone by
//     the next failing check;
//   - during a maintenance window no incident opens and nothing is sent;
//     when the window ends and the monitor is still down, the next result
//     opens the incident.
package incident

import (
	"encoding/json"
	"time"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/probe"
)

// Kind is what an incident is about.
type Kind string

// Incident kinds.
const (
	KindDown     Kind = "down"
	KindDegraded Kind = "degraded"
)

// Status is where an incident is in its lifecycle.
type Status string

// Incident statuses.
const (
	StatusOpen         Status = "open"
	StatusAcknowledged Status = "acknowledged"
	StatusResolved     Status = "resolved"
)

// Event types on an incident's timeline.
const (
	EventOpened          = "opened"
	EventRegionFailed    = "region_failed"
	EventRegionRecovered = "region_recovered"
	EventAcknowledged    = "acknowledged"
	EventResolved        = "resolved"
	EventComment         = "comment"
	EventReminder        = "reminder"
	EventNotified        = "notification_delivered"
	EventNotifyFailed    = "notification_failed"
)

// Cause is what the confirming checks saw.
type Cause struct {
	ErrorClass string `json:"error_class"`
	Message    string `json:"message"`
	StatusCode int    `json:"status_code"`
	// Region is whose observation the cause is: class, message and status
	// code are one region's last check, never a mix ("" on incidents
	// opened before causes named their region).
	Region string `json:"region,omitempty"`
}

// Evidence is one failing region's last check.
type Evidence struct {
	Region     string            `json:"region"`
	CheckedAt  time.Time         `json:"checked_at"`
	StatusCode int               `json:"status_code"`
	ErrorClass string            `json:"error_class"`
	Error      string            `json:"error"`
	ResolvedIP string            `json:"resolved_ip"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
	Phases     json.RawMessage   `json:"phases"`
	Details    []probe.Detail    `json:"details,omitempty"` // the check kind's own evidence
}

// Incident is an outage or slowdown of one monitor.
type Incident struct {
	ID             int64      `json:"id"`
	MonitorID      int64      `json:"monitor_id"`
	Kind           Kind       `json:"kind"`
	Status         Status     `json:"status"`
	StartedAt      time.Time  `json:"started_at"`
	AcknowledgedAt *time.Time `json:"acknowledged_at"`
	AcknowledgedBy string     `json:"acknowledged_by,omitempty"`
	ResolvedAt     *time.Time `json:"resolved_at"`
	ResolvedBy     string     `json:"resolved_by,omitempty"`
	Cause          Cause      `json:"cause"`
	Regions        []string   `json:"regions"`
	DurationSec    float64    `json:"duration_seconds"`

	WorkspaceID int64      `json:"-"`
	Evidence    []Evidence `json:"-"`
}

// Detail is an incident with its timeline and evidence.
type Detail struct {
	Incident
	Events   []Event    `json:"events"`
	Evidence []Evidence `json:"evidence"`
}

// Event is one line of an incident's timeline.
type Event struct {
	ID      int64     `json:"id"`
	At      time.Time `json:"at"`
	Type    string    `json:"type"`
	Actor   string    `json:"actor,omitempty"`
	Message string    `json:"message,omitempty"`
	Region  string    `json:"region,omitempty"`
}

// Errors of this module.
var (
	ErrNotFound        = apperr.New(apperr.NotFound, "incident not found")
	ErrAlreadyResolved = apperr.New(apperr.Conflict, "the incident is already resolved")
	ErrWindowNotFound  = apperr.New(apperr.NotFound, "maintenance window not found")
)

// RegionSnapshot is a region's state as the ingest just computed it.
type RegionSnapshot struct {
	Region     string
	Failing    bool
	WasFailing bool
	Status     string
	StatusCode int
	ErrorClass string
	Error      string
	CheckedAt  time.Time
	Evidence   string // JSON written by the ingest for the last failed check
}

// Change is one monitor whose results were just ingested.
type Change struct {
	MonitorID   int64
	Status      string    // the monitor's confirmed status after the batch
	StatusSince time.Time // since when it has had that status
	Regions     []RegionSnapshot
	At          time.Time
}

// Action is what Plan decides for one monitor.
type Action struct {
	Resolve bool // resolve the open incident (recovered, or changing kind)
	Open    Kind // open an incident of this kind ("" = none)
}

// Plan decides, from the monitor's open incident (nil if none), its status
// and whether a maintenance window is active, what to do. Pure.
func Plan(open *Incident, status string, maintenance bool) Action {
	var want Kind
	switch status {
	case "down":
		want = KindDown
	case "degraded":
		want = KindDegraded
	case "up":
		want = ""
	default: // unknown, pending, paused: our own blindness is nobody's outage
		return Action{}
	}
	var a Action
	if open != nil && open.Kind != want {
		a.Resolve = true
	}
	if (open == nil || a.Resolve) && !maintenance {
		a.Open = want // "" when up: nothing to open
	}
	return a
}
