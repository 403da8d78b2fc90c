// Package dashboard is the server-rendered web UI: sign-up and login,
// monitors (overview, detail, create/edit), incidents, settings (channels,
// maintenance windows, API tokens, account, regions), status pages and
// reports. It owns no tables: every page reads through the other modules'
// services, which is why it is one module of its own rather than a web.go
// in each domain module as STYLE suggests — the overview alone reads
// monitors, their state, rollups and incidents, and tick already imports
// monitor, so monitor's own web.go could not draw its uptime.
//
// Handlers are adapters: parse the form, call one service, render or
// redirect (post/redirect/get). Forms carry a CSRF token (web.CSRF);
// sessions are the auth service's JWTs in an HttpOnly cookie, so a password
// change ends every session. Tenant isolation is the services': another
// user's id answers 404 exactly like a missing one.
package dashboard

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/access"
	"github.com/betterstack/betterstack/modules/audit"
	"github.com/betterstack/betterstack/modules/auth"
	"github.com/betterstack/betterstack/modules/channel"
	"github.com/betterstack/betterstack/modules/incident"
	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/queue"
	"github.com/betterstack/betterstack/modules/server"
	"github.com/betterstack/betterstack/modules/sla"
	"github.com/betterstack/betterstack/modules/sso"
	"github.com/betterstack/betterstack/modules/statuspage"
	"github.com/betterstack/betterstack/modules/tick"
	"github.com/betterstack/betterstack/modules/web"
	"github.com/betterstack/betterstack/modules/workspace"
)

// regionLister is what the regions page needs of the queue.
type regionLister interface {
	Regions(ctx context.Context, liveWithin time.Duration) ([]queue.Region, error)
}

// Deps are the services the pages read and change.
type Deps struct {
	Auth        *auth.Service
	Monitors    *monitor.Service
	Ticks       *tick.Service
	Incidents   *incident.Service
	Channels    *channel.Service
	Regions     regionLister
	SLA         *sla.Service
	StatusPages *statuspage.Service
	// SSO is the OpenID Connect login, nil when not configured; SSOJoin is
	// where first-time SSO users go.
	SSO        *sso.Provider
	SSOJoin    auth.SSOJoin
	Audit      *audit.Service
	Heartbeats heartbeatReader // nil: heartbeat pages show no ping log
	Pipeline   pipelineStatus  // nil: the settings pages show no lag notice
}

// Config tunes the dashboard.
type Config struct {
	SessionTTL time.Duration    // the session cookie's lifetime (the JWT's)
	LiveWithin time.Duration    // a region is live while a worker beat this recently
	Now        func() time.Time // injectable clock
	PublicURL  string           // the dashboard's public base URL, for invitation links ("" = the request's)
}

// Handler serves the dashboard's pages.
type Handler struct {
	cfg       Config
	deps      Deps
	r         *web.Renderer
	log       *slog.Logger
	summaries *summaryCache
}

// New returns the dashboard handler.
func New(cfg Config, deps Deps, r *web.Renderer, log *slog.Logger) *Handler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 24 * time.Hour
	}
	if cfg.LiveWithin <= 0 {
		cfg.LiveWithin = 20 * time.Second
	}
	return &Handler{cfg: cfg, deps: deps, r: r, log: log.With("module", "dashboard"), summaries: newSummaryCache()}
}

// Register adds the dashboard's routes to e: sign-up and login are public,
// everything else needs a session.
func (h *Handler) Register(e *echo.Echo) {
	g := router{e: e, mw: []echo.MiddlewareFunc{web.Headers(web.DashboardCSP), web.CSRF(), web.CleanForm}}
	g.GET("/login", h.loginForm)
	g.POST("/login", h.login)
	g.POST("/login/2fa", h.login2FA)
	g.GET("/login/sso", h.ssoStart)
	g.GET("/login/sso/callback", h.ssoCallback)
	g.GET("/signup", h.signupForm)
	g.POST("/signup", h.signup)
	p := g.with(h.requireUser)
	p.POST("/logout", h.logout)
	h.monitorRoutes(p)
	h.incidentRoutes(p)
	h.settingsRoutes(p)
	h.reportRoutes(p)
	h.statusPageRoutes(p)
	h.teamRoutes(g, p)
}

