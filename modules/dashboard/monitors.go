package dashboard

import (
	"context"
	"html/template"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/sync/errgroup"

	"github.com/betterstack/betterstack/modules/chart"
	"github.com/betterstack/betterstack/modules/incident"
	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/server"
	"github.com/betterstack/betterstack/modules/tick"
	"github.com/betterstack/betterstack/modules/web"
	"github.com/betterstack/betterstack/modules/workspace"
)

// monitorRoutes registers the monitors pages: the overview, a monitor's
// detail, the create and edit forms and the detail page's actions.
func (h *Handler) monitorRoutes(g router) {
	g.GET("/", h.overview)
	g.GET("/monitors", func(c echo.Context) error { return c.Redirect(http.StatusSeeOther, "/") })
	g.GET("/monitors/new", h.newMonitorForm)
	g.POST("/monitors/new", h.createMonitor)
	g.GET("/monitors/:id", h.monitorDetail)
	g.GET("/monitors/:id/edit", h.editMonitorForm)
	g.POST("/monitors/:id/edit", h.updateMonitor)
	g.POST("/monitors/:id/pause", h.pauseMonitor)
	g.POST("/monitors/:id/resume", h.resumeMonitor)
	g.POST("/monitors/:id/check", h.checkMonitor)
	g.POST("/monitors/:id/delete", h.deleteMonitor)
}

// overviewPageSize is how many monitors one overview page lists.
const overviewPageSize = 100

// overviewPage is the overview's data; the "overview-block" template (counts
// and table) is also served alone as the fragment the page refreshes.
type overviewPage struct {
	web.Page
	Q, Status   string
	Statuses    []string
	Self        string // this page's URL, which the block refreshes from
	Counts      overviewCounts
	NoMonitors  bool // the user has none at all: the empty state
	Rows        []overviewRow
	Total       int
	First, Last int // 1-based positions of the rows shown
	Pages       []pageLink
}

type overviewCounts struct {
	Up, Down, Degraded, Paused, Waiting int // Waiting: pending or unknown
	Maintenance                         int // in a maintenance window now, whatever the checks say
	OpenIncidents                       string
}

// overviewRow is one monitor in the overview table.
type overviewRow struct {
	ID          int64
	Name, URL   string
	Kind        string // the check kind, shown beside the target
	Status      string
	Checks      string // what the checks say, when Status is "maintenance"
	Uptime24h   float64
	Uptime30d   float64
	LatencyMS   float64 // the last check's; NaN when it failed or there is none
	Spark       template.HTML
	LastChecked *time.Time
	Regions     string
}

// pageLink is one link of a pagination bar; Gap is an ellipsis.
type pageLink struct {
	Label   string
	Href    string
	Current bool
	Gap     bool
}

func (h *Handler) overview(c echo.Context) error {
	ctx, uid := c.Request().Context(), server.WorkspaceID(c)
	q := strings.TrimSpace(c.QueryParam("q"))
	status := monitor.Status(c.QueryParam("status"))
	if !slices.Contains(monitor.AttentionOrder, status) && status != statusMaintenance {
		status = ""
	}
	page, _ := strconv.Atoi(c.QueryParam("page"))
	page = max(page, 1)
	// The reads are independent: run them side by side (the page is polled),
	// the layout's workspace switcher too.
	var ov monitor.Overview
	var open string
	var maint map[int64]monitor.Status
	var ws []workspace.Workspace
	// Monitors in a maintenance window are listed under "maintenance",
	// not under what their checks say, as they are counted: a status
	// filter needs them first. Without one they are read alongside.
	f := monitor.OverviewFilter{Query: q, Status: status, Limit: overviewPageSize, Offset: (page - 1) * overviewPageSize}
	g, gctx := errgroup.WithContext(ctx)
	if status != "" {
		var err error
		if maint, err = h.maintenanceStatuses(ctx, uid); err != nil {
			return err
		}
		switch {
		case status == statusMaintenance:
			f.Status, f.Only = "", slices.Collect(maps.Keys(maint))
			if f.Only == nil {
				f.Only = []int64{}
			}
		case len(maint) > 0:
			f.Exclude = slices.Collect(maps.Keys(maint))
		}
	} else {
		g.Go(func() (err error) { maint, err = h.maintenanceStatuses(gctx, uid); return err })
	}
	userID := server.Access(c).UserID
	g.Go(func() error { ws = h.workspaces(gctx, userID); return nil })
	g.Go(func() (err error) {
		ov, err = h.deps.Monitors.Overview(gctx, uid, f)
		return err
	})
	g.Go(func() (err error) { open, err = h.openIncidents(gctx, uid); return err })
	if err := g.Wait(); err != nil {
		return err
	}
	p := overviewPage{Page: h.pageWith(c, "Monitors", "overview", ws), Q: q, Status: string(status), Statuses: statusOptions,
		Total: ov.Total, Self: overviewHref(q, string(status), page), Counts: countsOf(ov.Counts, open, maint),
		Pages: pagination(q, string(status), page, ov.Total)}
	p.NoMonitors = p.Counts.Up+p.Counts.Down+p.Counts.Degraded+p.Counts.Paused+p.Counts.Waiting+p.Counts.Maintenance == 0
	var err error
	if p.Rows, err = h.overviewRows(ctx, ov.Monitors); err != nil {
		return err
	}
	for i, r := range p.Rows {
		if _, ok := maint[r.ID]; ok {
			p.Rows[i].Checks, p.Rows[i].Status = r.Status, "maintenance"
		}
	}
	if len(p.Rows) > 0 {
		p.First, p.Last = (page-1)*overviewPageSize+1, (page-1)*overviewPageSize+len(p.Rows)
	}
	if c.QueryParam("fragment") != "" {
		return h.r.RenderBlock(c, http.StatusOK, "pages/overview", "overview-block", p)
	}
	return h.r.Render(c, http.StatusOK, "pages/overview", p)
}

