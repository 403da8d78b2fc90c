package statuspage

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/incident"
	"github.com/betterstack/betterstack/modules/server"
)

// RegisterAPI adds the owner's API (pages, incident updates, badges) to the
// authenticated group private, and the page's public JSON to public.
func RegisterAPI(public, private *echo.Group, svc *Service) {
	h := apiHandlers{svc: svc}
	private.POST("/status-pages", h.create)
	private.GET("/status-pages", h.list)
	private.GET("/status-pages/:id", h.get)
	private.PATCH("/status-pages/:id", h.update)
	private.DELETE("/status-pages/:id", h.delete)
	private.POST("/incidents/:id/updates", h.postUpdate)
	private.GET("/incidents/:id/updates", h.updates)
	private.POST("/monitors/:id/badge", h.enableBadge)
	private.GET("/monitors/:id/badge", h.badge)
	private.DELETE("/monitors/:id/badge", h.disableBadge)
	public.GET("/public/status-pages/:slug", h.public)
}

type apiHandlers struct{ svc *Service }

func (h apiHandlers) create(c echo.Context) error {
	var in Input
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	if err := GuardDomain(in, c.Request().Host); err != nil {
		return err
	}
	p, err := h.svc.Create(c.Request().Context(), server.WorkspaceID(c), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, p)
}

func (h apiHandlers) list(c echo.Context) error {
	ps, err := h.svc.List(c.Request().Context(), server.WorkspaceID(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string][]Page{"data": ps})
}

func (h apiHandlers) get(c echo.Context) error {
	id, err := server.PathID(c, ErrNotFound)
	if err != nil {
		return err
	}
	p, err := h.svc.Get(c.Request().Context(), server.WorkspaceID(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

func (h apiHandlers) update(c echo.Context) error {
	id, err := server.PathID(c, ErrNotFound)
	if err != nil {
		return err
	}
	var in Input
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	if err := GuardDomain(in, c.Request().Host); err != nil {
		return err
	}
	p, err := h.svc.Update(c.Request().Context(), server.WorkspaceID(c), id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

func (h apiHandlers) delete(c echo.Context) error {
	id, err := server.PathID(c, ErrNotFound)
	if err != nil {
		return err
	}
	if err := h.svc.Delete(c.Request().Context(), server.WorkspaceID(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h apiHandlers) postUpdate(c echo.Context) error {
	id, err := server.PathID(c, incident.ErrNotFound)
	if err != nil {
		return err
	}
	var in UpdateInput
	if err := server.DecodeJSON(c, &in); err != nil {
		return err
	}
	u, err := h.svc.PostUpdate(c.Request().Context(), server.WorkspaceID(c), id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, u)
}

func (h apiHandlers) updates(c echo.Context) error {
	id, err := server.PathID(c, incident.ErrNotFound)
	if err != nil {
		return err
	}
	us, err := h.svc.Updates(c.Request().Context(), server.WorkspaceID(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string][]Update{"data": us})
}

func (h apiHandlers) enableBadge(c echo.Context) error {
	id, err := server.PathID(c, ErrMonitorNotFound)
	if err != nil {
		return err
	}
	b, err := h.svc.EnableBadge(c.Request().Context(), server.WorkspaceID(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, b)
}

func (h apiHandlers) badge(c echo.Context) error {
	id, err := server.PathID(c, ErrMonitorNotFound)
	if err != nil {
		return err
	}
	b, err := h.svc.Badge(c.Request().Context(), server.WorkspaceID(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, b)
}

func (h apiHandlers) disableBadge(c echo.Context) error {
	id, err := server.PathID(c, ErrMonitorNotFound)
	if err != nil {
		return err
	}
	if err := h.svc.DisableBadge(c.Request().Context(), server.WorkspaceID(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// public answers the page's view as JSON, to anyone for a public page and
// to visitors holding its cookie for a protected one.
func (h apiHandlers) public(c echo.Context) error {
	_, v, err := admittedView(c, h.svc)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// admittedView looks up the page of the path's slug, sets its caching
// headers and returns its view when the visitor may see it (anyone for a
// public page, a holder of its cookie for a protected one).
func admittedView(c echo.Context, svc *Service) (Page, *View, error) {
	p, err := svc.Lookup(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return Page{}, nil, err
	}
	setCaching(c, p)
	if !svc.Admits(p, visitorCookie(c, p)) {
		return Page{}, nil, ErrPasswordRequired
	}
	v, err := svc.View(c.Request().Context(), p)
	return p, v, err
}