// router adds routes with the dashboard's middleware. It is not an
// echo.Group on purpose: a group with middleware also answers every
// unmatched path, which would send an API client's typo to the login page.
type router struct {
	e  *echo.Echo
	mw []echo.MiddlewareFunc
}

// GET adds a GET route.
func (r router) GET(path string, h echo.HandlerFunc) { r.e.GET(path, h, r.mw...) }

// POST adds a POST route.
func (r router) POST(path string, h echo.HandlerFunc) { r.e.POST(path, h, r.mw...) }

// with returns a router that also runs mw.
func (r router) with(mw ...echo.MiddlewareFunc) router {
	return router{e: r.e, mw: append(append([]echo.MiddlewareFunc{}, r.mw...), mw...)}
}

// page returns the layout data for a signed-in page, with the workspace
// switcher.
func (h *Handler) page(c echo.Context, title, nav string) web.Page {
	return h.pageWith(c, title, nav, h.workspaces(c.Request().Context(), server.Access(c).UserID))
}

// workspaces lists the switcher's workspaces; a failure costs the switcher,
// not the page.
func (h *Handler) workspaces(ctx context.Context, userID int64) []workspace.Workspace {
	ws, err := h.deps.Auth.Workspaces().ForUser(ctx, userID)
	if err != nil {
		h.log.Warn("list workspaces", "err", err)
	}
	return ws
}

// pageWith is page with the switcher's workspaces already read (a page
// that reads several things at once reads them alongside).
func (h *Handler) pageWith(c echo.Context, title, nav string, ws []workspace.Workspace) web.Page {
	p := web.Page{Title: title, User: web.UserEmail(c), CSRF: web.CSRFToken(c), Flash: web.Flash(c), Nav: nav}
	a := server.Access(c)
	p.Role = string(a.Role)
	for _, w := range ws {
		p.Workspaces = append(p.Workspaces, web.WorkspaceChoice{Key: w.Key, Name: w.Name, Current: w.ID == a.WorkspaceID})
		if w.ID == a.WorkspaceID {
			p.Workspace = w.Name
		}
	}
	return p
}

// requireUser lets signed-in users through and sends others to the login
// page (back here afterwards); fragments polled by the script get a 401.
// The workspace is the one the header's switcher chose (a cookie holding
// its key), else the person's first; the route's rule is then checked
// (access.Enforce). Someone who must turn on two-factor login first is
// sent to the account page.
func (h *Handler) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	enforce := access.Enforce(next)
	return func(c echo.Context) error {
		if tok := web.SessionToken(c); tok != "" {
			ctx := c.Request().Context()
			p, err := h.deps.Auth.Authenticate(ctx, tok)
			if err == nil {
				a, aerr := h.deps.Auth.Access(ctx, p, web.ChosenWorkspace(c), auth.ClientOf(c))
				if errors.Is(aerr, workspace.ErrNotFound) {
					// The chosen workspace is gone or they left it: the first one.
					web.ClearWorkspaceChoice(c)
					a, aerr = h.deps.Auth.Access(ctx, p, "", auth.ClientOf(c))
				}
				if aerr != nil {
					return aerr
				}
				server.SetAccess(c, a)
				web.SetUserEmail(c, p.User.Email)
				if a.MustEnroll2FA && c.Request().Method == http.MethodGet && c.Path() != "/settings/account" {
					return redirect(c, "/settings/account", "This workspace requires two-factor login: turn it on to continue.")
				}
				if a.WorkspaceID == 0 && c.Request().Method == http.MethodGet && !noWorkspacePages[c.Path()] {
					return redirect(c, "/settings/members", "You are not in any workspace: create one, or open an invitation link.")
				}
				return enforce(c)
			}
			web.ClearSession(c)
		}
		if c.QueryParam("fragment") != "" || c.Request().Method != http.MethodGet {
			return echo.NewHTTPError(http.StatusUnauthorized, "Your session ended. Log in again.")
		}
		return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
	}
}

// noWorkspacePages are the pages someone in no workspace can use.
var noWorkspacePages = map[string]bool{"/settings/members": true, "/settings/account": true, "/settings/tokens": true}

// redirect answers a successful form post (post/redirect/get), with an
// optional flash message on the next page.
func redirect(c echo.Context, to, flash string) error {
	if flash != "" {
		web.SetFlash(c, flash)
	}
	return c.Redirect(http.StatusSeeOther, to)
}
