// Package workspace owns workspaces, memberships and invitations: who may
// reach which records, and with which role (the role's powers are
// modules/access's). Every owned record of the other modules carries a
// workspace_id; a person reaches it through a membership.
//
// Data enters when an account is created (its personal workspace, where it
// is the owner), when someone creates a workspace, and through invitations;
// it leaves as the (workspace, role) the auth middleware puts in each
// request's access value. Tables: workspaces, memberships, invitations.
//
// Decisions:
//   - Every account has at least the personal workspace made with it; a
//     session without a named workspace works in the person's first one
//     (lowest id: the personal one unless they left it).
//   - A workspace always has an owner: the last owner can neither leave nor
//     be demoted nor removed (Plan* functions, pure and table-tested).
//   - Only an owner makes someone an owner or changes or removes an owner;
//     an admin manages everyone else, and nobody hands out a role above
//     their own (an invitation included).
//   - Invitations are links carrying 32 random bytes, stored as a SHA-256
//     hash, valid 7 days, used once (a conditional UPDATE decides the race
//     between two accepts), revocable; one bound to an email accepts only
//     that account.
package workspace

import (
	"time"

	"github.com/betterstack/betterstack/modules/access"
	"github.com/betterstack/betterstack/modules/apperr"
)

// Workspace is a team's space; Role is the asking person's role in it when
// listed for them.
type Workspace struct {
	ID         int64       `json:"id"`
	Key        string      `json:"key"`
	Name       string      `json:"name"`
	Require2FA bool        `json:"require_2fa"`
	CreatedAt  time.Time   `json:"created_at"`
	Role       access.Role `json:"role,omitempty"`
}

// Member is a person in a workspace.
type Member struct {
	UserID    int64       `json:"user_id"`
	Email     string      `json:"email"`
	Role      access.Role `json:"role"`
	TwoFactor bool        `json:"two_factor"`
	JoinedAt  time.Time   `json:"joined_at"`
}

// Invitation is a pending, used, revoked or expired invitation link.
type Invitation struct {
	ID         int64       `json:"id"`
	Email      string      `json:"email"`
	Role       access.Role `json:"role"`
	Status     string      `json:"status"` // pending | accepted | revoked | expired
	CreatedAt  time.Time   `json:"created_at"`
	ExpiresAt  time.Time   `json:"expires_at"`
	InvitedBy  string      `json:"invited_by"`
	AcceptedBy string      `json:"accepted_by,omitempty"`
	// URL is the link to hand over; only set when the invitation is made.
	URL string `json:"url,omitempty"`
	// Workspace names the workspace, for the accept page.
	Workspace string `json:"workspace,omitempty"`
}

// Errors of this module.
var (
	ErrNotFound           = apperr.New(apperr.NotFound, "workspace not found")
	ErrMemberNotFound     = apperr.New(apperr.NotFound, "member not found")
	ErrInvitationNotFound = apperr.New(apperr.NotFound, "invitation not found")
	ErrInvitationUsed     = apperr.New(apperr.Conflict, "this invitation was already used, revoked or has expired: ask for a new one")
	ErrAlreadyMember      = apperr.New(apperr.Conflict, "you are already a member of this workspace")
	ErrLastOwner          = apperr.New(apperr.Conflict, "a workspace needs an owner: make someone else owner first")
	ErrWrongInvitee       = apperr.New(apperr.Forbidden, "this invitation is for another email address")
)

// PlanRoleChange decides whether actor (with role actorRole) may change a
// member's role from old to next, given how many owners the workspace has.
func PlanRoleChange(actorRole, old, next access.Role, owners int) error {
	if !next.Valid() {
		return apperr.Field("role", "must be one of owner, admin, editor, responder, viewer")
	}
	if (old == access.Owner || next == access.Owner) && actorRole != access.Owner {
		return apperr.New(apperr.Forbidden, "only an owner can make someone an owner or change an owner's role")
	}
	if !access.Can(actorRole, access.Members) {
		return apperr.New(apperr.Forbidden, "your role cannot change roles")
	}
	if old == access.Owner && next != access.Owner && owners <= 1 {
		return ErrLastOwner
	}
	return nil
}

// PlanRemoval decides whether actor may remove a member with role target
// (self reports whether actor is leaving).
func PlanRemoval(actorRole, target access.Role, self bool, owners int) error {
	if target == access.Owner && owners <= 1 {
		return ErrLastOwner
	}
	if self {
		return nil
	}
	if target == access.Owner && actorRole != access.Owner {
		return apperr.New(apperr.Forbidden, "only an owner can remove an owner")
	}
	if !access.Can(actorRole, access.Members) {
		return apperr.New(apperr.Forbidden, "your role cannot remove members")
	}
	return nil
}

// PlanInvite decides whether actor may invite someone with role.
func PlanInvite(actorRole, role access.Role) error {
	if !role.Valid() {
		return apperr.Field("role", "must be one of owner, admin, editor, responder, viewer")
	}
	if !access.Can(actorRole, access.Members) {
		return apperr.New(apperr.Forbidden, "your role cannot invite people")
	}
	if role == access.Owner && actorRole != access.Owner {
		return apperr.Field("role", "only an owner can invite an owner")
	}
	return nil
}

// InvitationStatus says what an invitation is at now.
func InvitationStatus(accepted, revoked bool, expires, now time.Time) string {
	switch {
	case accepted:
		return "accepted"
	case revoked:
		return "revoked"
	case !now.Before(expires):
		return "expired"
	}
	return "pending"
}
