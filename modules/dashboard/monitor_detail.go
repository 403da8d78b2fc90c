package dashboard

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/sync/errgroup"

	"github.com/betterstack/betterstack/modules/chart"
	"github.com/betterstack/betterstack/modules/incident"
	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/server"
	"github.com/betterstack/betterstack/modules/tick"
	"github.com/betterstack/betterstack/modules/web"
)

// chartRange is one tab of the response-time chart.
type chartRange struct {
	Key  string
	Span time.Duration
	Raw  bool // from raw ticks; otherwise from hourly rollups
}

var chartRanges = []chartRange{
	{"1h", time.Hour, true}, {"24h", 24 * time.Hour, true}, {"7d", 7 * 24 * time.Hour, false}, {"30d", 30 * 24 * time.Hour, false},
}

// maxChartTicks bounds the raw ticks one chart reads (a day of 10-second
// checks from two regions); beyond it the chart starts later.
const maxChartTicks = 20_000

// barDays is how many days the uptime bar shows.
const barDays = 90

// detailPage is a monitor's page.
type detailPage struct {
	web.Page
	M         monitor.Monitor
	Status    string
	ChecksSay string // what the checks say, when Status is "maintenance"
	Uptime    []uptimeFigure
	Range     string
	Ranges    []rangeTab
	Chart     template.HTML
	Bars      template.HTML
	Regions   []tick.RegionView
	Checks    []checkRow
	Incidents []incident.Incident
	HB        *heartbeatView // heartbeat monitors only
}

// checkRow is one line of the recent checks table.
type checkRow struct {
	tick.Tick
	PhaseText string
}

type uptimeFigure struct {
	Label string
	Value float64
}

type rangeTab struct {
	Label, Href string
	Current     bool
}

func (h *Handler) monitorDetail(c echo.Context) error {
	ctx, uid := c.Request().Context(), server.WorkspaceID(c)
	id, err := monitor.ID(c)
	if err != nil {
		return err
	}
	m, err := h.deps.Monitors.Get(ctx, uid, id)
	if err != nil {
		return err
	}
	rng := pickRange(c.QueryParam("range"), m.CreatedAt, h.cfg.Now().UTC())
	p := detailPage{Page: h.page(c, m.Name, "overview"), M: m, Status: string(m.Status), Range: rng.Key}
	if !m.Paused {
		inMaint, err := h.deps.Incidents.InMaintenance(ctx, uid, m.ID)
		if err != nil {
			return err
		}
		if inMaint {
			p.ChecksSay, p.Status = p.Status, "maintenance"
		}
	}
	for _, r := range chartRanges {
		p.Ranges = append(p.Ranges, rangeTab{Label: r.Key, Href: "/monitors/" + strconv.FormatInt(id, 10) + "?range=" + r.Key, Current: r == rng})
	}
	if err := h.fillDetail(ctx, uid, &p, rng); err != nil {
		return err
	}
	if p.HB, err = h.fillHeartbeat(c, m); err != nil {
		return err
	}
	return h.r.Render(c, http.StatusOK, "pages/monitor", p)
}

// fillDetail reads what the monitor page shows of its checks and incidents.
// The reads are independent, so they run side by side.
func (h *Handler) fillDetail(ctx context.Context, uid int64, p *detailPage, rng chartRange) error {
	now, id, ids := h.cfg.Now().UTC(), p.M.ID, []int64{p.M.ID}
	g, ctx := errgroup.WithContext(ctx)
	// 24 hours is hour-exact (hourly rows); 7, 30 and 90 days are the last
	// N UTC days including today, from the daily rows the 90-day bar reads
	// anyway — as the overview's 30 days.
	p.Uptime = []uptimeFigure{{Label: "24 hours"}, {Label: "7 days"}, {Label: "30 days"}, {Label: "90 days"}}
	g.Go(func() error {
		up, err := h.deps.Ticks.Window(ctx, ids, now, 24*time.Hour)
		p.Uptime[0].Value = up[id].Uptime()
		return err
	})
	g.Go(func() error {
		from := now.Add(-rng.Span)
		var series []chart.Series
		if rng.Raw {
			ticks, err := h.deps.Ticks.Since(ctx, id, from, maxChartTicks)
			if err != nil {
				return err
			}
			series = tickSeries(ticks, from, now, maxChartPoints)
		} else {
			hours, err := h.deps.Ticks.Hourly(ctx, ids, from, now)
			if err != nil {
				return err
			}
			series = rollupSeries(hours, from, now)
		}
		from = chartFrom(rng, p.M.CreatedAt, series, now)
		p.Chart = chart.Lines(series, chart.LineOptions{Title: "Response time of " + p.M.Name + ", last " + rng.Key, Unit: "ms", From: from, To: now})
		return nil
	})
	g.Go(func() error {
		first := now.Truncate(24*time.Hour).AddDate(0, 0, 1-barDays)
		incs, err := h.monitorIncidents(ctx, uid, id, first)
		if err != nil {
			return err
		}
		days, err := h.deps.Ticks.Daily(ctx, ids, first, now)
		if err != nil {
			return err
		}
		merged := tick.MergeRegions(days)
		for i, n := range []int{7, 30, barDays} {
			p.Uptime[i+1].Value = lastDays(merged, now, n).Uptime()
		}
		p.Bars = chart.UptimeBars(dayBars(merged, incs, now, barDays), 0, 0, "Uptime of "+p.M.Name+" per day, last 90 days")
		p.Incidents = incs[:min(len(incs), 10)]
		return nil
	})
	g.Go(func() (err error) { p.Regions, err = h.deps.Ticks.Regions(ctx, id); return err })
	g.Go(func() error {
		checks, err := h.deps.Ticks.List(ctx, id, tick.TickFilter{Limit: 20})
		for _, t := range checks.Data {
			p.Checks = append(p.Checks, checkRow{Tick: t, PhaseText: phases(t.Phases)})
		}
		return err
	})
	return g.Wait()
}

