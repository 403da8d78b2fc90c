// Package probe runs one check against a target and reports what it saw.
//
// All outbound check traffic of BetterStack lives in this package. Checks
// come in kinds (http, tcp, dns, icmp, tls, domain), each registered once
// in registry.go as a Kind: its settings struct (a Check: Validate, Target,
// Run), the field descriptions that drive the dashboard form and the
// export, and how `betterstack check` reads its URL. A monitor carries a
// Spec (kind plus settings as JSON); the queue job carries the Spec
// untouched, so a new kind never changes the queue, the API or the form.
// Probes never panic to their caller: a panic is recovered and reported as
// ClassInternal.
//
// Data enters as a Request (carried inside a queue job) and leaves as a
// Result, one shape for every kind: phases a kind does not have stay zero
// and its own evidence goes in Details. Prober.Check decodes the spec
// strictly, validates it, bounds the run with the request's timeout and
// stamps the result. Every check opens a fresh connection, so DNS, connect
// and TLS problems are seen every time; the HTTP kind times its phases with
// net/http/httptrace. State kept across checks (the domain kind's RDAP
// cache, the icmp kind's socket mode) lives in the Prober's Env, never in a
// package variable.
//
// # Adding a kind
//
// Write <kind>.go with an exported settings struct (JSON tags are the names
// users write under "check"), its Validate (errors name "check.<field>"
// through apperr.Fields, boundaries enforced), Target (one line) and Run
// (honour ctx's deadline; connect through env.Dialer so the private-address
// guard applies; classify connection errors with classify; give the kind's
// own failures their own ErrorClass constant; put evidence in Details), and
// a Kind value with Title, Fields, Schemes and FromURL. Add its row to
// registry.go, its tests against a real server on 127.0.0.1, and its
// settings to the pipeline and form tests in cmd (they fail until it is
// covered). Nothing else changes.
//
// A check that succeeded but took longer than Request.DegradedAfterMS is
// StatusDegraded with an empty ErrorClass: nothing failed, it was slow.
//
// # Private addresses
//
// With Config.BlockPrivate, connections to loopback, private, link-local,
// CGNAT, multicast and unspecified addresses are refused at dial time, after
// DNS resolution, so redirects and DNS rebinding cannot get around it; such
// a check fails with ClassBlocked. The guard is exported for any other code
// that connects to user-supplied addresses (notification webhooks):
// GuardedDialer builds a dialer that enforces it, IsPublicAddr is the rule,
// ErrBlockedAddress the error.
//
// # Certificates and domain registrations
//
// The tls kind (tlscheck.go) makes a handshake and judges the leaf
// certificate, its chain and hostname, and the protocol version;
// CertExpiryVerdict (expiry.go) is the expiry rule it shares with https
// checks. The domain kind (domain.go) reads a registration's expiration
// date from its registry's RDAP service (RFC 9083). Which server serves a
// TLD comes from the table in rdap_bootstrap.go: it is our own, written by
// hand for well-known TLDs, not a copy of IANA's bootstrap file, which
// cannot be downloaded everywhere the prober runs. A monitor's rdap_server
// setting overrides it for that domain; whoever builds the Env overrides
// or extends it for every check by storing a map[string]string (TLD to
// base URL) under RDAPBootstrapKey with Env.Shared before the first check.
// A TLD neither knows fails with ClassNoRDAP. RDAP answers are cached in
// the Env for six hours (failures for fifteen minutes), so a domain is
// looked up once however many monitors watch it.
package probe

import (
	"encoding/json"
	"strings"
	"time"
)

// Status is the outcome of one check.
type Status string

// Check outcomes.
const (
	StatusUp       Status = "up"
	StatusDown     Status = "down"
	StatusDegraded Status = "degraded"
)

// ErrorClass says why a check failed; empty when it did not.
type ErrorClass string

// Error classes, in the order a request meets them.
const (
	ClassNone       ErrorClass = ""
	ClassDNS        ErrorClass = "dns"
	ClassConnect    ErrorClass = "connect"
	ClassTimeout    ErrorClass = "timeout"
	ClassTLS        ErrorClass = "tls"
	ClassHTTPStatus ErrorClass = "http_status"
	ClassKeyword    ErrorClass = "keyword"
	ClassRedirects  ErrorClass = "redirects"
	ClassBlocked    ErrorClass = "blocked"
	ClassInternal   ErrorClass = "internal"
)

// Request is everything a worker needs to run one check. It travels inside
// a queue job as JSON: the check's spec as the monitor holds it, untouched,
// so a new kind never changes the queue.
type Request struct {
	Check           Spec `json:"check"`
	TimeoutMS       int  `json:"timeout_ms"`
	DegradedAfterMS int  `json:"degraded_after_ms,omitempty"` // 0 = never degraded
}

// legacyRequest is the job payload of releases before check kinds: the
// HTTP settings at the top level. A job queued by such a release is still
// run after an upgrade.
type legacyRequest struct {
	Check *Spec `json:"check"`
	HTTP
	TimeoutMS       int `json:"timeout_ms"`
	DegradedAfterMS int `json:"degraded_after_ms"`
}

// UnmarshalJSON reads a Request, including one in the legacy HTTP form.
func (r *Request) UnmarshalJSON(b []byte) error {
	var l legacyRequest
	if err := json.Unmarshal(b, &l); err != nil {
		return err
	}
	*r = Request{TimeoutMS: l.TimeoutMS, DegradedAfterMS: l.DegradedAfterMS}
	if l.Check != nil {
		r.Check = *l.Check
		return nil
	}
	if l.URL == "" {
		return nil
	}
	spec, err := SpecOf("http", &l.HTTP)
	r.Check = spec
	return err
}

// Phases are the timings of one HTTP check in milliseconds.
type Phases struct {
	DNSMS      float64 `json:"dns_ms"`
	ConnectMS  float64 `json:"connect_ms"`
	TLSMS      float64 `json:"tls_ms"`
	TTFBMS     float64 `json:"ttfb_ms"`
	TransferMS float64 `json:"transfer_ms"`
}

// Result is what a probe saw.
type Result struct {
	Status     Status     `json:"status"`
	StatusCode int        `json:"status_code,omitempty"`
	ErrorClass ErrorClass `json:"error_class,omitempty"`
	Error      string     `json:"error,omitempty"` // short, one line, at most 512 bytes
	LatencyMS  float64    `json:"latency_ms"`      // total
	Phases     Phases     `json:"phases"`
	CertExpiry *time.Time `json:"cert_expiry,omitempty"` // leaf certificate NotAfter, https only
	ResolvedIP string     `json:"resolved_ip,omitempty"`
	CheckedAt  time.Time  `json:"checked_at"`        // when the check started
	Retried    bool       `json:"retried,omitempty"` // a failure was re-checked once and failed again

	// Evidence for incidents: response headers (first value of each) and the
	// first 4 KiB of the body. Filled for every response, kept small.
	ResponseHeaders map[string]string `json:"response_headers,omitempty"`
	BodyExcerpt     string            `json:"body_excerpt,omitempty"`

	// Details is the kind's own evidence, in display order: a DNS check's
	// answers, a certificate's issuer and days left, a ping's packet loss,
	// the condition that failed and the value seen. Values are short
	// (oneLine); nil when the kind has none.
	Details []Detail `json:"details,omitempty"`
}

// isToken reports whether s is an RFC 9110 token, the syntax of methods and
// header names.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}
