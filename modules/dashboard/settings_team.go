package dashboard

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/access"
	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/audit"
	"github.com/betterstack/betterstack/modules/auth"
	"github.com/betterstack/betterstack/modules/server"
	"github.com/betterstack/betterstack/modules/web"
	"github.com/betterstack/betterstack/modules/workspace"
)

// teamRoutes registers the workspace pages: members, invitations, the
// workspace's settings, the switcher, two-factor login and sessions. The
// invitation page is public (g): someone without an account opens it.
func (h *Handler) teamRoutes(g, p router) {
	g.GET("/invite/:token", h.inviteShow)
	g.POST("/invite/:token/signup", h.inviteSignup)
	p.POST("/invite/:token", h.inviteAccept)
	p.POST("/workspaces/switch", h.workspaceSwitch)
	p.POST("/workspaces", h.workspaceCreate)
	p.GET("/settings/members", h.membersShow)
	p.POST("/settings/members/invite", h.memberInvite)
	p.POST("/settings/members/:id/role", h.memberRole)
	p.POST("/settings/members/:id/remove", h.memberRemove)
	p.POST("/settings/members/leave", h.memberLeave)
	p.POST("/settings/invitations/:id/revoke", h.invitationRevoke)
	p.POST("/settings/workspace", h.workspaceUpdate)
	p.POST("/settings/account/2fa", h.twoFactorStart)
	p.POST("/settings/account/2fa/confirm", h.twoFactorConfirm)
	p.POST("/settings/account/2fa/disable", h.twoFactorDisable)
	p.POST("/settings/sessions/:id/delete", h.sessionEnd)
	p.GET("/settings/audit", h.auditShow)
}

func (h *Handler) workspaceSwitch(c echo.Context) error {
	a := server.Access(c)
	w, err := h.deps.Auth.Workspaces().Resolve(c.Request().Context(), a.UserID, c.FormValue("workspace"))
	if err != nil {
		return err
	}
	web.SetWorkspaceChoice(c, w.Key)
	return redirect(c, "/", "You are now in "+w.Name+" ("+string(w.Role)+").")
}

func (h *Handler) workspaceCreate(c echo.Context) error {
	w, err := h.deps.Auth.Workspaces().Create(c.Request().Context(), server.UserID(c), c.FormValue("name"), "")
	if err != nil {
		msg, fields, err := formErrors(err)
		if err != nil {
			return err
		}
		if m, ok := fields["name"]; ok {
			msg = "Workspace name " + m + "."
		}
		return redirect(c, "/settings/members", msg)
	}
	web.SetWorkspaceChoice(c, w.Key)
	return redirect(c, "/settings/members", "Workspace "+w.Name+" created; you are its owner. Invite your team below.")
}

// membersPage is the members tab: people, invitations and the workspace's
// own settings.
type membersPage struct {
	settingsPage
	Current     workspace.Workspace
	Members     []workspace.Member
	Invitations []workspace.Invitation
	Roles       []access.Role
	CanManage   bool
	CanSettings bool
	IsOwner     bool
	Me          int64
	// InviteURL is the link of the invitation just made, shown once.
	InviteURL string
	Error     string
	Errors    map[string]string
}

func (h *Handler) membersData(c echo.Context) (membersPage, error) {
	ctx, a := c.Request().Context(), server.Access(c)
	p := membersPage{settingsPage: h.settingsPage(c, "Members", "members"), Roles: access.Roles, Me: a.UserID,
		CanManage: a.Can(access.Members), CanSettings: a.Can(access.Settings), IsOwner: a.Role == access.Owner, Errors: map[string]string{}}
	if a.WorkspaceID == 0 || !a.Can(access.Read) {
		return p, nil
	}
	var err error
	if p.Current, err = h.deps.Auth.Workspaces().Get(ctx, a.WorkspaceID); err != nil {
		return p, err
	}
	if p.Members, err = h.deps.Auth.Workspaces().Members(ctx, a.WorkspaceID); err != nil {
		return p, err
	}
	if p.CanManage {
		if p.Invitations, err = h.deps.Auth.Workspaces().Invitations(ctx, a.WorkspaceID); err != nil {
			return p, err
		}
	}
	return p, nil
}

