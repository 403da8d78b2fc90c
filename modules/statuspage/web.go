package statuspage

import (
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/web"
)

// BadgeCSP is the Content-Security-Policy of badge images: an SVG opened on
// its own can run nothing and load nothing.
const BadgeCSP = "default-src 'none'; style-src 'unsafe-inline'"

// visitorMaxAge is how long a visitor of a protected page stays admitted.
const visitorMaxAge = 30 * 24 * time.Hour

// domainKey is where the custom-domain middleware leaves the domain a
// request came in on.
const domainKey = "statuspage.domain"

// RegisterWeb adds the public routes — status pages, their feeds and
// password forms, badges — and, as a Pre middleware of e, the custom-domain
// routing: a request whose Host is a page's custom domain is served that
// page; any other request passes through untouched.
func RegisterWeb(e *echo.Echo, svc *Service, r *web.Renderer, log *slog.Logger) {
	h := &webHandlers{svc: svc, r: r, csrf: web.CSRF(), log: log.With("module", "statuspage")}
	e.Pre(h.customDomain)
	headers := web.Headers(web.PublicCSP)
	e.GET("/status/:slug", h.page, headers)
	e.HEAD("/status/:slug", h.page, headers) // uptime checkers of the status page itself
	e.GET("/status/:slug/feed.atom", h.feed, headers)
	e.POST("/status/:slug/login", h.login, headers, h.csrf)
	e.GET("/badge/:token/status.svg", h.badge(BadgeStatus))
	e.GET("/badge/:token/uptime.svg", h.badge(BadgeUptime))
	e.GET("/badge/:token/response-time.svg", h.badge(BadgeResponseTime))
}

type webHandlers struct {
	svc  *Service
	r    *web.Renderer
	csrf echo.MiddlewareFunc
	log  *slog.Logger
}

// pageData is the public page's template data.
type pageData struct {
	web.Page
	V    *View
	Home string // the page's path: /status/<slug>, or / on its custom domain
	Feed string // the feed's path
}

// loginData is the password form's template data.
type loginData struct {
	web.Page
	Action string
	Error  string
}

// customDomain serves a page on its custom domain: "/" is the page,
// "/feed.atom" its feed, "/login" its password form; static files, badges
// and the public JSON are served as anywhere; anything else is not found,
// so a customer's domain never fronts the dashboard.
func (h *webHandlers) customDomain(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		host := hostOnly(c.Request().Host)
		if !strings.Contains(host, ".") {
			return next(c)
		}
		slug, ok := h.svc.SlugForDomain(c.Request().Context(), host)
		if !ok {
			return next(c)
		}
		req := c.Request()
		switch path := req.URL.Path; {
		case path == "/" || path == "":
			req.URL.Path = "/status/" + slug
		case path == "/feed.atom":
			req.URL.Path = "/status/" + slug + "/feed.atom"
		case path == "/login":
			req.URL.Path = "/status/" + slug + "/login"
		case strings.HasPrefix(path, "/static/"), strings.HasPrefix(path, "/badge/"),
			strings.HasPrefix(path, "/api/v1/public/status-pages/"), path == "/healthz", path == "/readyz":
		default:
			return echo.ErrNotFound
		}
		req.URL.RawPath = ""
		c.Set(domainKey, host)
		return next(c)
	}
}

// hostOnly is a Host header's name, lowercase, without port or final dot.
func hostOnly(hostport string) string {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	return strings.TrimSuffix(strings.ToLower(host), ".")
}

// home is the path of the page's links: "/" on its custom domain.
func home(c echo.Context, p Page) string {
	if _, ok := c.Get(domainKey).(string); ok {
		return "/"
	}
	return p.Path()
}

// link joins the page's home and a sub-path ("feed.atom", "login").
func link(c echo.Context, p Page, sub string) string {
	return strings.TrimSuffix(home(c, p), "/") + "/" + sub
}

// origin is the scheme and host absolute links start with.
func (h *webHandlers) origin(c echo.Context) string {
	if d, ok := c.Get(domainKey).(string); ok {
		return c.Scheme() + "://" + d
	}
	if h.svc.cfg.PublicURL != "" {
		return strings.TrimSuffix(h.svc.cfg.PublicURL, "/")
	}
	return c.Scheme() + "://" + c.Request().Host
}

