package dashboard

import (
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/auth"
	"github.com/betterstack/betterstack/modules/server"
	"github.com/betterstack/betterstack/modules/web"
)

// authPage is the login and sign-up pages' data.
type authPage struct {
	web.Page
	Email       string
	Next        string
	Error       string
	Errors      map[string]string
	AllowSignup bool
	SSO         bool // single sign-on is configured
}

func (h *Handler) authPage(c echo.Context, title string) authPage {
	return authPage{Page: web.Page{Title: title, CSRF: web.CSRFToken(c), Flash: web.Flash(c)}, AllowSignup: h.signupOpen(c), SSO: h.deps.SSO != nil,
		Next: web.SafeNext(c.QueryParam("next")), Errors: map[string]string{}}
}

// signupOpen asks the auth service whether a visitor may sign up now; if it
// cannot tell (the database is down), the link is not offered.
func (h *Handler) signupOpen(c echo.Context) bool {
	open, err := h.deps.Auth.SignupOpen(c.Request().Context())
	if err != nil {
		h.log.Warn("sign-up policy", "err", err)
	}
	return open && err == nil
}

func (h *Handler) loginForm(c echo.Context) error {
	return h.r.Render(c, http.StatusOK, "pages/login", h.authPage(c, "Log in"))
}

func (h *Handler) login(c echo.Context) error {
	p := h.authPage(c, "Log in")
	p.Email, p.Next = c.FormValue("email"), web.SafeNext(c.FormValue("next"))
	_, token, err := h.deps.Auth.Login(c.Request().Context(), p.Email, c.FormValue("password"), auth.ClientOf(c))
	var tf *auth.TwoFactorRequired
	if errors.As(err, &tf) {
		return h.r.Render(c, http.StatusOK, "pages/login_2fa", twoFactorPage{authPage: p, Challenge: tf.Challenge})
	}
	if err != nil {
		return h.authFailed(c, "pages/login", p, err)
	}
	web.SetSession(c, token, h.cfg.SessionTTL)
	return c.Redirect(http.StatusSeeOther, p.Next)
}

func (h *Handler) signupForm(c echo.Context) error {
	if !h.signupOpen(c) {
		return redirect(c, "/login", "Sign-up is disabled on this installation; ask an administrator for an account.")
	}
	return h.r.Render(c, http.StatusOK, "pages/signup", h.authPage(c, "Sign up"))
}

func (h *Handler) signup(c echo.Context) error {
	p := h.authPage(c, "Sign up")
	p.Email = c.FormValue("email")
	_, token, err := h.deps.Auth.Signup(c.Request().Context(), p.Email, c.FormValue("password"), auth.ClientOf(c))
	if err != nil {
		return h.authFailed(c, "pages/signup", p, err)
	}
	web.SetSession(c, token, h.cfg.SessionTTL)
	return redirect(c, "/", "Welcome! Add your first monitor to start checking.")
}

// authFailed re-renders the form with what went wrong and the email kept.
// Unexpected errors go to the error page (and the log) as usual.
func (h *Handler) authFailed(c echo.Context, page string, p authPage, err error) error {
	status, msg, fields, ok := formFailure(c, err, apperr.Unauthorized, apperr.RateLimited, apperr.Conflict, apperr.Forbidden, apperr.Invalid)
	if !ok {
		return err
	}
	p.Error, p.Errors = msg, fields
	if len(fields) == 0 {
		p.Error = apperr.As(err).Message // as the service says it, lower-case
	}
	return h.r.Render(c, status, page, p)
}

