package monitor

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/server"
)

// RegisterAPI adds the monitor routes to g, which must require a user.
func RegisterAPI(g *echo.Group, svc *Service) {
	h := handlers{svc: svc}
	g.POST("/monitors", h.create)
	g.GET("/monitors", h.list)
	g.GET("/monitors/:id", h.get)
	g.PATCH("/monitors/:id", h.update)
	g.DELETE("/monitors/:id", h.delete)
	g.POST("/monitors/:id/pause", h.pause)
	g.POST("/monitors/:id/resume", h.resume)
}

type handlers struct{ svc *Service }

// shown is m as the API shows it: its check's secrets masked
// (probe.MaskSecrets; sending them back as shown keeps them).
func shown(m Monitor) Monitor {
	m.Check = probe.MaskSecrets(m.Check)
	return m
}

// ID reads the monitor id of the path; a malformed id is simply not found.
func ID(c echo.Context) (int64, error) { return server.PathID(c, ErrNotFound) }

func (h handlers) create(c echo.Context) error {
	var in Input
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	m, err := h.svc.Create(c.Request().Context(), server.WorkspaceID(c), in)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/monitors/"+strconv.FormatInt(m.ID, 10))
	return c.JSON(http.StatusCreated, shown(m))
}

func (h handlers) list(c echo.Context) error {
	f, err := ParseFilter(c.QueryParam("limit"), c.QueryParam("cursor"))
	if err != nil {
		return err
	}
	p, err := h.svc.List(c.Request().Context(), server.WorkspaceID(c), f)
	if err != nil {
		return err
	}
	for i := range p.Data {
		p.Data[i] = shown(p.Data[i])
	}
	return c.JSON(http.StatusOK, p)
}

func (h handlers) get(c echo.Context) error {
	id, err := ID(c)
	if err != nil {
		return err
	}
	m, err := h.svc.Get(c.Request().Context(), server.WorkspaceID(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, shown(m))
}

func (h handlers) update(c echo.Context) error {
	id, err := ID(c)
	if err != nil {
		return err
	}
	var in Input
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	m, err := h.svc.Update(c.Request().Context(), server.WorkspaceID(c), id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, shown(m))
}

func (h handlers) delete(c echo.Context) error {
	id, err := ID(c)
	if err != nil {
		return err
	}
	if err := h.svc.Delete(c.Request().Context(), server.WorkspaceID(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h handlers) pause(c echo.Context) error  { return h.setPaused(c, true) }
func (h handlers) resume(c echo.Context) error { return h.setPaused(c, false) }

func (h handlers) setPaused(c echo.Context, paused bool) error {
	id, err := ID(c)
	if err != nil {
		return err
	}
	op := h.svc.Resume
	if paused {
		op = h.svc.Pause
	}
	m, err := op(c.Request().Context(), server.WorkspaceID(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, shown(m))
}