// monitorIncidents returns the monitor's incidents newest first, back to
// the first one that started before since (older ones ended before it).
func (h *Handler) monitorIncidents(ctx context.Context, uid, id int64, since time.Time) ([]incident.Incident, error) {
	var out []incident.Incident
	f := incident.Filter{MonitorID: id, Limit: 100}
	for range 20 {
		p, err := h.deps.Incidents.List(ctx, uid, f)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Data...)
		if p.NextCursor == nil || len(p.Data) == 0 || p.Data[len(p.Data)-1].StartedAt.Before(since) {
			break
		}
		if f.Before, err = strconv.ParseInt(*p.NextCursor, 10, 64); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// monitorAction runs one of the detail page's buttons and goes back to it.
func (h *Handler) monitorAction(c echo.Context, do func(ctx context.Context, uid, id int64) (string, error)) error {
	id, err := monitor.ID(c)
	if err != nil {
		return err
	}
	flash, err := do(c.Request().Context(), server.WorkspaceID(c), id)
	if err != nil {
		return err
	}
	return redirect(c, "/monitors/"+strconv.FormatInt(id, 10), flash)
}

func (h *Handler) pauseMonitor(c echo.Context) error {
	return h.monitorAction(c, func(ctx context.Context, uid, id int64) (string, error) {
		_, err := h.deps.Monitors.Pause(ctx, uid, id)
		return "Paused: no checks run and no alerts are sent until you resume it.", err
	})
}

func (h *Handler) resumeMonitor(c echo.Context) error {
	return h.monitorAction(c, func(ctx context.Context, uid, id int64) (string, error) {
		_, err := h.deps.Monitors.Resume(ctx, uid, id)
		return "Resumed: the first check runs now.", err
	})
}

func (h *Handler) checkMonitor(c echo.Context) error {
	return h.monitorAction(c, func(ctx context.Context, uid, id int64) (string, error) {
		err := h.deps.Monitors.CheckNow(ctx, uid, id)
		if errors.Is(err, monitor.ErrPaused) {
			return "This monitor is paused; resume it to check it.", nil
		}
		return "A check was scheduled; its result shows here within a few seconds.", err
	})
}

func (h *Handler) deleteMonitor(c echo.Context) error {
	ctx, uid := c.Request().Context(), server.WorkspaceID(c)
	id, err := monitor.ID(c)
	if err != nil {
		return err
	}
	m, err := h.deps.Monitors.Get(ctx, uid, id)
	if err != nil {
		return err
	}
	if err := h.deps.Monitors.Delete(ctx, uid, id); err != nil {
		return err
	}
	return redirect(c, "/", "Deleted monitor "+m.Name+".")
}

// lastDays sums one monitor's daily rollups of the last n UTC days,
// today included.
func lastDays(days []tick.Rollup, now time.Time, n int) tick.Rollup {
	first := now.UTC().Truncate(24*time.Hour).AddDate(0, 0, 1-n)
	var sum tick.Rollup
	for _, d := range days {
		if !d.Start.Before(first) {
			sum.Add(d)
		}
	}
	return sum
}
