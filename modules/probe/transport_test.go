package probe_test

import (
	"bufio"
	"compress/gzip"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/betterstack/betterstack/modules/probe"
)

// rawTarget answers every connection on 127.0.0.1 with what answer writes
// after the request's head has been read (a NewTCPServer).
func rawTarget(t *testing.T, answer func(c net.Conn, req *http.Request)) string {
	t.Helper()
	port, _ := NewTCPServer(t, func(c net.Conn) {
		if req, err := http.ReadRequest(bufio.NewReader(c)); err == nil {
			answer(c, req)
		}
	})
	return "http://127.0.0.1:" + strconv.Itoa(port) + "/"
}

// TestCheckHTTPEdges pins what a check reports for the edges of HTTP its
// transport handles (gzip, 1xx, header limit, HEAD, Connection: close),
// whichever transport that is.
func TestCheckHTTPEdges(t *testing.T) {
	gz := func(s string) string {
		var b strings.Builder
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(s))
		zw.Close()
		return b.String()
	}
	hugeHeader := strings.Repeat("x", 300<<10)
	// Longer than the transport's 1 KB write buffer, in headers and body.
	longHeaders := map[string]string{}
	for i := range 20 {
		longHeaders["X-Long-"+strconv.Itoa(i)] = strings.Repeat(strconv.Itoa(i%10), 400)
	}
	longBody := strings.Repeat("0123456789abcdef", probe.MaxRequestBody/16)
	tests := []struct {
		name      string
		check     probe.HTTP
		answer    func(c net.Conn, req *http.Request)
		want      probe.Status
		wantClass probe.ErrorClass
		wantCode  int
		wantError string
	}{
		{name: "gzip is asked for and undone: the keyword is found in the body the user sees",
			check: probe.HTTP{Keyword: "all good"},
			answer: func(c net.Conn, req *http.Request) {
				if req.Header.Get("Accept-Encoding") != "gzip" {
					c.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
					return
				}
				body := gz("status: all good")
				c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body))
			},
			want: probe.StatusUp, wantCode: 200},
		{name: "a user's own Accept-Encoding is sent as is and the body left alone",
			check: probe.HTTP{Keyword: "identity was asked", Headers: map[string]string{"Accept-Encoding": "identity"}},
			answer: func(c net.Conn, req *http.Request) {
				body := req.Header.Get("Accept-Encoding") + " was asked"
				c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body))
			},
			want: probe.StatusUp, wantCode: 200},
		{name: "a broken gzip body is a connection failure, not up",
			check: probe.HTTP{},
			answer: func(c net.Conn, _ *http.Request) {
				c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 9\r\n\r\nnot gzip!"))
			},
			want: probe.StatusDown, wantClass: probe.ClassConnect, wantCode: 200, wantError: "EOF"},
		{name: "informational responses are skipped",
			check: probe.HTTP{Keyword: "final"},
			answer: func(c net.Conn, _ *http.Request) {
				c.Write([]byte("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal"))
			},
			want: probe.StatusUp, wantCode: 200},
		{name: "five informational responses are still skipped",
			check: probe.HTTP{},
			answer: func(c net.Conn, _ *http.Request) {
				c.Write([]byte(strings.Repeat("HTTP/1.1 102 Processing\r\n\r\n", 5) + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
			},
			want: probe.StatusUp, wantCode: 200},
		{name: "headers past 256 KB are refused",
			check: probe.HTTP{},
			answer: func(c net.Conn, _ *http.Request) {
				c.Write([]byte("HTTP/1.1 200 OK\r\nX-Big: " + hugeHeader + "\r\nContent-Length: 0\r\n\r\n"))
			},
			want: probe.StatusDown, wantClass: probe.ClassConnect, wantError: "headers exceeded"},
		{name: "a connection closed without a response is a connection failure",
			check:  probe.HTTP{},
			answer: func(net.Conn, *http.Request) {},
			want:   probe.StatusDown, wantClass: probe.ClassConnect, wantError: "EOF"},
		{name: "not HTTP at all",
			check:  probe.HTTP{},
			answer: func(c net.Conn, _ *http.Request) { c.Write([]byte("SSH-2.0-OpenSSH_9.2\r\n")) },
			want:   probe.StatusDown, wantClass: probe.ClassConnect, wantError: "malformed HTTP"},
		{name: "HEAD has no body to wait for",
			check: probe.HTTP{Method: http.MethodHead},
			answer: func(c net.Conn, req *http.Request) {
				if req.Method != http.MethodHead || req.Header.Get("Accept-Encoding") != "" {
					c.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
					return
				}
				c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"))
				var b [1]byte
				c.Read(b[:]) // hold the connection open: the check must not wait for 1000 bytes
			},
			want: probe.StatusUp, wantCode: 200},
		{name: "one request per connection, said in the request",
			check: probe.HTTP{},
			answer: func(c net.Conn, req *http.Request) {
				code := "204 No Content"
				if !req.Close {
					code = "400 Bad Request"
				}
				c.Write([]byte("HTTP/1.1 " + code + "\r\nContent-Length: 0\r\n\r\n"))
			},
			want: probe.StatusUp, wantCode: 204},
		{name: "a request longer than the write buffer arrives whole",
			check: probe.HTTP{Method: http.MethodPost, Headers: longHeaders, Body: longBody},
			answer: func(c net.Conn, req *http.Request) {
				body, err := io.ReadAll(req.Body)
				code := "201 Created"
				if err != nil || string(body) != longBody {
					code = "400 Bad Request"
				}
				for k, v := range longHeaders {
					if req.Header.Get(k) != v {
						code = "431 Request Header Fields Too Large"
					}
				}
				c.Write([]byte("HTTP/1.1 " + code + "\r\nContent-Length: 0\r\n\r\n"))
			},
			want: probe.StatusUp, wantCode: 201},
	}
	p := probe.New(probe.Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check := tt.check
			check.URL = rawTarget(t, tt.answer)
			got := MustCheck(t, p, probe.HTTPRequest(check, 3000, 0))
			if got.Status != tt.want || got.ErrorClass != tt.wantClass || got.StatusCode != tt.wantCode {
				t.Fatalf("got %q %q %d (%s), want %q %q %d", got.Status, got.ErrorClass, got.StatusCode, got.Error, tt.want, tt.wantClass, tt.wantCode)
			}
			if !strings.Contains(got.Error, tt.wantError) {
				t.Errorf("error %q does not contain %q", got.Error, tt.wantError)
			}
		})
	}
}

// TestCheckStopsReadingWhatItDoesNotNeed: a check of an endless body reads
// up to its cap and hangs up; it does not go on downloading until its
// timeout.
func TestCheckStopsReadingWhatItDoesNotNeed(t *testing.T) {
	var written atomic.Int64
	url := rawTarget(t, func(c net.Conn, _ *http.Request) {
		// Chunked: net/http reads a chunked body to its end when it is
		// closed, for the trailers.
		c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n9\r\nall good\n\r\n"))
		chunk := []byte(strconv.FormatInt(60<<10, 16) + "\r\n" + strings.Repeat("x", 60<<10) + "\r\n")
		for {
			n, err := c.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	})
	p := probe.New(probe.Config{})
	got := MustCheck(t, p, probe.HTTPRequest(probe.HTTP{URL: url, Keyword: "all good"}, 5000, 0))
	if got.Status != probe.StatusUp {
		t.Fatalf("got %q %q (%s), want up", got.Status, got.ErrorClass, got.Error)
	}
	if n := written.Load(); n > 64<<20 {
		t.Errorf("the check took %d MB of an endless body; it needs at most its 1 MB cap", n>>20)
	}
}
