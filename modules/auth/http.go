package auth

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/access"
	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/server"
)

type credentials struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type sessionResponse struct {
	User  User   `json:"user"`
	Token string `json:"token"`
}

// ClientOf is where the request comes from.
func ClientOf(c echo.Context) Client {
	return Client{IP: c.RealIP(), UserAgent: c.Request().UserAgent()}
}

// RegisterAPI adds the public auth routes to public and the account routes
// to private (which must be behind Middleware).
func RegisterAPI(public, private *echo.Group, svc *Service) {
	h := handlers{svc: svc}
	public.POST("/auth/signup", h.signup)
	public.POST("/auth/login", h.login)
	public.POST("/auth/login/2fa", h.login2FA)
	public.POST("/auth/accept-invitation", h.signupInvited)
	private.POST("/auth/logout", h.logout)
	private.GET("/me", h.me)
	private.POST("/me/password", h.changePassword)
	private.POST("/me/2fa", h.enroll2FA)
	private.POST("/me/2fa/confirm", h.confirm2FA)
	private.POST("/me/2fa/disable", h.disable2FA)
	private.GET("/sessions", h.listSessions)
	private.DELETE("/sessions/:id", h.endSession)
	private.POST("/tokens", h.createToken)
	private.GET("/tokens", h.listTokens)
	private.DELETE("/tokens/:id", h.deleteToken)
	private.DELETE("/tokens", h.revokeTokens)
	private.POST("/invitations/accept", h.acceptInvitation)
}

type handlers struct{ svc *Service }

func (h handlers) signup(c echo.Context) error {
	var in credentials
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	u, tok, err := h.svc.Signup(c.Request().Context(), in.Email, in.Password, ClientOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, sessionResponse{User: u, Token: tok})
}

// signupInvited creates an account through an invitation (sign-up need
// not be open).
func (h handlers) signupInvited(c echo.Context) error {
	var in struct {
		credentials
		Invitation string `json:"invitation"`
	}
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	u, tok, err := h.svc.SignupInvited(c.Request().Context(), in.Email, in.Password, in.Invitation, ClientOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, sessionResponse{User: u, Token: tok})
}

func (h handlers) login(c echo.Context) error {
	var in credentials
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	u, tok, err := h.svc.Login(c.Request().Context(), in.Email, in.Password, ClientOf(c))
	var tf *TwoFactorRequired
	if errors.As(err, &tf) {
		return c.JSON(http.StatusOK, map[string]any{"two_factor_required": true, "challenge": tf.Challenge})
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sessionResponse{User: h.withWorkspace(c, u), Token: tok})
}

// withWorkspace gives u the workspace a session without X-Workspace works
// on (its first), as sign-up's and GET /me's answers have it.
func (h handlers) withWorkspace(c echo.Context, u User) User {
	if u.WorkspaceID == 0 {
		if ws, err := h.svc.Workspaces().ForUser(c.Request().Context(), u.ID); err == nil && len(ws) > 0 {
			u.WorkspaceID = ws[0].ID
		}
	}
	return u
}

func (h handlers) login2FA(c echo.Context) error {
	var in struct {
		Challenge string `json:"challenge"`
		Code      string `json:"code"`
	}
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	u, tok, err := h.svc.CompleteLogin(c.Request().Context(), in.Challenge, in.Code, ClientOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sessionResponse{User: h.withWorkspace(c, u), Token: tok})
}

func (h handlers) logout(c echo.Context) error {
	if err := h.svc.Logout(c.Request().Context(), server.Access(c).SessionID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h handlers) me(c echo.Context) error {
	u, err := h.svc.Get(c.Request().Context(), server.UserID(c))
	if err != nil {
		return err
	}
	u.WorkspaceID = server.WorkspaceID(c)
	return c.JSON(http.StatusOK, u)
}

func (h handlers) changePassword(c echo.Context) error {
	var in struct {
		Current string `json:"current_password"`
		New     string `json:"new_password"`
	}
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	tok, err := h.svc.ChangePassword(c.Request().Context(), server.UserID(c), in.Current, in.New, ClientOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"token": tok})
}

func (h handlers) listSessions(c echo.Context) error {
	ss, err := h.svc.Sessions(c.Request().Context(), server.UserID(c), server.Access(c).SessionID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"data": ss})
}

func (h handlers) endSession(c echo.Context) error {
	if err := h.svc.EndSession(c.Request().Context(), server.UserID(c), c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

type tokenCreated struct {
	Token
	Secret string `json:"token"`
}

func (h handlers) createToken(c echo.Context) error {
	var in TokenInput
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	tok, secret, err := h.svc.CreateToken(c.Request().Context(), server.WorkspaceID(c), server.UserID(c), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, tokenCreated{Token: tok, Secret: secret})
}

func (h handlers) listTokens(c echo.Context) error {
	toks, err := h.svc.ListTokens(c.Request().Context(), server.WorkspaceID(c), server.UserID(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"data": toks})
}

func (h handlers) deleteToken(c echo.Context) error {
	id, err := server.PathID(c, ErrTokenNotFound)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteToken(c.Request().Context(), server.WorkspaceID(c), server.UserID(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// revokeTokens revokes every API token of the user in this workspace:
// {"revoked": n}.
func (h handlers) revokeTokens(c echo.Context) error {
	n, err := h.svc.RevokeTokens(c.Request().Context(), server.WorkspaceID(c), server.UserID(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int64{"revoked": n})
}

// acceptInvitation joins the signed-in person to an invitation's workspace.
func (h handlers) acceptInvitation(c echo.Context) error {
	var in struct {
		Invitation string `json:"invitation"`
	}
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	a := server.Access(c)
	w, err := h.svc.workspaces.Accept(c.Request().Context(), nil, in.Invitation, a.UserID, a.Actor)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, w)
}

// Middleware requires "Authorization: Bearer <session jwt or api token>",
// builds the request's access value (server.Access) in the workspace of
// the token or, for a session, the one named by the X-Workspace header,
// and checks it against the route's rule (access.Enforce).
func (s *Service) Middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header.Get(echo.HeaderAuthorization)
		scheme, cred, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(cred) == "" {
			return ErrUnauthenticated
		}
		p, err := s.Authenticate(c.Request().Context(), strings.TrimSpace(cred))
		if err == nil {
			var a access.Access
			a, err = s.Access(c.Request().Context(), p, c.Request().Header.Get(WorkspaceHeader), ClientOf(c))
			if err == nil {
				server.SetAccess(c, a)
				return next(c)
			}
		}
		if apperr.KindOf(err) == apperr.Unauthorized {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="betterstack"`)
		}
		return err
	}
}

func (h handlers) enroll2FA(c echo.Context) error {
	e, err := h.svc.Enroll2FA(c.Request().Context(), server.UserID(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, e)
}

func (h handlers) confirm2FA(c echo.Context) error {
	var in struct {
		Code string `json:"code"`
	}
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	codes, err := h.svc.ConfirmEnroll2FA(c.Request().Context(), server.UserID(c), in.Code, server.Access(c).SessionID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"enabled": true, "recovery_codes": codes})
}

func (h handlers) disable2FA(c echo.Context) error {
	var in struct {
		Password string `json:"password"`
		Code     string `json:"code"`
	}
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	if err := h.svc.Disable2FA(c.Request().Context(), server.UserID(c), in.Password, in.Code); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"enabled": false})
}
