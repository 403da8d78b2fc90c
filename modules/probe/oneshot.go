package probe

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"

	"golang.org/x/net/idna"
)

// oneShot is the HTTP transport of checks: one request on one fresh
// connection, which is closed with the response's body.
//
// Why not http.Transport with keep-alives off, as before: for every
// connection it starts a dial goroutine, a read loop and a write loop and
// hands the request and response between them over channels, machinery
// for reusing connections that a check never does. In a CPU profile of
// `betterstack bench --kind http` at 300k monitors that machinery, with
// the garbage it makes, was most of the worker's CPU. oneShot dials, writes
// and reads on the check's own goroutine.
//
// What it keeps from http.Transport, because checks and their evidence
// depend on it: the httptrace hooks the tracer reads (DNS and connect come
// from the dialer, TLS, got-conn, wrote-request and first-byte from here);
// the response header limit; 1xx responses skipped (at most five); gzip
// asked for and undone transparently, as Transport does, so a keyword is
// looked for in the body the user sees; "Connection: close"; SNI and
// dialing by the name's ASCII (IDNA) form; the check's context ending the
// exchange at any point. It has no proxy support, as before (checks go
// direct).
type oneShot struct {
	dialer         *net.Dialer
	tls            *tls.Config
	maxHeaderBytes int64
}

// Buffers for one exchange, kept for the next: a check is short and many
// run at once, so allocating them each time was a tenth of a check's
// garbage.
var (
	writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 4<<10) }}
	readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4<<10) }}
)

// maxInformational is how many 1xx responses a check skips before giving up.
const maxInformational = 5

func (o *oneShot) RoundTrip(req *http.Request) (*http.Response, error) {
	addr, host, err := dialAddr(req)
	if err != nil {
		closeRequestBody(req)
		return nil, err
	}
	ctx := req.Context()
	trace := httptrace.ContextClientTrace(ctx)
	raw, err := o.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		closeRequestBody(req)
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	release := func() {
		stop()
		raw.Close()
	}
	fail := func(err error) (*http.Response, error) {
		release()
		closeRequestBody(req)
		return nil, err
	}

	conn := raw
	var state *tls.ConnectionState
	if req.URL.Scheme == "https" {
		cfg := &tls.Config{}
		if o.tls != nil {
			cfg = o.tls.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName = host
		}
		tc := tls.Client(raw, cfg)
		if trace != nil && trace.TLSHandshakeStart != nil {
			trace.TLSHandshakeStart()
		}
		err := tc.HandshakeContext(ctx)
		cs := tc.ConnectionState()
		if trace != nil && trace.TLSHandshakeDone != nil {
			trace.TLSHandshakeDone(cs, err)
		}
		if err != nil {
			return fail(err)
		}
		conn, state = tc, &cs
	}
	if trace != nil && trace.GotConn != nil {
		trace.GotConn(httptrace.GotConnInfo{Conn: conn})
	}

	// The request as sent: the caller's is not changed.
	out := *req
	out.Close = true
	gzipped := req.Header.Get("Accept-Encoding") == "" && req.Header.Get("Range") == "" && req.Method != http.MethodHead
	if gzipped {
		out.Header = req.Header.Clone()
		if out.Header == nil {
			out.Header = http.Header{}
		}
		out.Header.Set("Accept-Encoding", "gzip")
	}
	bw := writers.Get().(*bufio.Writer)
	bw.Reset(conn)
	werr := out.Write(bw) // closes the request's body
	if werr == nil {
		werr = bw.Flush()
	}
	bw.Reset(nil)
	writers.Put(bw)
	if trace != nil && trace.WroteRequest != nil {
		trace.WroteRequest(httptrace.WroteRequestInfo{Err: werr})
	}

	// Read even when writing failed: a server may answer (413, 401) and
	// close before taking the whole body; its answer is what the check saw.
	limit := &io.LimitedReader{R: conn, N: o.maxHeaderBytes}
	br := readers.Get().(*bufio.Reader)
	br.Reset(limit)
	hangUp := release
	recycle := func() {
		br.Reset(nil)
		readers.Put(br)
	}
	release = func() {
		hangUp()
		recycle()
	}
	if _, err := br.Peek(1); err != nil {
		if werr != nil {
			return fail(werr)
		}
		if errors.Is(err, io.EOF) {
			err = errors.New("the server closed the connection without a response")
		}
		return fail(err)
	}
	if trace != nil && trace.GotFirstResponseByte != nil {
		trace.GotFirstResponseByte()
	}
	var resp *http.Response
	for n := 0; ; n++ {
		limit.N = o.maxHeaderBytes - int64(br.Buffered())
		resp, err = http.ReadResponse(br, req)
		if err != nil {
			if limit.N <= 0 {
				err = fmt.Errorf("server response headers exceeded %d bytes; aborted", o.maxHeaderBytes)
			} else if werr != nil {
				err = werr
			}
			return fail(err)
		}
		if resp.StatusCode < 100 || resp.StatusCode > 199 || resp.StatusCode == http.StatusSwitchingProtocols {
			break
		}
		if n >= maxInformational {
			return fail(fmt.Errorf("more than %d informational (1xx) responses", maxInformational))
		}
	}
	limit.N = math.MaxInt64
	resp.TLS = state

	if gzipped && resp.Body != http.NoBody && strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
		resp.Header.Del("Content-Encoding")
		resp.Header.Del("Content-Length")
		resp.ContentLength = -1
		resp.Uncompressed = true
		resp.Body = &gunzipBody{body: resp.Body}
	}
	resp.Body = &oneShotBody{ReadCloser: resp.Body, hangUp: hangUp, recycle: recycle}
	return resp, nil
}

