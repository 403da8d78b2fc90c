package audit_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/betterstack/betterstack/modules/audit"
	"github.com/betterstack/betterstack/modules/server"
)

// MustAPI serves the audit route behind the real error handler. The test's
// stand-in for the workspace middleware reads the X-Workspace header; a
// test-only route records a change the way a module's handler would.
func MustAPI(t *testing.T, f *fixture) *server.Server {
	t.Helper()
	s := server.New(server.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Registry: prometheus.NewRegistry()})
	workspaceOf := func(c echo.Context) int64 {
		id, err := strconv.ParseInt(c.Request().Header.Get("X-Workspace"), 10, 64)
		if err != nil {
			return 0
		}
		return id
	}
	g := s.Echo().Group("/api/v1")
	audit.RegisterAPI(g, f.svc, workspaceOf)
	g.PATCH("/monitors/shop", func(c echo.Context) error {
		before, after := shop(), shop()
		after.Check.Headers = map[string]string{"Authorization": "Bearer sekrit-value"}
		after.Interval = 30
		e := audit.FromRequest(c, audit.Entry{WorkspaceID: workspaceOf(c), ActorUserID: ptr[int64](4), Actor: "ann@example.com",
			Action: audit.ActionMonitorUpdate, RecordType: "monitor", RecordID: ptr[int64](9), RecordKey: "shop",
			Changes: audit.Diff(before, after)})
		if err := f.svc.Record(c.Request().Context(), e); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	})
	return s
}

