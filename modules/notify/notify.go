// Package notify formats events for each kind of notification channel and
// delivers them, one attempt at a time.
//
// It owns formatting and transport only: turning an Event into a Slack
// message, an e-mail or a PagerDuty event, and handing it to the
// destination. Retries, backoff, rate limits, deduplication and the delivery
// log live once, in the service that calls Send; this package keeps no state
// and starts no goroutines.
//
// # Data in and out
//
// A channel's configuration arrives as JSON (from the API or the database)
// and enters through Parse, which decodes it strictly into the type's config
// struct and validates it. Events enter through Channel.Send and leave as
// one HTTP request or one SMTP session through a Transport. Configuration
// leaves (to the API or the logs) only through Mask; an update coming back
// with masked secrets goes through MergeSecrets before Parse.
//
// # The Channel contract
//
// Validate reports every bad field as an apperr validation error naming
// "config.<field>". Send makes exactly one delivery attempt, honours ctx,
// and returns nil only when the destination accepted the message. A failure
// that retrying cannot fix (a 4xx answer other than 408 and 429, invalid
// configuration, a blocked private address, an SMTP 5xx reply) is a
// *PermanentError (see IsPermanent); anything else is worth retrying, and
// RetryAfter reports how long a 429 or 503 answer asked the caller to wait.
// Errors never contain a secret: URLs are reduced to scheme and host.
//
// Every piece of user-controlled text (monitor name, URL, error message,
// comment, actor) is escaped for the destination's markup, or placed where
// the destination does not interpret markup, so a monitor called
// "<b>@everyone</b>" pings nobody and formats nothing.
//
// # Secret fields per type
//
//	webhook    secret
//	slack      url (an incoming-webhook URL is a credential)
//	discord    url (likewise)
//	teams      url (likewise; Workflows URLs carry a signature)
//	telegram   bot_token
//	email      password
//	pagerduty  routing_key
//	opsgenie   api_key
//	ntfy       token
//
// # A worker's fallback webhook
//
// FallbackHook (fallback.go) is not a channel: it is one URL in a worker's
// settings (worker_fallback_webhook), told by a worker that cannot reach
// its control plane about the monitors it sees fail. It has its own body
// (FallbackNotice) and signs it like the channel webhook (Sign) when a
// secret is set; when to send and how often is the worker's decision.
//
// # Adding a type
//
// Write <type>.go with an exported config struct (JSON tags are the field
// names users see), its Validate and Send, and `var _ Channel = (*T)(nil)`;
// build the message from describe(e) so every channel says the same things;
// send HTTP through doHTTP so status handling, excerpts and redaction stay
// uniform; add the type and its secret fields to the types table below; and
// add its cases to the tests (request shape, escaping, validation, Mask).
package notify

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/betterstack/betterstack/modules/apperr"
)

// Event types.
const (
	EventOpened       = "incident.opened"
	EventAcknowledged = "incident.acknowledged"
	EventResolved     = "incident.resolved"
	EventReminder     = "incident.reminder"
	EventTest         = "test"
	// EventOperatorAlert and EventOperatorResolved are about BetterStack
	// itself (a silent region, a lagging pipeline stage), not a monitor:
	// Monitor.Name names the problem and stays the same in both, Comment
	// says what happened, Incident is zero.
	EventOperatorAlert    = "operator.alert"
	EventOperatorResolved = "operator.resolved"
)

// Event is one thing to tell people about.
type Event struct {
	Type       string // one of the Event* constants
	Key        string // idempotency key, unique per event and channel
	OccurredAt time.Time
	Incident   Incident // zero for EventTest
	Monitor    Monitor
	Actor      string // who acknowledged or resolved, if a user did ("" = automatic)
	Comment    string // optional text
	Link       string // URL of the incident in the dashboard ("" if unknown)
}

