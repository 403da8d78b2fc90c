package server

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

func newTestServer(cfg Config) *Server {
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg.Registry = prometheus.NewRegistry()
	return New(cfg)
}

func mustCIDR(t *testing.T, s string) *net.IPNet {
	t.Helper()
	_, n, err := net.ParseCIDR(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// scrape asks s for /metrics from addr with the given headers.
func scrape(s *Server, addr string, headers map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.RemoteAddr = net.JoinHostPort(addr, "40000")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	s.Echo().ServeHTTP(rec, req)
	return rec
}

// TestMetricsAccess: who reads /metrics. Without metrics_token, loopback
// and private addresses do and public ones do not, nor anything forwarded
// by a proxy not named in trusted_proxies (a proxy on the same host makes
// every visitor look local); through a named proxy, the client it names
// decides. With metrics_token, the token decides, from anywhere.
func TestMetricsAccess(t *testing.T) {
	open := newTestServer(Config{})
	proxied := newTestServer(Config{TrustedProxies: []*net.IPNet{mustCIDR(t, "10.0.0.0/8")}})
	token := newTestServer(Config{MetricsToken: "0123456789abcdef"})
	for _, tc := range []struct {
		name    string
		s       *Server
		addr    string
		headers map[string]string
		want    int
	}{
		{"loopback", open, "127.0.0.1", nil, http.StatusOK},
		{"IPv6 loopback", open, "::1", nil, http.StatusOK},
		{"private 10/8", open, "10.1.2.3", nil, http.StatusOK},
		{"private 192.168/16", open, "192.168.1.1", nil, http.StatusOK},
		{"private IPv6", open, "fd00::1", nil, http.StatusOK},
		{"public", open, "203.0.113.9", nil, http.StatusForbidden},
		{"just outside 172.16/12", open, "172.32.0.1", nil, http.StatusForbidden},
		{"loopback forwarding a visitor", open, "127.0.0.1", map[string]string{"X-Forwarded-For": "203.0.113.9"}, http.StatusForbidden},
		{"loopback with Forwarded", open, "127.0.0.1", map[string]string{"Forwarded": "for=203.0.113.9"}, http.StatusForbidden},
		{"loopback with X-Real-IP", open, "127.0.0.1", map[string]string{"X-Real-IP": "203.0.113.9"}, http.StatusForbidden},
		{"trusted proxy, public client", proxied, "10.0.0.2", map[string]string{"X-Forwarded-For": "203.0.113.9"}, http.StatusForbidden},
		{"trusted proxy, private client", proxied, "10.0.0.2", map[string]string{"X-Forwarded-For": "192.168.5.5"}, http.StatusOK},
		{"untrusted proxy's claim ignored", proxied, "203.0.113.7", map[string]string{"X-Forwarded-For": "127.0.0.1"}, http.StatusForbidden},
		{"token: none sent", token, "127.0.0.1", nil, http.StatusUnauthorized},
		{"token: wrong", token, "127.0.0.1", map[string]string{"Authorization": "Bearer 0123456789abcdeX"}, http.StatusUnauthorized},
		{"token: a prefix of it", token, "127.0.0.1", map[string]string{"Authorization": "Bearer 0123456789abcde"}, http.StatusUnauthorized},
		{"token: not a bearer", token, "127.0.0.1", map[string]string{"Authorization": "0123456789abcdef"}, http.StatusUnauthorized},
		{"token: right, from anywhere", token, "203.0.113.9", map[string]string{"Authorization": "Bearer 0123456789abcdef"}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := scrape(tc.s, tc.addr, tc.headers)
			if rec.Code != tc.want {
				t.Fatalf("/metrics from %s %v: %d, want %d: %s", tc.addr, tc.headers, rec.Code, tc.want, rec.Body)
			}
			if tc.want == http.StatusOK && !strings.Contains(rec.Body.String(), "# TYPE ") {
				t.Errorf("/metrics body is not the metrics: %.200s", rec.Body)
			}
			if tc.want != http.StatusOK && strings.Contains(rec.Body.String(), "# TYPE ") {
				t.Errorf("a refused scrape shows metrics: %.200s", rec.Body)
			}
		})
	}
}

// TestRealIPBehindTrustedProxy: the client address everything keys on
// (login limits, sessions, the audit log) is the connection's unless it
// comes from a named proxy, whose X-Forwarded-For then names it.
func TestRealIPBehindTrustedProxy(t *testing.T) {
	direct := newTestServer(Config{})
	proxied := newTestServer(Config{TrustedProxies: []*net.IPNet{mustCIDR(t, "10.0.0.0/8"), mustCIDR(t, "127.0.0.1/32")}})
	for _, tc := range []struct {
		name string
		s    *Server
		addr string
		xff  string
		want string
	}{
		{"no proxies: the connection", direct, "127.0.0.1", "203.0.113.9", "127.0.0.1"},
		{"named proxy: its client", proxied, "10.0.0.2", "203.0.113.9", "203.0.113.9"},
		{"two named proxies: the first untrusted hop", proxied, "127.0.0.1", "198.51.100.4, 203.0.113.9, 10.0.0.2", "203.0.113.9"},
		{"not a named proxy: the connection", proxied, "192.168.1.1", "203.0.113.9", "192.168.1.1"},
		{"named proxy, nothing forwarded: the connection", proxied, "10.0.0.2", "", "10.0.0.2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			tc.s.Echo().GET("/who", func(c echo.Context) error { got = c.RealIP(); return c.NoContent(http.StatusNoContent) })
			req := httptest.NewRequest(http.MethodGet, "/who", nil)
			req.RemoteAddr = net.JoinHostPort(tc.addr, "40000")
			if tc.xff != "" {
				req.Header.Set("X-Forwarded-For", tc.xff)
			}
			tc.s.Echo().ServeHTTP(httptest.NewRecorder(), req)
			if got != tc.want {
				t.Fatalf("client = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestMethodLabelBounded: a made-up method is counted as "other", so
// clients cannot add series to /metrics without end.
func TestMethodLabelBounded(t *testing.T) {
	s := newTestServer(Config{})
	for _, m := range []string{"M1", "M2", strings.Repeat("X", 5000), "get"} {
		req := httptest.NewRequest(m, "/healthz", nil)
		s.Echo().ServeHTTP(httptest.NewRecorder(), req)
	}
	req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
	s.Echo().ServeHTTP(httptest.NewRecorder(), req)
	body := scrape(s, "127.0.0.1", nil).Body.String()
	for _, want := range []string{`method="other"`, `method="GET"`} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, bad := range []string{`method="M1"`, `method="get"`, "XXXXXXXX"} {
		if strings.Contains(body, bad) {
			t.Errorf("/metrics has %s", bad)
		}
	}
}

// TestMethodNotAllowedBehindGroupMiddleware: a route registered under a
// group with middleware answers a method it does not take with 405 and
// Allow, before the group's middleware (which used to turn it into 404, or
// 401 without a token); a path with no route stays 404 through the
// middleware, and a route's own method is served.
func TestMethodNotAllowedBehindGroupMiddleware(t *testing.T) {
	s := newTestServer(Config{})
	e := s.Echo()
	guard := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if c.Request().Header.Get("Authorization") == "" {
				return echo.ErrUnauthorized
			}
			return next(c)
		}
	}
	g := e.Group("/api/v1", guard)
	ok := func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }
	g.GET("/monitors/:id", ok)
	g.PATCH("/monitors/:id", ok)
	g.POST("/monitors/:id/pause", ok)
	e.POST("/login", ok)
	for _, tc := range []struct {
		method, path, auth string
		want               int
		allow              string
	}{
		{"PUT", "/api/v1/monitors/1", "Bearer x", http.StatusMethodNotAllowed, "GET, PATCH"},
		{"POST", "/api/v1/monitors/1", "", http.StatusMethodNotAllowed, "GET, PATCH"},
		{"GET", "/api/v1/monitors/1/pause", "Bearer x", http.StatusMethodNotAllowed, "POST"},
		{"GET", "/api/v1/monitors/1", "Bearer x", http.StatusNoContent, ""},
		{"GET", "/api/v1/monitors/1", "", http.StatusUnauthorized, ""},
		{"GET", "/api/v1/nothing", "Bearer x", http.StatusNotFound, ""},
		{"GET", "/api/v1/nothing", "", http.StatusUnauthorized, ""},
		{"GET", "/login", "", http.StatusMethodNotAllowed, ""},
	} {
		req := httptest.NewRequest(tc.method, tc.path, nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code != tc.want || (tc.allow != "" && rec.Header().Get("Allow") != tc.allow) {
			t.Errorf("%s %s: %d Allow %q, want %d Allow %q: %s", tc.method, tc.path, rec.Code, rec.Header().Get("Allow"), tc.want, tc.allow, rec.Body)
		}
	}
}