func (h *Handler) membersShow(c echo.Context) error {
	p, err := h.membersData(c)
	if err != nil {
		return err
	}
	return h.r.Render(c, http.StatusOK, "pages/settings_members", p)
}

// memberInvite answers with the page itself: the link must not travel
// through a flash cookie.
func (h *Handler) memberInvite(c echo.Context) error {
	_, token, err := h.deps.Auth.Workspaces().Invite(c.Request().Context(), server.WorkspaceID(c), c.FormValue("email"), access.Role(c.FormValue("role")))
	p, perr := h.membersData(c)
	if perr != nil {
		return perr
	}
	if err != nil {
		return h.memberFormError(c, p, err)
	}
	p.InviteURL = h.inviteLink(c, token)
	c.Response().Header().Set("Cache-Control", "no-store")
	return h.r.Render(c, http.StatusOK, "pages/settings_members", p)
}

// inviteLink is the invitation's address on this dashboard.
func (h *Handler) inviteLink(c echo.Context, token string) string {
	return workspace.InviteLink(h.cfg.PublicURL, c, token)
}

// memberFormError shows a refused change on the members page (a field
// error, a conflict such as the last owner, or a forbidden role change).
func (h *Handler) memberFormError(c echo.Context, p membersPage, err error) error {
	status, msg, fields, ok := formFailure(c, err, apperr.Invalid, apperr.Conflict, apperr.Forbidden)
	if !ok {
		return err
	}
	p.Error, p.Errors = msg, fields
	return h.r.Render(c, status, "pages/settings_members", p)
}

func (h *Handler) memberRole(c echo.Context) error {
	id, err := server.PathID(c, workspace.ErrMemberNotFound)
	if err != nil {
		return err
	}
	m, err := h.deps.Auth.Workspaces().SetRole(c.Request().Context(), server.WorkspaceID(c), id, access.Role(c.FormValue("role")))
	if err != nil {
		p, perr := h.membersData(c)
		if perr != nil {
			return perr
		}
		return h.memberFormError(c, p, err)
	}
	return redirect(c, "/settings/members", m.Email+" is now "+string(m.Role)+".")
}

func (h *Handler) memberRemove(c echo.Context) error {
	id, err := server.PathID(c, workspace.ErrMemberNotFound)
	if err != nil {
		return err
	}
	if err := h.deps.Auth.Workspaces().Remove(c.Request().Context(), server.WorkspaceID(c), id); err != nil {
		p, perr := h.membersData(c)
		if perr != nil {
			return perr
		}
		return h.memberFormError(c, p, err)
	}
	return redirect(c, "/settings/members", "Member removed: their sessions no longer reach this workspace and their API tokens for it are revoked.")
}

func (h *Handler) memberLeave(c echo.Context) error {
	a := server.Access(c)
	if err := h.deps.Auth.Workspaces().Remove(c.Request().Context(), a.WorkspaceID, a.UserID); err != nil {
		p, perr := h.membersData(c)
		if perr != nil {
			return perr
		}
		return h.memberFormError(c, p, err)
	}
	web.ClearWorkspaceChoice(c)
	return redirect(c, "/", "You left the workspace.")
}

func (h *Handler) invitationRevoke(c echo.Context) error {
	id, err := server.PathID(c, workspace.ErrInvitationNotFound)
	if err != nil {
		return err
	}
	if err := h.deps.Auth.Workspaces().Revoke(c.Request().Context(), server.WorkspaceID(c), id); err != nil {
		return err
	}
	return redirect(c, "/settings/members", "Invitation revoked: its link no longer works.")
}

func (h *Handler) workspaceUpdate(c echo.Context) error {
	name, k, req := c.FormValue("name"), c.FormValue("key"), c.FormValue("require_2fa") == "on"
	w, err := h.deps.Auth.Workspaces().Update(c.Request().Context(), server.WorkspaceID(c), workspace.Settings{Name: &name, Key: &k, Require2FA: &req})
	if err != nil {
		p, perr := h.membersData(c)
		if perr != nil {
			return perr
		}
		return h.memberFormError(c, p, err)
	}
	web.SetWorkspaceChoice(c, w.Key)
	return redirect(c, "/settings/members", "Workspace settings saved.")
}

