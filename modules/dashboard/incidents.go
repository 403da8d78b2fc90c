package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/incident"
	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/server"
	"github.com/betterstack/betterstack/modules/web"
)

// Page sizes of the incidents list: every unresolved incident fits on the
// first page (they are few and urgent); resolved ones are paged.
const (
	incidentsOpenLimit     = 200
	incidentsResolvedLimit = 25
)

// incidentRoutes registers the incidents pages.
func (h *Handler) incidentRoutes(g router) {
	g.GET("/incidents", h.incidentList)
	g.GET("/incidents/:id", h.incidentShow)
	g.POST("/incidents/:id/acknowledge", h.incidentAcknowledge)
	g.POST("/incidents/:id/resolve", h.incidentResolve)
	g.POST("/incidents/:id/comments", h.incidentComment)
}

// incidentItem is one incident of the list with its monitor's name.
type incidentItem struct {
	incident.Incident
	MonitorName string
}

// incidentsPage is the incidents list: unresolved first, then resolved.
type incidentsPage struct {
	web.Page
	Open     []incidentItem
	OpenMore bool // more unresolved incidents than shown
	Resolved []incidentItem
	Older    string // cursor of the next (older) page of resolved incidents
	Paged    bool   // this is an older page: unresolved ones are on the first
	// What the monitors say right now, so an empty list of open incidents
	// never claims health that is not measured: down or degraded without
	// an open incident (one resolved by hand while still failing), and
	// not yet confirmed either way.
	Failing, Unconfirmed int
}

func (h *Handler) incidentList(c echo.Context) error {
	ctx, uid := c.Request().Context(), server.WorkspaceID(c)
	// A cursor that is not ours just starts from the newest: the page is a
	// view, not an API, and the link may have been edited by hand.
	before, _ := strconv.ParseInt(c.QueryParam("before"), 10, 64)
	p := incidentsPage{Page: h.page(c, "Incidents", "incidents"), Paged: before > 0}
	names, err := h.userMonitorNames(ctx, uid)
	if err != nil {
		return err
	}
	if !p.Paged {
		open, err := h.deps.Incidents.List(ctx, uid, incident.Filter{Status: "open", Limit: incidentsOpenLimit})
		if err != nil {
			return err
		}
		p.Open, p.OpenMore = incidentItems(open.Data, names), open.NextCursor != nil
		counts, err := h.deps.Monitors.StatusCounts(ctx, uid)
		if err != nil {
			return err
		}
		p.Failing = counts[monitor.StatusDown] + counts[monitor.StatusDegraded]
		p.Unconfirmed = counts[monitor.StatusPending] + counts[monitor.StatusUnknown]
	}
	if c.QueryParam("fragment") != "" {
		return h.r.RenderBlock(c, http.StatusOK, "pages/incidents", "open-incidents", p)
	}
	done, err := h.deps.Incidents.List(ctx, uid, incident.Filter{Status: "resolved", Limit: incidentsResolvedLimit, Before: max(before, 0)})
	if err != nil {
		return err
	}
	p.Resolved = incidentItems(done.Data, names)
	if done.NextCursor != nil {
		p.Older = *done.NextCursor
	}
	return h.r.Render(c, http.StatusOK, "pages/incidents", p)
}

func incidentItems(incs []incident.Incident, names map[int64]string) []incidentItem {
	out := make([]incidentItem, 0, len(incs))
	for _, inc := range incs {
		out = append(out, incidentItem{Incident: inc, MonitorName: monitorLabel(names, inc.MonitorID)})
	}
	return out
}

// monitorLabel names a monitor. Deleting a monitor deletes its incidents,
// but one deleted between the two queries must not break the page.
func monitorLabel(names map[int64]string, id int64) string {
	if n, ok := names[id]; ok {
		return n
	}
	return fmt.Sprintf("Monitor #%d (deleted)", id)
}

// userMonitorNames returns the names of all the user's monitors by id.
func (h *Handler) userMonitorNames(ctx context.Context, workspaceID int64) (map[int64]string, error) {
	ms, err := h.userMonitors(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	names := make(map[int64]string, len(ms))
	for _, m := range ms {
		names[m.ID] = m.Name
	}
	return names, nil
}

func (h *Handler) incidentShow(c echo.Context) error {
	id, err := server.PathID(c, incident.ErrNotFound)
	if err != nil {
		return err
	}
	p, err := h.incidentDetail(c, id)
	if err != nil {
		return err
	}
	return h.r.Render(c, http.StatusOK, "pages/incident", p)
}

func (h *Handler) incidentAcknowledge(c echo.Context) error {
	return h.incidentAct(c, "Incident acknowledged.", h.deps.Incidents.Acknowledge)
}

func (h *Handler) incidentResolve(c echo.Context) error {
	return h.incidentAct(c, "Incident resolved.", h.deps.Incidents.Resolve)
}

// incidentAct runs a state change and returns to the incident. A change the
// incident's state does not allow (acknowledging a resolved incident) is
// said in a flash, not as an error page: the page was just out of date.
func (h *Handler) incidentAct(c echo.Context, done string, act func(ctx context.Context, workspaceID, id int64) (incident.Detail, error)) error {
	id, err := server.PathID(c, incident.ErrNotFound)
	if err != nil {
		return err
	}
	to := fmt.Sprintf("/incidents/%d", id)
	if _, err := act(c.Request().Context(), server.WorkspaceID(c), id); err != nil {
		if ae := apperr.As(err); ae != nil && (ae.Kind == apperr.Conflict || ae.Kind == apperr.Invalid) {
			return redirect(c, to, sentence(ae.Message))
		}
		return err
	}
	return redirect(c, to, done)
}

func (h *Handler) incidentComment(c echo.Context) error {
	id, err := server.PathID(c, incident.ErrNotFound)
	if err != nil {
		return err
	}
	text := c.FormValue("text")
	_, err = h.deps.Incidents.Comment(c.Request().Context(), server.WorkspaceID(c), id, text)
	if ae := apperr.As(err); ae != nil && ae.Kind == apperr.Invalid {
		p, perr := h.incidentDetail(c, id)
		if perr != nil {
			return perr
		}
		p.Comment, p.Errors = text, ae.Fields
		return h.r.Render(c, http.StatusUnprocessableEntity, "pages/incident", p)
	}
	if err != nil {
		return err
	}
	return redirect(c, fmt.Sprintf("/incidents/%d#timeline", id), "Comment added.")
}

// sentence turns a service message ("the incident is already resolved")
// into one for a flash ("The incident is already resolved.").
func sentence(msg string) string {
	msg = web.Title(msg)
	if n := len(msg); n > 0 && msg[n-1] != '.' && msg[n-1] != '!' && msg[n-1] != '?' {
		msg += "."
	}
	return msg
}
