// Package access is the one place that decides what a person may do in a
// workspace. A request carries one Access value — workspace, user, role,
// and for API tokens the token's scope — built once by the auth middleware
// from the session or the token; Can(role, action) is the rule, and Routes
// (routes.go) names the action of every API route and dashboard form, so
// the middleware (Enforce) checks each request before its handler runs.
//
// Decisions:
//   - Roles are ranked: owner > admin > editor > responder > viewer, and an
//     action needs a minimum rank. Every role can do what the roles below it
//     can (an admin can also edit monitors), which is what teams expect and
//     what keeps the rule one comparison.
//   - A route without a rule is refused (fail closed) and makes
//     TestEveryRouteHasARule fail: adding a route means adding its line to
//     routes.go, nothing else.
//   - A read-scoped API token may make any GET or HEAD request its
//     creator's role allows and nothing else (CheckRequest); a write-scoped
//     token acts with its creator's current role in the token's workspace
//     (so demoting or removing a member limits or ends their tokens at
//     once).
//   - Sign-in security (Account: the password, two-factor login, the list
//     of sessions) needs a session: an API token, made for one workspace
//     and often handed to a script, may not change how its person signs
//     in (a write token turning on two-factor login would lock them out).
//   - One's own account (Self) needs no role, so someone who left every
//     workspace can still create one; making an API token (Tokens) needs a
//     role in the workspace, and neither a person who must first turn on
//     required two-factor login (MustEnroll2FA) nor a read token may.
//   - Ownership is not decided here: stores filter by the workspace id, so
//     another workspace's record answers 404 like a missing one. This
//     package decides what a role may do inside its own workspace.
//   - The acting person travels in the request context (With/From) for the
//     services that record who did something (incident events, status-page
//     updates, the audit log); ownership is always an explicit workspace id.
package access

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/betterstack/betterstack/modules/apperr"
)

// Role is a member's role in a workspace.
type Role string

// The roles, from most to least powerful.
const (
	Owner     Role = "owner"
	Admin     Role = "admin"
	Editor    Role = "editor"
	Responder Role = "responder"
	Viewer    Role = "viewer"
)

// Roles lists the roles from most to least powerful (for forms and docs).
var Roles = []Role{Owner, Admin, Editor, Responder, Viewer}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// rank orders the roles; 0 is no role at all.
func (r Role) rank() int {
	switch r {
	case Owner:
		return 5
	case Admin:
		return 4
	case Editor:
		return 3
	case Responder:
		return 2
	case Viewer:
		return 1
	}
	return 0
}

// Action is what a request does, as far as permissions go.
type Action string

// The actions. Each needs the role named in its comment or a higher one.
const (
	Read        Action = "read"             // viewer: see everything in the workspace
	Self        Action = "self"             // anyone signed in: one's own account, tokens, workspaces
	Account     Action = "account"          // a signed-in session only: one's password, 2FA, sessions
	Tokens      Action = "tokens"           // viewer: make an API token for this workspace
	Respond     Action = "respond"          // responder: acknowledge, resolve, comment, status-page updates
	Edit        Action = "edit"             // editor: monitors, status pages, maintenance, badges
	Channels    Action = "channels"         // admin: notification channels
	Members     Action = "members"          // admin: invitations, roles, removing members
	Settings    Action = "settings"         // admin: workspace settings (name, require 2FA)
	Audit       Action = "audit"            // admin: read the audit log
	DeleteSpace Action = "delete-workspace" // owner: delete the workspace
)

// minimum is the least role each action needs.
var minimum = map[Action]Role{
	Read:        Viewer,
	Self:        Viewer,
	Account:     Viewer,
	Tokens:      Viewer,
	Respond:     Responder,
	Edit:        Editor,
	Channels:    Admin,
	Members:     Admin,
	Settings:    Admin,
	Audit:       Admin,
	DeleteSpace: Owner,
}

// Can reports whether role r may do a. An unknown role or action may do
// nothing.
func Can(r Role, a Action) bool {
	need, ok := minimum[a]
	if !ok || r.rank() == 0 {
		return false
	}
	return r.rank() >= need.rank()
}

