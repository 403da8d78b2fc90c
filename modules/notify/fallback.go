package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Fallback notice types: the BetterStack-Event header and "event" of the
// body.
const (
	FallbackDown      = "worker.fallback.down"
	FallbackRecovered = "worker.fallback.recovered"
	FallbackSummary   = "worker.fallback.summary"
)

// FallbackHook is a worker's fallback webhook (worker_fallback_webhook):
// not a channel of a workspace but one URL in the worker's own settings,
// told about monitors the worker sees fail while it cannot reach its
// control plane, so an outage of the central stack does not also silence
// alerts. The worker decides when and how often (package worker); this
// type formats and sends one notice, one attempt.
//
// The body is {"event","id","occurred_at","fallback","message","worker",
// "monitor","failure","recovered_at","summary"}: "message" is one line a
// person can read as is, and says that this is a fallback notice from a
// worker that cannot reach its control plane; "monitor" and "failure" are
// null in a summary, "summary" is null otherwise. Headers as the channel
// webhook's: BetterStack-Event, Idempotency-Key, User-Agent
// BetterStack-Worker/1, and BetterStack-Signature (Sign, checked by
// VerifySignature) when Secret is set.
type FallbackHook struct {
	URL       string
	Secret    string // optional; signs the body as the channel webhook does
	Transport Transport
}

// FallbackNotice is one thing a worker without its control plane says.
type FallbackNotice struct {
	Type       string // FallbackDown, FallbackRecovered or FallbackSummary
	Key        string // idempotency key
	OccurredAt time.Time

	WorkerID string
	Region   string
	// LastContact is when the worker last reached the control plane.
	LastContact time.Time

	// Monitor and failure (not in a summary).
	MonitorID      int64
	MonitorName    string // "" when the job did not carry it
	Kind           string
	Target         string
	FirstFailureAt time.Time // slot of the first of the consecutive failed checks
	Failures       int       // consecutive failed checks so far
	Threshold      int       // failed checks that confirm down
	ErrorClass     string
	Error          string
	StatusCode     int
	RecoveredAt    time.Time // FallbackRecovered: slot of the check that confirmed it

	// Summary of notices held back by the rate cap (FallbackSummary).
	Held       int
	HeldDown   int
	HeldUp     int
	HeldIDs    []int64 // monitor ids, at most MaxHeldIDs
	HeldSince  time.Time
	HeldPerMin int // the cap that held them back
}

// MaxHeldIDs bounds the monitor ids a summary lists.
const MaxHeldIDs = 100

type fallbackBody struct {
	Event       string           `json:"event"`
	ID          string           `json:"id"`
	OccurredAt  time.Time        `json:"occurred_at"`
	Fallback    bool             `json:"fallback"`
	Message     string           `json:"message"`
	Worker      fallbackWorker   `json:"worker"`
	Monitor     *fallbackMonitor `json:"monitor"`
	Failure     *fallbackFailure `json:"failure"`
	RecoveredAt *time.Time       `json:"recovered_at"`
	Summary     *fallbackSummary `json:"summary"`
}

type fallbackWorker struct {
	ID          string    `json:"id"`
	Region      string    `json:"region"`
	LastContact time.Time `json:"control_plane_last_contact_at"`
}

type fallbackMonitor struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Target string `json:"target"`
}

type fallbackFailure struct {
	FirstFailureAt      time.Time `json:"first_failure_at"`
	ConsecutiveFailures int       `json:"consecutive_failures"`
	FailureThreshold    int       `json:"failure_threshold"`
	ErrorClass          string    `json:"error_class"`
	Error               string    `json:"error"`
	StatusCode          int       `json:"status_code"`
}

type fallbackSummary struct {
	HeldBack   int       `json:"held_back"`
	Down       int       `json:"down"`
	Recovered  int       `json:"recovered"`
	MonitorIDs []int64   `json:"monitor_ids"`
	Since      time.Time `json:"since"`
	PerMinute  int       `json:"per_minute"`
}

