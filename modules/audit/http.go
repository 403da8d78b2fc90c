package audit

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/apperr"
)

// RegisterAPI adds GET /audit-log to g. workspaceOf returns the request's
// workspace (≥ 1; anything else is refused, so installation-wide entries
// never leak through a workspace's route). Who may read the log is decided
// by g's route rules, not here.
//
// Query parameters: action (whole dotted words, "monitor." or
// "monitor.update"), actor (a user id), record_type, key, since and until
// (RFC 3339; since inclusive, until exclusive), cursor, limit (1-200,
// default 50). A malformed parameter is a 422 naming it; an edited or
// foreign cursor a 400 naming "cursor". The answer is
// {"data": [...], "next_cursor": "..." or null}.
func RegisterAPI(g *echo.Group, svc *Service, workspaceOf func(echo.Context) int64) {
	h := handlers{svc: svc, workspaceOf: workspaceOf}
	g.GET("/audit-log", h.list)
}

// FromRequest fills e's address and user agent from the request: the
// client address as the server resolves it (the socket's, unless a trusted
// proxy is configured) and the User-Agent header.
func FromRequest(c echo.Context, e Entry) Entry {
	e.Address = c.RealIP()
	e.UserAgent = c.Request().UserAgent()
	return e
}

var errNoWorkspace = apperr.New(apperr.Forbidden, "no workspace selected")

type handlers struct {
	svc         *Service
	workspaceOf func(echo.Context) int64
}

type listResponse struct {
	Data       []Entry `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

func (h handlers) list(c echo.Context) error {
	ws := h.workspaceOf(c)
	if ws < 1 {
		return errNoWorkspace
	}
	q := c.QueryParams()
	f := Filter{Action: q.Get("action"), RecordType: q.Get("record_type"), RecordKey: q.Get("key")}
	bad := apperr.Fields{}
	if v := q.Get("actor"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id < 1 {
			bad.Add("actor", "must be a user id")
		}
		f.ActorUserID = &id
	}
	for name, dst := range map[string]*time.Time{"since": &f.Since, "until": &f.Until} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				bad.Add(name, "must be an RFC 3339 time such as 2026-03-01T12:00:00Z (write + as %2B)")
			}
			*dst = t
		}
	}
	limit := 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			bad.Add("limit", limitMessage)
		}
		limit = n
	}
	if err := bad.Err(); err != nil {
		return err
	}
	p, err := h.svc.List(c.Request().Context(), ws, f, q.Get("cursor"), limit)
	if err != nil {
		return err
	}
	res := listResponse{Data: p.Entries}
	if p.NextCursor != "" {
		res.NextCursor = &p.NextCursor
	}
	return c.JSON(http.StatusOK, res)
}
