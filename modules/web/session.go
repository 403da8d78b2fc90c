package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/betterstack/betterstack/modules/apperr"
)

// Cookie names.
const (
	SessionCookie = "bs_session"
	csrfCookie    = "bs_csrf"
	flashCookie   = "bs_flash"
	csrfField     = "_csrf"
	userEmailKey  = "web.user_email"
)

// Secure reports whether cookies must be Secure: the request came over TLS
// (directly, or per the proxy's X-Forwarded-Proto).
func Secure(c echo.Context) bool { return c.Scheme() == "https" }

// SetSession stores the session token (a JWT from the auth service, so a
// password change ends every session) in an HttpOnly, SameSite=Lax cookie.
func SetSession(c echo.Context, token string, ttl time.Duration) {
	c.SetCookie(&http.Cookie{Name: SessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: Secure(c),
		SameSite: http.SameSiteLaxMode, MaxAge: int(ttl.Seconds())})
}

// ClearSession removes the session cookie.
func ClearSession(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: Secure(c),
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// SessionToken returns the session cookie's value, "" without one.
func SessionToken(c echo.Context) string {
	ck, err := c.Cookie(SessionCookie)
	if err != nil {
		return ""
	}
	return ck.Value
}

// WorkspaceCookie holds the key of the workspace chosen in the header.
const WorkspaceCookie = "bs_workspace"

// SetWorkspaceChoice remembers the chosen workspace (its key) for a year.
func SetWorkspaceChoice(c echo.Context, key string) {
	c.SetCookie(&http.Cookie{Name: WorkspaceCookie, Value: key, Path: "/", HttpOnly: true, Secure: Secure(c),
		SameSite: http.SameSiteLaxMode, MaxAge: 365 * 24 * 3600})
}

// ClearWorkspaceChoice forgets the chosen workspace.
func ClearWorkspaceChoice(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: WorkspaceCookie, Value: "", Path: "/", HttpOnly: true, Secure: Secure(c),
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// ChosenWorkspace is the chosen workspace's key, "" for none.
func ChosenWorkspace(c echo.Context) string {
	ck, err := c.Cookie(WorkspaceCookie)
	if err != nil {
		return ""
	}
	return ck.Value
}

// SetUserEmail records the signed-in user's email for the layout.
func SetUserEmail(c echo.Context, email string) { c.Set(userEmailKey, email) }

// UserEmail is the signed-in user's email, "" when nobody is.
func UserEmail(c echo.Context) string {
	s, _ := c.Get(userEmailKey).(string)
	return s
}

// CSRF protects every unsafe request with a token that forms carry in the
// hidden field _csrf (scripts send the X-CSRF-Token header); the token is
// also in an HttpOnly SameSite cookie (double submit). A missing or wrong
// token answers 403 without running the handler.
func CSRF() echo.MiddlewareFunc {
	return middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "form:" + csrfField + ",header:" + echo.HeaderXCSRFToken,
		CookieName:     csrfCookie,
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSameSite: http.SameSiteLaxMode,
		CookieMaxAge:   86400,
		ErrorHandler: func(err error, c echo.Context) error {
			return echo.NewHTTPError(http.StatusForbidden, "The form expired or did not come from this site. Go back, reload the page and try again.")
		},
	})
}

// CSRFToken is the token for the current request's forms.
func CSRFToken(c echo.Context) string {
	s, _ := c.Get(middleware.DefaultCSRFConfig.ContextKey).(string)
	return s
}

// SetFlash shows message on the next page rendered for this browser.
func SetFlash(c echo.Context, message string) {
	c.SetCookie(&http.Cookie{Name: flashCookie, Value: url.QueryEscape(message), Path: "/", HttpOnly: true, Secure: Secure(c),
		SameSite: http.SameSiteLaxMode, MaxAge: 60})
}

// Flash returns and clears the pending flash message.
func Flash(c echo.Context) string {
	ck, err := c.Cookie(flashCookie)
	if err != nil || ck.Value == "" {
		return ""
	}
	c.SetCookie(&http.Cookie{Name: flashCookie, Value: "", Path: "/", HttpOnly: true, Secure: Secure(c), MaxAge: -1})
	msg, err := url.QueryUnescape(ck.Value)
	if err != nil {
		return ""
	}
	return msg
}

// SafeNext returns next when it is a path on this site ("/monitors/3"),
// else "/": the login form's redirect must not send users to another site.
// It judges next as a browser reads a Location header: browsers drop ASCII
// tab, CR and LF anywhere in a URL and read a backslash as a slash, so
// "/\t/evil.test/" and "/\\evil.test" both mean "//evil.test", another host.
func SafeNext(next string) string {
	clean := strings.Map(func(r rune) rune {
		switch r {
		case '\t', '\r', '\n':
			return -1
		case '\\':
			return '/'
		}
		return r
	}, next)
	if !strings.HasPrefix(clean, "/") || strings.HasPrefix(clean, "//") {
		return "/"
	}
	u, err := url.Parse(clean)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return clean
}

// Headers sets the security headers of every HTML response. csp is the
// Content-Security-Policy: no inline scripts or styles anywhere.
func Headers(csp string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			h.Set("Content-Security-Policy", csp)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "same-origin")
			h.Set("X-Frame-Options", "DENY")
			return next(c)
		}
	}
}

// Content-Security-Policies: the dashboard loads only its own files; status
// pages may show an owner's logo from any https URL.
const (
	DashboardCSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; " +
		"base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
	PublicCSP = "default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self'; object-src 'none'; " +
		"base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)

// CleanForm refuses a submitted form whose values hold a NUL character or
// invalid UTF-8 (422 naming the field): PostgreSQL cannot store either in
// text, and no field has a use for them. The JSON API refuses the same in
// server.DecodeJSON.
func CleanForm(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Request().Method != http.MethodPost {
			return next(c)
		}
		form, err := c.FormParams()
		if err != nil {
			return next(c) // the handler reports a form it cannot read
		}
		for name, values := range form {
			for _, v := range values {
				switch {
				case strings.ContainsRune(v, 0):
					return apperr.New(apperr.Invalid, "The field %q contains a NUL character, which is not allowed. Go back and remove it.", name)
				case !utf8.ValidString(v):
					return apperr.New(apperr.Invalid, "The field %q is not valid UTF-8 text. Go back and correct it.", name)
				}
			}
		}
		return next(c)
	}
}
