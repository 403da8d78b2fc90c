package dashboard

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/web"
)

// settingsRoutes registers the settings pages: notification channels,
// maintenance windows, API tokens, the account and the worker regions.
func (h *Handler) settingsRoutes(g router) {
	g.GET("/settings", h.settingsIndex)

	g.GET("/settings/channels", h.channelList)
	g.GET("/settings/channels/new", h.channelNew)
	g.POST("/settings/channels", h.channelCreate)
	g.GET("/settings/channels/:id", h.channelShow)
	g.GET("/settings/channels/:id/edit", h.channelEdit)
	g.POST("/settings/channels/:id", h.channelUpdate)
	g.POST("/settings/channels/:id/delete", h.channelDelete)
	g.POST("/settings/channels/:id/test", h.channelTest)

	g.GET("/settings/maintenance", h.windowList)
	g.GET("/settings/maintenance/new", h.windowNew)
	g.POST("/settings/maintenance", h.windowCreate)
	g.GET("/settings/maintenance/:id", h.windowShow)
	g.POST("/settings/maintenance/:id/delete", h.windowDelete)

	g.GET("/settings/tokens", h.tokenList)
	g.POST("/settings/tokens", h.tokenCreate)
	g.POST("/settings/tokens/:id/delete", h.tokenDelete)
	g.POST("/settings/tokens/revoke-all", h.tokensRevokeAll)

	g.GET("/settings/account", h.accountShow)
	g.POST("/settings/account/password", h.accountPassword)

	g.GET("/settings/regions", h.regionList)
}

// settingsTab is one section of the settings.
type settingsTab struct {
	Key, Label, Href, About string
}

// settingsTabs are the sections, in the order of the tabs.
var settingsTabs = []settingsTab{
	{"channels", "Channels", "/settings/channels", "Where alerts go: Slack, e-mail, PagerDuty, webhooks and more, with a delivery log."},
	{"maintenance", "Maintenance", "/settings/maintenance", "Planned work: no incidents open and nothing is sent while a window is in force."},
	{"members", "Members", "/settings/members", "The people in this workspace, their roles, invitations and the workspace's settings."},
	{"audit", "Audit log", "/settings/audit", "Who changed what and when, and every login (admins and owners)."},
	{"tokens", "API tokens", "/settings/tokens", "Credentials for scripts and the API, per workspace, read-only or read-write."},
	{"account", "Account", "/settings/account", "Your password, two-factor login and signed-in sessions."},
	{"regions", "Regions", "/settings/regions", "The regions your checks run from and their workers."},
}

// settingsPage is the part every settings page shares: the layout and the
// section tabs.
type settingsPage struct {
	web.Page
	Tab  string
	Tabs []settingsTab
	// Pipeline holds the pipeline notices; set on the settings
	// index and the regions page (running late, checks skipped), nil
	// when nothing lags and nothing is skipped.
	Pipeline *pipelineNotices
}

func (h *Handler) settingsPage(c echo.Context, title, tab string) settingsPage {
	return settingsPage{Page: h.page(c, title, "settings"), Tab: tab, Tabs: settingsTabs}
}

func (h *Handler) settingsIndex(c echo.Context) error {
	p := h.settingsPage(c, "Settings", "")
	p.Pipeline = h.pipelineNotices(c)
	return h.r.Render(c, http.StatusOK, "pages/settings", p)
}

// formErrors splits a service error for a form: a validation error gives
// the page-level message and the per-field messages; any other error is
// returned as is (not found, internal) for the error page.
func formErrors(err error) (string, map[string]string, error) {
	ae := apperr.As(err)
	if ae == nil || ae.Kind != apperr.Invalid {
		return "", nil, err
	}
	if len(ae.Fields) == 0 {
		return sentence(ae.Message), map[string]string{}, nil
	}
	return "Please correct the fields below.", ae.Fields, nil
}
