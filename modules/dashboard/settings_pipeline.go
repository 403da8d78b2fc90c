package dashboard

import (
	"context"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/selfcheck"
	"github.com/betterstack/betterstack/modules/web"
)

// pipelineStatus measures the check pipeline; selfcheck.Service does.
type pipelineStatus interface {
	Status(ctx context.Context) (selfcheck.Status, error)
}

var _ pipelineStatus = (*selfcheck.Service)(nil)

// pipelineNotices is the settings pages' pipeline notices: "Checks are
// running late" (Stage set) and "Checks are being skipped" (Skipping set),
// either or both; settingsPage.Pipeline holds it.
type pipelineNotices struct {
	Stage   string   // the bottleneck: "pusher", "workers in eu", ...; "" when nothing lags
	Behind  string   // how late, "42 s"
	Backlog int64    // items waiting there
	Others  []string // the other lagging stages, with their lag
	Hint    string   // what usually helps

	Skipping *skipNotice // nil when no region skips
}

// skipNotice is "Checks are being skipped": the pusher leaves out part of
// what is due in a region whose workers are not taking jobs, so the rest
// run on time, or everywhere while results wait too long to be stored
// (Ingest). The workers' lag then stays under the threshold, so this is
// the only notice that says so.
type skipNotice struct {
	Ingest  bool     // the ingest, not the workers, is why
	Stage   string   // the most skipped region's workers: "workers in eu"
	Skipped string   // "1,234 checks"
	Others  []string // the other skipping regions: "workers in us (56 checks)"
	Hint    string   // what helps
}

// hints say what usually helps a lagging stage.
var hints = map[selfcheck.Stage]string{
	selfcheck.StagePusher:        "Due checks are not being scheduled in time: is a pusher running, and is the database keeping up?",
	selfcheck.StageWorkers:       "Jobs wait for a worker: start more workers in that region, or check that its workers are alive.",
	selfcheck.StageIngest:        "Results wait to be stored: is an alerter running, and is the database reachable?",
	selfcheck.StageNotifications: "Notifications wait to be sent: see the channels' delivery logs for failures.",
}

// pipelineNotices measures the pipeline on render (a few cheap reads) and
// returns the notices, or nil when nothing lags and nothing is skipped. A
// failed measurement is logged and shows no notice: the page itself must
// not fail for it.
func (h *Handler) pipelineNotices(c echo.Context) *pipelineNotices {
	st := h.pipeline(c)
	if st == nil {
		return nil
	}
	return pipelineNotice(st.Verdict)
}

// pipeline measures the pipeline now; nil without a self-check or when it
// cannot measure (logged: the page shows without the notices).
func (h *Handler) pipeline(c echo.Context) *selfcheck.Status {
	if h.deps.Pipeline == nil {
		return nil
	}
	st, err := h.deps.Pipeline.Status(c.Request().Context())
	if err != nil {
		h.log.Warn("measure the pipeline for the settings page", "err", err)
		return nil
	}
	return &st
}

// pipelineNotice turns a verdict into the notices, nil when there is
// nothing to say.
func pipelineNotice(v selfcheck.Verdict) *pipelineNotices {
	if v.Bottleneck == nil && len(v.Skipping) == 0 {
		return nil
	}
	n := &pipelineNotices{}
	if b := v.Bottleneck; b != nil {
		n.Stage, n.Behind, n.Backlog, n.Hint = b.Name(), web.Duration(b.Lag.Seconds()), b.Backlog, hints[b.Stage]
		for _, m := range v.Lagging[1:] {
			n.Others = append(n.Others, m.Name()+" "+web.Duration(m.Lag.Seconds()))
		}
	}
	if len(v.Skipping) > 0 {
		first := v.Skipping[0]
		sk := &skipNotice{Stage: first.Name(), Skipped: checks(first.Skipped),
			Hint: "Add workers in " + first.Region + ", or lengthen the monitors' intervals."}
		for _, m := range v.Skipping[1:] {
			sk.Others = append(sk.Others, m.Name()+" ("+checks(m.Skipped)+")")
		}
		if len(sk.Others) > 0 {
			sk.Hint = "Add workers in those regions, or lengthen the monitors' intervals."
		}
		if v.SkipCause == selfcheck.StageIngest {
			sk.Ingest = true
			sk.Hint = "Results wait too long to be stored, so fewer checks are published until the ingest catches up: give the database more CPU, run another alerter, or lengthen the monitors' intervals."
		}
		n.Skipping = sk
	}
	return n
}

// checks is "1 check" or "1,234 checks".
func checks(n int64) string {
	if n == 1 {
		return "1 check"
	}
	return thousands(n) + " checks"
}

// thousands writes n with a comma between groups of three digits.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, d := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return b.String()
}
