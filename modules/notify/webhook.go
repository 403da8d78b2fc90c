package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/betterstack/betterstack/modules/apperr"
)

// Webhook POSTs every event as signed JSON to a URL of the user's choosing.
//
// The body is {"event","id","occurred_at","incident","monitor","actor",
// "comment","link"}; "incident" and "monitor" are null when unknown (a test
// event). Headers: BetterStack-Signature ("t=<unix>,v1=<hex HMAC-SHA256 of
// "<t>.<body>" keyed with Secret>", checked by VerifySignature),
// BetterStack-Event, Idempotency-Key (the event's Key) and User-Agent
// BetterStack-Webhook/1.
type Webhook struct {
	URL    string `json:"url"`
	Secret string `json:"secret"` // at least 16 characters: every webhook is signed
}

var _ Channel = (*Webhook)(nil)

// minSecretLen is the shortest accepted signing secret.
const minSecretLen = 16

// DefaultSignatureTolerance is how far a signature's timestamp may be from
// the receiver's clock when VerifySignature is given no tolerance.
const DefaultSignatureTolerance = 5 * time.Minute

// ErrInvalidSignature is returned by VerifySignature for a missing,
// malformed, wrong or expired signature.
var ErrInvalidSignature = apperr.New(apperr.Unauthorized, "invalid webhook signature")

// Validate implements Channel.
func (c *Webhook) Validate() error {
	f := apperr.Fields{}
	checkURL(f, "url", c.URL, true)
	switch {
	case c.Secret == "":
		f.Add("config.secret", "required")
	case len(c.Secret) < minSecretLen:
		f.Add("config.secret", fmt.Sprintf("must be at least %d characters", minSecretLen))
	case len(c.Secret) > 256:
		f.Add("config.secret", "too long")
	}
	return f.Err()
}

// Send implements Channel.
func (c *Webhook) Send(ctx context.Context, t Transport, e Event) error {
	if err := prepare(c, e); err != nil {
		return err
	}
	body, err := json.Marshal(webhookBody(e))
	if err != nil {
		return permanent(fmt.Errorf("webhook: encode: %w", err))
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "BetterStack-Webhook/1")
	h.Set("BetterStack-Event", e.Type)
	h.Set("BetterStack-Signature", Sign(c.Secret, time.Now(), body))
	if key := oneLine(e.Key); key != "" {
		h.Set("Idempotency-Key", key)
	}
	_, err = doHTTP(ctx, t, http.MethodPost, c.URL, h, body)
	return err
}

// webhookPayload is the JSON body of a webhook delivery.
type webhookPayload struct {
	Event      string           `json:"event"`
	ID         string           `json:"id"`
	OccurredAt time.Time        `json:"occurred_at"`
	Incident   *webhookIncident `json:"incident"`
	Monitor    *webhookMonitor  `json:"monitor"`
	Actor      string           `json:"actor"`
	Comment    string           `json:"comment"`
	Link       string           `json:"link"`
}

type webhookIncident struct {
	ID             int64        `json:"id"`
	Kind           string       `json:"kind"`
	Status         string       `json:"status"`
	StartedAt      time.Time    `json:"started_at"`
	AcknowledgedAt *time.Time   `json:"acknowledged_at"`
	ResolvedAt     *time.Time   `json:"resolved_at"`
	Cause          webhookCause `json:"cause"`
	Regions        []string     `json:"regions"`
}

type webhookCause struct {
	ErrorClass string `json:"error_class"`
	Message    string `json:"message"`
	StatusCode int    `json:"status_code"`
}

type webhookMonitor struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	URL    string `json:"url"`    // an http(s) check's URL, else ""
	Target string `json:"target"` // what is checked: the URL, host:port, a heartbeat's schedule
}

// webhookBody maps e to the documented payload. Text is sent as is: JSON is
// data, and the receiver escapes it for wherever it shows it.
func webhookBody(e Event) webhookPayload {
	p := webhookPayload{
		Event:      e.Type,
		ID:         e.Key,
		OccurredAt: e.OccurredAt.UTC(),
		Actor:      e.Actor,
		Comment:    e.Comment,
		Link:       e.Link,
	}
	if e.Incident.ID != 0 {
		in := e.Incident
		regions := in.Regions
		if regions == nil {
			regions = []string{}
		}
		p.Incident = &webhookIncident{
			ID: in.ID, Kind: in.Kind, Status: in.Status, StartedAt: in.StartedAt.UTC(),
			AcknowledgedAt: utcPtr(in.AcknowledgedAt), ResolvedAt: utcPtr(in.ResolvedAt),
			Cause:   webhookCause{ErrorClass: in.Cause.ErrorClass, Message: in.Cause.Message, StatusCode: in.Cause.StatusCode},
			Regions: regions,
		}
	}
	if e.Monitor != (Monitor{}) {
		p.Monitor = &webhookMonitor{ID: e.Monitor.ID, Name: e.Monitor.Name, URL: e.Monitor.URL, Target: e.Monitor.Target}
	}
	return p
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Sign returns the BetterStack-Signature header value for body sent at now:
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with secret>".
func Sign(secret string, now time.Time, body []byte) string {
	ts := strconv.FormatInt(now.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(signature(secret, ts, body))
}

func signature(secret, ts string, body []byte) []byte {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return mac.Sum(nil)
}

// VerifySignature checks a BetterStack-Signature header against body: one
// of its v1 values must be the HMAC of "<t>.<body>" under secret, and t must
// be within tolerance of now (DefaultSignatureTolerance when tolerance is
// not positive), which stops replays of old deliveries. Any failure wraps
// ErrInvalidSignature.
func VerifySignature(secret string, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultSignatureTolerance
	}
	var ts string
	var sigs [][]byte
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			if sig, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, sig)
			}
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return fmt.Errorf("%w: malformed header", ErrInvalidSignature)
	}
	want := signature(secret, ts, body)
	matched := false
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			matched = true
		}
	}
	if !matched {
		return fmt.Errorf("%w: signature does not match", ErrInvalidSignature)
	}
	if d := now.Sub(time.Unix(unix, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: timestamp outside tolerance", ErrInvalidSignature)
	}
	return nil
}
