// Package audit owns the audit log: who did what to which record, when and
// from where. Table: audit_log.
//
// # What enters
//
// Other modules call Record (or RecordTx inside their own transaction) with
// an Entry: the workspace, the actor, an action such as "monitor.update",
// the record it touched and, for changes, the field-level Diff of the record
// before and after. Entries are append-only: nothing in this package updates
// one, and only retention (Purge) deletes them.
//
//   - Workspace. Every entry belongs to one workspace, except
//     installation-wide events that have none (a failed login of an email no
//     user has): those use workspace 0 (Installation). No workspace route
//     can read them: the API refuses a request without a workspace (≥ 1).
//   - Actor. ActorUserID is the user's id, nil for the system. Actor is the
//     text shown and kept even after the user is deleted: their email,
//     "token <prefix>" for an API token (TokenActor), or "system". An empty
//     Actor with no user id is recorded as "system".
//   - No foreign keys. Entries must outlive what they describe (a deleted
//     monitor, a removed member, a workspace that is gone), so workspace,
//     user and record ids are plain numbers and the record's key is kept as
//     text.
//   - Address and user agent come from the request (FromRequest): the
//     socket address as the server resolves it, and the User-Agent header
//     cut to 256 bytes at a character boundary. Text fields are cleaned of
//     NUL and invalid UTF-8 (PostgreSQL text cannot hold NUL, and a header
//     is whatever the client sent).
//
// # Written in the request, not later
//
// Record writes synchronously and returns the error; there is no buffer
// and no background writer. An audit log that drops entries when it is slow
// is not an audit log, and one insert into a table with two indexes is cheap
// next to the change it records. Callers that change data in a transaction
// should use RecordTx with that transaction, so the entry commits exactly
// when the change does. Record outside that transaction would, on SQLite,
// wait for the caller's own write lock until busy_timeout. Events with
// nothing to commit (login.success, login.failure) use Record; whether a
// failed audit write fails the request is the caller's decision (a login
// should rather fail than go unrecorded).
//
// # Secrets
//
// Diff never returns a secret value: a field that looks secret is still
// recorded as changed, with its values replaced by Masked ("••••"); an
// absent value stays null, so "set" and "cleared" remain visible. A field is
// secret when any segment of its dotted path, lower-cased with everything
// but letters and digits removed, contains password, passwd, passphrase,
// secret, token, apikey, privatekey, accesskey, signingkey, routingkey,
// authorization, cookie, credential, recoverycode or sessionid, or is
// exactly auth, dsn, otp or totp. So "password", "smtp.password",
// "webhook_signing_secret", "config.bot_token", "check.headers.Authorization"
// and "check.headers.X-Api-Key" are masked; "key", "record_key" and
// "check.url" are not. Callers add their own with Diff's secret names, which
// match a whole path ("config.url"), a path prefix (masking a subtree:
// "check.headers") or any single segment ("url"), case-insensitively. Pass
// what the owning module already knows to be secret this way: notify's
// per-type secrets (a Slack webhook URL is "config.url") and the probe
// fields marked Secret (all of "check.headers"). Passwords in URLs
// (https://user:pass@host) are masked in every string value. Values inside
// lists are compared whole but masked by the same rule before they leave, so
// a changed secret inside a list shows as changed with both sides masked.
//
// # What leaves
//
// List returns a workspace's entries newest first (by id), filtered and
// paged with an opaque cursor, and GET /audit-log serves it (RegisterAPI).
// Who may read the log (admins and owners) is decided by the route rules
// that wrap the group, not here. See List for paging and filter semantics.
// Installation-wide entries are read with List(ctx, Installation, ...); no
// route does so yet.
//
// Retention: Purge deletes entries older than a time, in every workspace,
// in batches. This package starts nothing; whoever owns the retention loop
// (cmd) calls it with the configured age.
package audit

import (
	"errors"
	"time"

	"github.com/betterstack/betterstack/modules/apperr"
)

// Installation is the workspace id of installation-wide entries, such as a
// failed login of an unknown email.
const Installation int64 = 0

// ActorSystem is the actor text of actions no person or token took.
const ActorSystem = "system"

// TokenActor is the actor text of an action taken with an API token.
func TokenActor(prefix string) string { return "token " + prefix }

// Actions recorded today. The log accepts any action of the same shape
// (lower-case dotted words, "<thing>.<verb>"); add new ones here so the
// vocabulary can be read in one place.
const (
	ActionMonitorCreate = "monitor.create"
	ActionMonitorUpdate = "monitor.update"
	ActionMonitorDelete = "monitor.delete"
	ActionMemberRole    = "member.role"
	ActionLoginSuccess  = "login.success"
	ActionLoginFailure  = "login.failure"
	ActionTokenCreate   = "token.create"
	Action2FAEnable     = "2fa.enable"
	ActionSSOSettings   = "sso.settings"
)

// Entry is one audit log entry. ID and CreatedAt are set when it is
// recorded; the service's clock decides CreatedAt, not the caller.
type Entry struct {
	ID          int64             `json:"id"`
	WorkspaceID int64             `json:"workspace_id"`
	ActorUserID *int64            `json:"actor_user_id"` // nil: the system
	Actor       string            `json:"actor"`         // email, "token <prefix>" or "system"
	Action      string            `json:"action"`        // "monitor.update"
	RecordType  string            `json:"record_type"`   // "monitor"
	RecordID    *int64            `json:"record_id"`
	RecordKey   string            `json:"record_key"`
	Changes     map[string]Change `json:"changes"` // from Diff; secrets masked
	Address     string            `json:"address"`
	UserAgent   string            `json:"user_agent"`
	CreatedAt   time.Time         `json:"created_at"`
}

// Change is one field's value before and after; nil is "absent".
type Change struct {
	From any `json:"from"`
	To   any `json:"to"`
}

// Filter selects entries of a workspace; zero fields select everything.
type Filter struct {
	// Action matches whole dotted segments: "monitor" and "monitor."
	// match every "monitor.*" action, "monitor.update" only itself.
	Action      string
	ActorUserID *int64
	RecordType  string
	RecordKey   string
	Since       time.Time // inclusive
	Until       time.Time // exclusive
}

// Page is one page of entries, newest first. NextCursor is empty on the
// last page.
type Page struct {
	Entries    []Entry
	NextCursor string
}

// Page sizes.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// Limits on what an entry stores.
const (
	MaxUserAgent = 256 // bytes
	maxAddress   = 64
	maxActor     = 320
	maxName      = 200 // action, record type, record key
)

// Errors of this module.
var (
	// ErrBadCursor: the cursor was not made by List for this workspace and
	// filter (edited, truncated, or from another query).
	// It is a 400, not a 422: the client did not choose its value.
	ErrBadCursor = &apperr.Error{Kind: apperr.BadRequest, Message: "invalid cursor",
		Fields: map[string]string{"cursor": "is not a cursor returned by this API for this query; start again without it"}}
	// ErrInvalidEntry: a caller built an entry the log cannot hold. It is a
	// bug in the caller, so it has no kind and is answered 500.
	ErrInvalidEntry = errors.New("invalid audit entry")
)