// Send makes one delivery attempt of n. Errors follow the Channel
// contract: permanent for a 4xx other than 408 and 429, and never the URL's
// path or query.
func (h FallbackHook) Send(ctx context.Context, n FallbackNotice) error {
	body, err := json.Marshal(fallbackPayload(n))
	if err != nil {
		return permanent(fmt.Errorf("fallback webhook: encode: %w", err))
	}
	hd := http.Header{}
	hd.Set("Content-Type", "application/json")
	hd.Set("User-Agent", "BetterStack-Worker/1")
	hd.Set("BetterStack-Event", n.Type)
	if key := oneLine(n.Key); key != "" {
		hd.Set("Idempotency-Key", key)
	}
	if h.Secret != "" {
		hd.Set("BetterStack-Signature", Sign(h.Secret, time.Now(), body))
	}
	_, err = doHTTP(ctx, h.Transport, http.MethodPost, h.URL, hd, body)
	return err
}

// fallbackPayload maps n to the documented body.
func fallbackPayload(n FallbackNotice) fallbackBody {
	b := fallbackBody{
		Event: n.Type, ID: n.Key, OccurredAt: n.OccurredAt.UTC(), Fallback: true, Message: FallbackMessage(n),
		Worker: fallbackWorker{ID: n.WorkerID, Region: n.Region, LastContact: n.LastContact.UTC()},
	}
	if n.Type == FallbackSummary {
		ids := n.HeldIDs
		if ids == nil {
			ids = []int64{}
		}
		b.Summary = &fallbackSummary{HeldBack: n.Held, Down: n.HeldDown, Recovered: n.HeldUp, MonitorIDs: ids,
			Since: n.HeldSince.UTC(), PerMinute: n.HeldPerMin}
		return b
	}
	b.Monitor = &fallbackMonitor{ID: n.MonitorID, Name: n.MonitorName, Kind: n.Kind, Target: n.Target}
	b.Failure = &fallbackFailure{FirstFailureAt: n.FirstFailureAt.UTC(), ConsecutiveFailures: n.Failures,
		FailureThreshold: n.Threshold, ErrorClass: n.ErrorClass, Error: n.Error, StatusCode: n.StatusCode}
	if n.Type == FallbackRecovered {
		at := n.RecoveredAt.UTC()
		b.RecoveredAt = &at
	}
	return b
}

// FallbackMessage is the one line a person reads: what happened, and that
// it comes from a worker cut off from its control plane.
func FallbackMessage(n FallbackNotice) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "FALLBACK NOTICE from BetterStack worker %s (region %s), which cannot reach its control plane (Redis) since %s, so the usual notifications may not be sent. ",
		n.WorkerID, n.Region, n.LastContact.UTC().Format(time.RFC3339))
	what := fmt.Sprintf("Monitor %d", n.MonitorID)
	if n.MonitorName != "" {
		what += fmt.Sprintf(" %q", n.MonitorName)
	}
	if n.Target != "" {
		what += " (" + n.Target + ")"
	}
	switch n.Type {
	case FallbackDown:
		fmt.Fprintf(&sb, "%s is DOWN by this worker's own checks: %d consecutive failed checks since %s", what, n.Failures,
			n.FirstFailureAt.UTC().Format(time.RFC3339))
		cause := n.Error
		if n.ErrorClass != "" && cause != "" {
			cause = n.ErrorClass + ": " + cause
		} else if cause == "" {
			cause = n.ErrorClass
		}
		if cause != "" {
			fmt.Fprintf(&sb, ", the last: %s", cause)
		}
		sb.WriteString(".")
	case FallbackRecovered:
		fmt.Fprintf(&sb, "%s is UP again by this worker's own checks since %s (down since %s).", what,
			n.RecoveredAt.UTC().Format(time.RFC3339), n.FirstFailureAt.UTC().Format(time.RFC3339))
	case FallbackSummary:
		fmt.Fprintf(&sb, "%d more notices (%d down, %d recovered) were held back since %s: at most %d a minute are sent.",
			n.Held, n.HeldDown, n.HeldUp, n.HeldSince.UTC().Format(time.RFC3339), n.HeldPerMin)
	}
	return oneLine(sb.String())
}
