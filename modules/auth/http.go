package auth

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

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

// RegisterAPI adds the public auth routes to public and the account routes
// to private (which must be behind Middleware).
func RegisterAPI(public, private *echo.Group, svc *Service) {
	h := handlers{svc: svc}
	public.POST("/auth/signup", h.signup)
	public.POST("/auth/login", h.login)
	private.GET("/me", h.me)
	private.POST("/me/password", h.changePassword)
	private.POST("/tokens", h.createToken)
	private.GET("/tokens", h.listTokens)
	private.DELETE("/tokens/:id", h.deleteToken)
	private.DELETE("/tokens", h.revokeTokens)
}

type handlers struct{ svc *Service }

func (h handlers) signup(c echo.Context) error {
	var in credentials
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	u, tok, err := h.svc.Signup(c.Request().Context(), in.Email, in.Password, c.RealIP())
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
	u, tok, err := h.svc.Login(c.Request().Context(), in.Email, in.Password, c.RealIP())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sessionResponse{User: u, Token: tok})
}

func (h handlers) me(c echo.Context) error {
	u, err := h.svc.Get(c.Request().Context(), server.UserID(c))
	if err != nil {
		return err
	}
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
	tok, err := h.svc.ChangePassword(c.Request().Context(), server.UserID(c), in.Current, in.New)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"token": tok})
}

type tokenCreated struct {
	Token
	Secret string `json:"token"`
}

func (h handlers) createToken(c echo.Context) error {
	var in struct {
		Name string `json:"name"`
	}
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	tok, secret, err := h.svc.CreateToken(c.Request().Context(), server.UserID(c), in.Name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, tokenCreated{Token: tok, Secret: secret})
}

func (h handlers) listTokens(c echo.Context) error {
	toks, err := h.svc.ListTokens(c.Request().Context(), server.UserID(c))
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
	if err := h.svc.DeleteToken(c.Request().Context(), server.UserID(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// revokeTokens revokes every API token of the user: {"revoked": n}.
func (h handlers) revokeTokens(c echo.Context) error {
	n, err := h.svc.RevokeTokens(c.Request().Context(), server.UserID(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int64{"revoked": n})
}

// Middleware requires "Authorization: Bearer <jwt or api token>" and records
// the user for handlers (server.UserID).
func (s *Service) Middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header.Get(echo.HeaderAuthorization)
		scheme, cred, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(cred) == "" {
			return ErrUnauthenticated
		}
		u, err := s.Authenticate(c.Request().Context(), strings.TrimSpace(cred))
		if err != nil {
			if apperr.KindOf(err) == apperr.Unauthorized {
				c.Response().Header().Set("WWW-Authenticate", `Bearer realm="betterstack"`)
			}
			return err
		}
		server.SetUserID(c, u.ID)
		return next(c)
	}
}
