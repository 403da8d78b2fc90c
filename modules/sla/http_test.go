package sla_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/betterstack/betterstack/modules/access"
	"github.com/betterstack/betterstack/modules/auth"
	"github.com/betterstack/betterstack/modules/server"
	"github.com/betterstack/betterstack/modules/sla"
	"github.com/betterstack/betterstack/modules/testenv"
)

// MustAPI serves the SLA route of w behind the real auth middleware and
// error handler, and returns the server and the owner's API token.
func MustAPI(t *testing.T, w *world) (*server.Server, string) {
	t.Helper()
	s := server.New(server.Config{Logger: discard, Registry: prometheus.NewRegistry()})
	sla.RegisterAPI(s.Echo().Group("/api/v1", w.auth.Middleware, access.Enforce), w.sla)
	_, token, err := w.auth.CreateToken(context.Background(), w.owner, w.ownerUser, auth.TokenInput{Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return s, token
}

func TestAPI(t *testing.T) {
	for _, backend := range testenv.Backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			w := MustWorld(t, backend, ts("2026-03-06 00:00:00"))
			w.script(t)
			s, token := MustAPI(t, w)
			get := func(path, token string) *httptest.ResponseRecorder {
				req := httptest.NewRequest("GET", path, nil)
				if token != "" {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				rec := httptest.NewRecorder()
				s.Echo().ServeHTTP(rec, req)
				return rec
			}
			slaPath := func(id int64, query string) string { return fmt.Sprintf("/api/v1/monitors/%d/sla%s", id, query) }
			for _, tc := range []struct {
				name     string
				path     string
				token    string
				status   int
				contains []string
				absent   []string
			}{
				{"report", slaPath(w.mon, "?from=2026-03-02&to=2026-03-05T00:00:00Z"), token, 200, []string{
					`"monitor_id":` + fmt.Sprint(w.mon), `"from":"2026-03-02T00:00:00Z"`, `"to":"2026-03-05T00:00:00Z"`,
					`"uptime_percent":97.781`, `"downtime_seconds":5550`, `"degraded_seconds":600`, `"maintenance_seconds":9000`,
					`"incidents":4`, `"longest_incident_seconds":3600`, `"mttr_seconds":1387.5`,
					`"latency_ms":{"p50":45.6,"p95":350,"p99":390}`, `"checks":306`, `"failed_checks":6`,
					`"rules":{"downtime":"time during which a down incident`, `bucket`}, nil},
				// 30 days ending now: 02-04 .. 03-06; E runs to now.
				{"default range", slaPath(w.mon, ""), token, 200, []string{
					`"from":"2026-02-04T00:00:00Z"`, `"to":"2026-03-06T00:00:00Z"`, `"incidents":5`}, nil},
				{"offset times are UTC", slaPath(w.mon, "?from=2026-03-02T01:00:00%2B01:00&to=2026-03-05"), token, 200, []string{
					`"from":"2026-03-02T00:00:00Z"`, `"downtime_seconds":5550`}, nil},
				{"another user's monitor", slaPath(w.foreign, "?from=2026-03-02&to=2026-03-05"), token, 404, []string{`"code":"not_found"`, "monitor not found"}, []string{"uptime"}},
				{"missing monitor", slaPath(w.foreign+100, ""), token, 404, []string{`"code":"not_found"`}, nil},
				{"malformed id", "/api/v1/monitors/abc/sla", token, 404, []string{`"code":"not_found"`}, nil},
				{"bad from", slaPath(w.mon, "?from=2026-13-01"), token, 422, []string{`"code":"validation"`, `"from":"must be an RFC 3339 time`}, []string{`"to"`}},
				{"bad to", slaPath(w.mon, "?to=yesterday"), token, 422, []string{`"to":"must be an RFC 3339 time`}, []string{`"from"`}},
				{"to before from", slaPath(w.mon, "?from=2026-03-05&to=2026-03-02"), token, 422, []string{`"to":"must be after from"`}, nil},
				{"to equals from", slaPath(w.mon, "?from=2026-03-05&to=2026-03-05"), token, 422, []string{`"to":"must be after from"`}, nil},
				{"over 400 days", slaPath(w.mon, "?from=2025-01-01&to=2026-03-01"), token, 422, []string{`"from":"must be at most 400 days before to"`}, nil},
				{"bad format", slaPath(w.mon, "?format=xml"), token, 422, []string{`"format":"must be json or csv"`}, nil},
				{"signed out", slaPath(w.mon, ""), "", 401, []string{`"code":"unauthorized"`}, []string{"uptime"}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					rec := get(tc.path, tc.token)
					body := rec.Body.String()
					if rec.Code != tc.status {
						t.Fatalf("%d %s, want %d", rec.Code, body, tc.status)
					}
					for _, want := range tc.contains {
						if !strings.Contains(body, want) {
							t.Errorf("body lacks %s: %s", want, body)
						}
					}
					for _, bad := range tc.absent {
						if strings.Contains(body, bad) {
							t.Errorf("body has %s: %s", bad, body)
						}
					}
				})
			}

			t.Run("csv", func(t *testing.T) {
				rec := get(slaPath(w.mon, "?from=2026-03-02T00:00:00Z&to=2026-03-05&format=csv"), token)
				if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") ||
					!strings.HasPrefix(rec.Header().Get("Content-Disposition"), "attachment;") {
					t.Fatalf("%d %v %s", rec.Code, rec.Header(), rec.Body)
				}
				rows, err := csv.NewReader(rec.Body).ReadAll()
				if err != nil {
					t.Fatal(err)
				}
				want := [][]string{
					{"date", "uptime_percent", "downtime_seconds", "degraded_seconds", "maintenance_seconds", "incidents", "p50", "p95", "p99"},
					{"2026-03-02", "99.826", "150", "0", "0", "2", "45.6", "350", "390"},
					{"2026-03-03", "97.777", "1800", "0", "5400", "1", "45.6", "350", "390"},
					{"2026-03-04", "95.652", "3600", "600", "3600", "1", "45.6", "350", "390"},
				}
				if fmt.Sprint(rows) != fmt.Sprint(want) {
					t.Fatalf("csv\n got  %v\n want %v", rows, want)
				}
			})
			t.Run("csv of days without checks", func(t *testing.T) {
				rec := get(slaPath(w.other, "?from=2026-03-02&to=2026-03-03&format=csv"), token)
				rows, err := csv.NewReader(rec.Body).ReadAll()
				// Blog: down 05:00-07:00, its own window 10:00-11:00.
				// 100 × (1 − 7200 / 82 800) = 91.304…; no checks, no percentiles.
				want := [][]string{{"date", "uptime_percent", "downtime_seconds", "degraded_seconds", "maintenance_seconds", "incidents", "p50", "p95", "p99"},
					{"2026-03-02", "91.304", "7200", "0", "3600", "1", "", "", ""}}
				if err != nil || rec.Code != 200 || fmt.Sprint(rows) != fmt.Sprint(want) {
					t.Fatalf("%d %v %v, want %v", rec.Code, err, rows, want)
				}
			})
		})
	}
}