// Least returns the least role that may do a ("" for an unknown action).
func Least(a Action) Role { return minimum[a] }

// Scope limits what an API token may do; sessions have no scope.
type Scope string

// The token scopes.
const (
	ScopeRead  Scope = "read"
	ScopeWrite Scope = "write"
)

// Access is who is asking, in which workspace, with which role.
type Access struct {
	WorkspaceID  int64
	WorkspaceKey string
	UserID       int64
	Role         Role
	Actor        string // what records say did it: the user's email
	Scope        Scope  // "" for a session
	TokenID      int64  // the API token used, if any
	SessionID    string // the session used, if any
	Address      string // the client's address
	UserAgent    string
	// MustEnroll2FA is set for a session of someone without two-factor
	// login in a workspace that requires it: they may only manage their own
	// account (and so turn it on) until they do.
	MustEnroll2FA bool
}

// Can reports whether this access may do a: the role's rule, and a read
// token only reads.
func (x Access) Can(a Action) bool {
	if x.Scope == ScopeRead && a != Read {
		return false
	}
	if a == Self {
		// One's own account needs no role: someone who left every
		// workspace can still create one, change a password, log out.
		return x.UserID != 0
	}
	if a == Account {
		// Sign-in security is a person's, not a token's: a token made for
		// one workspace (by a viewer, for a CI job) must not turn on
		// two-factor login with a secret only its holder has, and so lock
		// the person out of their own account.
		return x.UserID != 0 && x.TokenID == 0
	}
	if x.MustEnroll2FA {
		return false
	}
	return Can(x.Role, a)
}

// CheckRequest is Check for a request with method: a read token may make
// any GET or HEAD request its creator's role allows, and nothing else.
func (x Access) CheckRequest(method string, a Action) error {
	safe := method == http.MethodGet || method == http.MethodHead
	if a == Account && x.TokenID != 0 {
		return errAccountToken // no scope would do: name what would
	}
	if x.Scope == ScopeRead && !safe {
		return errReadScope
	}
	if safe {
		x.Scope = ""
	}
	return x.Check(a)
}

var errAccountToken = apperr.New(apperr.Forbidden, "a password, two-factor login and sessions are changed with a signed-in session "+
	"(dashboard: Settings → Account; API: the token from POST /api/v1/auth/login), not with an API token")

var errReadScope = apperr.New(apperr.Forbidden, "this API token has the read scope: it cannot change anything (create a token with scope \"write\")")

// Check returns nil if this access may do a, else a 403 naming what is
// missing (the token's scope or the role needed).
func (x Access) Check(a Action) error {
	if x.Can(a) {
		return nil
	}
	if a == Account && x.UserID != 0 {
		return errAccountToken
	}
	if x.MustEnroll2FA && a != Self && Can(x.Role, a) {
		return apperr.New(apperr.Forbidden, "this workspace requires two-factor login: turn it on first (dashboard: Settings → Account; API: POST /api/v1/me/2fa)")
	}
	if x.Scope == ScopeRead && a != Read && (a == Self || Can(x.Role, a)) {
		return errReadScope
	}
	need := Least(a)
	if need == "" {
		return apperr.New(apperr.Forbidden, "this action has no access rule")
	}
	return apperr.New(apperr.Forbidden, "%s", fmt.Sprintf("your role in this workspace is %s: this needs %s or higher", orNone(x.Role), need))
}

func orNone(r Role) string {
	if r == "" {
		return "none"
	}
	return string(r)
}

type ctxKey struct{}

// With returns ctx carrying a.
func With(ctx context.Context, a Access) context.Context { return context.WithValue(ctx, ctxKey{}, a) }

// From returns the access in ctx; the zero value (no role, actor "") if
// none, as for the alerter's own work.
func From(ctx context.Context) Access {
	a, _ := ctx.Value(ctxKey{}).(Access)
	return a
}

// ActorOf names who acts in ctx for records: the signed-in person's email,
// or "system" for the product's own work.
func ActorOf(ctx context.Context) string {
	if a := From(ctx); a.Actor != "" {
		return a.Actor
	}
	return "system"
}
