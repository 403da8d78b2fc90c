package probe_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/probe"
)

// target routes the paths the table below points at.
func target() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "Hello, BetterStack")
	})
	mux.HandleFunc("/status/{code}", func(w http.ResponseWriter, r *http.Request) {
		code, err := strconv.Atoi(r.PathValue("code"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(code)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	// /chain/N redirects N times before answering 200.
	mux.HandleFunc("/chain/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.PathValue("n"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if n == 0 {
			fmt.Fprint(w, "end of chain")
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/chain/%d", n-1), http.StatusFound)
	})
	mux.HandleFunc("/slow/{ms}", func(w http.ResponseWriter, r *http.Request) {
		d, err := strconv.Atoi(r.PathValue("ms"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		waitOrDone(r, time.Duration(d)*time.Millisecond)
		fmt.Fprint(w, "finally")
	})
	return mux
}

func TestCheckHTTP(t *testing.T) {
	srv, _ := NewTarget(t, target())
	closed := MustClosedPort(t)

	tests := []struct {
		name      string
		req       probe.Request
		want      probe.Status
		wantClass probe.ErrorClass
		wantCode  int
		wantError string // substring of Result.Error
	}{
		{name: "up 200", req: probe.HTTPRequest(probe.HTTP{URL: srv.URL + "/ok"}, 0, 0), want: probe.StatusUp, wantCode: 200},
		{name: "503 fails default expectation", req: probe.HTTPRequest(probe.HTTP{URL: srv.URL + "/status/503"}, 0, 0),
			want: probe.StatusDown, wantClass: probe.ClassHTTPStatus, wantCode: 503, wantError: "status 503, expected 2xx,3xx"},
		{name: "404 expected by code", req: probe.HTTPRequest(probe.HTTP{URL: srv.URL + "/status/404", ExpectedStatus: []string{"404"}}, 0, 0),
			want: probe.StatusUp, wantCode: 404},
		{name: "201 expected by upper-case class", req: probe.HTTPRequest(probe.HTTP{URL: srv.URL + "/status/201", ExpectedStatus: []string{"2XX"}}, 0, 0),
			want: probe.StatusUp, wantCode: 201},
		{name: "200 outside listed expectations", req: probe.HTTPRequest(probe.HTTP{URL: srv.URL + "/ok", ExpectedStatus: []string{"3xx", "404"}}, 0, 0),
			want: probe.StatusDown, wantClass: probe.ClassHTTPStatus, wantCode: 200, wantError: "status 200, expected 3xx,404"},
		{name: "404 fails default expectation", req: probe.HTTPRequest(probe.HTTP{URL: srv.URL + "/status/404"}, 0, 0),
			want: probe.StatusDown, wantClass: probe.ClassHTTPStatus, wantCode: 404},
		{name: "invalid expectation", req: probe.HTTPRequest(probe.HTTP{URL: srv.URL + "/ok", ExpectedStatus: []string{"abc"}}, 0, 0),
			want: probe.StatusDown, wantClass: probe.ClassInternal, wantError: `"abc"`},
		{name: "keyword present", req: probe.HTTPRequest(probe.HTTP{URL: srv.URL + "/ok", Keyword: "BetterStack"}, 0, 0),
			want: probe.StatusUp, wantCode: 200},
		{name: "keyword missing", req: probe.HTTPRequest(probe.HTTP{URL: srv.URL + "/ok", Keyword: "Goodbye"}, 0, 0),
			want: probe.StatusDown, wantClass: probe.ClassKeyword, wantCode: 200, wantError: `keyword "Goodbye" not found`},
		{name: "keyword is case-sensitive", req: probe.HTTPRequest(probe.HTTP{URL: srv.URL + "/ok", Keyword: "betterstack"}, 0, 0),
			want: probe.StatusDown, wantClass: probe.ClassKeyword, wantCode: 200},
		{name: "keyword absent as required", req: probe.HTTPRequest(probe.HTTP{URL: srv.URL + "/ok", Keyword: "Error", KeywordAbsent: true}, 0, 0),
			want: probe.StatusUp, wantCode: 200},
		{name: "keyword present but must be absent", req: probe.HTTPRequest(probe.HTTP{URL: srv.URL + "/ok", Keyword: "Hello", KeywordAbsent: true}, 0, 0),
			want: probe.StatusDown, wantClass: probe.ClassKeyword, wantCode: 200, wantError: "must be absent"},
		{name: "redirect followed", req: probe.HTTPRequest(probe.HTTP{URL: srv.URL + "/chain/1", FollowRedirects: true, Keyword: "end of chain"}, 0, 0),
			want: probe.StatusUp, wantCode: 200},
		{name: "ten redirects followed", req: probe.HTTPRequest(probe.HTTP{URL: srv.URL + "/chain/10", FollowRedirects: true}, 0, 0),
			want: probe.StatusUp, wantCode: 200},
		{name: "eleven redirects fail", req: probe.HTTPRequest(probe.HTTP{URL: srv.URL + "/chain/11", FollowRedirects: true}, 0, 0),
			want: probe.StatusDown, wantClass: probe.ClassRedirects, wantCode: 302, wantError: "stopped after 10 redirects"},
		{name: "redirect loop", req: probe.HTTPRequest(probe.HTTP{URL: srv.URL + "/loop", FollowRedirects: true}, 0, 0),
			want: probe.StatusDown, wantClass: probe.ClassRedirects, wantCode: 302},
		{name: "redirect not followed is judged itself", req: probe.HTTPRequest(probe.HTTP{URL: srv.URL + "/loop"}, 0, 0),
			want: probe.StatusUp, wantCode: 302},
		{name: "redirect not followed fails a 200 expectation", req: probe.HTTPRequest(probe.HTTP{URL: srv.URL + "/chain/1", ExpectedStatus: []string{"200"}}, 0, 0),
			want: probe.StatusDown, wantClass: probe.ClassHTTPStatus, wantCode: 302, wantError: "status 302, expected 200"},
		{name: "connection refused", req: probe.HTTPRequest(probe.HTTP{URL: "http://" + closed + "/"}, 0, 0),
			want: probe.StatusDown, wantClass: probe.ClassConnect, wantError: "connection refused"},
		{name: "name does not resolve", req: probe.HTTPRequest(probe.HTTP{URL: "http://betterstack-probe-test.invalid/"}, 5000, 0),
			want: probe.StatusDown, wantClass: probe.ClassDNS, wantError: "betterstack-probe-test.invalid"},
		{name: "server slower than timeout", req: probe.HTTPRequest(probe.HTTP{URL: srv.URL + "/slow/2000"}, 100, 0),
			want: probe.StatusDown, wantClass: probe.ClassTimeout, wantError: "waiting for the response"},
		{name: "unknown scheme", req: probe.HTTPRequest(probe.HTTP{URL: "ftp://127.0.0.1/file"}, 0, 0),
			want: probe.StatusDown, wantClass: probe.ClassInternal, wantError: "check.url: must start with http:// or https://"},
		{name: "invalid method", req: probe.HTTPRequest(probe.HTTP{URL: srv.URL + "/ok", Method: "GET /"}, 0, 0),
			want: probe.StatusDown, wantClass: probe.ClassInternal, wantError: "method"},
		{name: "invalid header name", req: probe.HTTPRequest(probe.HTTP{URL: srv.URL + "/ok", Headers: map[string]string{"Bad Name": "x"}}, 0, 0),
			want: probe.StatusDown, wantClass: probe.ClassInternal, wantError: "headers"},
		{name: "slow but under degraded threshold", req: probe.HTTPRequest(probe.HTTP{URL: srv.URL + "/ok"}, 0, 5000),
			want: probe.StatusUp, wantCode: 200},
		{name: "slower than degraded threshold", req: probe.HTTPRequest(probe.HTTP{URL: srv.URL + "/slow/60"}, 0, 20),
			want: probe.StatusDegraded, wantCode: 200},
		{name: "failure is not merely degraded", req: probe.HTTPRequest(probe.HTTP{URL: srv.URL + "/status/500"}, 0, 1),
			want: probe.StatusDown, wantClass: probe.ClassHTTPStatus, wantCode: 500},
	}
	p := probe.New(probe.Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MustCheck(t, p, tt.req)
			if got.Status != tt.want || got.ErrorClass != tt.wantClass || got.StatusCode != tt.wantCode {
				t.Fatalf("got status %q class %q code %d (error %q), want %q %q %d",
					got.Status, got.ErrorClass, got.StatusCode, got.Error, tt.want, tt.wantClass, tt.wantCode)
			}
			if !strings.Contains(got.Error, tt.wantError) {
				t.Errorf("error %q does not contain %q", got.Error, tt.wantError)
			}
			if (got.Error == "") != (got.ErrorClass == probe.ClassNone) {
				t.Errorf("error %q does not match class %q", got.Error, got.ErrorClass)
			}
			if len(got.Error) > 512 || strings.ContainsAny(got.Error, "\r\n") {
				t.Errorf("error is not one short line: %q", got.Error)
			}
			if got.LatencyMS <= 0 && got.ErrorClass != probe.ClassInternal {
				t.Errorf("latency %v, want > 0", got.LatencyMS)
			}
			if got.CheckedAt.IsZero() {
				t.Error("CheckedAt not set")
			}
		})
	}
}

func TestCheckDNSFailsFast(t *testing.T) {
	p := probe.New(probe.Config{})
	start := time.Now()
	got := MustCheck(t, p, probe.HTTPRequest(probe.HTTP{URL: "http://nothing-here.invalid/"}, 10000, 0))
	if got.ErrorClass != probe.ClassDNS {
		t.Fatalf("class %q (%s), want dns", got.ErrorClass, got.Error)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("a .invalid name took %s to fail; the resolver should answer NXDOMAIN at once", took)
	}
}

func TestCheckStalledBodyTimesOut(t *testing.T) {
	tests := []struct {
		name      string
		timeoutMS int
		ctxLimit  time.Duration // deadline on the caller's context; 0 for none
		wantBy    time.Duration // the earlier of the two
	}{
		{name: "request timeout", timeoutMS: 300, wantBy: 300 * time.Millisecond},
		{name: "earlier caller deadline wins", timeoutMS: 10000, ctxLimit: 300 * time.Millisecond, wantBy: 300 * time.Millisecond},
	}
	srv, _ := NewTarget(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, "partial")
		w.(http.Flusher).Flush()
		waitOrDone(r, time.Minute)
	}))
	p := probe.New(probe.Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// start before the caller's deadline is set: it counts from there.
			start := time.Now()
			ctx := context.Background()
			if tt.ctxLimit > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.ctxLimit)
				defer cancel()
			}
			got := p.Check(ctx, probe.HTTPRequest(probe.HTTP{URL: srv.URL}, tt.timeoutMS, 0))
			took := time.Since(start)
			if got.ErrorClass != probe.ClassTimeout || got.Status != probe.StatusDown {
				t.Fatalf("got %q %q (%s), want down timeout", got.Status, got.ErrorClass, got.Error)
			}
			if took < tt.wantBy || took > tt.wantBy+time.Second {
				t.Errorf("took %s, want about %s", took, tt.wantBy)
			}
			if !strings.Contains(got.Error, "reading the body") {
				t.Errorf("error %q does not say the body stalled", got.Error)
			}
			if got.StatusCode != 200 || got.BodyExcerpt != "partial" {
				t.Errorf("evidence lost: code %d excerpt %q", got.StatusCode, got.BodyExcerpt)
			}
		})
	}
}