// invitePage shows an invitation to whoever opens its link.
type invitePage struct {
	authPage
	Token      string
	Invitation workspace.Invitation
	SignedIn   string // the signed-in person's email, "" if nobody
	Invalid    string // why the link does not work, "" if it does
}

func (h *Handler) invitePageData(c echo.Context) invitePage {
	p := invitePage{authPage: h.authPage(c, "Invitation"), Token: c.Param("token")}
	inv, err := h.deps.Auth.Workspaces().Lookup(c.Request().Context(), p.Token)
	switch {
	case errors.Is(err, workspace.ErrInvitationNotFound):
		p.Invalid = "This invitation link is not valid. Check that you copied all of it."
	case errors.Is(err, workspace.ErrInvitationUsed):
		p.Invalid = "This invitation was already used, revoked or has expired. Ask for a new one."
	case err != nil:
		p.Invalid = "This invitation cannot be checked right now; try again in a moment."
	}
	p.Invitation = inv
	p.Email = inv.Email
	if tok := web.SessionToken(c); tok != "" {
		if pr, err := h.deps.Auth.Authenticate(c.Request().Context(), tok); err == nil {
			p.SignedIn = pr.User.Email
		}
	}
	return p
}

func (h *Handler) inviteShow(c echo.Context) error {
	p := h.invitePageData(c)
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	status := http.StatusOK
	if p.Invalid != "" {
		status = http.StatusNotFound
	}
	return h.r.Render(c, status, "pages/invite", p)
}

// inviteAccept joins the signed-in person to the invitation's workspace.
func (h *Handler) inviteAccept(c echo.Context) error {
	a := server.Access(c)
	w, err := h.deps.Auth.Workspaces().Accept(c.Request().Context(), nil, c.Param("token"), a.UserID, a.Actor)
	if err != nil {
		p := h.invitePageData(c)
		return h.authFailed(c, "pages/invite", p.authPage, err)
	}
	web.SetWorkspaceChoice(c, w.Key)
	return redirect(c, "/", "Welcome to "+w.Name+": you joined as "+string(w.Role)+".")
}

// inviteSignup creates an account through the invitation (sign-up need not
// be open: the invitation is the permission).
func (h *Handler) inviteSignup(c echo.Context) error {
	p := h.invitePageData(c)
	p.Email = c.FormValue("email")
	_, token, err := h.deps.Auth.SignupInvited(c.Request().Context(), p.Email, c.FormValue("password"), p.Token, auth.ClientOf(c))
	if err != nil {
		return h.inviteFailed(c, p, err)
	}
	web.SetSession(c, token, h.cfg.SessionTTL)
	web.ClearWorkspaceChoice(c)
	return redirect(c, "/", "Welcome! You joined "+p.Invitation.Workspace+" as "+string(p.Invitation.Role)+".")
}

func (h *Handler) inviteFailed(c echo.Context, p invitePage, err error) error {
	status, msg, fields, ok := formFailure(c, err, apperr.Invalid, apperr.Conflict, apperr.Forbidden, apperr.NotFound, apperr.RateLimited)
	if !ok {
		return err
	}
	p.Error, p.Errors = msg, fields
	return h.r.Render(c, status, "pages/invite", p)
}

// accountPage is the account tab: password, two-factor login, sessions.
type accountPage struct {
	settingsPage
	Email         string
	Error         string
	Errors        map[string]string
	TwoFactor     bool
	RecoveryLeft  int
	Enrolment     *auth.Enrolment
	RecoveryCodes []string
	Sessions      []auth.Session
	TwoFAError    string
	Require2FA    bool
}

func (h *Handler) accountData(c echo.Context) (accountPage, error) {
	ctx, a := c.Request().Context(), server.Access(c)
	p := accountPage{settingsPage: h.settingsPage(c, "Account", "account"), Email: web.UserEmail(c), Errors: map[string]string{}, Require2FA: a.MustEnroll2FA}
	u, err := h.deps.Auth.Get(ctx, a.UserID)
	if err != nil {
		return p, err
	}
	p.TwoFactor = u.TwoFactor
	if p.TwoFactor {
		if p.RecoveryLeft, err = h.deps.Auth.RecoveryCodesLeft(ctx, a.UserID); err != nil {
			return p, err
		}
	}
	p.Sessions, err = h.deps.Auth.Sessions(ctx, a.UserID, a.SessionID)
	return p, err
}

