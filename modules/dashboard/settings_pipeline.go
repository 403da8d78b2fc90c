package dashboard

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/selfcheck"
	"github.com/betterstack/betterstack/modules/web"
)

// pipelineStatus measures the check pipeline; selfcheck.Service does.
type pipelineStatus interface {
	Status(ctx context.Context) (selfcheck.Status, error)
}

var _ pipelineStatus = (*selfcheck.Service)(nil)

// lateNotice is the settings pages' "Checks are running late" notice.
type lateNotice struct {
	Stage   string   // the bottleneck: "pusher", "workers in eu", ...
	Behind  string   // how late, "42 s"
	Backlog int64    // items waiting there
	Others  []string // the other lagging stages, with their lag
	Hint    string   // what usually helps
}

// hints say what usually helps a lagging stage.
var hints = map[selfcheck.Stage]string{
	selfcheck.StagePusher:        "Due checks are not being scheduled in time: is a pusher running, and is the database keeping up?",
	selfcheck.StageWorkers:       "Jobs wait for a worker: start more workers in that region, or check that its workers are alive.",
	selfcheck.StageIngest:        "Results wait to be stored: is an alerter running, and is the database reachable?",
	selfcheck.StageNotifications: "Notifications wait to be sent: see the channels' delivery logs for failures.",
}

// lateNotice measures the pipeline on render (a few indexed reads) and
// returns the notice, or nil when nothing lags. A failed measurement is
// logged and shows no notice: the page itself must not fail for it.
func (h *Handler) lateNotice(c echo.Context) *lateNotice {
	if h.deps.Pipeline == nil {
		return nil
	}
	st, err := h.deps.Pipeline.Status(c.Request().Context())
	if err != nil {
		h.log.Warn("measure the pipeline for the settings page", "err", err)
		return nil
	}
	b := st.Bottleneck
	if b == nil {
		return nil
	}
	n := &lateNotice{Stage: b.Name(), Behind: web.Duration(b.Lag.Seconds()), Backlog: b.Backlog, Hint: hints[b.Stage]}
	for _, m := range st.Lagging[1:] {
		n.Others = append(n.Others, m.Name()+" "+web.Duration(m.Lag.Seconds()))
	}
	return n
}
