package cmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/probe"
)

// runCheck runs `betterstack check` with args and returns its output.
func runCheck(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newCheckCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func TestCheckCmd(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/missing":
			http.NotFound(w, r)
			return
		case "/needs-header":
			if r.Header.Get("X-Probe") != "yes" || r.Method != http.MethodPut {
				http.Error(w, "want PUT with X-Probe: yes", http.StatusBadRequest)
				return
			}
		case "/slow":
			time.Sleep(30 * time.Millisecond)
		}
		fmt.Fprint(w, `{"status":"ok"}`)
	}))
	t.Cleanup(srv.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	banner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := banner.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("220 ready\r\n"))
			_ = c.Close()
		}
	}()
	t.Cleanup(func() { _ = banner.Close() })
	tcpURL := "tcp://" + banner.Addr().String()
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(tlsSrv.Close)

	tests := []struct {
		name    string
		args    []string
		wantErr string   // substring; empty means success
		wantOut []string // substrings of the output
	}{
		{name: "up", args: []string{srv.URL},
			wantOut: []string{"Status       up", "Status code  200", "Resolved IP  127.0.0.1", "DNS", "Connect", "TLS", "TTFB", "Transfer", "Total", " ms"}},
		{name: "keyword", args: []string{srv.URL, "--keyword", `"ok"`},
			wantOut: []string{"Status       up"}},
		{name: "method and header reach the server", args: []string{srv.URL + "/needs-header", "--method", "PUT", "--header", "X-Probe: yes"},
			wantOut: []string{"Status code  200"}},
		{name: "connection refused", args: []string{closed},
			wantErr: "check failed: connect: ", wantOut: []string{"Status       down", "Error        connect: "}},
		{name: "unexpected status", args: []string{srv.URL + "/missing"},
			wantErr: "check failed: http_status: status 404, expected 2xx,3xx"},
		{name: "expected status", args: []string{srv.URL + "/missing", "--expect", "404"},
			wantOut: []string{"Status code  404"}},
		{name: "keyword must be absent", args: []string{srv.URL, "--keyword", "ok", "--keyword-absent"},
			wantErr: "check failed: keyword: "},
		{name: "degraded is not a failure", args: []string{srv.URL + "/slow", "--degraded-after", "5ms"},
			wantOut: []string{"Status       degraded"}},
		{name: "bad timeout", args: []string{srv.URL, "--timeout", "soon"}, wantErr: "--timeout"},
		{name: "zero timeout", args: []string{srv.URL, "--timeout", "0s"}, wantErr: "--timeout"},
		{name: "bad header", args: []string{srv.URL, "--header", "NoColon"}, wantErr: "--header"},
		{name: "bad expectation", args: []string{srv.URL, "--expect", "2xy"}, wantErr: "--expect"},
		{name: "bad scheme", args: []string{"ftp://127.0.0.1/"}, wantErr: "the scheme must name a check kind"},
		{name: "no url", args: []string{}, wantErr: "accepts 1 arg"},
		{name: "tcp banner", args: []string{tcpURL + "?expect=220"},
			wantOut: []string{"Check        tcp " + banner.Addr().String(), "Status       up", "Reply        \"220 ready\"", "Connected to"}},
		{name: "tcp banner mismatch", args: []string{tcpURL + "?expect=%2BPONG"}, wantErr: "check failed: banner: expected \"+PONG\""},
		{name: "tcp refused", args: []string{"tcp://" + strings.TrimPrefix(closed, "http://")}, wantErr: "check failed: connect: "},
		{name: "tcp setting named", args: []string{"tcp://127.0.0.1:80?colour=red"}, wantErr: "colour"},
		{name: "http flag on another kind", args: []string{tcpURL, "--keyword", "x"}, wantErr: "--keyword: applies to http and https URLs only"},
		{name: "tls self-signed without verification", args: []string{"tls://" + strings.TrimPrefix(tlsSrv.URL, "https://") + "?verify=false"},
			wantOut: []string{"Check        tls 127.0.0.1:", "Status       up", "Days left", "Issuer"}},
		{name: "tls untrusted", args: []string{"tls://" + strings.TrimPrefix(tlsSrv.URL, "https://")}, wantErr: "check failed: tls: untrusted"},
		{name: "https to a server that does not speak TLS names the class once", args: []string{"https://" + banner.Addr().String()},
			wantErr: "check failed: tls: first record does not look like a TLS handshake"},
		{name: "icmp blocked never: the operator's own machine", args: []string{"icmp://127.0.0.1?count=1"},
			wantOut: []string{"Check        icmp 127.0.0.1", "Status       up", "Packet loss  0%"}},
		{name: "dns without a name", args: []string{"dns://"}, wantErr: "must be dns://<name>"},
		{name: "condition holds", args: []string{srv.URL, "--condition", "[BODY].status == ok", "--condition", "[STATUS] < 300"},
			wantOut: []string{"Status up"}},
		{name: "condition fails with the value seen", args: []string{srv.URL, "--condition", "[BODY].status == UP"},
			wantErr: `check failed: condition: condition [BODY].status == UP failed: [BODY].status = "ok"`},
		{name: "malformed condition names the position", args: []string{srv.URL, "--condition", "[BOD] == 1"},
			wantErr: "check.conditions[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runCheck(t, tt.args...)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("error %v, want none; output:\n%s", err, out)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
			// Labels are aligned to the longest one shown: compare words.
			words := strings.Join(strings.Fields(out), " ")
			for _, want := range tt.wantOut {
				if !strings.Contains(words, strings.Join(strings.Fields(want), " ")) {
					t.Errorf("output does not contain %q:\n%s", want, out)
				}
			}
		})
	}
}