// dialAddr is where req goes: its host in ASCII form with the scheme's
// port, and that host alone (for SNI).
func dialAddr(req *http.Request) (addr, host string, err error) {
	if req.URL == nil {
		return "", "", errors.New("http: nil Request.URL")
	}
	var port string
	switch req.URL.Scheme {
	case "http":
		port = "80"
	case "https":
		port = "443"
	default:
		return "", "", fmt.Errorf("unsupported protocol scheme %q", req.URL.Scheme)
	}
	host = req.URL.Hostname()
	if host == "" {
		return "", "", errors.New("http: no Host in request URL")
	}
	if p := req.URL.Port(); p != "" {
		port = p
	}
	if ascii(host) {
		return net.JoinHostPort(host, port), host, nil
	}
	h, err := idna.Lookup.ToASCII(host)
	if err != nil {
		return "", "", fmt.Errorf("host %q: %w", host, err)
	}
	return net.JoinHostPort(h, port), h, nil
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func closeRequestBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// oneShotBody closes the connection with the body. It hangs up first: a
// body http.ReadResponse made reads itself to the end when closed, and a
// check that stopped reading (body cap reached, or a redirect's body) must
// not go on downloading until its timeout.
type oneShotBody struct {
	io.ReadCloser
	once            sync.Once
	hangUp, recycle func()
}

func (b *oneShotBody) Close() error {
	b.once.Do(func() {
		b.hangUp()
		_ = b.ReadCloser.Close() // what was left unread is gone with the connection
		b.recycle()
	})
	return nil
}

// gunzipBody undoes gzip on first read, so a response that never gets read
// costs no decompressor.
type gunzipBody struct {
	body io.ReadCloser
	zr   *gzip.Reader
	err  error
}

func (g *gunzipBody) Read(p []byte) (int, error) {
	if g.zr == nil && g.err == nil {
		if g.zr, g.err = gzip.NewReader(g.body); g.err != nil {
			g.err = fmt.Errorf("the gzip-encoded body does not decode: %w", g.err)
		}
	}
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.zr.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("the gzip-encoded body does not decode: %w", err)
	}
	return n, err
}

func (g *gunzipBody) Close() error { return g.body.Close() }
