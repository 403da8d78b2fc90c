package checkin

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/server"
)

// RegisterPing adds the public ping routes to e: GET, HEAD and POST of
// /ping/:token and /ping/:token/:signal. They need no session, set no
// cookie and take no CSRF token.
func RegisterPing(e *echo.Echo, svc *Service) {
	h := pingHandler{svc: svc}
	methods := []string{http.MethodGet, http.MethodHead, http.MethodPost}
	e.Match(methods, "/ping/:token", h.ping)
	e.Match(methods, "/ping/:token/:signal", h.ping)
}

type pingHandler struct{ svc *Service }

func (h pingHandler) ping(c echo.Context) error {
	req := c.Request()
	var body []byte
	truncated := false
	if req.Method == http.MethodPost && req.Body != nil {
		b, err := io.ReadAll(io.LimitReader(req.Body, int64(h.svc.MaxBody())+1))
		if err != nil {
			return c.String(http.StatusBadRequest, "could not read the body\n")
		}
		if len(b) > h.svc.MaxBody() {
			b, truncated = b[:h.svc.MaxBody()], true
		}
		body = b
	}
	err := h.svc.Accept(req.Context(), Request{
		Token: c.Param("token"), Suffix: c.Param("signal"), RunID: c.QueryParam("rid"), Method: req.Method,
		Source: c.RealIP(), UserAgent: req.UserAgent(), Body: body, Truncated: truncated,
	})
	var lim *Limited
	switch {
	case err == nil:
		return c.String(http.StatusOK, "OK\n")
	case errors.As(err, &lim):
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(lim.RetryAfter.Seconds()))))
		return c.String(http.StatusTooManyRequests, lim.Message+"\n")
	case errors.Is(err, ErrUnavailable):
		c.Response().Header().Set("Retry-After", "5")
		return c.String(http.StatusServiceUnavailable, err.Error()+"\n")
	}
	// Unknown tokens and signals: one short answer, the same for both.
	return c.String(http.StatusNotFound, "not found\n")
}

// owner checks that a monitor is the workspace's; monitor.Service does.
type owner interface {
	Get(ctx context.Context, workspaceID, id int64) (monitor.Monitor, error)
}

// RegisterAPI adds the heartbeat routes to g, which must require a user:
// the ping log and token rotation of a heartbeat monitor.
func RegisterAPI(g *echo.Group, svc *Service, monitors owner) {
	h := apiHandlers{svc: svc, monitors: monitors}
	g.GET("/monitors/:id/pings", h.list)
	g.GET("/monitors/:id/ping-token", h.current)
	g.POST("/monitors/:id/ping-token", h.rotate)
}

type apiHandlers struct {
	svc      *Service
	monitors owner
}

// heartbeatMonitor returns the path's monitor if it is the workspace's
// and a heartbeat.
func (h apiHandlers) heartbeatMonitor(c echo.Context) (monitor.Monitor, error) {
	id, err := monitor.ID(c)
	if err != nil {
		return monitor.Monitor{}, err
	}
	m, err := h.monitors.Get(c.Request().Context(), server.WorkspaceID(c), id)
	if err != nil {
		return monitor.Monitor{}, err
	}
	if m.Kind() != "heartbeat" {
		return monitor.Monitor{}, ErrNotHeartbeat
	}
	return m, nil
}

func (h apiHandlers) list(c echo.Context) error {
	m, err := h.heartbeatMonitor(c)
	if err != nil {
		return err
	}
	f, err := ParseFilter(c.QueryParam("limit"), c.QueryParam("cursor"))
	if err != nil {
		return err
	}
	p, err := h.svc.List(c.Request().Context(), m.ID, f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

// current answers the ping URL as it is (the one on the monitor's page):
// reading it must not break the jobs already using it, as rotating does.
func (h apiHandlers) current(c echo.Context) error {
	m, err := h.heartbeatMonitor(c)
	if err != nil {
		return err
	}
	url, ok, err := h.svc.PingURL(c.Request().Context(), m.ID)
	if err != nil {
		return err
	}
	if !ok {
		return apperr.New(apperr.Conflict, "this ping URL was made with another server key (jwt_secret changed): make a new one with POST /monitors/%d/ping-token", m.ID)
	}
	return c.JSON(http.StatusOK, map[string]string{"ping_url": Absolute(c, url)})
}

func (h apiHandlers) rotate(c echo.Context) error {
	m, err := h.heartbeatMonitor(c)
	if err != nil {
		return err
	}
	url, err := h.svc.Rotate(c.Request().Context(), m.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"ping_url": Absolute(c, url)})
}

// Absolute completes a ping URL made without public_url with the address
// the request came to.
func Absolute(c echo.Context, url string) string {
	if strings.HasPrefix(url, "/") {
		return c.Scheme() + "://" + c.Request().Host + url
	}
	return url
}
