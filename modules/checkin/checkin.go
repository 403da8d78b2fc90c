// Package checkin runs heartbeat (cron job) monitors end to end: it owns
// the ping URL and its token, the ping log and the lateness decision's I/O.
// The decisions themselves are pure and live in package heartbeat
// (Schedule, Evaluate, Runs); this package feeds them and carries their
// verdicts into the same pipeline as every other check. Tables:
// heartbeat_monitors (token hash and salt, the verdict last reported, the
// next deadline) and heartbeat_pings (the log).
//
// # Data in and out
//
// A job calls GET, HEAD or POST /ping/{token}[/start|/fail|/log|/{code}]
// [?rid=] on the api role (Accept, http.go). The token is looked up by its
// SHA-256 hash, the ping is put on the queue's pings stream with an id of
// its own, and the request is answered: nothing waits for the database.
// Alerters read the stream (RunIngest), insert the pings (idempotent on
// the ping id, so a redelivery is stored once), ack them, and judge the
// monitors that got pings. The decider (RunDecider) judges monitors whose
// deadline has passed. Judging is heartbeat.Evaluate over the monitor's
// last pings; when the verdict differs from the one last reported it
// becomes a queue.Result stored through tick.Service.Store, exactly like a
// worker's result: ticks, monitor state, incidents, notifications,
// maintenance windows and SLA reports see a heartbeat as one region,
// "heartbeat", that is confirmed by itself (the monitor module sets its
// thresholds to 1). The result is dated by the verdict's Since (when the
// job became late, or the failing ping's time), not by when an alerter
// noticed; its Details are the last pings (time, source address, user
// agent, run duration, exit code, body excerpt), which become the
// incident's evidence. While the verdict stands, each run that ends (by
// heartbeat.Runs) is reported too, dated by its end, as one more check of
// the same verdict: uptime and "checks passed" count runs, not verdicts
// (reporting changes alone made 5 good runs, a failed and a good one read
// 2 of 3). Every result is dated after the last one reported (the ingest
// drops an older slot of a region), and under the row lock, so a run is
// reported once.
//
// # Pings are never lost
//
// Accepting a ping needs Redis, not the database: the token is resolved
// from a per-process cache (positive entries refreshed after 30 s, used
// however old while the database cannot answer), and the ping waits in the
// stream until an alerter has stored it. So a ping made while PostgreSQL
// is down is answered 200 and stored when it returns. Limits: an api
// process that starts during a database outage knows no token yet and
// answers 503 (with Retry-After) for tokens it has not seen; a rotated
// token keeps working for up to 30 s on other api processes.
//
// # One decider
//
// Several alerters run, and a monitor must be judged late once. Two locks
// make sure of it. A decider round runs in one transaction that first
// takes pg_try_advisory_xact_lock(deciderLock): one alerter's round runs
// at a time, the others skip theirs (SQLite has one process, and its
// write lock serializes anyway). And every judgement (the decider's and
// the ingest's) locks the monitor's heartbeat_monitors row FOR UPDATE and
// reports only a change from the verdict stored there (or runs ended
// after the last result), so an ingest and a decider racing on one
// monitor report the change once. As a last net,
// a result's slot (its scheduled_at) is derived from the verdict, and
// ticks are unique per monitor, region and slot. Every alerter wakes at
// the earliest next deadline (at most every DeciderIdle, to see monitors
// created or pinged elsewhere); the round judges every monitor whose
// deadline has passed, so a deadline is acted on within a second of
// passing, by one process.
//
// # Pause
//
// A paused heartbeat expects nothing; its pings are still stored. When it
// is resumed its schedule starts again at the resume, as for a new
// monitor, so the time paused is not a missed run (pings from before the
// resume stay in the log but no longer count).
//
// # Abuse
//
// Per-token and per-source-address limits (token buckets per api process,
// PerTokenPerMinute and PerAddressPerMinute, bursts of a quarter minute)
// answer 429 with Retry-After and a sentence saying which limit was hit.
// An unknown token is 404 after the same hash and lookup as a known one
// (the lookup is by hash: no comparison of the secret leaks timing). The
// ping routes set no cookie and need no CSRF token.
//
// # Body cap
//
// A POST body is kept up to MaxBody bytes (default 100 KB); more is
// truncated and the ping is kept with body_truncated set: a job is never
// refused for talking too much. Bodies are stored as valid UTF-8.
//
// # Tokens
//
// A monitor's token is an HMAC of a server key (derived from the JWT
// secret), its id and a random salt, so the owner can be shown the URL
// again without it being stored: the database holds only its SHA-256 hash
// and the salt. Rotating draws a new salt. If the server key changes,
// the page says so and the owner rotates.
package checkin

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/heartbeat"
)

// Region is the region name a heartbeat's results carry.
const Region = "heartbeat"

// Errors of this module.
var (
	ErrNotFound     = apperr.New(apperr.NotFound, "not found")
	ErrNotHeartbeat = apperr.New(apperr.Invalid, "this monitor is not a heartbeat monitor")
	errNoDatabase   = errors.New("checkin: token unknown to this process and the database cannot be reached")
)

// Ping is one ping as stored and shown.
type Ping struct {
	ID            int64     `json:"id"`
	MonitorID     int64     `json:"monitor_id"`
	At            time.Time `json:"at"`
	Signal        string    `json:"signal"` // success, start, fail, log, exit
	ExitCode      int       `json:"exit_code"`
	RunID         string    `json:"run_id,omitempty"`
	Method        string    `json:"method"`
	Source        string    `json:"source"`
	UserAgent     string    `json:"user_agent"`
	Body          string    `json:"body"`
	BodyTruncated bool      `json:"body_truncated"`
}

// MarshalJSON writes exit_code only for a ping that sent one (/0 to
// /255): a /fail or a plain success has none, and 0 would say it exited
// cleanly.
func (p Ping) MarshalJSON() ([]byte, error) {
	type plain Ping
	out := struct {
		plain
		ExitCode *int `json:"exit_code"`
	}{plain: plain(p)}
	if p.Signal == "exit" {
		out.ExitCode = &p.ExitCode
	}
	return json.Marshal(out)
}

// message is a ping on the queue, from Accept to the ingest.
type message struct {
	PingID    string    `json:"id"`
	MonitorID int64     `json:"monitor_id"`
	At        time.Time `json:"at"`
	Signal    string    `json:"signal"`
	ExitCode  int       `json:"exit_code,omitempty"`
	RunID     string    `json:"rid,omitempty"`
	Method    string    `json:"method"`
	Source    string    `json:"source"`
	UserAgent string    `json:"ua,omitempty"`
	Body      string    `json:"body,omitempty"`
	Truncated bool      `json:"truncated,omitempty"`
}

// signalWord names a signal as stored ("success" for the bare ping).
func signalWord(s heartbeat.Signal) string {
	if s == heartbeat.Success {
		return "success"
	}
	return s.String()
}

// signalOf reads a stored signal word back.
func signalOf(w string) heartbeat.Signal {
	switch w {
	case "success":
		return heartbeat.Success
	case "start":
		return heartbeat.Start
	case "fail":
		return heartbeat.Fail
	case "log":
		return heartbeat.Log
	case "exit":
		return heartbeat.Exit
	}
	return 0
}

// decision input: a stored ping as heartbeat.Evaluate reads it.
func (p Ping) heartbeat() heartbeat.Ping {
	return heartbeat.Ping{At: p.At, Signal: signalOf(p.Signal), ExitCode: p.ExitCode, RunID: p.RunID}
}
