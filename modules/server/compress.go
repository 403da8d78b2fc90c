package server

import (
	"bufio"
	"compress/gzip"
	"io"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
)

// CompressMinLength is the smallest body worth compressing: below it gzip's
// header and trailer (18 bytes) and the CPU buy too little.
const CompressMinLength = 1024

// compressLevel trades ratio for CPU: a page is compressed on every request
// (the status page is ~580 KB), and level 5 gets within a few percent of
// level 9's size at well under half its time.
const compressLevel = 5

// compressibleTypes are the media types gzip shrinks: markup, data and
// SVG. Images other than SVG are compressed already, and text/event-stream
// must reach the client event by event, so neither is here.
var compressibleTypes = map[string]bool{
	"text/html": true, "text/plain": true, "text/css": true, "text/csv": true, "text/xml": true,
	"text/javascript": true, "application/javascript": true, "application/json": true,
	"application/problem+json": true, "application/xml": true, "application/atom+xml": true,
	"application/rss+xml": true, "image/svg+xml": true,
}

var gzipWriters = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(io.Discard, compressLevel) // a valid level never fails
	return w
}}

// compress gzips HTML, JSON, SVG and other text answers of at least minLength
// bytes for clients that accept gzip, and says Vary: Accept-Encoding on
// every answer it may compress so a shared cache keeps both forms apart.
//
// Left alone: HEAD, Range and event-stream requests; /ping/ (heartbeat jobs
// read the tiny answer with curl, often without decompression) and /metrics
// (promhttp compresses itself); answers that already have a
// Content-Encoding, carry a Content-Range, have no body (204, 304) or are
// of another type. The decision waits for the status, the headers and the
// first minLength bytes, so a handler sets them as it always did; a strong
// ETag becomes weak, because the compressed bytes differ (If-None-Match
// compares weakly, so 304s still work).
func compress(minLength int) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			p := req.URL.Path
			if strings.HasPrefix(p, "/ping/") || p == "/metrics" {
				return next(c)
			}
			res := c.Response()
			res.Header().Add(echo.HeaderVary, echo.HeaderAcceptEncoding)
			if req.Method == http.MethodHead || req.Header.Get("Range") != "" ||
				strings.Contains(req.Header.Get(echo.HeaderAccept), "text/event-stream") ||
				!acceptsGzip(req.Header.Get(echo.HeaderAcceptEncoding)) {
				return next(c)
			}
			w := &gzipResponseWriter{ResponseWriter: res.Writer, min: minLength}
			res.Writer = w
			defer func() {
				w.finish()
				res.Writer = w.ResponseWriter // an error page written later goes out plain
			}()
			return next(c)
		}
	}
}

// acceptsGzip reports whether an Accept-Encoding value allows gzip: listed
// (or "*") without q=0.
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(part, ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "gzip" && name != "*" {
			continue
		}
		q := 1.0
		if k, v, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.TrimSpace(k) == "q" {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				q = f
			}
		}
		return q > 0
	}
	return false
}

// gzipResponseWriter holds the status and up to min bytes until it knows
// whether the answer is worth compressing, then writes either through a
// gzip.Writer or straight on.
type gzipResponseWriter struct {
	http.ResponseWriter
	min     int
	code    int    // the status the handler set, 0 until then
	buf     []byte // body held while undecided
	decided bool
	gz      *gzip.Writer // set when compressing
}

func (w *gzipResponseWriter) WriteHeader(code int) {
	if w.code != 0 || code < 200 { // informational answers (103) pass; a second call is ignored as net/http does
		if code < 200 {
			w.ResponseWriter.WriteHeader(code)
		}
		return
	}
	w.code = code
	h := w.Header()
	if !compressible(h, code) {
		w.plain()
		return
	}
	if n, err := strconv.Atoi(h.Get(echo.HeaderContentLength)); err == nil {
		if n < w.min {
			w.plain()
		} else {
			w.start()
		}
	}
}

func (w *gzipResponseWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		if w.Header().Get(echo.HeaderContentType) == "" {
			w.Header().Set(echo.HeaderContentType, http.DetectContentType(b)) // as net/http would
		}
		w.WriteHeader(http.StatusOK)
	}
	switch {
	case w.gz != nil:
		return w.gz.Write(b)
	case w.decided:
		return w.ResponseWriter.Write(b)
	}
	w.buf = append(w.buf, b...)
	if len(w.buf) >= w.min {
		w.start()
	}
	return len(b), nil
}

// Flush sends what is held: a handler that flushes wants the bytes out now,
// so an undecided answer goes out plain.
func (w *gzipResponseWriter) Flush() {
	if !w.decided && w.code != 0 {
		w.plain()
	}
	if w.gz != nil {
		_ = w.gz.Flush()
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection.
func (w *gzipResponseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack hands over the connection (websockets); nothing was compressed.
func (w *gzipResponseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// plain sends the status and what is held uncompressed.
func (w *gzipResponseWriter) plain() {
	w.decided = true
	w.ResponseWriter.WriteHeader(w.code)
	if len(w.buf) > 0 {
		_, _ = w.ResponseWriter.Write(w.buf) // a failed write is the client's gone; net/http drops the rest
		w.buf = nil
	}
}

// start sends the status with Content-Encoding: gzip and compresses from
// here on.
func (w *gzipResponseWriter) start() {
	w.decided = true
	h := w.Header()
	h.Del(echo.HeaderContentLength)
	h.Set(echo.HeaderContentEncoding, "gzip")
	if et := h.Get("ETag"); et != "" && !strings.HasPrefix(et, "W/") {
		h.Set("ETag", "W/"+et)
	}
	w.ResponseWriter.WriteHeader(w.code)
	w.gz = gzipWriters.Get().(*gzip.Writer)
	w.gz.Reset(w.ResponseWriter)
	if len(w.buf) > 0 {
		_, _ = w.gz.Write(w.buf)
		w.buf = nil
	}
}

// finish ends the answer: what is still held (short of min) goes out
// plain, a gzip stream gets its trailer.
func (w *gzipResponseWriter) finish() {
	switch {
	case w.gz != nil:
		_ = w.gz.Close()
		w.gz.Reset(io.Discard)
		gzipWriters.Put(w.gz)
		w.gz = nil
	case !w.decided && w.code != 0:
		w.plain()
	}
}

// compressible reports whether an answer with these headers and status may
// be compressed.
func compressible(h http.Header, code int) bool {
	if code == http.StatusNoContent || code == http.StatusNotModified || code == http.StatusPartialContent {
		return false
	}
	if h.Get(echo.HeaderContentEncoding) != "" || h.Get("Content-Range") != "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(h.Get(echo.HeaderContentType))
	return err == nil && compressibleTypes[mt]
}
