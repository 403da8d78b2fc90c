package sla

import (
	"bytes"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/server"
)

// RegisterAPI adds the SLA route to g, which must require a user.
func RegisterAPI(g *echo.Group, svc *Service) {
	h := handlers{svc: svc}
	g.GET("/monitors/:id/sla", h.report)
}

type handlers struct{ svc *Service }

// report answers the SLA of a monitor as JSON, or per day as CSV.
func (h handlers) report(c echo.Context) error {
	id, err := monitor.ID(c)
	if err != nil {
		return err
	}
	fields := apperr.Fields{}
	from, to := parseTime(fields, "from", c.QueryParam("from")), parseTime(fields, "to", c.QueryParam("to"))
	format := c.QueryParam("format")
	if format != "" && format != "json" && format != "csv" {
		fields.Add("format", "must be json or csv")
	}
	if err := fields.Err(); err != nil {
		return err
	}
	ctx, user := c.Request().Context(), server.WorkspaceID(c)
	if format != "csv" {
		r, err := h.svc.Report(ctx, user, id, from, to)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, r)
	}
	days, err := h.svc.Daily(ctx, user, id, from, to)
	if err != nil {
		return err
	}
	var body bytes.Buffer
	if err := WriteCSV(&body, days); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="sla-monitor-%d.csv"`, id))
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", body.Bytes())
}

// parseTime reads an RFC 3339 time or a date (00:00 UTC); "" is zero.
func parseTime(fields apperr.Fields, name, v string) time.Time {
	if v == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC()
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t
	}
	fields.Add(name, "must be an RFC 3339 time like 2026-01-02T15:04:05Z or a date like 2026-01-02")
	return time.Time{}
}
