package dashboard

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/server"
	"github.com/betterstack/betterstack/modules/sla"
	"github.com/betterstack/betterstack/modules/web"
)

// monthLayout is how a report's month is written in its URL.
const monthLayout = "2006-01"

// reportRoutes registers the monthly SLA report page and its CSV.
func (h *Handler) reportRoutes(g router) {
	g.GET("/monitors/:id/report", h.report)
	g.GET("/monitors/:id/report.csv", h.reportCSV)
}

// reportPage is a monitor's SLA over one UTC month, made to be printed.
type reportPage struct {
	web.Page
	Monitor    monitor.Monitor
	MonthName  string    // "November 2026"
	From, To   time.Time // the period covered; To is now in a month in progress
	InProgress bool
	Generated  time.Time // when the page was made, for the printout
	Created    bool      // the monitor was created after the month began
	Figures    []reportFigure
	Days       []reportDay
	Rules      sla.Rules
	PrevURL    string // "" for the month the monitor was created
	NextURL    string // "" for the current month
	CSVURL     string
}

// reportFigure is one headline number.
type reportFigure struct{ Label, Value string }

// reportDay is one row of the per-day table.
type reportDay struct {
	Date                                    string
	Uptime, Downtime, Degraded, Maintenance string
	Incidents                               int
	P95                                     string
	Down                                    bool // the day had downtime
}

func (h *Handler) report(c echo.Context) error {
	id, month, err := h.reportParams(c)
	if err != nil {
		return err
	}
	ctx, uid := c.Request().Context(), server.WorkspaceID(c)
	m, err := h.deps.Monitors.Get(ctx, uid, id)
	if err != nil {
		return err
	}
	r, days, err := h.deps.SLA.ReportAndDays(ctx, uid, id, month, month.AddDate(0, 1, 0))
	if err != nil {
		return reportErr(err)
	}
	name := month.Format("January 2006")
	p := newReportPage(h.page(c, "SLA report: "+m.Name+", "+name, "overview"), m, month, h.cfg.Now(), r, days)
	return h.r.Render(c, http.StatusOK, "pages/report", p)
}

// reportCSV answers the month's per-day figures, the same CSV as the API's
// format=csv, behind the session rather than a token.
func (h *Handler) reportCSV(c echo.Context) error {
	id, month, err := h.reportParams(c)
	if err != nil {
		return err
	}
	days, err := h.deps.SLA.Daily(c.Request().Context(), server.WorkspaceID(c), id, month, month.AddDate(0, 1, 0))
	if err != nil {
		return reportErr(err)
	}
	var buf bytes.Buffer
	if err := sla.WriteCSV(&buf, days); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition,
		fmt.Sprintf(`attachment; filename="sla-monitor-%d-%s.csv"`, id, month.Format(monthLayout)))
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// reportParams reads the monitor id (a malformed one is not found) and
// the month.
func (h *Handler) reportParams(c echo.Context) (int64, time.Time, error) {
	id, err := monitor.ID(c)
	if err != nil {
		return 0, time.Time{}, err
	}
	month, err := parseMonth(c.QueryParam("month"), h.cfg.Now())
	return id, month, err
}

// parseMonth returns the first instant (UTC) of the month written
// "YYYY-MM"; "" is the current month. A later month has no figures yet and
// is refused. Pure.
func parseMonth(v string, now time.Time) (time.Time, error) {
	now = now.UTC()
	current := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	if v == "" {
		return current, nil
	}
	month, err := time.Parse(monthLayout, v)
	if err != nil {
		return time.Time{}, &apperr.Error{Kind: apperr.Invalid, Message: `The month must be written YYYY-MM, like ` + current.Format(monthLayout) + `.`,
			Fields: map[string]string{"month": "must be YYYY-MM"}}
	}
	if month.After(current) {
		return time.Time{}, &apperr.Error{Kind: apperr.Invalid, Message: "That month has not begun yet: the latest report is for " + current.Format("January 2006") + ".",
			Fields: map[string]string{"month": "must not be after the current month"}}
	}
	return month, nil
}