func TestCheckBodyCap(t *testing.T) {
	const mib = 1 << 20
	body := func(keywordAt int) []byte {
		b := []byte(strings.Repeat("a", 5*mib))
		copy(b[keywordAt:], "NEEDLE")
		return b
	}
	tests := []struct {
		name      string
		keywordAt int
		absent    bool
		want      probe.Status
		wantClass probe.ErrorClass
	}{
		{name: "keyword inside the first MiB is found", keywordAt: mib / 2, want: probe.StatusUp},
		{name: "keyword across the cap is not found", keywordAt: mib - 3, want: probe.StatusDown, wantClass: probe.ClassKeyword},
		{name: "keyword after the cap is not found", keywordAt: 3 * mib, want: probe.StatusDown, wantClass: probe.ClassKeyword},
		{name: "keyword after the cap counts as absent", keywordAt: 3 * mib, absent: true, want: probe.StatusUp},
	}
	p := probe.New(probe.Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := body(tt.keywordAt)
			srv, _ := NewTarget(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Write(b)
			}))
			got := MustCheck(t, p, probe.HTTPRequest(probe.HTTP{URL: srv.URL, Keyword: "NEEDLE", KeywordAbsent: tt.absent}, 0, 0))
			if got.Status != tt.want || got.ErrorClass != tt.wantClass {
				t.Fatalf("got %q %q (%s), want %q %q", got.Status, got.ErrorClass, got.Error, tt.want, tt.wantClass)
			}
			if tt.wantClass == probe.ClassKeyword && !strings.Contains(got.Error, "first 1048576 bytes") {
				t.Errorf("error %q does not say the body was cut", got.Error)
			}
			if len(got.BodyExcerpt) != 4096 {
				t.Errorf("excerpt is %d bytes, want 4096", len(got.BodyExcerpt))
			}
		})
	}
}

