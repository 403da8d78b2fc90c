package incident

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/server"
)

// RegisterAPI adds the incident and maintenance window routes to g, which
// must require a user.
func RegisterAPI(g *echo.Group, svc *Service) {
	h := handlers{svc: svc}
	g.GET("/incidents", h.list)
	g.GET("/incidents/:id", h.get)
	g.POST("/incidents/:id/acknowledge", h.acknowledge)
	g.POST("/incidents/:id/resolve", h.resolve)
	g.POST("/incidents/:id/comments", h.comment)
	g.POST("/maintenance-windows", h.createWindow)
	g.GET("/maintenance-windows", h.listWindows)
	g.GET("/maintenance-windows/:id", h.getWindow)
	g.DELETE("/maintenance-windows/:id", h.deleteWindow)
}

type handlers struct{ svc *Service }

func (h handlers) list(c echo.Context) error {
	f := Filter{Limit: 50, Status: c.QueryParam("status")}
	fields := apperr.Fields{}
	switch f.Status {
	case "", "open", "acknowledged", "resolved":
	default:
		fields.Add("status", "must be open, acknowledged or resolved")
	}
	if v := c.QueryParam("monitor_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id < 1 {
			fields.Add("monitor_id", "must be a monitor id")
		}
		f.MonitorID = id
	}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			fields.Add("limit", "must be a number from 1 to 500")
		}
		f.Limit = n
	}
	if v := c.QueryParam("cursor"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id < 1 {
			fields.Add("cursor", "is not a cursor returned by this API")
		}
		f.Before = id
	}
	if err := fields.Err(); err != nil {
		return err
	}
	p, err := h.svc.List(c.Request().Context(), server.WorkspaceID(c), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

func (h handlers) get(c echo.Context) error {
	id, err := server.PathID(c, ErrNotFound)
	if err != nil {
		return err
	}
	d, err := h.svc.Get(c.Request().Context(), server.WorkspaceID(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

func (h handlers) acknowledge(c echo.Context) error {
	id, err := server.PathID(c, ErrNotFound)
	if err != nil {
		return err
	}
	d, err := h.svc.Acknowledge(c.Request().Context(), server.WorkspaceID(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

func (h handlers) resolve(c echo.Context) error {
	id, err := server.PathID(c, ErrNotFound)
	if err != nil {
		return err
	}
	d, err := h.svc.Resolve(c.Request().Context(), server.WorkspaceID(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

func (h handlers) comment(c echo.Context) error {
	id, err := server.PathID(c, ErrNotFound)
	if err != nil {
		return err
	}
	var in struct {
		Text string `json:"text"`
	}
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	ev, err := h.svc.Comment(c.Request().Context(), server.WorkspaceID(c), id, in.Text)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, ev)
}

// windowInput is a maintenance window as written by a user.
type windowInput struct {
	Key             string  `json:"key"`
	Name            string  `json:"name"`
	MonitorIDs      []int64 `json:"monitor_ids"`
	StartsAt        string  `json:"starts_at"`
	EndsAt          string  `json:"ends_at"`
	Weekdays        []int   `json:"weekdays"`
	StartTime       string  `json:"start_time"`
	DurationMinutes int     `json:"duration_minutes"`
	TimeZone        string  `json:"time_zone"`
}

func (h handlers) createWindow(c echo.Context) error {
	var in windowInput
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	fields := apperr.Fields{}
	parse := func(name, v string) *time.Time {
		if v == "" {
			return nil
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			fields.Add(name, "must be an RFC 3339 time like 2026-01-02T15:04:05Z")
			return nil
		}
		t = t.UTC()
		return &t
	}
	starts, ends := parse("starts_at", in.StartsAt), parse("ends_at", in.EndsAt)
	if err := fields.Err(); err != nil {
		return err
	}
	w, err := h.svc.CreateWindow(c.Request().Context(), server.WorkspaceID(c), Window{
		Key: in.Key, Name: in.Name, MonitorIDs: in.MonitorIDs, StartsAt: starts, EndsAt: ends, Weekdays: in.Weekdays,
		StartTime: in.StartTime, DurationMinutes: in.DurationMinutes, TimeZone: in.TimeZone,
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, w)
}

func (h handlers) listWindows(c echo.Context) error {
	ws, err := h.svc.ListWindows(c.Request().Context(), server.WorkspaceID(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"data": ws})
}

func (h handlers) getWindow(c echo.Context) error {
	id, err := server.PathID(c, ErrWindowNotFound)
	if err != nil {
		return err
	}
	w, err := h.svc.GetWindow(c.Request().Context(), server.WorkspaceID(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, w)
}

func (h handlers) deleteWindow(c echo.Context) error {
	id, err := server.PathID(c, ErrWindowNotFound)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteWindow(c.Request().Context(), server.WorkspaceID(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