func TestCheckCmdJSON(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "ok") }))
	t.Cleanup(srv.Close)
	out, err := runCheck(t, srv.URL, "--json")
	if err != nil {
		t.Fatalf("error %v; output:\n%s", err, out)
	}
	var res probe.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("output is not a JSON result: %v\n%s", err, out)
	}
	if res.Status != probe.StatusUp || res.StatusCode != 200 || res.Phases.ConnectMS <= 0 {
		t.Errorf("result %+v, want up 200 with a connect phase", res)
	}
}

func TestWriteCheckResultCertificate(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		expiry time.Time
		want   string
	}{
		{name: "valid", expiry: now.Add(40*24*time.Hour + time.Hour), want: "Certificate  expires 2026-04-10 (40 days left)"},
		{name: "expires today", expiry: now.Add(time.Hour), want: "Certificate  expires 2026-03-01 (0 days left)"},
		{name: "expired", expiry: now.Add(-3*24*time.Hour + time.Hour), want: "Certificate  expired 2026-02-26 (3 days ago)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			res := probe.Result{Status: probe.StatusDown, ErrorClass: probe.ClassTLS, Error: "x509: certificate has expired", CertExpiry: &tt.expiry}
			if err := writeCheckResult(&out, "http", "https://example.com", res, now); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), tt.want) {
				t.Errorf("output does not contain %q:\n%s", tt.want, out.String())
			}
		})
	}
}

// TestWriteCheckResultExpiryOnce: an https check names its certificate's
// expiry among its details; the output says it there, not twice.
func TestWriteCheckResultExpiryOnce(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	expiry := now.Add(40*24*time.Hour + time.Hour)
	res := probe.Result{Status: probe.StatusUp, StatusCode: 200, CertExpiry: &expiry,
		Details: []probe.Detail{{Name: "certificate expires", Value: "2026-04-10 (40 days left)"}}}
	var out bytes.Buffer
	if err := writeCheckResult(&out, "http", "https://example.com", res, now); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "2026-04-10"); n != 1 {
		t.Errorf("the expiry said %d times:\n%s", n, out.String())
	}
}

// TestWriteCheckResultSaysTheClassOnce: Go's TLS errors begin "tls: ";
// the error line must not read "tls: tls: ...".
func TestWriteCheckResultSaysTheClassOnce(t *testing.T) {
	var out bytes.Buffer
	res := probe.Result{Status: probe.StatusDown, ErrorClass: probe.ClassTLS, Error: "tls: failed to verify certificate"}
	if err := writeCheckResult(&out, "http", "https://example.com", res, time.Now()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Error     tls: failed to verify certificate") || strings.Contains(out.String(), "tls: tls:") {
		t.Errorf("output:\n%s", out.String())
	}
}

// TestCheckCmdTakesTheKindsDefaults: `check https://…` judges with the same
// settings a new monitor has, so a certificate 9 days from expiry is
// degraded in both (the command used to build its check without the
// kind's defaults, with certificate expiry off, and said "up").
func TestCheckCmdTakesTheKindsDefaults(t *testing.T) {
	f := &checkFlags{method: "GET", expect: []string{"2xx", "3xx"}}
	got, err := f.httpCheck("https://example.org/")
	if err != nil {
		t.Fatal(err)
	}
	k, err := probe.LookupKind("http")
	if err != nil {
		t.Fatal(err)
	}
	want := k.New().(*probe.HTTP)
	if got.CertDegradedDays != want.CertDegradedDays || got.CertDownDays != want.CertDownDays || want.CertDegradedDays == 0 {
		t.Fatalf("certificate days: degraded %d, down %d; a monitor's: %d, %d", got.CertDegradedDays, got.CertDownDays, want.CertDegradedDays, want.CertDownDays)
	}
	if got.URL != "https://example.org/" || got.Method != "GET" || !got.FollowRedirects {
		t.Fatalf("the flags were not applied: %+v", got)
	}
}