// Incident is the incident an Event is about.
type Incident struct {
	ID             int64
	Kind           string // "down" or "degraded"
	Status         string // "open", "acknowledged" or "resolved"
	StartedAt      time.Time
	AcknowledgedAt *time.Time
	ResolvedAt     *time.Time
	Cause          Cause
	Regions        []string
}

// Cause is why the monitor failed, as the probe saw it.
type Cause struct {
	ErrorClass string
	Message    string
	StatusCode int
}

// Monitor is the monitor an Event is about.
type Monitor struct {
	ID     int64
	Name   string
	URL    string // an http(s) check's URL, else ""
	Target string // what is checked, one line (the URL for http)
}

// what is the monitor's target as messages show it: its URL, or for
// other kinds its target.
func (m Monitor) what() (label, value string) {
	if m.URL != "" {
		return "URL", m.URL
	}
	return "Target", m.Target
}

// Channel is one configured destination of one type.
type Channel interface {
	// Validate reports bad configuration as an apperr validation error
	// naming "config.<field>".
	Validate() error
	// Send makes one delivery attempt of e through t.
	Send(ctx context.Context, t Transport, e Event) error
}

// Transport is how channels reach the outside world. Build it with
// NewTransport; tests may adjust its fields.
type Transport struct {
	// HTTP sends every HTTP-based notification.
	HTTP *http.Client
	// Dial opens SMTP connections.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// TLS is the base TLS configuration for SMTP (root CAs, minimum
	// version); nil means the system roots. ServerName is set per send.
	TLS *tls.Config
}

// typeInfo describes one channel type.
type typeInfo struct {
	new     func() Channel // a pointer to a zero config
	secrets []string       // JSON names of the fields Mask hides
	// sentTo names the fields saying where the secrets are sent (the
	// server they authenticate to). MergeSecrets keeps a masked secret
	// only while these stay the same: otherwise whoever may edit the
	// channel, without ever seeing the secret, could send it to a server
	// of their own.
	sentTo []string
}

// types is the registry of channel types, keyed by type name.
var types = map[string]typeInfo{
	// A webhook's secret signs, it is never sent; in Slack's, Discord's
	// and Teams' the URL is the secret.
	"webhook":   {func() Channel { return new(Webhook) }, []string{"secret"}, nil},
	"slack":     {func() Channel { return new(Slack) }, []string{"url"}, nil},
	"discord":   {func() Channel { return new(Discord) }, []string{"url"}, nil},
	"telegram":  {func() Channel { return new(Telegram) }, []string{"bot_token"}, []string{"api_url"}},
	"teams":     {func() Channel { return new(Teams) }, []string{"url"}, nil},
	"email":     {func() Channel { return new(Email) }, []string{"password"}, []string{"host", "port"}},
	"pagerduty": {func() Channel { return new(PagerDuty) }, []string{"routing_key"}, []string{"api_url"}},
	"opsgenie":  {func() Channel { return new(Opsgenie) }, []string{"api_key"}, []string{"api_url"}},
	"ntfy":      {func() Channel { return new(Ntfy) }, []string{"token"}, []string{"url"}},
}

// Types returns the names of all channel types, sorted.
func Types() []string {
	names := make([]string, 0, len(types))
	for name := range types {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// lookup returns the typeInfo of typ or a validation error naming "type".
func lookup(typ string) (typeInfo, error) {
	info, ok := types[typ]
	if !ok {
		return typeInfo{}, apperr.Field("type", "must be one of "+strings.Join(Types(), ", "))
	}
	return info, nil
}

// Parse decodes config strictly into the configuration of type typ and
// validates it. Unknown fields, wrong JSON types and invalid values are
// validation errors naming "config.<field>"; an unknown type names "type".
func Parse(typ string, config json.RawMessage) (Channel, error) {
	info, err := lookup(typ)
	if err != nil {
		return nil, err
	}
	ch := info.new()
	if err := apperr.DecodeStrict(config, ch, "config"); err != nil {
		return nil, err
	}
	if err := ch.Validate(); err != nil {
		return nil, err
	}
	return ch, nil
}