func TestCheckSendsRequest(t *testing.T) {
	type seen struct{ method, host, ua, custom, body string }
	tests := []struct {
		name string
		req  probe.HTTP
		want seen
	}{
		{name: "defaults", req: probe.HTTP{},
			want: seen{method: "GET", ua: probe.DefaultUserAgent}},
		{name: "method headers body", req: probe.HTTP{Method: "POST", Body: `{"ping":1}`, Headers: map[string]string{"X-Custom": "yes", "user-agent": "mine/2"}},
			want: seen{method: "POST", ua: "mine/2", custom: "yes", body: `{"ping":1}`}},
		{name: "host header sets the host", req: probe.HTTP{Method: "HEAD", Headers: map[string]string{"Host": "status.example.com"}},
			want: seen{method: "HEAD", host: "status.example.com", ua: probe.DefaultUserAgent}},
	}
	var (
		mu  sync.Mutex
		got seen
	)
	srv, _ := NewTarget(t, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading request body: %v", err)
		}
		mu.Lock()
		got = seen{method: r.Method, host: r.Host, ua: r.UserAgent(), custom: r.Header.Get("X-Custom"), body: string(b)}
		mu.Unlock()
	}))
	p := probe.New(probe.Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.URL = srv.URL
			if tt.want.host == "" {
				tt.want.host = strings.TrimPrefix(srv.URL, "http://")
			}
			res := MustCheck(t, p, probe.HTTPRequest(tt.req, 0, 0))
			if res.Status != probe.StatusUp {
				t.Fatalf("got %q %q (%s)", res.Status, res.ErrorClass, res.Error)
			}
			mu.Lock()
			defer mu.Unlock()
			if got != tt.want {
				t.Errorf("server saw %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestCheckFreshConnectionEachTime(t *testing.T) {
	srv, conns := NewTarget(t, target())
	p := probe.New(probe.Config{})
	for range 3 {
		res := MustCheck(t, p, probe.HTTPRequest(probe.HTTP{URL: srv.URL + "/ok"}, 0, 0))
		if res.Status != probe.StatusUp {
			t.Fatalf("got %q (%s)", res.Status, res.Error)
		}
		if res.Phases.ConnectMS <= 0 {
			t.Errorf("connect phase %v, want > 0 on a fresh connection", res.Phases.ConnectMS)
		}
	}
	if n := conns.Load(); n != 3 {
		t.Errorf("server accepted %d connections for 3 checks, want 3", n)
	}
}

func TestCheckPhases(t *testing.T) {
	srv, _ := NewTarget(t, target())
	p := probe.New(probe.Config{})
	tests := []struct {
		name    string
		url     string
		wantDNS bool
	}{
		{name: "ip literal skips dns", url: srv.URL + "/slow/20"},
		{name: "name is resolved", url: strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) + "/slow/20", wantDNS: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := MustCheck(t, p, probe.HTTPRequest(probe.HTTP{URL: tt.url}, 0, 0))
			if res.Status != probe.StatusUp {
				t.Fatalf("got %q (%s)", res.Status, res.Error)
			}
			ph := res.Phases
			if (ph.DNSMS > 0) != tt.wantDNS {
				t.Errorf("dns %v ms, want > 0: %v", ph.DNSMS, tt.wantDNS)
			}
			if ph.ConnectMS <= 0 || ph.TLSMS != 0 || ph.TransferMS < 0 {
				t.Errorf("phases %+v: want connect > 0, tls = 0, transfer >= 0", ph)
			}
			if ph.TTFBMS < 20 {
				t.Errorf("ttfb %v ms, want at least the server's 20 ms", ph.TTFBMS)
			}
			if sum := ph.DNSMS + ph.ConnectMS + ph.TLSMS + ph.TTFBMS + ph.TransferMS; sum > res.LatencyMS {
				t.Errorf("phases add up to %v ms, more than the total %v ms", sum, res.LatencyMS)
			}
			if res.ResolvedIP != "127.0.0.1" {
				t.Errorf("resolved ip %q, want 127.0.0.1", res.ResolvedIP)
			}
		})
	}
}

