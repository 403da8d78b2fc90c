package channel

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/server"
)

// RegisterAPI adds the channel routes to g, which must require a user.
func RegisterAPI(g *echo.Group, svc *Service) {
	h := handlers{svc: svc}
	g.POST("/channels", h.create)
	g.GET("/channels", h.list)
	g.GET("/channels/:id", h.get)
	g.PATCH("/channels/:id", h.update)
	g.DELETE("/channels/:id", h.delete)
	g.POST("/channels/:id/test", h.test)
	g.GET("/channels/:id/deliveries", h.deliveries)
}

type handlers struct{ svc *Service }

func (h handlers) create(c echo.Context) error {
	var in Input
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	ch, err := h.svc.Create(c.Request().Context(), server.WorkspaceID(c), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, ch)
}

func (h handlers) list(c echo.Context) error {
	chs, err := h.svc.List(c.Request().Context(), server.WorkspaceID(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"data": chs})
}

func (h handlers) get(c echo.Context) error {
	id, err := server.PathID(c, ErrNotFound)
	if err != nil {
		return err
	}
	ch, err := h.svc.Get(c.Request().Context(), server.WorkspaceID(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ch)
}

func (h handlers) update(c echo.Context) error {
	id, err := server.PathID(c, ErrNotFound)
	if err != nil {
		return err
	}
	var in Input
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	ch, err := h.svc.Update(c.Request().Context(), server.WorkspaceID(c), id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ch)
}

func (h handlers) delete(c echo.Context) error {
	id, err := server.PathID(c, ErrNotFound)
	if err != nil {
		return err
	}
	if err := h.svc.Delete(c.Request().Context(), server.WorkspaceID(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h handlers) test(c echo.Context) error {
	id, err := server.PathID(c, ErrNotFound)
	if err != nil {
		return err
	}
	res, err := h.svc.Test(c.Request().Context(), server.WorkspaceID(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (h handlers) deliveries(c echo.Context) error {
	id, err := server.PathID(c, ErrNotFound)
	if err != nil {
		return err
	}
	limit, before := 50, int64(0)
	fields := apperr.Fields{}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			fields.Add("limit", "must be a number from 1 to 500")
		}
		limit = n
	}
	if v := c.QueryParam("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			fields.Add("cursor", "is not a cursor returned by this API")
		}
		before = n
	}
	if err := fields.Err(); err != nil {
		return err
	}
	p, err := h.svc.Deliveries(c.Request().Context(), server.WorkspaceID(c), id, limit, before)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}
