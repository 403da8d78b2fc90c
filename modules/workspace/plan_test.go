package workspace

import (
	"errors"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/access"
	"github.com/betterstack/betterstack/modules/apperr"
)

const (
	owner     = access.Owner
	admin     = access.Admin
	editor    = access.Editor
	responder = access.Responder
	viewer    = access.Viewer
)

func kindOf(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, ErrLastOwner):
		return "last-owner"
	}
	return string(apperr.KindOf(err))
}

func TestPlanRoleChange(t *testing.T) {
	for _, tc := range []struct {
		actor, old, next access.Role
		owners           int
		want             string
	}{
		{admin, editor, viewer, 1, "ok"},
		{admin, viewer, admin, 1, "ok"},
		{admin, editor, owner, 1, "forbidden"}, // only an owner makes owners
		{admin, owner, admin, 2, "forbidden"},  // nor changes an owner
		{owner, editor, owner, 1, "ok"},
		{owner, owner, admin, 2, "ok"},         // two owners: one may step down
		{owner, owner, admin, 1, "last-owner"}, // the last one may not
		{owner, owner, owner, 1, "ok"},         // no change
		{editor, viewer, editor, 1, "forbidden"},
		{owner, viewer, "boss", 1, "validation"},
		{owner, viewer, "", 1, "validation"},
	} {
		if got := kindOf(PlanRoleChange(tc.actor, tc.old, tc.next, tc.owners)); got != tc.want {
			t.Errorf("%s changes %s→%s with %d owners: %s, want %s", tc.actor, tc.old, tc.next, tc.owners, got, tc.want)
		}
	}
}

func TestPlanRemoval(t *testing.T) {
	for _, tc := range []struct {
		actor, target access.Role
		self          bool
		owners        int
		want          string
	}{
		{admin, editor, false, 1, "ok"},
		{admin, owner, false, 2, "forbidden"},
		{owner, owner, false, 2, "ok"},
		{owner, owner, false, 1, "last-owner"},
		{owner, owner, true, 1, "last-owner"}, // the last owner cannot leave
		{owner, owner, true, 2, "ok"},
		{viewer, viewer, true, 1, "ok"}, // anyone may leave
		{editor, viewer, false, 1, "forbidden"},
		{responder, viewer, false, 1, "forbidden"},
	} {
		if got := kindOf(PlanRemoval(tc.actor, tc.target, tc.self, tc.owners)); got != tc.want {
			t.Errorf("%s removes %s (self %v, %d owners): %s, want %s", tc.actor, tc.target, tc.self, tc.owners, got, tc.want)
		}
	}
}

func TestPlanInvite(t *testing.T) {
	for _, tc := range []struct {
		actor, role access.Role
		want        string
	}{
		{owner, owner, "ok"},
		{owner, viewer, "ok"},
		{admin, admin, "ok"},
		{admin, owner, "validation"},
		{editor, viewer, "forbidden"},
		{viewer, viewer, "forbidden"},
		{owner, "root", "validation"},
	} {
		if got := kindOf(PlanInvite(tc.actor, tc.role)); got != tc.want {
			t.Errorf("%s invites a %s: %s, want %s", tc.actor, tc.role, got, tc.want)
		}
	}
}

func TestInvitationStatus(t *testing.T) {
	exp := time.Date(2026, 12, 10, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		accepted, revoked bool
		now               time.Time
		want              string
	}{
		{false, false, exp.Add(-time.Nanosecond), "pending"},
		{false, false, exp, "expired"}, // the expiry instant itself is past
		{false, false, exp.Add(time.Second), "expired"},
		{true, false, exp.Add(time.Hour), "accepted"},
		{false, true, exp.Add(-time.Hour), "revoked"},
		{true, true, exp, "accepted"},
	} {
		if got := InvitationStatus(tc.accepted, tc.revoked, exp, tc.now); got != tc.want {
			t.Errorf("accepted %v revoked %v at %s: %s, want %s", tc.accepted, tc.revoked, tc.now, got, tc.want)
		}
	}
}
