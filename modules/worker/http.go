package worker

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/queue"
)

// regionLister reports worker regions from heartbeats; the queue does.
type regionLister interface {
	Regions(ctx context.Context, liveWithin time.Duration) ([]queue.Region, error)
}

// regionView is a region as the API shows it.
type regionView struct {
	Name       string     `json:"name"`
	Workers    int        `json:"workers"`
	LastSeenAt *time.Time `json:"last_seen_at"`
	Live       bool       `json:"live"`
}

// RegisterAPI adds GET /regions to g: every region a worker has announced,
// its live worker count and whether it is live (a worker heartbeated within
// liveWithin).
func RegisterAPI(g *echo.Group, regions regionLister, liveWithin time.Duration) {
	g.GET("/regions", func(c echo.Context) error {
		rs, err := regions.Regions(c.Request().Context(), liveWithin)
		if err != nil {
			return err
		}
		out := make([]regionView, 0, len(rs))
		for _, r := range rs {
			v := regionView{Name: r.Name, Workers: r.Workers, Live: r.Live}
			if !r.LastSeenAt.IsZero() {
				t := r.LastSeenAt.UTC()
				v.LastSeenAt = &t
			}
			out = append(out, v)
		}
		return c.JSON(http.StatusOK, map[string]any{"data": out})
	})
}