// statusMaintenance filters the overview to monitors in a maintenance
// window now (not a monitor status: the window says it, not the checks).
const statusMaintenance monitor.Status = "maintenance"

// statusOptions are the overview's status filter, in attention order, and
// maintenance.
var statusOptions = func() []string {
	out := make([]string, 0, len(monitor.AttentionOrder)+1)
	for _, st := range monitor.AttentionOrder {
		out = append(out, string(st))
	}
	return append(out, string(statusMaintenance))
}()

// countsOf is the overview's counts: monitors in a maintenance window (maint,
// with what their checks say) count as maintenance, not as their status.
func countsOf(n map[monitor.Status]int, openIncidents string, maint map[int64]monitor.Status) overviewCounts {
	n = maps.Clone(n)
	inMaint := 0
	for _, st := range maint {
		if st != monitor.StatusPaused && n[st] > 0 {
			n[st]--
			inMaint++
		}
	}
	return overviewCounts{Up: n[monitor.StatusUp], Down: n[monitor.StatusDown], Degraded: n[monitor.StatusDegraded],
		Paused: n[monitor.StatusPaused], Waiting: n[monitor.StatusPending] + n[monitor.StatusUnknown], Maintenance: inMaint,
		OpenIncidents: openIncidents}
}

// maintenanceStatuses returns the user's monitors in a maintenance window
// now, with the status their checks give.
func (h *Handler) maintenanceStatuses(ctx context.Context, uid int64) (map[int64]monitor.Status, error) {
	ids, err := h.deps.Incidents.UnderMaintenance(ctx, uid)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	list := make([]int64, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	st, err := h.deps.Monitors.StatusesOf(ctx, uid, list)
	for id, s := range st {
		if s == monitor.StatusPaused {
			delete(st, id) // paused says more than maintenance
		}
	}
	return st, err
}

// openIncidents counts the user's unresolved incidents, up to "100+".
func (h *Handler) openIncidents(ctx context.Context, uid int64) (string, error) {
	p, err := h.deps.Incidents.List(ctx, uid, incident.Filter{Status: string(incident.StatusOpen), Limit: 100})
	if err != nil {
		return "", err
	}
	if p.NextCursor != nil {
		return strconv.Itoa(len(p.Data)) + "+", nil
	}
	return strconv.Itoa(len(p.Data)), nil
}

// overviewRows adds to a page of monitors what the table shows of their
// checks. Everything comes from rollups and the per-region state, never
// from raw ticks, summed by the database: hourly rows give the 24-hour
// uptime and sparkline, daily rows the 30-day uptime (the last 30 UTC
// days). Those sums are kept between renders (summaryCache): a monitor
// with a new check has only its live hours read again, the previous and
// the current one. Its state and latency are read every time.
func (h *Handler) overviewRows(ctx context.Context, ms []monitor.Monitor) ([]overviewRow, error) {
	if len(ms) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(ms))
	lastChecked := make(map[int64]time.Time, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
		if m.LastCheckedAt != nil {
			lastChecked[m.ID] = *m.LastCheckedAt
		}
	}
	now := h.cfg.Now().UTC()
	w := windowsAt(now)
	sums, live, cold := h.summaries.lookup(ids, lastChecked, now)
	var (
		whole, liveHours []tick.Rollup
		month            map[int64]tick.Rollup
		states           map[int64][]tick.RegionState
	)
	g, gctx := errgroup.WithContext(ctx)
	if len(cold) > 0 {
		g.Go(func() (err error) {
			whole, month, err = h.deps.Ticks.HoursAndDays(gctx, cold, w.hoursFrom, w.hoursTo, w.daysFrom, w.daysTo)
			return err
		})
	}
	if len(live) > 0 {
		g.Go(func() (err error) {
			liveHours, err = h.deps.Ticks.HourlyMerged(gctx, slices.Collect(maps.Keys(live)), w.liveHours, w.hoursTo)
			return err
		})
	}
	g.Go(func() (err error) { states, err = h.deps.Ticks.RegionsOf(gctx, ids); return err })
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if len(live)+len(cold) > 0 {
		wholeOf, liveOf := byMonitor(whole), byMonitor(liveHours)
		names := make(map[int64]string, len(ms))
		for _, m := range ms {
			names[m.ID] = m.Name
		}
		read := make(map[int64]rollupSummary, len(live)+len(cold))
		for _, id := range cold {
			s := rollupSummary{at: now}
			s.settled, liveOf[id] = settle(wholeOf[id], month[id], w, now)
			read[id] = s
		}
		for id, s := range live {
			read[id] = s // the settled part is kept
		}
		for id, s := range read {
			s.lastChecked, s.hour, s.sparkName = lastChecked[id], now.Truncate(time.Hour), names[id]
			s.day, s.month, s.spark = s.settled.withLive(liveOf[id], now)
			s.sparkSVG = sparkline(s.spark, s.sparkName)
			read[id] = s
			sums[id] = s
		}
		h.summaries.store(read)
	}
	rows := make([]overviewRow, len(ms))
	for i, m := range ms {
		sum := sums[m.ID]
		rows[i] = overviewRow{ID: m.ID, Name: m.Name, URL: m.Target, Kind: m.Check.Kind, Status: string(m.Status), LastChecked: m.LastCheckedAt,
			Uptime24h: sum.day.uptime(), Uptime30d: sum.month.uptime(), LatencyMS: math.NaN(),
			Regions: regionsLabel(m.Regions, states[m.ID])}
		var last tick.RegionState
		for _, rs := range states[m.ID] {
			if rs.LastCheckedAt.After(last.LastCheckedAt) {
				last = rs
			}
		}
		if !last.LastCheckedAt.IsZero() && last.Status != probe.StatusDown {
			rows[i].LatencyMS = last.LatencyMS
		}
		rows[i].Spark = sum.sparkSVG
		if sum.sparkName != m.Name { // renamed since the sums were read: the title says the name
			rows[i].Spark = sparkline(sum.spark, m.Name)
		}
	}
	return rows, nil
}