func TestCheckEvidence(t *testing.T) {
	srv, _ := NewTarget(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Add("X-Served-By", "edge-1")
		w.Header().Add("X-Served-By", "edge-2")
		w.Header().Set("Set-Cookie", "session=secret")
		for i := range 60 {
			w.Header().Set(fmt.Sprintf("Z-Filler-%02d", i), "f")
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("down\x00for\xffmaintenance " + strings.Repeat("é", 3000)))
	}))
	res := MustCheck(t, probe.New(probe.Config{}), probe.HTTPRequest(probe.HTTP{URL: srv.URL}, 0, 0))
	if res.ErrorClass != probe.ClassHTTPStatus {
		t.Fatalf("class %q (%s), want http_status", res.ErrorClass, res.Error)
	}
	tests := []struct {
		name string
		ok   bool
	}{
		{name: "at most 50 headers", ok: len(res.ResponseHeaders) == 50},
		{name: "first value of a header", ok: res.ResponseHeaders["X-Served-By"] == "edge-1"},
		{name: "cookies redacted", ok: res.ResponseHeaders["Set-Cookie"] == "[redacted]"},
		{name: "excerpt at most 4 KiB", ok: len(res.BodyExcerpt) <= 4096 && len(res.BodyExcerpt) > 4090},
		{name: "excerpt sanitized", ok: strings.HasPrefix(res.BodyExcerpt, "down\uFFFDfor\uFFFDmaintenance é")},
		{name: "excerpt does not end in a cut rune", ok: strings.HasSuffix(res.BodyExcerpt, "é")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.ok {
				t.Errorf("headers %v, excerpt %d bytes ending %q", res.ResponseHeaders, len(res.BodyExcerpt),
					res.BodyExcerpt[max(0, len(res.BodyExcerpt)-8):])
			}
		})
	}
}

func TestCheckStampsInjectedClock(t *testing.T) {
	srv, _ := NewTarget(t, target())
	p := probe.New(probe.Config{})
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	p.Now = func() time.Time { return at }
	tests := []struct {
		name string
		url  string
	}{
		{name: "success", url: srv.URL + "/ok"},
		{name: "failure", url: "http://" + MustClosedPort(t)},
		{name: "rejected before probing", url: "gopher://x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MustCheck(t, p, probe.HTTPRequest(probe.HTTP{URL: tt.url}, 0, 0)).CheckedAt; !got.Equal(at) {
				t.Errorf("CheckedAt %v, want %v", got, at)
			}
		})
	}
}
