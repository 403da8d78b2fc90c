package workspace

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/access"
	"github.com/betterstack/betterstack/modules/server"
)

// RegisterAPI adds the workspace, member and invitation routes to g (behind
// the auth middleware and access.Enforce). inviteURL turns an invitation
// token into the link to hand over.
func RegisterAPI(g *echo.Group, svc *Service, inviteURL func(c echo.Context, token string) string) {
	h := handlers{svc: svc, inviteURL: inviteURL}
	g.GET("/workspaces", h.mine)
	g.POST("/workspaces", h.create)
	g.GET("/workspace", h.current)
	g.PATCH("/workspace", h.update)
	g.DELETE("/workspace", h.delete)
	g.POST("/workspace/leave", h.leave)
	g.GET("/members", h.members)
	g.PATCH("/members/:id", h.setRole)
	g.DELETE("/members/:id", h.remove)
	g.GET("/invitations", h.invitations)
	g.POST("/invitations", h.invite)
	g.DELETE("/invitations/:id", h.revoke)
}

// InviteLink is the dashboard address that accepts the invitation with
// token: on publicURL when set, else on the address the request came to.
func InviteLink(publicURL string, c echo.Context, token string) string {
	base := strings.TrimRight(publicURL, "/")
	if base == "" {
		base = c.Scheme() + "://" + c.Request().Host
	}
	return base + "/invite/" + url.PathEscape(token)
}

type handlers struct {
	svc       *Service
	inviteURL func(echo.Context, string) string
}

func (h handlers) mine(c echo.Context) error {
	ws, err := h.svc.ForUser(c.Request().Context(), server.UserID(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"data": ws})
}

func (h handlers) create(c echo.Context) error {
	var in struct {
		Name string `json:"name"`
		Key  string `json:"key"`
	}
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	w, err := h.svc.Create(c.Request().Context(), server.UserID(c), in.Name, in.Key)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, w)
}

func (h handlers) current(c echo.Context) error {
	a := server.Access(c)
	if a.WorkspaceID == 0 {
		return ErrNotFound
	}
	w, err := h.svc.Get(c.Request().Context(), a.WorkspaceID)
	if err != nil {
		return err
	}
	w.Role = a.Role
	return c.JSON(http.StatusOK, w)
}

func (h handlers) update(c echo.Context) error {
	var in Settings
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	w, err := h.svc.Update(c.Request().Context(), server.WorkspaceID(c), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, w)
}

func (h handlers) delete(c echo.Context) error {
	if err := h.svc.Delete(c.Request().Context(), server.WorkspaceID(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h handlers) leave(c echo.Context) error {
	a := server.Access(c)
	if a.WorkspaceID == 0 {
		return ErrNotFound
	}
	if err := h.svc.Remove(c.Request().Context(), a.WorkspaceID, a.UserID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h handlers) members(c echo.Context) error {
	ms, err := h.svc.Members(c.Request().Context(), server.WorkspaceID(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"data": ms})
}

func (h handlers) setRole(c echo.Context) error {
	id, err := server.PathID(c, ErrMemberNotFound)
	if err != nil {
		return err
	}
	var in struct {
		Role string `json:"role"`
	}
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	m, err := h.svc.SetRole(c.Request().Context(), server.WorkspaceID(c), id, access.Role(strings.TrimSpace(in.Role)))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, m)
}

func (h handlers) remove(c echo.Context) error {
	id, err := server.PathID(c, ErrMemberNotFound)
	if err != nil {
		return err
	}
	if err := h.svc.Remove(c.Request().Context(), server.WorkspaceID(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h handlers) invitations(c echo.Context) error {
	is, err := h.svc.Invitations(c.Request().Context(), server.WorkspaceID(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"data": is})
}

type invitationCreated struct {
	Invitation
	Token string `json:"token"`
}

func (h handlers) invite(c echo.Context) error {
	var in struct {
		Email string `json:"email"`
		Role  string `json:"role"`
	}
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	inv, token, err := h.svc.Invite(c.Request().Context(), server.WorkspaceID(c), in.Email, access.Role(strings.TrimSpace(in.Role)))
	if err != nil {
		return err
	}
	inv.URL = h.inviteURL(c, token)
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusCreated, invitationCreated{Invitation: inv, Token: token})
}

func (h handlers) revoke(c echo.Context) error {
	id, err := server.PathID(c, ErrInvitationNotFound)
	if err != nil {
		return err
	}
	if err := h.svc.Revoke(c.Request().Context(), server.WorkspaceID(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