// byMonitor groups rollups by monitor, keeping their order.
func byMonitor(rs []tick.Rollup) map[int64][]tick.Rollup {
	out := map[int64][]tick.Rollup{}
	for _, r := range rs {
		out[r.MonitorID] = append(out[r.MonitorID], r)
	}
	return out
}

// sparkline draws a monitor's 24-hour latency line for the overview.
func sparkline(values []float64, name string) template.HTML {
	return chart.Sparkline(values, 0, 0, "Response time of "+name+", last 24 hours")
}

// regionsLabel names where a monitor is checked from: its regions, or when
// it has none (every live region) the regions that reported.
func regionsLabel(configured []string, states []tick.RegionState) string {
	if len(configured) > 0 {
		return strings.Join(configured, ", ")
	}
	names := make([]string, 0, len(states))
	for _, s := range states {
		names = append(names, s.Region)
	}
	if len(names) == 0 {
		return "all"
	}
	return strings.Join(names, ", ")
}

// overviewHref is the overview's URL with a filter and page.
func overviewHref(q, status string, page int) string {
	v := url.Values{}
	if q != "" {
		v.Set("q", q)
	}
	if status != "" {
		v.Set("status", status)
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if len(v) == 0 {
		return "/"
	}
	return "/?" + v.Encode()
}

// pagination links the first and last page, two either side of the current
// one, and the previous and next; nil when everything fits on one page.
func pagination(q, status string, page, total int) []pageLink {
	pages := (total + overviewPageSize - 1) / overviewPageSize
	if pages <= 1 && page == 1 {
		return nil
	}
	var out []pageLink
	if page > 1 {
		out = append(out, pageLink{Label: "‹ Previous", Href: overviewHref(q, status, min(page-1, max(pages, 1)))})
	}
	gap, center := false, min(page, pages)
	for i := 1; i <= pages; i++ {
		if i != 1 && i != pages && (i < center-2 || i > center+2) {
			if !gap {
				out = append(out, pageLink{Label: "…", Gap: true})
				gap = true
			}
			continue
		}
		gap = false
		out = append(out, pageLink{Label: strconv.Itoa(i), Href: overviewHref(q, status, i), Current: i == page})
	}
	if page < pages {
		out = append(out, pageLink{Label: "Next ›", Href: overviewHref(q, status, page+1)})
	}
	return out
}
