package server

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/apperr"
)

var errTooLarge = apperr.New(apperr.TooLarge, "request body is larger than 1 MiB")

// statusOf maps error kinds to HTTP status codes; the one place that does.
var statusOf = map[apperr.Kind]int{
	apperr.BadRequest:   http.StatusBadRequest,
	apperr.Invalid:      http.StatusUnprocessableEntity,
	apperr.NotFound:     http.StatusNotFound,
	apperr.Conflict:     http.StatusConflict,
	apperr.Unauthorized: http.StatusUnauthorized,
	apperr.Forbidden:    http.StatusForbidden,
	apperr.RateLimited:  http.StatusTooManyRequests,
	apperr.TooLarge:     http.StatusRequestEntityTooLarge,
	apperr.Unavailable:  http.StatusServiceUnavailable,
}

// ErrorBody is the one error shape of the API.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong.
type ErrorDetail struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields"` // always present; empty unless code is validation
}

// toAppErr classifies any error: apperr kinds pass through, echo's own
// routing errors keep their status, everything else is internal.
func toAppErr(err error) (*apperr.Error, int) {
	if ae := apperr.As(err); ae != nil {
		if st, ok := statusOf[ae.Kind]; ok {
			return ae, st
		}
		return &apperr.Error{Kind: apperr.Internal, Message: "internal error"}, http.StatusInternalServerError
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errTooLarge, http.StatusRequestEntityTooLarge
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		msg := http.StatusText(he.Code)
		kind := apperr.BadRequest
		switch he.Code {
		case http.StatusNotFound:
			kind, msg = apperr.NotFound, "no such route"
		case http.StatusMethodNotAllowed:
			kind, msg = "method_not_allowed", "method not allowed on this route"
		case http.StatusUnauthorized:
			kind = apperr.Unauthorized
		case http.StatusRequestEntityTooLarge:
			kind = apperr.TooLarge
		}
		if he.Code >= 500 {
			return &apperr.Error{Kind: apperr.Internal, Message: "internal error"}, http.StatusInternalServerError
		}
		return &apperr.Error{Kind: kind, Message: msg}, he.Code
	}
	if unavailable(err) {
		return errUnavailable, http.StatusServiceUnavailable
	}
	return nil, http.StatusInternalServerError
}

var errUnavailable = &apperr.Error{Kind: apperr.Unavailable, RetryAfter: 5 * time.Second,
	Message: "a backing service (database or queue) is unreachable; try again shortly"}

// unavailable reports whether err means the database or Redis cannot be
// reached right now, as opposed to a bug: the client may retry.
func unavailable(err error) bool {
	var (
		netErr  net.Error
		connErr *pgconn.ConnectError
		pgErr   *pgconn.PgError
	)
	switch {
	case errors.As(err, &connErr), errors.As(err, &netErr),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	case errors.As(err, &pgErr):
		// 08: connection exception; 57P0x: shutdown / cannot connect now; 53300: too many connections.
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P0") || pgErr.Code == "53300"
	}
	msg := err.Error()
	return strings.Contains(msg, "connection refused") || strings.Contains(msg, "failed to connect") ||
		strings.Contains(msg, "conn closed") || strings.Contains(msg, "database is locked")
}

func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	ae, status := toAppErr(err)
	if ae == nil {
		s.log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
		ae = &apperr.Error{Kind: apperr.Internal, Message: "internal error; the details are in the server log"}
	}
	if ae.Kind == apperr.Unavailable {
		s.log.Warn("backing service unavailable", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	}
	if (ae.Kind == apperr.RateLimited || ae.Kind == apperr.Unavailable) && ae.RetryAfter > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(ae.RetryAfter.Seconds()))))
	}
	var werr error
	switch {
	case c.Request().Method == http.MethodHead:
		werr = c.NoContent(status)
	case strings.HasPrefix(c.Request().URL.Path, "/api/") || s.cfg.HTMLError == nil:
		fields := ae.Fields
		if fields == nil {
			fields = map[string]string{}
		}
		werr = c.JSON(status, ErrorBody{Error: ErrorDetail{Code: string(ae.Kind), Message: ae.Message, Fields: fields}})
	default:
		werr = s.cfg.HTMLError(c, status, ae.Message)
	}
	if werr != nil {
		s.log.Warn("write error response", "err", werr)
	}
}
