package dashboard

import (
	"context"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/incident"
	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/server"
	"github.com/betterstack/betterstack/modules/web"
)

// incidentPage is one incident: header, cause, timeline, evidence, actions.
type incidentPage struct {
	web.Page
	Incident    incident.Detail
	MonitorName string
	MonitorGone bool
	Timeline    []timelineItem
	Evidence    []evidenceView
	Comment     string            // kept when the comment was refused
	Errors      map[string]string // the comment form's field errors
}

// timelineItem is one event in words.
type timelineItem struct {
	At      time.Time
	Type    string
	Label   string
	Actor   string
	Message string
}

// evidenceView is one failing region's last check, laid out for the page.
type evidenceView struct {
	incident.Evidence
	PhaseRows  []phaseRow
	HeaderRows []headerRow
}

type phaseRow struct {
	Name string
	MS   float64
}

type headerRow struct{ Name, Value string }

// incidentDetail loads everything the incident page shows. Another user's
// incident is incident.ErrNotFound, like a missing one.
func (h *Handler) incidentDetail(c echo.Context, id int64) (incidentPage, error) {
	ctx, uid := c.Request().Context(), server.WorkspaceID(c)
	d, err := h.deps.Incidents.Get(ctx, uid, id)
	if err != nil {
		return incidentPage{}, err
	}
	p := incidentPage{Page: h.page(c, "Incident #"+strconv.FormatInt(d.ID, 10), "incidents"), Incident: d, Errors: map[string]string{}}
	m, err := h.deps.Monitors.Get(ctx, uid, d.MonitorID)
	switch {
	case apperr.KindOf(err) == apperr.NotFound:
		p.MonitorName, p.MonitorGone = monitorLabel(nil, d.MonitorID), true
	case err != nil:
		return incidentPage{}, err
	default:
		p.MonitorName = m.Name
	}
	p.Title = p.MonitorName + " · " + p.Title
	for _, e := range d.Events {
		p.Timeline = append(p.Timeline, timelineItem{At: e.At, Type: e.Type, Label: eventLabel(e), Actor: e.Actor, Message: e.Message})
	}
	for _, e := range d.Evidence {
		p.Evidence = append(p.Evidence, evidenceView{Evidence: e, PhaseRows: phaseRows(e.Phases), HeaderRows: headerRows(e.Headers)})
	}
	return p, nil
}

// eventLabel says what a timeline event was.
func eventLabel(e incident.Event) string {
	switch e.Type {
	case incident.EventOpened:
		return "Incident opened"
	case incident.EventRegionFailed:
		return "Region " + e.Region + " failing"
	case incident.EventRegionRecovered:
		return "Region " + e.Region + " recovered"
	case incident.EventAcknowledged:
		return "Acknowledged"
	case incident.EventResolved:
		return "Resolved"
	case incident.EventComment:
		return "Comment"
	case incident.EventReminder:
		return "Reminder sent"
	case incident.EventNotified:
		return "Notification sent"
	case incident.EventNotifyFailed:
		return "Notification failed"
	}
	return web.Title(strings.ReplaceAll(e.Type, "_", " "))
}

// phaseNames orders and names the probe's timing phases.
var phaseNames = []struct{ key, name string }{
	{"dns_ms", "DNS"}, {"connect_ms", "Connect"}, {"tls_ms", "TLS"}, {"ttfb_ms", "First byte"}, {"transfer_ms", "Transfer"},
}

// phaseRows lists a check's timing phases in request order; phases the
// probe did not reach (0) are left out. Unknown keys follow, sorted.
func phaseRows(raw json.RawMessage) []phaseRow {
	var m map[string]float64
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil {
		return nil
	}
	var out []phaseRow
	for _, p := range phaseNames {
		if v, ok := m[p.key]; ok {
			delete(m, p.key)
			if v > 0 {
				out = append(out, phaseRow{Name: p.name, MS: v})
			}
		}
	}
	rest := make([]string, 0, len(m))
	for k := range m {
		rest = append(rest, k)
	}
	sort.Strings(rest)
	for _, k := range rest {
		if m[k] > 0 {
			out = append(out, phaseRow{Name: k, MS: m[k]})
		}
	}
	return out
}

func headerRows(hs map[string]string) []headerRow {
	out := make([]headerRow, 0, len(hs))
	for k, v := range hs {
		out = append(out, headerRow{Name: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// userMonitors returns all of the user's monitors, page by page (the
// incidents list names them; the maintenance form offers them).
func (h *Handler) userMonitors(ctx context.Context, workspaceID int64) ([]monitor.Monitor, error) {
	var out []monitor.Monitor
	f := monitor.Filter{Limit: monitor.MaxPage}
	for {
		p, err := h.deps.Monitors.List(ctx, workspaceID, f)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Data...)
		if p.NextCursor == nil || len(p.Data) == 0 {
			return out, nil
		}
		f.After = p.Data[len(p.Data)-1].ID
	}
}
