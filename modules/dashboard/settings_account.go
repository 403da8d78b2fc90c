package dashboard

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/server"
	"github.com/betterstack/betterstack/modules/web"
)

// accountPage shows the account and the change-password form.
type accountPage struct {
	settingsPage
	Email  string
	Error  string
	Errors map[string]string
}

func (h *Handler) accountShow(c echo.Context) error {
	return h.r.Render(c, http.StatusOK, "pages/settings_account",
		accountPage{settingsPage: h.settingsPage(c, "Account", "account"), Email: web.UserEmail(c), Errors: map[string]string{}})
}

// accountPassword changes the password. The auth service ends every
// earlier session with it; this browser gets the new session at once.
func (h *Handler) accountPassword(c echo.Context) error {
	tok, err := h.deps.Auth.ChangePassword(c.Request().Context(), server.UserID(c), c.FormValue("current_password"), c.FormValue("new_password"))
	if err != nil {
		msg, fields, err := formErrors(err)
		if err != nil {
			return err
		}
		p := accountPage{settingsPage: h.settingsPage(c, "Account", "account"), Email: web.UserEmail(c), Error: msg, Errors: fields}
		return h.r.Render(c, http.StatusUnprocessableEntity, "pages/settings_account", p)
	}
	web.SetSession(c, tok, h.cfg.SessionTTL)
	return redirect(c, "/settings/account", "Password changed. Every other session has been logged out.")
}
