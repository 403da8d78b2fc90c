package dashboard

import (
	"net/http"
	"sort"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/queue"
	"github.com/betterstack/betterstack/modules/web"
)

// regionsPage lists the worker regions.
type regionsPage struct {
	settingsPage
	Regions []queue.Region
	// Unseen are regions monitors name that no worker has ever reported
	// from: their checks there do not run (a misspelt name, or no worker
	// started there yet).
	Unseen     []string
	LiveWithin string
}

func (h *Handler) regionList(c echo.Context) error {
	p := regionsPage{settingsPage: h.settingsPage(c, "Regions", "regions"), LiveWithin: web.Duration(h.cfg.LiveWithin.Seconds())}
	if st := h.pipeline(c); st != nil {
		p.Pipeline = pipelineNotice(st.Verdict)
		for _, r := range st.Sample.Regions {
			if r.Expected && r.LastSeen.IsZero() {
				p.Unseen = append(p.Unseen, r.Name)
			}
		}
	}
	if h.deps.Regions != nil {
		rs, err := h.deps.Regions.Regions(c.Request().Context(), h.cfg.LiveWithin)
		if err != nil {
			return err
		}
		sort.SliceStable(rs, func(i, j int) bool {
			if rs[i].Live != rs[j].Live {
				return rs[i].Live
			}
			return rs[i].Name < rs[j].Name
		})
		p.Regions = rs
	}
	return h.r.Render(c, http.StatusOK, "pages/settings_regions", p)
}
