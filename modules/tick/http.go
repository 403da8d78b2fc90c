package tick

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/server"
)

// owner checks that a monitor belongs to the user; monitor.Service does.
type owner interface {
	Get(ctx context.Context, workspaceID, id int64) (monitor.Monitor, error)
}

// RegisterAPI adds the tick routes to g, which must require a user.
func RegisterAPI(g *echo.Group, svc *Service, monitors owner) {
	h := handlers{svc: svc, monitors: monitors}
	g.GET("/monitors/:id/ticks", h.list)
	g.GET("/monitors/:id/regions", h.regions)
}

type handlers struct {
	svc      *Service
	monitors owner
}

var regionName = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)

// MaxPage is the largest page of ticks.
const MaxPage = 1000

func (h handlers) list(c echo.Context) error {
	id, err := monitor.ID(c)
	if err != nil {
		return err
	}
	if _, err := h.monitors.Get(c.Request().Context(), server.WorkspaceID(c), id); err != nil {
		return err
	}
	f, err := parseFilter(c)
	if err != nil {
		return err
	}
	p, err := h.svc.List(c.Request().Context(), id, f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

func parseFilter(c echo.Context) (TickFilter, error) {
	f := TickFilter{Limit: 100, Region: c.QueryParam("region")}
	fields := apperr.Fields{}
	if f.Region != "" && !regionName.MatchString(f.Region) {
		fields.Add("region", "is not a region name (a-z, 0-9, '-', '_')")
	}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxPage {
			fields.Add("limit", "must be a number from 1 to 1000")
		}
		f.Limit = n
	}
	for _, p := range []struct {
		name string
		dst  **time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		v := c.QueryParam(p.name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			fields.Add(p.name, "must be an RFC 3339 time like 2026-01-02T15:04:05Z")
			continue
		}
		*p.dst = &t
	}
	if v := c.QueryParam("cursor"); v != "" {
		cur, err := decodeCursor(v)
		if err != nil {
			fields.Add("cursor", "is not a cursor returned by this API")
		}
		f.Before = &cur
	}
	return f, fields.Err()
}

func (h handlers) regions(c echo.Context) error {
	id, err := monitor.ID(c)
	if err != nil {
		return err
	}
	if _, err := h.monitors.Get(c.Request().Context(), server.WorkspaceID(c), id); err != nil {
		return err
	}
	rs, err := h.svc.Regions(c.Request().Context(), id)
	if err != nil {
		return err
	}
	if rs == nil {
		rs = []RegionView{}
	}
	return c.JSON(http.StatusOK, map[string]any{"data": rs})
}
