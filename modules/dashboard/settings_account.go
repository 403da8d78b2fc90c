package dashboard

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/auth"
	"github.com/betterstack/betterstack/modules/server"
	"github.com/betterstack/betterstack/modules/web"
)

func (h *Handler) accountShow(c echo.Context) error {
	p, err := h.accountData(c)
	if err != nil {
		return err
	}
	return h.r.Render(c, http.StatusOK, "pages/settings_account", p)
}

// accountPassword changes the password. The auth service ends every
// earlier session with it; this browser gets the new session at once.
func (h *Handler) accountPassword(c echo.Context) error {
	tok, err := h.deps.Auth.ChangePassword(c.Request().Context(), server.UserID(c), c.FormValue("current_password"), c.FormValue("new_password"), auth.ClientOf(c))
	if err != nil {
		msg, fields, err := formErrors(err)
		if err != nil {
			return err
		}
		p, perr := h.accountData(c)
		if perr != nil {
			return perr
		}
		p.Error, p.Errors = msg, fields
		return h.r.Render(c, http.StatusUnprocessableEntity, "pages/settings_account", p)
	}
	web.SetSession(c, tok, h.cfg.SessionTTL)
	return redirect(c, "/settings/account", "Password changed. Every other session has been logged out.")
}
