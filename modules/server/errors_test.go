package server

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/betterstack/betterstack/modules/apperr"
)

// TestErrorShape: every error reaches the client in one shape, with the
// status its kind says; unknown errors are a generic 500 that leaks nothing,
// and an unreachable backend is a retryable 503.
func TestErrorShape(t *testing.T) {
	s := New(Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Registry: prometheus.NewRegistry()})
	errs := map[string]error{
		"invalid":     apperr.Field("url", "must start with http://"),
		"notfound":    fmt.Errorf("lookup: %w", apperr.New(apperr.NotFound, "monitor not found")),
		"internal":    errors.New("pq: secret table layout"),
		"pgdown":      fmt.Errorf("query: %w", &pgconn.PgError{Code: "57P01", Message: "terminating connection"}),
		"refused":     fmt.Errorf("dial: %w", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}),
		"ratelimited": &apperr.Error{Kind: apperr.RateLimited, Message: "slow down", RetryAfter: 1500000000},
	}
	s.Echo().GET("/api/v1/fail/:which", func(c echo.Context) error { return errs[c.Param("which")] })
	s.Echo().GET("/api/v1/panic", func(echo.Context) error { panic("boom") })
	for _, tc := range []struct {
		path, code string
		status     int
		contains   []string
		header     string
	}{
		{"/api/v1/fail/invalid", "validation", 422, []string{`"fields":{"url":"must start with http://"}`}, ""},
		{"/api/v1/fail/notfound", "not_found", 404, []string{`"message":"monitor not found"`, `"fields":{}`}, ""},
		{"/api/v1/fail/internal", "internal", 500, []string{`"fields":{}`}, ""},
		{"/api/v1/fail/pgdown", "unavailable", 503, nil, "Retry-After"},
		{"/api/v1/fail/refused", "unavailable", 503, nil, "Retry-After"},
		{"/api/v1/fail/ratelimited", "rate_limited", 429, nil, "Retry-After"},
		{"/api/v1/panic", "internal", 500, nil, ""},
		{"/api/v1/nowhere", "not_found", 404, nil, ""},
	} {
		t.Run(tc.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			s.Echo().ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
			body := rec.Body.String()
			if rec.Code != tc.status || !strings.Contains(body, `"code":"`+tc.code+`"`) {
				t.Fatalf("%d %s, want %d %s", rec.Code, body, tc.status, tc.code)
			}
			for _, want := range tc.contains {
				if !strings.Contains(body, want) {
					t.Errorf("body lacks %s: %s", want, body)
				}
			}
			if strings.Contains(body, "secret table") || strings.Contains(body, "boom") || strings.Contains(body, "57P01") {
				t.Errorf("internal detail leaked: %s", body)
			}
			if tc.header != "" && rec.Header().Get(tc.header) == "" {
				t.Errorf("missing %s header", tc.header)
			}
		})
	}
}