// cookieName is the visitor cookie of page p. Its path is "/" so the page,
// its feed and its JSON all see it; the name and the HMAC bind it to p.
func cookieName(p Page) string { return "bs_status_" + strconv.FormatInt(p.ID, 10) }

func visitorCookie(c echo.Context, p Page) string {
	ck, err := c.Cookie(cookieName(p))
	if err != nil {
		return ""
	}
	return ck.Value
}

// setCaching lets shared caches keep a public page briefly; a protected
// page is never stored.
func setCaching(c echo.Context, p Page) {
	if p.Protected {
		c.Response().Header().Set("Cache-Control", "private, no-store")
		return
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=10")
}

func (h *webHandlers) page(c echo.Context) error {
	p, err := h.svc.Lookup(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	setCaching(c, p)
	if !h.svc.Admits(p, visitorCookie(c, p)) {
		// The form needs a CSRF token; only this answer sets its cookie, so
		// a public page's cached answers never carry one.
		return h.csrf(func(c echo.Context) error { return h.loginForm(c, p, http.StatusUnauthorized, "") })(c)
	}
	v, err := h.svc.View(c.Request().Context(), p)
	if err != nil {
		return err
	}
	return h.r.Render(c, http.StatusOK, "status/page", pageData{
		Page: web.Page{Title: v.Title}, V: v, Home: home(c, p), Feed: link(c, p, "feed.atom"),
	})
}

func (h *webHandlers) loginForm(c echo.Context, p Page, status int, msg string) error {
	return h.r.Render(c, status, "status/login", loginData{
		Page: web.Page{Title: "Password required", CSRF: web.CSRFToken(c)}, Action: link(c, p, "login"), Error: msg,
	})
}

func (h *webHandlers) login(c echo.Context) error {
	p, err := h.svc.Lookup(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "private, no-store")
	err = h.svc.Login(c.Request().Context(), p, c.FormValue("password"), c.RealIP())
	if ae := apperr.As(err); ae != nil {
		switch ae.Kind {
		case apperr.Unauthorized:
			return h.loginForm(c, p, http.StatusUnauthorized, "Wrong password. Try again.")
		case apperr.RateLimited:
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(ae.RetryAfter.Seconds())+1))
			return h.loginForm(c, p, http.StatusTooManyRequests, "Too many wrong passwords. Wait a few minutes and try again.")
		}
	}
	if err != nil {
		return err
	}
	if p.Protected {
		c.SetCookie(&http.Cookie{Name: cookieName(p), Value: h.svc.VisitorToken(p), Path: "/", HttpOnly: true,
			Secure: web.Secure(c), SameSite: http.SameSiteLaxMode, MaxAge: int(visitorMaxAge.Seconds())})
	}
	return c.Redirect(http.StatusSeeOther, home(c, p))
}

func (h *webHandlers) feed(c echo.Context) error {
	p, v, err := admittedView(c, h.svc)
	if err != nil {
		return err
	}
	origin := h.origin(c)
	body, err := Feed(v, origin+home(c, p), origin+link(c, p, "feed.atom"))
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "application/atom+xml; charset=utf-8", body)
}

// badge serves a badge image. Errors answer plain text: whoever asked
// embedded an image, and neither an HTML page nor JSON helps there.
func (h *webHandlers) badge(kind BadgeKind) echo.HandlerFunc {
	return func(c echo.Context) error {
		hd := c.Response().Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Content-Security-Policy", BadgeCSP)
		img, err := h.svc.BadgeImage(c.Request().Context(), c.Param("token"), kind, c.QueryParam("window"))
		if ae := apperr.As(err); ae != nil && (ae.Kind == apperr.NotFound || ae.Kind == apperr.BadRequest) {
			hd.Set("Cache-Control", "no-store")
			status := http.StatusNotFound
			if ae.Kind == apperr.BadRequest {
				status = http.StatusBadRequest
			}
			return c.String(status, ae.Message+"\n")
		}
		if err != nil {
			return err
		}
		hd.Set("Cache-Control", "public, max-age=60")
		return c.Blob(http.StatusOK, "image/svg+xml", img)
	}
}
