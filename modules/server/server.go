// Package server owns the HTTP listener every BetterStack process opens.
//
// It builds the echo instance, serves /healthz, /readyz and /metrics whatever
// the roles, turns every error into one response shape (JSON under /api, an
// HTML page elsewhere), gzips text answers for clients that accept it
// (compress.go) and shuts down gracefully. Modules add their routes
// through RegisterAPI/RegisterWeb functions of their own; handlers decode
// bodies with DecodeJSON and read the signed-in user with UserID.
package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/betterstack/betterstack/modules/apperr"
)

// MaxBodyBytes is the largest request body accepted anywhere.
const MaxBodyBytes = 1 << 20

// Check reports whether a dependency answers; used by /readyz.
type Check func(ctx context.Context) error

// Config configures the listener.
type Config struct {
	Addr            string
	ShutdownTimeout time.Duration
	Logger          *slog.Logger
	Registry        *prometheus.Registry // where request metrics go and /metrics reads
	Ready           map[string]Check     // named readiness checks
	// HTMLError renders an error page for non-API paths; nil answers plain text.
	HTMLError func(c echo.Context, status int, message string) error
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client (c.RealIP); with none, the connection's address is the
	// client, and forwarding headers are ignored.
	TrustedProxies []*net.IPNet
	// MetricsToken, when set, is the bearer token /metrics requires; when
	// empty, /metrics answers only clients at loopback and private
	// addresses that did not come through a proxy.
	MetricsToken string
}

// Server is the HTTP side of a process.
type Server struct {
	cfg  Config
	log  *slog.Logger
	e    *echo.Echo
	ln   net.Listener
	reqs *prometheus.CounterVec
	dur  *prometheus.HistogramVec

	notFoundOnce  sync.Once
	notFoundPaths map[string]bool // see notFound
}

// New builds the echo instance with the shared middleware and the health,
// readiness and metrics endpoints.
func New(cfg Config) *Server {
	e := echo.New()
	e.HideBanner = true
	// Rate limits key on the client address: never trust X-Forwarded-For
	// but from the proxies named.
	e.IPExtractor = echo.ExtractIPDirect()
	if len(cfg.TrustedProxies) > 0 {
		trust := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
		for _, n := range cfg.TrustedProxies {
			trust = append(trust, echo.TrustIPRange(n))
		}
		e.IPExtractor = echo.ExtractIPFromXFFHeader(trust...)
	}
	e.HidePort = true
	s := &Server{cfg: cfg, log: cfg.Logger, e: e}
	s.reqs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "betterstack_http_requests_total",
		Help: "HTTP requests answered, by route, method and status code.",
	}, []string{"route", "method", "code"})
	s.dur = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "betterstack_http_request_duration_seconds",
		Help:    "HTTP request latency by route.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"route"})
	cfg.Registry.MustRegister(s.reqs, s.dur)

	e.HTTPErrorHandler = s.handleError
	e.Pre(s.methodNotAllowed)
	// compress sits outside observe, so the error pages observe writes are
	// compressed too; recover stays outermost.
	e.Use(s.recover, compress(CompressMinLength), s.observe, s.limitBody)
	e.GET("/healthz", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	})
	e.GET("/readyz", s.ready)
	metrics := echo.WrapHandler(promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{Registry: cfg.Registry}))
	e.GET("/metrics", func(c echo.Context) error {
		if err := s.mayScrape(c); err != nil {
			return err
		}
		return metrics(c)
	})
	return s
}

var (
	errMetricsToken   = apperr.New(apperr.Unauthorized, "/metrics needs the metrics_token: send Authorization: Bearer <metrics_token>")
	errMetricsPrivate = apperr.New(apperr.Forbidden, "/metrics answers loopback and private addresses only; set metrics_token to scrape from elsewhere")
)

// mayScrape decides who reads /metrics (request and failure counts per
// route, pipeline figures: nothing secret, but nothing for the internet
// either): with metrics_token, whoever sends it; without, clients at
// loopback and private addresses, unless the request was forwarded by a
// proxy not named in trusted_proxies (a proxy on the same host would make
// every visitor look local).
func (s *Server) mayScrape(c echo.Context) error {
	req := c.Request()
	if s.cfg.MetricsToken != "" {
		got, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.MetricsToken)) != 1 {
			return errMetricsToken
		}
		return nil
	}
	if len(s.cfg.TrustedProxies) == 0 {
		for _, h := range []string{"X-Forwarded-For", "Forwarded", "X-Real-Ip"} {
			if req.Header.Get(h) != "" {
				return errMetricsPrivate
			}
		}
	}
	ip := net.ParseIP(c.RealIP())
	if ip == nil || !(ip.IsLoopback() || ip.IsPrivate()) {
		return errMetricsPrivate
	}
	return nil
}

