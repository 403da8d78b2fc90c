package auth

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/betterstack/betterstack/modules/access"
	"github.com/betterstack/betterstack/modules/workspace"
)

// WorkspaceHeader names the workspace a session's API request works on
// (its key or id); without it, the person's first workspace. API tokens
// always work on their own workspace.
const WorkspaceHeader = "X-Workspace"

// Workspaces returns the workspace service the auth service uses.
func (s *Service) Workspaces() *workspace.Service { return s.workspaces }

// Access builds the request's access value for p in the workspace named by
// ref (a session's choice; "" = the first one). A token naming another
// workspace, or a session naming one the person is not in, answers
// workspace.ErrNotFound; a token whose creator left its workspace stops
// working (ErrUnauthenticated).
func (s *Service) Access(ctx context.Context, p Principal, ref string, cl Client) (access.Access, error) {
	a := access.Access{UserID: p.User.ID, Actor: p.User.Email, Scope: p.Scope, TokenID: p.TokenID, SessionID: p.SessionID,
		Address: cl.IP, UserAgent: clip(cl.UserAgent, 256)}
	if p.TokenID != 0 {
		if ref != "" && ref != strconv.FormatInt(p.WorkspaceID, 10) {
			w, err := s.workspaces.Get(ctx, p.WorkspaceID)
			if err != nil || !strings.EqualFold(w.Key, ref) {
				return access.Access{}, workspace.ErrNotFound
			}
		}
		role, err := s.workspaces.Role(ctx, p.WorkspaceID, p.User.ID)
		if errors.Is(err, workspace.ErrNotFound) {
			return access.Access{}, ErrUnauthenticated
		}
		if err != nil {
			return access.Access{}, err
		}
		w, err := s.workspaces.Get(ctx, p.WorkspaceID)
		if err != nil {
			return access.Access{}, err
		}
		a.WorkspaceID, a.WorkspaceKey, a.Role = w.ID, w.Key, role
		return a, nil
	}
	w, err := s.workspaces.Resolve(ctx, p.User.ID, ref)
	if errors.Is(err, workspace.ErrNotFound) && ref == "" {
		return a, nil // in no workspace at all: only their own account
	}
	if err != nil {
		return access.Access{}, err
	}
	a.WorkspaceID, a.WorkspaceKey, a.Role = w.ID, w.Key, w.Role
	a.MustEnroll2FA = w.Require2FA && !p.User.TwoFactor
	return a, nil
}