// formFailure maps err, when its kind is one of kinds, to what a form page
// shows: the status, the message (or "Please correct the fields below."
// with the fields' messages), and Retry-After for a rate limit. ok false
// sends err to the error page (not found, internal...).
func formFailure(c echo.Context, err error, kinds ...apperr.Kind) (status int, msg string, fields map[string]string, ok bool) {
	ae := apperr.As(err)
	if ae == nil || !slices.Contains(kinds, ae.Kind) {
		return 0, "", nil, false
	}
	status = map[apperr.Kind]int{apperr.Unauthorized: http.StatusUnauthorized, apperr.RateLimited: http.StatusTooManyRequests,
		apperr.Conflict: http.StatusConflict, apperr.Forbidden: http.StatusForbidden, apperr.NotFound: http.StatusNotFound}[ae.Kind]
	if status == 0 {
		status = http.StatusUnprocessableEntity
	}
	if ae.Kind == apperr.RateLimited && ae.RetryAfter > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(ae.RetryAfter.Seconds())+1))
	}
	if len(ae.Fields) > 0 {
		return status, "Please correct the fields below.", ae.Fields, true
	}
	return status, sentence(ae.Message), map[string]string{}, true
}

// logout ends the session on the server, not only the cookie: a copy of
// the cookie stops working too.
func (h *Handler) logout(c echo.Context) error {
	if err := h.deps.Auth.Logout(c.Request().Context(), server.Access(c).SessionID); err != nil {
		return err
	}
	web.ClearSession(c)
	return redirect(c, "/login", "You are logged out.")
}

// twoFactorPage asks for the code after a right password.
type twoFactorPage struct {
	authPage
	Challenge string
}

// login2FA completes a login with a code from the authenticator app or a
// recovery code.
func (h *Handler) login2FA(c echo.Context) error {
	p := twoFactorPage{authPage: h.authPage(c, "Two-factor login"), Challenge: c.FormValue("challenge")}
	p.Next = web.SafeNext(c.FormValue("next"))
	_, token, err := h.deps.Auth.CompleteLogin(c.Request().Context(), p.Challenge, c.FormValue("code"), auth.ClientOf(c))
	if err != nil {
		ae := apperr.As(err)
		if ae == nil {
			return err
		}
		if ae.Kind == apperr.Unauthorized {
			return h.authFailed(c, "pages/login", p.authPage, err)
		}
		status := http.StatusUnprocessableEntity
		if ae.Kind == apperr.RateLimited {
			status = http.StatusTooManyRequests
		}
		p.Error = ae.Message
		if msg, ok := ae.Fields["code"]; ok {
			p.Error = "The code " + msg + "."
		}
		return h.r.Render(c, status, "pages/login_2fa", p)
	}
	web.SetSession(c, token, h.cfg.SessionTTL)
	return c.Redirect(http.StatusSeeOther, p.Next)
}

// ssoStart sends the browser to the OpenID provider.
func (h *Handler) ssoStart(c echo.Context) error {
	if h.deps.SSO == nil {
		return echo.ErrNotFound
	}
	to, err := h.deps.SSO.Start(c.Response(), c.Request())
	if err != nil {
		return h.ssoFailed(c, err)
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// ssoCallback finishes an SSO login: the provider's answer is checked
// (state, PKCE, ID token signature, audience, expiry, nonce, verified
// email, allowed domain), then the account is signed in or created.
func (h *Handler) ssoCallback(c echo.Context) error {
	if h.deps.SSO == nil {
		return echo.ErrNotFound
	}
	id, next, err := h.deps.SSO.Finish(c.Response(), c.Request())
	if err != nil {
		return h.ssoFailed(c, err)
	}
	_, token, err := h.deps.Auth.LoginSSO(c.Request().Context(), id, h.deps.SSOJoin, auth.ClientOf(c))
	if err != nil {
		return h.ssoFailed(c, err)
	}
	web.SetSession(c, token, h.cfg.SessionTTL)
	return c.Redirect(http.StatusSeeOther, web.SafeNext(next))
}

// ssoFailed shows why single sign-on did not work on the login page.
func (h *Handler) ssoFailed(c echo.Context, err error) error {
	h.log.Info("single sign-on refused", "err", err)
	p := h.authPage(c, "Log in")
	ae := apperr.As(err)
	if ae == nil {
		return err
	}
	p.Error = "Single sign-on did not work: " + ae.Message
	status := http.StatusUnauthorized
	switch ae.Kind {
	case apperr.Forbidden:
		status = http.StatusForbidden
	case apperr.Unavailable:
		status = http.StatusBadGateway
	}
	return h.r.Render(c, status, "pages/login", p)
}