// Echo returns the router for modules to register on.
func (s *Server) Echo() *echo.Echo { return s.e }

// Listen binds the configured address. Call before Run; Addr then tells the
// bound address (useful with ":0").
func (s *Server) Listen() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("BETTERSTACK_HTTP_ADDR (http_addr, --http-addr) %s: %w", s.cfg.Addr, err)
	}
	s.ln = ln
	return nil
}

// Addr is the bound address, empty before Listen.
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Run serves until ctx is done, then stops accepting and waits up to the
// shutdown timeout for in-flight requests.
func (s *Server) Run(ctx context.Context) error {
	if s.ln == nil {
		if err := s.Listen(); err != nil {
			return err
		}
	}
	srv := &http.Server{
		Handler:           s.e,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(s.ln) }()
	s.log.Info("http listening", "addr", s.Addr())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if err != nil {
		s.log.Warn("http shutdown incomplete", "err", err)
		_ = srv.Close()
	}
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return nil
}

func (s *Server) ready(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
	defer cancel()
	status := http.StatusOK
	out := map[string]string{}
	for name, check := range s.cfg.Ready {
		if err := check(ctx); err != nil {
			status = http.StatusServiceUnavailable
			out[name] = "unavailable: " + err.Error()
			continue
		}
		out[name] = "ok"
	}
	return c.JSON(status, map[string]any{"ready": status == http.StatusOK, "checks": out})
}

// recover turns a handler panic into a 500 and logs it once.
func (s *Server) recover(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				s.log.Error("panic in handler", "path", c.Path(), "panic", fmt.Sprint(r))
				err = errPanic
			}
		}()
		return next(c)
	}
}

var errPanic = errors.New("handler panicked")

func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		s.reqs.WithLabelValues(route, methodLabel(c.Request().Method), strconv.Itoa(c.Response().Status)).Inc()
		s.dur.WithLabelValues(route).Observe(time.Since(start).Seconds())
		return nil
	}
}

// methods are the methods methodNotAllowed offers in Allow.
var methods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// methodNotAllowed answers 405, naming the methods that are, a request to a
// route registered for other methods only, where a group with middleware
// (the API's: authentication, quota, the access rule) would otherwise
// answer it from the group's catch-all: 404 "no such route", or 401 before
// that for a request without a token. Any other request goes on as it
// came: one extra router lookup.
func (s *Server) methodNotAllowed(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		path := echo.GetPath(req)
		if !s.catchAll(req.Method, path) {
			return next(c)
		}
		var allowed []string
		for _, m := range methods {
			if m != req.Method && s.routed(m, path) {
				allowed = append(allowed, m)
			}
		}
		if len(allowed) == 0 {
			return next(c)
		}
		c.Response().Header().Set(echo.HeaderAllow, strings.Join(allowed, ", "))
		return echo.ErrMethodNotAllowed // 405, as routes outside such groups answer
	}
}

// lookup returns the route pattern the router picks for method and path
// ("" for none).
func (s *Server) lookup(method, path string) string {
	c := s.e.AcquireContext()
	defer s.e.ReleaseContext(c)
	c.Reset(nil, nil)
	s.e.Router().Find(method, path, c)
	return c.Path()
}

// catchAll reports whether method and path land on a group's catch-all
// (a RouteNotFound route), not a route of their own.
func (s *Server) catchAll(method, path string) bool {
	return s.notFound()[s.lookup(method, path)]
}

// routed reports whether method and path have a route of their own.
func (s *Server) routed(method, path string) bool {
	p := s.lookup(method, path)
	return p != "" && !s.notFound()[p]
}

// notFound is the set of catch-all route patterns, read from the router
// once every route is registered (the first request).
func (s *Server) notFound() map[string]bool {
	s.notFoundOnce.Do(func() {
		s.notFoundPaths = map[string]bool{}
		for _, r := range s.e.Routes() {
			if r.Method == echo.RouteNotFound {
				s.notFoundPaths[r.Path] = true
			}
		}
	})
	return s.notFoundPaths
}

// methodLabel is a request's method as a metric label: the standard
// methods by name, anything else "other". The raw method is the client's
// to choose, and every new label value is a series kept for the life of
// the process and sent in every scrape.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "other"
}

// limitBody caps every request body; DecodeJSON reports the overflow as 413.
func (s *Server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if strings.HasPrefix(req.URL.Path, "/ping/") {
			// Heartbeat pings keep what fits their own cap and drop the
			// rest: a job is never refused for the size of its output.
			return next(c)
		}
		if req.ContentLength > MaxBodyBytes {
			return errTooLarge
		}
		if req.Body != nil {
			req.Body = http.MaxBytesReader(c.Response(), req.Body, MaxBodyBytes)
		}
		return next(c)
	}
}