// newReportPage formats the report of month for people. Pure.
func newReportPage(page web.Page, m monitor.Monitor, month, now time.Time, r sla.Report, days []sla.Day) reportPage {
	base := fmt.Sprintf("/monitors/%d/report", m.ID)
	next := month.AddDate(0, 1, 0)
	p := reportPage{Page: page, Monitor: m, MonthName: month.Format("January 2006"), From: r.From, To: r.To,
		InProgress: now.Before(next), Generated: now, Created: m.CreatedAt.After(month), Rules: r.Rules,
		CSVURL: base + ".csv?month=" + month.Format(monthLayout)}
	// The links stop at the month the monitor was created (earlier months
	// have no figures, only uptime by default) and at the current month.
	if created := m.CreatedAt.UTC(); month.After(time.Date(created.Year(), created.Month(), 1, 0, 0, 0, 0, time.UTC)) {
		p.PrevURL = base + "?month=" + month.AddDate(0, -1, 0).Format(monthLayout)
	}
	if !p.InProgress {
		p.NextURL = base + "?month=" + next.Format(monthLayout)
	}
	longest, mttr := "—", "—"
	if r.Incidents > 0 {
		longest, mttr = span(r.LongestIncidentSeconds), span(r.MTTRSeconds)
	}
	p.Figures = []reportFigure{
		{"SLA uptime", uptime(r.UptimePercent)},
		{"Downtime", span(r.DowntimeSeconds)},
		{"Degraded", span(r.DegradedSeconds)},
		{"Maintenance", span(r.MaintenanceSeconds)},
		{"Incidents", strconv.Itoa(r.Incidents)},
		{"Longest incident", longest},
		{"MTTR", mttr},
		{"Latency p50", latency(r.Latency.P50)},
		{"Latency p95", latency(r.Latency.P95)},
		{"Latency p99", latency(r.Latency.P99)},
		{"Checks", strconv.FormatInt(r.Checks, 10)},
		{"Failed checks", strconv.FormatInt(r.FailedChecks, 10)},
	}
	for _, d := range days {
		p.Days = append(p.Days, reportDay{Date: d.Date, Uptime: uptime(d.UptimePercent), Downtime: span(d.DowntimeSeconds),
			Degraded: span(d.DegradedSeconds), Maintenance: span(d.MaintenanceSeconds), Incidents: d.Incidents,
			P95: latency(d.Latency.P95), Down: d.DowntimeSeconds > 0})
	}
	return p
}

// uptime shows the report's percentage as computed (already rounded down
// to 3 decimals): web.Percent takes a fraction and 2 decimals, which would
// not match the API and the CSV.
func uptime(pct float64) string { return strconv.FormatFloat(pct, 'f', -1, 64) + " %" }

// latency shows a percentile, "—" without checks.
func latency(ms *float64) string {
	if ms == nil {
		return "—"
	}
	return web.Millis(*ms)
}

// span shows seconds to the second ("1 h 32 min 30 s"): an SLA report
// must not round 90 s of downtime to "1 min" as web.Duration does.
func span(sec float64) string {
	s := int64(math.Round(sec))
	if s == 0 {
		if sec > 0 {
			return "< 1 s"
		}
		return "0 s"
	}
	var parts []string
	for _, u := range []struct {
		n    int64
		unit string
	}{{86400, "d"}, {3600, "h"}, {60, "min"}, {1, "s"}} {
		if v := s / u.n; v > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", v, u.unit))
			s %= u.n
		}
	}
	return strings.Join(parts, " ")
}

// reportErr turns the SLA service's field errors (a month that ends before
// the monitor was created) into a sentence for the error page, which shows
// messages, not fields.
func reportErr(err error) error {
	ae := apperr.As(err)
	if ae == nil || ae.Kind != apperr.Invalid || len(ae.Fields) == 0 {
		return err
	}
	msgs := make([]string, 0, len(ae.Fields))
	for _, m := range ae.Fields {
		msgs = append(msgs, m)
	}
	sort.Strings(msgs)
	return &apperr.Error{Kind: apperr.Invalid, Message: "No report for that month: its end " + strings.Join(msgs, "; ") + "."}
}
