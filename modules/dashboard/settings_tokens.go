package dashboard

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/auth"
	"github.com/betterstack/betterstack/modules/server"
)

// tokensPage lists API tokens; right after a creation it also shows the
// new token's secret, the only time it is ever shown.
type tokensPage struct {
	settingsPage
	Tokens  []auth.Token
	Name    string
	Error   string
	Errors  map[string]string
	Created *auth.Token
	Secret  string
}

func (h *Handler) tokenList(c echo.Context) error {
	p, err := h.tokensPage(c)
	if err != nil {
		return err
	}
	return h.r.Render(c, http.StatusOK, "pages/settings_tokens", p)
}

func (h *Handler) tokensPage(c echo.Context) (tokensPage, error) {
	toks, err := h.deps.Auth.ListTokens(c.Request().Context(), server.WorkspaceID(c), server.UserID(c))
	if err != nil {
		return tokensPage{}, err
	}
	return tokensPage{settingsPage: h.settingsPage(c, "API tokens", "tokens"), Tokens: toks, Errors: map[string]string{}}, nil
}

// tokenCreate answers with the page itself rather than a redirect: the
// secret must not travel through a flash cookie, and it is not stored.
func (h *Handler) tokenCreate(c echo.Context) error {
	name := c.FormValue("name")
	in := auth.TokenInput{Name: name, Scope: c.FormValue("scope")}
	if d := strings.TrimSpace(c.FormValue("expires_in_days")); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 || n > 3650 {
			p, perr := h.tokensPage(c)
			if perr != nil {
				return perr
			}
			p.Name, p.Error, p.Errors = name, "Please correct the fields below.", map[string]string{"expires_in_days": "must be a whole number of days from 1 to 3650, or empty for never"}
			return h.r.Render(c, http.StatusUnprocessableEntity, "pages/settings_tokens", p)
		}
		t := h.cfg.Now().Add(time.Duration(n) * 24 * time.Hour)
		in.ExpiresAt = &t
	}
	tok, secret, err := h.deps.Auth.CreateToken(c.Request().Context(), server.WorkspaceID(c), server.UserID(c), in)
	p, perr := h.tokensPage(c)
	if perr != nil {
		return perr
	}
	if err != nil {
		msg, fields, err := formErrors(err)
		if err != nil {
			return err
		}
		p.Name, p.Error, p.Errors = name, msg, fields
		return h.r.Render(c, http.StatusUnprocessableEntity, "pages/settings_tokens", p)
	}
	p.Created, p.Secret = &tok, secret
	c.Response().Header().Set("Cache-Control", "no-store")
	return h.r.Render(c, http.StatusOK, "pages/settings_tokens", p)
}

func (h *Handler) tokenDelete(c echo.Context) error {
	id, err := server.PathID(c, auth.ErrTokenNotFound)
	if err != nil {
		return err
	}
	if err := h.deps.Auth.DeleteToken(c.Request().Context(), server.WorkspaceID(c), server.UserID(c), id); err != nil {
		return err
	}
	return redirect(c, "/settings/tokens", "API token revoked: requests made with it are now refused.")
}

func (h *Handler) tokensRevokeAll(c echo.Context) error {
	n, err := h.deps.Auth.RevokeTokens(c.Request().Context(), server.WorkspaceID(c), server.UserID(c))
	if err != nil {
		return err
	}
	return redirect(c, "/settings/tokens", fmt.Sprintf("%d API tokens revoked: requests made with them are now refused.", n))
}
