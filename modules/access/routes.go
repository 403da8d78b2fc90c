package access

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/apperr"
)

// Routes names the action of every route that needs a signed-in person:
// the JSON API under /api/v1 and the dashboard. The key is the method and
// the route's pattern as registered. A route missing here is refused.
var Routes = map[string]Action{
	// JSON API: one's own account.
	"GET /api/v1/me":                  Self,
	"POST /api/v1/me/password":        Account,
	"POST /api/v1/me/2fa":             Account,
	"POST /api/v1/me/2fa/confirm":     Account,
	"POST /api/v1/me/2fa/disable":     Account,
	"GET /api/v1/sessions":            Account,
	"DELETE /api/v1/sessions/:id":     Account,
	"POST /api/v1/auth/logout":        Self,
	"POST /api/v1/tokens":             Tokens,
	"GET /api/v1/tokens":              Self,
	"DELETE /api/v1/tokens/:id":       Self,
	"DELETE /api/v1/tokens":           Self,
	"GET /api/v1/workspaces":          Self,
	"POST /api/v1/workspaces":         Self,
	"POST /api/v1/invitations/accept": Self,
	"POST /api/v1/workspace/leave":    Self,

	// JSON API: the workspace and its people.
	"GET /api/v1/workspace":          Read,
	"PATCH /api/v1/workspace":        Settings,
	"DELETE /api/v1/workspace":       DeleteSpace,
	"GET /api/v1/members":            Read,
	"PATCH /api/v1/members/:id":      Members,
	"DELETE /api/v1/members/:id":     Members,
	"GET /api/v1/invitations":        Members,
	"POST /api/v1/invitations":       Members,
	"GET /api/v1/audit-log":          Audit,
	"DELETE /api/v1/invitations/:id": Members,

	// JSON API: monitoring.
	"POST /api/v1/monitors":                  Edit,
	"GET /api/v1/monitors":                   Read,
	"GET /api/v1/monitors/:id":               Read,
	"PATCH /api/v1/monitors/:id":             Edit,
	"DELETE /api/v1/monitors/:id":            Edit,
	"POST /api/v1/monitors/:id/pause":        Edit,
	"POST /api/v1/monitors/:id/resume":       Edit,
	"GET /api/v1/monitors/:id/sla":           Read,
	"GET /api/v1/monitors/:id/ticks":         Read,
	"GET /api/v1/monitors/:id/regions":       Read,
	"POST /api/v1/monitors/:id/badge":        Edit,
	"GET /api/v1/monitors/:id/badge":         Read,
	"DELETE /api/v1/monitors/:id/badge":      Edit,
	"GET /api/v1/monitors/:id/pings":         Read,
	"GET /api/v1/monitors/:id/ping-token":    Read,
	"POST /api/v1/monitors/:id/ping-token":   Edit,
	"GET /api/v1/regions":                    Read,
	"GET /api/v1/incidents":                  Read,
	"GET /api/v1/incidents/:id":              Read,
	"POST /api/v1/incidents/:id/acknowledge": Respond,
	"POST /api/v1/incidents/:id/resolve":     Respond,
	"POST /api/v1/incidents/:id/comments":    Respond,
	"POST /api/v1/incidents/:id/updates":     Respond,
	"GET /api/v1/incidents/:id/updates":      Read,
	"POST /api/v1/maintenance-windows":       Edit,
	"GET /api/v1/maintenance-windows":        Read,
	"GET /api/v1/maintenance-windows/:id":    Read,
	"DELETE /api/v1/maintenance-windows/:id": Edit,
	"POST /api/v1/status-pages":              Edit,
	"GET /api/v1/status-pages":               Read,
	"GET /api/v1/status-pages/:id":           Read,
	"PATCH /api/v1/status-pages/:id":         Edit,
	"DELETE /api/v1/status-pages/:id":        Edit,
	"POST /api/v1/channels":                  Channels,
	"GET /api/v1/channels":                   Read,
	"GET /api/v1/channels/:id":               Read,
	"PATCH /api/v1/channels/:id":             Channels,
	"DELETE /api/v1/channels/:id":            Channels,
	"POST /api/v1/channels/:id/test":         Channels,
	"GET /api/v1/channels/:id/deliveries":    Read,

	// Dashboard: one's own account and workspaces.
	"POST /logout":                     Self,
	"GET /settings/account":            Self,
	"POST /settings/account/password":  Account,
	"GET /settings/tokens":             Self,
	"POST /settings/tokens":            Tokens,
	"POST /settings/tokens/:id/delete": Self,
	"POST /settings/tokens/revoke-all": Self,

	"POST /settings/account/2fa":         Account,
	"POST /settings/account/2fa/confirm": Account,
	"POST /settings/account/2fa/disable": Account,
	"POST /settings/sessions/:id/delete": Account,
	"POST /workspaces/switch":            Self,
	"POST /workspaces":                   Self,
	"POST /invite/:token":                Self,
	"POST /settings/members/leave":       Self,

	// Dashboard: the workspace and its people.
	"GET /settings/members":                 Self,
	"POST /settings/members/invite":         Members,
	"POST /settings/members/:id/role":       Members,
	"POST /settings/members/:id/remove":     Members,
	"POST /settings/invitations/:id/revoke": Members,
	"GET /settings/audit":                   Audit,
	"POST /settings/workspace":              Settings,
	"GET /settings":                         Read,
	"GET /settings/regions":                 Read,

	// Dashboard: monitoring.
	"GET /":                                 Read,
	"GET /monitors":                         Read,
	"GET /monitors/new":                     Edit,
	"POST /monitors/new":                    Edit,
	"GET /monitors/:id":                     Read,
	"GET /monitors/:id/edit":                Edit,
	"POST /monitors/:id/edit":               Edit,
	"POST /monitors/:id/pause":              Edit,
	"POST /monitors/:id/resume":             Edit,
	"POST /monitors/:id/check":              Edit,
	"POST /monitors/:id/delete":             Edit,
	"GET /monitors/:id/report":              Read,
	"GET /monitors/:id/report.csv":          Read,
	"GET /incidents":                        Read,
	"GET /incidents/:id":                    Read,
	"POST /incidents/:id/acknowledge":       Respond,
	"POST /incidents/:id/resolve":           Respond,
	"POST /incidents/:id/comments":          Respond,
	"GET /incidents/:id/updates":            Read,
	"POST /incidents/:id/updates":           Respond,
	"GET /status-pages":                     Read,
	"GET /status-pages/new":                 Edit,
	"POST /status-pages":                    Edit,
	"GET /status-pages/:id/edit":            Edit,
	"POST /status-pages/:id":                Edit,
	"GET /status-pages/:id/delete":          Edit,
	"POST /status-pages/:id/delete":         Edit,
	"GET /settings/channels":                Read,
	"GET /settings/channels/new":            Channels,
	"POST /settings/channels":               Channels,
	"GET /settings/channels/:id":            Read,
	"GET /settings/channels/:id/edit":       Channels,
	"POST /settings/channels/:id":           Channels,
	"POST /settings/channels/:id/delete":    Channels,
	"POST /settings/channels/:id/test":      Channels,
	"GET /settings/maintenance":             Read,
	"GET /settings/maintenance/new":         Edit,
	"POST /settings/maintenance":            Edit,
	"GET /settings/maintenance/:id":         Read,
	"POST /settings/maintenance/:id/delete": Edit,
}

// RouteAction returns the action of the route c matched, and whether there
// is a rule for it.
func RouteAction(c echo.Context) (Action, bool) {
	a, ok := Routes[c.Request().Method+" "+c.Path()]
	if !ok && c.Request().Method == http.MethodHead {
		a, ok = Routes[http.MethodGet+" "+c.Path()]
	}
	return a, ok
}

// ErrNoRule refuses a route that has no line in Routes.
var ErrNoRule = apperr.New(apperr.Forbidden, "this route has no access rule; it is refused until it has one")

// Enforce refuses a request whose access may not do its route's action.
// It runs after the middleware that set the access (auth's).
func Enforce(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		a, ok := RouteAction(c)
		if !ok && strings.HasSuffix(c.Path(), "/*") {
			return next(c) // the group's not-found handler: a 404, nothing to guard
		}
		if !ok {
			return ErrNoRule
		}
		if err := From(c.Request().Context()).CheckRequest(c.Request().Method, a); err != nil {
			return err
		}
		return next(c)
	}
}