func (h *Handler) twoFactorStart(c echo.Context) error {
	e, err := h.deps.Auth.Enroll2FA(c.Request().Context(), server.UserID(c))
	if err != nil {
		return h.twoFactorFailed(c, err)
	}
	p, err := h.accountData(c)
	if err != nil {
		return err
	}
	p.Enrolment = &e
	c.Response().Header().Set("Cache-Control", "no-store")
	return h.r.Render(c, http.StatusOK, "pages/settings_account", p)
}

func (h *Handler) twoFactorConfirm(c echo.Context) error {
	codes, err := h.deps.Auth.ConfirmEnroll2FA(c.Request().Context(), server.UserID(c), c.FormValue("code"), server.Access(c).SessionID)
	if err != nil {
		return h.twoFactorFailed(c, err)
	}
	p, err := h.accountData(c)
	if err != nil {
		return err
	}
	p.RecoveryCodes = codes
	p.Flash = "Two-factor login is on. Every other session has been logged out."
	c.Response().Header().Set("Cache-Control", "no-store")
	return h.r.Render(c, http.StatusOK, "pages/settings_account", p)
}

func (h *Handler) twoFactorDisable(c echo.Context) error {
	if err := h.deps.Auth.Disable2FA(c.Request().Context(), server.UserID(c), c.FormValue("password"), c.FormValue("code")); err != nil {
		return h.twoFactorFailed(c, err)
	}
	return redirect(c, "/settings/account", "Two-factor login is off.")
}

func (h *Handler) twoFactorFailed(c echo.Context, err error) error {
	status, msg, fields, ok := formFailure(c, err, apperr.Invalid, apperr.Conflict, apperr.RateLimited)
	if !ok {
		return err
	}
	p, perr := h.accountData(c)
	if perr != nil {
		return perr
	}
	p.TwoFAError = msg
	for f, m := range fields {
		p.TwoFAError = "The " + f + " " + m + "."
	}
	return h.r.Render(c, status, "pages/settings_account", p)
}

func (h *Handler) sessionEnd(c echo.Context) error {
	id := c.Param("id")
	if err := h.deps.Auth.EndSession(c.Request().Context(), server.UserID(c), id); err != nil {
		return err
	}
	if a := server.Access(c); len(a.SessionID) >= 16 && a.SessionID[:16] == id {
		web.ClearSession(c)
		return redirect(c, "/login", "That session, this one, has ended.")
	}
	return redirect(c, "/settings/account", "Session ended: that browser or app must log in again.")
}

// auditPage is the audit log tab: newest first, filtered by action prefix
// or record key, paged by cursor.
type auditPage struct {
	settingsPage
	Entries []audit.Entry
	Action  string
	Key     string
	Next    string // the next page's URL, "" on the last
	Error   string
}

func (h *Handler) auditShow(c echo.Context) error {
	p := auditPage{settingsPage: h.settingsPage(c, "Audit log", "audit"), Action: c.QueryParam("action"), Key: c.QueryParam("key")}
	page, err := h.deps.Audit.List(c.Request().Context(), server.WorkspaceID(c), audit.Filter{Action: p.Action, RecordKey: p.Key},
		c.QueryParam("cursor"), 50)
	if err != nil {
		ae := apperr.As(err)
		if ae == nil || (ae.Kind != apperr.BadRequest && ae.Kind != apperr.Invalid) {
			return err
		}
		p.Error = sentence(ae.Message)
		return h.r.Render(c, http.StatusUnprocessableEntity, "pages/settings_audit", p)
	}
	p.Entries = page.Entries
	if page.NextCursor != "" {
		q := url.Values{"cursor": {page.NextCursor}}
		if p.Action != "" {
			q.Set("action", p.Action)
		}
		if p.Key != "" {
			q.Set("key", p.Key)
		}
		p.Next = "/settings/audit?" + q.Encode()
	}
	return h.r.Render(c, http.StatusOK, "pages/settings_audit", p)
}
