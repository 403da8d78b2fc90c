package server

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/apperr"
)

// gunzip decompresses b or fails the test.
func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip: %v (%.40q)", err, b)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	return out
}

// TestCompress: text answers of at least CompressMinLength bytes are gzipped
// for a client that accepts gzip and decompress to the very bytes a client
// without it gets; small, binary, streaming, heartbeat and metrics answers
// and bodiless statuses are left alone; Vary is said wherever compression
// may happen.
func TestCompress(t *testing.T) {
	s := newTestServer(Config{})
	e := s.Echo()
	big := strings.Repeat("<tr><td>monitor</td><td>99.98%</td></tr>\n", 200)
	e.GET("/html", func(c echo.Context) error { return c.HTML(http.StatusOK, big) })
	e.GET("/json", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"data": big})
	})
	e.GET("/svg", func(c echo.Context) error {
		return c.Blob(http.StatusOK, "image/svg+xml", []byte("<svg>"+big+"</svg>"))
	})
	e.GET("/tiny", func(c echo.Context) error { return c.HTML(http.StatusOK, "<p>ok</p>") })
	e.GET("/png", func(c echo.Context) error { return c.Blob(http.StatusOK, "image/png", []byte(big)) })
	e.GET("/stream", func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderContentType, "text/event-stream")
		c.Response().WriteHeader(http.StatusOK)
		_, _ = io.WriteString(c.Response(), "data: "+big+"\n\n")
		c.Response().Flush()
		return nil
	})
	e.GET("/ping/:token", func(c echo.Context) error { return c.String(http.StatusOK, big) })
	e.GET("/etag", func(c echo.Context) error {
		c.Response().Header().Set("ETag", `"v1"`)
		if c.Request().Header.Get("If-None-Match") != "" {
			return c.NoContent(http.StatusNotModified)
		}
		return c.HTML(http.StatusOK, big)
	})
	e.GET("/fail", func(echo.Context) error {
		return apperr.New(apperr.NotFound, "no such thing %s", strings.Repeat("x", 2*CompressMinLength))
	})
	e.GET("/panic", func(echo.Context) error { panic(errors.New("boom")) })

	for _, tc := range []struct {
		name, path, accept string
		header             map[string]string
		status             int
		gzipped            bool
		vary               bool
	}{
		{name: "html", path: "/html", accept: "gzip, deflate, br", status: 200, gzipped: true, vary: true},
		{name: "json", path: "/json", accept: "gzip", status: 200, gzipped: true, vary: true},
		{name: "svg badge", path: "/svg", accept: "br;q=1.0, gzip;q=0.8", status: 200, gzipped: true, vary: true},
		{name: "error page", path: "/fail", accept: "gzip", status: 404, gzipped: true, vary: true},
		{name: "html without gzip", path: "/html", accept: "", status: 200, vary: true},
		{name: "html, gzip refused", path: "/html", accept: "gzip;q=0, br", status: 200, vary: true},
		{name: "html, any encoding", path: "/html", accept: "*", status: 200, gzipped: true, vary: true},
		{name: "tiny", path: "/tiny", accept: "gzip", status: 200, vary: true},
		{name: "png", path: "/png", accept: "gzip", status: 200, vary: true},
		{name: "event stream", path: "/stream", accept: "gzip", status: 200, vary: true},
		{name: "event stream by accept", path: "/html", accept: "gzip", header: map[string]string{"Accept": "text/event-stream"}, status: 200, vary: true},
		{name: "range", path: "/html", accept: "gzip", header: map[string]string{"Range": "bytes=0-10"}, status: 200, vary: true},
		{name: "heartbeat ping", path: "/ping/abc", accept: "gzip", status: 200},
		{name: "etag", path: "/etag", accept: "gzip", status: 200, gzipped: true, vary: true},
		{name: "etag revalidated", path: "/etag", accept: "gzip", header: map[string]string{"If-None-Match": `W/"v1"`}, status: 304, vary: true},
		{name: "panic", path: "/panic", accept: "gzip", status: 500, vary: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			get := func(accept string) *httptest.ResponseRecorder {
				req := httptest.NewRequest(http.MethodGet, tc.path, nil)
				if accept != "" {
					req.Header.Set("Accept-Encoding", accept)
				}
				for k, v := range tc.header {
					req.Header.Set(k, v)
				}
				rec := httptest.NewRecorder()
				e.ServeHTTP(rec, req)
				return rec
			}
			rec, plain := get(tc.accept), get("")
			if rec.Code != tc.status || plain.Code != tc.status {
				t.Fatalf("status %d (without gzip %d), want %d", rec.Code, plain.Code, tc.status)
			}
			if got := strings.Contains(rec.Header().Get("Vary"), "Accept-Encoding"); got != tc.vary {
				t.Errorf("Vary %q, want Accept-Encoding: %v", rec.Header().Get("Vary"), tc.vary)
			}
			if plain.Header().Get("Content-Encoding") != "" {
				t.Errorf("without gzip: Content-Encoding %q, want identity", plain.Header().Get("Content-Encoding"))
			}
			body := rec.Body.Bytes()
			if tc.gzipped {
				if ce := rec.Header().Get("Content-Encoding"); ce != "gzip" {
					t.Fatalf("Content-Encoding %q, want gzip", ce)
				}
				if rec.Header().Get("Content-Length") != "" {
					t.Errorf("Content-Length %q kept on a compressed body", rec.Header().Get("Content-Length"))
				}
				if len(body) >= plain.Body.Len() {
					t.Errorf("compressed %d bytes, plain %d", len(body), plain.Body.Len())
				}
				body = gunzip(t, body)
			} else if ce := rec.Header().Get("Content-Encoding"); ce != "" {
				t.Fatalf("Content-Encoding %q, want identity", ce)
			}
			if !bytes.Equal(body, plain.Body.Bytes()) {
				t.Errorf("body differs from the identity answer:\n%.200q\n%.200q", body, plain.Body.Bytes())
			}
			if rec.Header().Get("Content-Type") != plain.Header().Get("Content-Type") {
				t.Errorf("Content-Type %q, without gzip %q", rec.Header().Get("Content-Type"), plain.Header().Get("Content-Type"))
			}
		})
	}
	t.Run("etag weakened", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodGet, "/etag", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if et := rec.Header().Get("ETag"); et != `W/"v1"` {
			t.Errorf("ETag of the compressed answer %q, want W/\"v1\"", et)
		}
	})
	t.Run("metrics compressed once", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		req.RemoteAddr = "127.0.0.1:1234" // a local scraper (TestMetricsAccess)
		req.Header.Set("Accept-Encoding", "gzip")
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d", rec.Code)
		}
		body := rec.Body.Bytes()
		if rec.Header().Get("Content-Encoding") == "gzip" {
			body = gunzip(t, body)
		}
		if !bytes.Contains(body, []byte("betterstack_http_requests_total")) {
			t.Errorf("metrics unreadable after one gunzip: %.100q", body)
		}
	})
}

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"": false, "gzip": true, "GZIP": true, "deflate, gzip;q=0.5": true, "gzip;q=0": false,
		"gzip; q=0.0": false, "br": false, "*": true, "*;q=0": false, "x-gzip": false, "identity": false,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}
