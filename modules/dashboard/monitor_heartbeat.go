package dashboard

import (
	"context"
	"encoding/json"
	"html/template"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/chart"
	"github.com/betterstack/betterstack/modules/checkin"
	"github.com/betterstack/betterstack/modules/heartbeat"
	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/probe"
)

// heartbeatReader is what the page needs of the heartbeat service;
// checkin.Service implements it.
type heartbeatReader interface {
	PingURL(ctx context.Context, monitorID int64) (url string, ok bool, err error)
	List(ctx context.Context, monitorID int64, f checkin.PageFilter) (checkin.Page, error)
}

// heartbeatView is the heartbeat part of a monitor's page.
type heartbeatView struct {
	PingURL  string // empty when the server key changed: rotate through the API
	Curl     string
	Crontab  string
	CLI      string
	Schedule string
	Zone     string
	Next     []string // the next five expected times, in the schedule's zone
	Pings    []pingRow
	Runs     []runRow
	Chart    template.HTML
}

type pingRow struct {
	checkin.Ping
	What string // "start", "exit 3", ...
}

type runRow struct {
	Start, End string
	Duration   string
	ExitCode   string
	Failed     bool
	Reason     string
}

// heartbeatPings is how many pings the page reads (the log and the runs).
const heartbeatPings = 200

// fillHeartbeat reads the heartbeat part of a heartbeat monitor's page.
func (h *Handler) fillHeartbeat(c echo.Context, m monitor.Monitor) (*heartbeatView, error) {
	if h.deps.Heartbeats == nil || m.Kind() != "heartbeat" {
		return nil, nil
	}
	ctx, now := c.Request().Context(), h.cfg.Now().UTC()
	v := &heartbeatView{Schedule: m.Target}
	url, ok, err := h.deps.Heartbeats.PingURL(ctx, m.ID)
	if err != nil {
		return nil, err
	}
	if ok {
		v.PingURL = checkin.Absolute(c, url)
		v.Curl = "curl -fsS -m 10 --retry 5 -o /dev/null " + v.PingURL
		v.CLI = "betterstack ping " + v.PingURL + " -- /usr/local/bin/backup.sh"
	}
	var hb probe.Heartbeat
	if err := json.Unmarshal(m.Check.Config, &hb); err != nil {
		return nil, err
	}
	sched, err := hb.Schedule()
	if err != nil {
		return nil, err
	}
	cronLine := sched.Cron
	if cronLine == "" {
		cronLine = "0 * * * *" // an example; the period is what is expected
	}
	if v.PingURL != "" {
		v.Crontab = cronLine + " /usr/local/bin/backup.sh && " + v.Curl
		if sched.TZ != "" {
			v.Crontab = "CRON_TZ=" + sched.TZ + "\n" + v.Crontab
		}
	}
	loc, err := time.LoadLocation(sched.TZ)
	if err != nil {
		loc = time.UTC
	}
	v.Zone = loc.String()
	page, err := h.deps.Heartbeats.List(ctx, m.ID, checkin.PageFilter{Limit: heartbeatPings})
	if err != nil {
		return nil, err
	}
	after := now
	if sched.Cron == "" && len(page.Data) > 0 {
		after = page.Data[0].At // a period counts from the last ping
	}
	for _, t := range sched.NextN(after, 5) {
		v.Next = append(v.Next, t.In(loc).Format("Mon 2006-01-02 15:04 MST"))
	}
	hp := make([]heartbeat.Ping, len(page.Data))
	exits := map[time.Time]bool{} // ends pinged with an exit code, by time
	for i, p := range page.Data {
		if p.Signal == "exit" {
			exits[p.At] = true
		}
		hp[len(hp)-1-i] = heartbeat.Ping{At: p.At, Signal: signalOf(p.Signal), ExitCode: p.ExitCode, RunID: p.RunID}
		what := p.Signal
		if p.Signal == "exit" {
			what = "exit " + strconv.Itoa(p.ExitCode)
		}
		if len(v.Pings) < 50 {
			v.Pings = append(v.Pings, pingRow{Ping: p, What: what})
		}
	}
	runs := heartbeat.Runs(sched, hp, now)
	var points []chart.Point
	for i := len(runs) - 1; i >= 0; i-- {
		r := runs[i]
		row := runRow{Failed: r.Failed, Reason: r.Reason, Start: stamp(r.Start, loc), End: stamp(r.End, loc), Duration: "—"}
		if !r.Start.IsZero() && !r.End.IsZero() {
			row.Duration = r.Duration.Round(time.Millisecond).String()
		}
		if !r.End.IsZero() && exits[r.End] {
			// Only an end pinged as an exit code has one: /fail and a
			// plain success say nothing of it.
			row.ExitCode = strconv.Itoa(r.ExitCode)
		}
		if len(v.Runs) < 20 {
			v.Runs = append(v.Runs, row)
		}
		if !r.Start.IsZero() && !r.End.IsZero() {
			points = append([]chart.Point{{T: r.End, V: r.Duration.Seconds(), Tip: row.Duration}}, points...)
		}
	}
	v.Chart = chart.Lines([]chart.Series{{Name: "run duration", Points: points}},
		chart.LineOptions{Title: "Run durations of " + m.Name, Unit: "s"})
	return v, nil
}

func stamp(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(loc).Format("2006-01-02 15:04:05 MST") // the job's zone, named
}

// signalOf reads a stored signal word.
func signalOf(w string) heartbeat.Signal {
	for _, s := range []heartbeat.Signal{heartbeat.Success, heartbeat.Start, heartbeat.Fail, heartbeat.Log, heartbeat.Exit} {
		if w == s.String() || (s == heartbeat.Success && w == "success") {
			return s
		}
	}
	return 0
}
