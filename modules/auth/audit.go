package auth

import (
	"context"

	"github.com/betterstack/betterstack/modules/audit"
)

// note records an account event (a login, two-factor login, a token) in
// every workspace of userID, so each workspace's admins see their members'
// logins; events of no account (an unknown email) go to the installation's
// log (workspace 0).
func (s *Service) note(ctx context.Context, userID int64, email, action string, cl Client, after any) {
	ev := audit.Event{Action: action, RecordType: "user", RecordID: userID, RecordKey: email, Actor: email, ActorUserID: userID,
		Address: cl.IP, UserAgent: cl.UserAgent, After: after}
	if userID == 0 {
		ev.WorkspaceID = audit.Installation
		audit.Note(ctx, ev)
		return
	}
	ws, err := s.workspaces.ForUser(ctx, userID)
	if err != nil {
		s.log.Warn("audit: list workspaces", "err", err)
		return
	}
	for i, w := range ws {
		if i == 50 {
			break
		}
		ev.WorkspaceID = w.ID
		audit.Note(ctx, ev)
	}
}