func TestAPI(t *testing.T) {
	backends(t, func(t *testing.T, backend string) {
		f := MustFixture(t, backend, audit.Config{})
		s := MustAPI(t, f)
		do := func(method, path string, ws string) *httptest.ResponseRecorder {
			req := httptest.NewRequest(method, path, nil)
			req.Header.Set("User-Agent", "tester/1.0")
			if ws != "" {
				req.Header.Set("X-Workspace", ws)
			}
			rec := httptest.NewRecorder()
			s.Echo().ServeHTTP(rec, req)
			return rec
		}
		if rec := do("PATCH", "/api/v1/monitors/shop", "1"); rec.Code != 204 {
			t.Fatalf("record through a handler: %d %s", rec.Code, rec.Body)
		}
		f.at(t0.Add(time.Hour))
		f.MustRecord(t, audit.Entry{WorkspaceID: 1, Action: audit.ActionLoginSuccess, ActorUserID: ptr[int64](5), Actor: "bob@example.com", RecordType: "user", RecordKey: "bob"})
		f.MustRecord(t, audit.Entry{WorkspaceID: 1, Action: audit.ActionTokenCreate, ActorUserID: ptr[int64](5), Actor: audit.TokenActor("bs_ab12"), RecordType: "token", RecordKey: "ci"})
		f.MustRecord(t, audit.Entry{WorkspaceID: 2, Action: audit.ActionMonitorDelete, Actor: "carl@example.com", ActorUserID: ptr[int64](6), RecordKey: "theirs"})
		f.MustRecord(t, audit.Entry{WorkspaceID: audit.Installation, Action: audit.ActionLoginFailure, RecordKey: "nobody@example.com"})

		list := "/api/v1/audit-log"
		for _, tc := range []struct {
			name, path, ws string
			status         int
			contains       []string
			absent         []string
		}{
			{"the whole log", list, "1", 200, []string{
				`"action":"login.success"`, `"actor":"bob@example.com"`, `"action":"monitor.update"`, `"actor_user_id":4`,
				`"record_id":9`, `"record_key":"shop"`, `"interval_seconds":{"from":60,"to":30}`,
				`"check.headers.Authorization":{"from":null,"to":"••••"}`, `"address":"192.0.2.1"`, `"user_agent":"tester/1.0"`,
				`"created_at":"2026-03-01T12:00:00Z"`, `"actor":"token bs_ab12"`, `"next_cursor":null`}, []string{"sekrit", "theirs", "nobody@"}},
			{"action prefix", list + "?action=login.", "1", 200, []string{`"login.success"`}, []string{`"monitor.update"`}},
			{"actor", list + "?actor=4", "1", 200, []string{`"monitor.update"`}, []string{`"login.success"`}},
			{"record type and key", list + "?record_type=user&key=bob", "1", 200, []string{`"login.success"`}, []string{`"monitor.update"`}},
			{"since, with an offset", list + "?since=" + url.QueryEscape("2026-03-01T13:30:00+01:00"), "1", 200,
				[]string{`"login.success"`}, []string{`"monitor.update"`}},
			{"until is exclusive", list + "?until=2026-03-01T13:00:00Z", "1", 200, []string{`"monitor.update"`}, []string{`"login.success"`}},
			{"no match is an empty list", list + "?key=none", "1", 200, []string{`{"data":[],"next_cursor":null}`}, nil},
			{"limit 0 is the default", list + "?limit=0", "1", 200, []string{`"login.success"`}, nil},
			{"limit 200", list + "?limit=200", "1", 200, []string{`"login.success"`}, nil},
			{"limit 201", list + "?limit=201", "1", 422, []string{`"code":"validation"`, `"limit":"must be a number from 1 to 200`}, []string{`"data"`}},
			{"limit not a number", list + "?limit=ten", "1", 422, []string{`"limit":"must be a number`}, nil},
			{"limit negative", list + "?limit=-1", "1", 422, []string{`"limit":"must be a number`}, nil},
			{"bad since", list + "?since=yesterday", "1", 422, []string{`"since":"must be an RFC 3339 time`}, []string{`"until"`}},
			{"unencoded + in since", list + "?since=2026-03-01T13:30:00+01:00", "1", 422, []string{`"since":"must be an RFC 3339 time`, `%2B`}, nil},
			{"bad until", list + "?until=2026-13-01T00:00:00Z", "1", 422, []string{`"until":"must be an RFC 3339 time`}, []string{`"since"`}},
			{"until before since", list + "?since=2026-03-02T00:00:00Z&until=2026-03-01T00:00:00Z", "1", 422, []string{`"until":"must be after since"`}, nil},
			{"bad actor", list + "?actor=bob", "1", 422, []string{`"actor":"must be a user id"`}, nil},
			{"bad action", list + "?action=Monitor", "1", 422, []string{`"action":`}, nil},
			{"several bad parameters at once", list + "?actor=0&limit=x&since=no", "1", 422, []string{`"actor":`, `"limit":`, `"since":`}, nil},
			{"tampered cursor", list + "?cursor=MTIzLmFiY2Q", "1", 400, []string{`"code":"bad_request"`, `"cursor":"is not a cursor`}, []string{`"data"`}},
			{"another workspace sees its own only", list, "2", 200, []string{`"theirs"`}, []string{`"shop"`, `"bob"`, "nobody@"}},
			{"no workspace", list, "", 403, []string{`"code":"forbidden"`}, []string{"nobody@", `"data"`}},
			{"workspace 0 is not a workspace", list, "0", 403, []string{`"code":"forbidden"`}, []string{"nobody@"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				rec := do("GET", tc.path, tc.ws)
				body := rec.Body.String()
				if rec.Code != tc.status {
					t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, body)
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

		t.Run("paging by next_cursor", func(t *testing.T) {
			var got []string
			path := list + "?limit=1"
			for range 4 {
				rec := do("GET", path, "1")
				var res struct {
					Data       []audit.Entry `json:"data"`
					NextCursor *string       `json:"next_cursor"`
				}
				if rec.Code != 200 {
					t.Fatalf("%d %s", rec.Code, rec.Body)
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
					t.Fatal(err)
				}
				for _, e := range res.Data {
					got = append(got, e.Action)
				}
				if res.NextCursor == nil {
					break
				}
				// The cursor is bound to the query: keep the same filter.
				path = list + "?limit=1&cursor=" + url.QueryEscape(*res.NextCursor)
			}
			if strings.Join(got, " ") != "token.create login.success monitor.update" {
				t.Fatalf("paged through %v", got)
			}
		})
	})
}
