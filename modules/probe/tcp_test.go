package probe_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/probe"
)

// NewTCPServer listens on 127.0.0.1 and runs handle for every connection it
// accepts, closing the connection when handle returns. It returns the port
// and a count of accepted connections; cleanup closes the listener and any
// open connection and waits for the handlers.
func NewTCPServer(t testing.TB, handle func(net.Conn)) (int, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		accepted atomic.Int64
		wg       sync.WaitGroup
		mu       sync.Mutex
		open     = map[net.Conn]bool{}
	)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			mu.Lock()
			open[c] = true
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				handle(c)
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for c := range open {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().(*net.TCPAddr).Port, &accepted
}

// MustTCPCert makes a CA (MustCertAuthority) and a leaf certificate it
// signed for 127.0.0.1 and the name "tcp.test", valid for a day. It returns
// a pool trusting the CA and the leaf to serve.
func MustTCPCert(t testing.TB) (*x509.CertPool, tls.Certificate) {
	t.Helper()
	ca := MustCertAuthority(t)
	now := time.Now()
	return ca.pool, ca.MustLeaf(t, now.Add(-time.Hour), now.Add(24*time.Hour), []net.IP{net.ParseIP("127.0.0.1")}, []string{"tcp.test"})
}

// RunTCP runs c once within timeout.
func RunTCP(t testing.TB, env *probe.Env, c *probe.TCP, timeout time.Duration) probe.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return c.Run(ctx, env)
}

// tcpDetail returns the value of the detail called name, "" when missing.
func tcpDetail(res probe.Result, name string) string {
	for _, d := range res.Details {
		if d.Name == name {
			return d.Value
		}
	}
	return ""
}

// tcpSilent accepts a connection and reads until the client leaves.
func tcpSilent(c net.Conn) { io.Copy(io.Discard, c) }

// tcpGreeter writes msg on connect and then waits for the client to leave.
func tcpGreeter(msg string) func(net.Conn) {
	return func(c net.Conn) {
		c.Write([]byte(msg))
		io.Copy(io.Discard, c)
	}
}

// tcpRedisLike answers "PING" lines with +PONG and anything else with an
// error, closing the connection after an error like a strict server. It
// records the lines it received.
func tcpRedisLike(got *[]string, mu *sync.Mutex) func(net.Conn) {
	return func(c net.Conn) {
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			mu.Lock()
			*got = append(*got, line)
			mu.Unlock()
			if line != "PING\r\n" {
				c.Write([]byte("-ERR unknown command\r\n"))
				return
			}
			c.Write([]byte("+PONG\r\n"))
		}
	}
}

func TestTCPRun(t *testing.T) {
	t.Parallel()
	env := probe.NewEnv(probe.Config{})

	smtp, _ := NewTCPServer(t, tcpGreeter("220 smtp ready\r\n"))
	var (
		mu    sync.Mutex
		lines []string
	)
	redis, _ := NewTCPServer(t, tcpRedisLike(&lines, &mu))
	quiet, _ := NewTCPServer(t, tcpSilent)
	loading, _ := NewTCPServer(t, tcpGreeter("-LOADING dataset in memory\r\n"))
	hangUp, _ := NewTCPServer(t, func(net.Conn) {})
	chatty, _ := NewTCPServer(t, tcpGreeter(strings.Repeat("x", 5000)+"+PONG"))
	binary, _ := NewTCPServer(t, func(c net.Conn) { c.Write([]byte("\x00\x1bJ\xff\r\nrest")) })
	split, _ := NewTCPServer(t, func(c net.Conn) {
		c.Write([]byte("+PO"))
		time.Sleep(20 * time.Millisecond) // long enough for the client to read "+PO" alone
		c.Write([]byte("NG\r\n"))
		io.Copy(io.Discard, c)
	})
	_, closedPortStr, err := net.SplitHostPort(MustClosedPort(t))
	if err != nil {
		t.Fatal(err)
	}
	closedPort, err := strconv.Atoi(closedPortStr)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name      string
		check     probe.TCP
		timeout   time.Duration
		class     probe.ErrorClass
		errHas    string // in Error
		reply     string // the "reply" detail, "-" for none
		connected bool   // a "connected to" detail
	}{
		{name: "connect only", check: probe.TCP{Host: "127.0.0.1", Port: smtp},
			reply: "-", connected: true},
		{name: "banner match", check: probe.TCP{Host: "127.0.0.1", Port: smtp, Expect: "220 "},
			reply: `"220 smtp ready"`, connected: true},
		{name: "send and expect, escapes written out", check: probe.TCP{Host: "127.0.0.1", Port: redis, Send: `PING\r\n`, Expect: "+PONG"},
			reply: `"+PONG"`, connected: true},
		{name: "expect across two reads", check: probe.TCP{Host: "127.0.0.1", Port: split, Expect: "+PONG"},
			reply: `"+PONG"`, connected: true},
		{name: "wrong reply, server closes", check: probe.TCP{Host: "127.0.0.1", Port: redis, Send: "HELLO\r\n", Expect: "+PONG"},
			class: probe.ClassBanner, errHas: `expected "+PONG" in reply, got "-ERR unknown command"`,
			reply: `"-ERR unknown command"`, connected: true},
		{name: "wrong reply, deadline", check: probe.TCP{Host: "127.0.0.1", Port: loading, Expect: "+PONG"}, timeout: 200 * time.Millisecond,
			class: probe.ClassBanner, errHas: `expected "+PONG" in reply, got "-LOADING dataset in memory"`,
			reply: `"-LOADING dataset in memory"`, connected: true},
		{name: "no reply before the deadline", check: probe.TCP{Host: "127.0.0.1", Port: quiet, Expect: "+PONG"}, timeout: 200 * time.Millisecond,
			class: probe.ClassTimeout, errHas: `timed out after`, reply: "-", connected: true},
		{name: "closed without a word", check: probe.TCP{Host: "127.0.0.1", Port: hangUp, Expect: "220"},
			class: probe.ClassBanner, errHas: "closed the connection without sending anything", reply: "-", connected: true},
		{name: "expected text after the first 4 KiB", check: probe.TCP{Host: "127.0.0.1", Port: chatty, Expect: "+PONG"},
			class: probe.ClassBanner, errHas: `expected "+PONG" in the first 4096 bytes of the reply, got "xxx`,
			reply: `"` + strings.Repeat("x", 195) + `…"`, connected: true},
		{name: "non-printable bytes escaped", check: probe.TCP{Host: "127.0.0.1", Port: binary, Expect: "OK"},
			class: probe.ClassBanner, errHas: `got "\x00\x1bJ\xff"`, reply: `"\x00\x1bJ\xff"`, connected: true},
		{name: "refused", check: probe.TCP{Host: "127.0.0.1", Port: closedPort},
			class: probe.ClassConnect, errHas: "refused", reply: "-"},
		{name: "DNS failure", check: probe.TCP{Host: "no-such-host.invalid", Port: 80},
			class: probe.ClassDNS, errHas: "no-such-host.invalid", reply: "-"},
		{name: "name resolved", check: probe.TCP{Host: "localhost", Port: smtp, Expect: "smtp"},
			reply: `"220 smtp ready"`, connected: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 10 * time.Second
			}
			start := time.Now()
			res := RunTCP(t, env, &tt.check, timeout)
			if took := time.Since(start); took > timeout+2*time.Second {
				t.Errorf("took %s with a %s deadline", took, timeout)
			}
			wantStatus := probe.StatusUp
			if tt.class != probe.ClassNone {
				wantStatus = probe.StatusDown
			}
			if res.Status != wantStatus || res.ErrorClass != tt.class {
				t.Fatalf("status %q class %q (%s), want %q %q", res.Status, res.ErrorClass, res.Error, wantStatus, tt.class)
			}
			if !strings.Contains(res.Error, tt.errHas) {
				t.Errorf("Error = %q, want it to contain %q", res.Error, tt.errHas)
			}
			if tt.class == probe.ClassNone && res.Error != "" {
				t.Errorf("Error = %q on success", res.Error)
			}
			if got, want := tcpDetail(res, "reply"), strings.TrimPrefix(tt.reply, "-"); got != want {
				t.Errorf("reply detail = %s, want %s", got, want)
			}
			connectedTo := tcpDetail(res, "connected to")
			if tt.connected {
				if want := net.JoinHostPort("127.0.0.1", strconv.Itoa(tt.check.Port)); connectedTo != want {
					t.Errorf("connected to = %q, want %q", connectedTo, want)
				}
				if res.ResolvedIP != "127.0.0.1" {
					t.Errorf("ResolvedIP = %q, want 127.0.0.1", res.ResolvedIP)
				}
				if res.Phases.ConnectMS <= 0 {
					t.Errorf("ConnectMS = %v, want > 0", res.Phases.ConnectMS)
				}
			} else if connectedTo != "" {
				t.Errorf("connected to = %q without a connection", connectedTo)
			}
			if isIP := tt.check.Host == "127.0.0.1"; isIP != (res.Phases.DNSMS == 0) {
				t.Errorf("DNSMS = %v for host %s", res.Phases.DNSMS, tt.check.Host)
			}
			if res.LatencyMS <= 0 {
				t.Errorf("LatencyMS = %v", res.LatencyMS)
			}
			if len(res.Error) > 512 {
				t.Errorf("Error is %d bytes long", len(res.Error))
			}
		})
	}

	t.Run("the server received the unescaped line", func(t *testing.T) {
		t.Parallel()
		res := RunTCP(t, env, &probe.TCP{Host: "127.0.0.1", Port: redis, Send: `PING\r\n`, Expect: "+PONG"}, 10*time.Second)
		if res.Status != probe.StatusUp {
			t.Fatalf("status %q: %s", res.Status, res.Error)
		}
		mu.Lock()
		defer mu.Unlock()
		for _, l := range lines {
			if l == "PING\r\n" {
				return
			}
		}
		t.Errorf("server got %q, want a PING\\r\\n line", lines)
	})
}

func TestTCPCancelled(t *testing.T) {
	t.Parallel()
	port, _ := NewTCPServer(t, tcpSilent)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	res := (&probe.TCP{Host: "127.0.0.1", Port: port, Expect: "x"}).Run(ctx, probe.NewEnv(probe.Config{}))
	if res.ErrorClass != probe.ClassInternal {
		t.Errorf("class %q (%s), want %q for a cancelled check", res.ErrorClass, res.Error, probe.ClassInternal)
	}
}

func TestTCPBlockPrivate(t *testing.T) {
	t.Parallel()
	port, accepted := NewTCPServer(t, tcpGreeter("220 smtp ready\r\n"))
	env := probe.NewEnv(probe.Config{BlockPrivate: true})
	for _, host := range []string{"127.0.0.1", "localhost"} {
		res := RunTCP(t, env, &probe.TCP{Host: host, Port: port, Expect: "220"}, 10*time.Second)
		if res.ErrorClass != probe.ClassBlocked {
			t.Errorf("%s: class %q (%s), want %q", host, res.ErrorClass, res.Error, probe.ClassBlocked)
		}
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("the server accepted %d connections, want none", n)
	}
}

func TestTCPTLS(t *testing.T) {
	t.Parallel()
	pool, cert := MustTCPCert(t)
	_, untrusted := MustTCPCert(t) // signed by a CA the pool does not hold
	env := probe.NewEnv(probe.Config{RootCAs: pool})
	serveTLS := func(cert tls.Certificate) int {
		port, _ := NewTCPServer(t, func(c net.Conn) {
			tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}})
			if err := tc.Handshake(); err != nil {
				return // a client that refused the certificate is the point
			}
			tc.Write([]byte("* OK IMAP ready\r\n"))
			io.Copy(io.Discard, tc)
		})
		return port
	}
	good, bad := serveTLS(cert), serveTLS(untrusted)
	plain, _ := NewTCPServer(t, tcpGreeter("220 smtp ready\r\n"))

	tests := []struct {
		name       string
		check      probe.TCP
		class      probe.ErrorClass
		certExpiry *x509.Certificate // the leaf whose expiry is reported
	}{
		{name: "trusted", check: probe.TCP{Host: "127.0.0.1", Port: good, TLS: true, Expect: "* OK"}, certExpiry: cert.Leaf},
		{name: "server name given", check: probe.TCP{Host: "127.0.0.1", Port: good, TLS: true, ServerName: "tcp.test"}, certExpiry: cert.Leaf},
		{name: "server name not in the certificate", check: probe.TCP{Host: "127.0.0.1", Port: good, TLS: true, ServerName: "other.test"},
			class: probe.ClassTLS, certExpiry: cert.Leaf},
		{name: "untrusted", check: probe.TCP{Host: "127.0.0.1", Port: bad, TLS: true}, class: probe.ClassTLS, certExpiry: untrusted.Leaf},
		{name: "server does not speak TLS", check: probe.TCP{Host: "127.0.0.1", Port: plain, TLS: true}, class: probe.ClassTLS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := RunTCP(t, env, &tt.check, 10*time.Second)
			if res.ErrorClass != tt.class {
				t.Fatalf("class %q (%s), want %q", res.ErrorClass, res.Error, tt.class)
			}
			if res.Phases.TLSMS <= 0 {
				t.Errorf("TLSMS = %v, want > 0", res.Phases.TLSMS)
			}
			if tt.certExpiry != nil {
				if res.CertExpiry == nil || !res.CertExpiry.Equal(tt.certExpiry.NotAfter) {
					t.Errorf("CertExpiry = %v, want %v", res.CertExpiry, tt.certExpiry.NotAfter)
				}
			} else if res.CertExpiry != nil {
				t.Errorf("CertExpiry = %v without a certificate", res.CertExpiry)
			}
		})
	}
}

func TestTCPValidate(t *testing.T) {
	t.Parallel()
	ok := func(mod func(c *probe.TCP)) probe.TCP {
		c := probe.TCP{Host: "db.example.org", Port: 5432}
		mod(&c)
		return c
	}
	tests := []struct {
		name  string
		check probe.TCP
		field string // the only field named, "" when valid
	}{
		{name: "minimal", check: ok(func(*probe.TCP) {})},
		{name: "port 0", check: ok(func(c *probe.TCP) { c.Port = 0 }), field: "check.port"},
		{name: "port 1", check: ok(func(c *probe.TCP) { c.Port = 1 })},
		{name: "port 65535", check: ok(func(c *probe.TCP) { c.Port = 65535 })},
		{name: "port 65536", check: ok(func(c *probe.TCP) { c.Port = 65536 }), field: "check.port"},
		{name: "port negative", check: ok(func(c *probe.TCP) { c.Port = -1 }), field: "check.port"},
		{name: "host empty", check: ok(func(c *probe.TCP) { c.Host = "" }), field: "check.host"},
		{name: "host 253 characters", check: ok(func(c *probe.TCP) { c.Host = strings.Repeat("a", 249) + ".org" })},
		{name: "host 254 characters", check: ok(func(c *probe.TCP) { c.Host = strings.Repeat("a", 250) + ".org" }), field: "check.host"},
		{name: "host with a space", check: ok(func(c *probe.TCP) { c.Host = "db example.org" }), field: "check.host"},
		{name: "host with a control character", check: ok(func(c *probe.TCP) { c.Host = "db\x00.org" }), field: "check.host"},
		{name: "host with a scheme", check: ok(func(c *probe.TCP) { c.Host = "tcp://db.example.org" }), field: "check.host"},
		{name: "host with a port", check: ok(func(c *probe.TCP) { c.Host = "db.example.org:5432" }), field: "check.host"},
		{name: "host a URL", check: ok(func(c *probe.TCP) { c.Host = "db.example.org/x" }), field: "check.host"},
		{name: "host IPv4", check: ok(func(c *probe.TCP) { c.Host = "10.0.0.5" })},
		{name: "host IPv6", check: ok(func(c *probe.TCP) { c.Host = "2001:db8::1" })},
		{name: "host IPv6 in brackets", check: ok(func(c *probe.TCP) { c.Host = "[2001:db8::1]" }), field: "check.host"},
		{name: "send 4 KiB", check: ok(func(c *probe.TCP) { c.Send = strings.Repeat("a", 4096) })},
		{name: "send too long", check: ok(func(c *probe.TCP) { c.Send = strings.Repeat("a", 4097) }), field: "check.send"},
		{name: "send with escapes", check: ok(func(c *probe.TCP) { c.Send = `PING\r\n\t\\` })},
		{name: "send with an unknown escape", check: ok(func(c *probe.TCP) { c.Send = `PING\x` }), field: "check.send"},
		{name: "send ending in a backslash", check: ok(func(c *probe.TCP) { c.Send = `PING\` }), field: "check.send"},
		{name: "expect too long", check: ok(func(c *probe.TCP) { c.Expect = strings.Repeat("a", 4097) }), field: "check.expect"},
		{name: "expect with an unknown escape", check: ok(func(c *probe.TCP) { c.Expect = `\d+` }), field: "check.expect"},
		{name: "server name with TLS", check: ok(func(c *probe.TCP) { c.TLS, c.ServerName = true, "db.internal" })},
		{name: "server name without TLS", check: ok(func(c *probe.TCP) { c.ServerName = "db.internal" }), field: "check.server_name"},
		{name: "server name with a space", check: ok(func(c *probe.TCP) { c.TLS, c.ServerName = true, "db internal" }), field: "check.server_name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.check.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			e := apperr.As(err)
			if e == nil || e.Kind != apperr.Invalid {
				t.Fatalf("Validate() = %v, want a validation error", err)
			}
			if len(e.Fields) != 1 || e.Fields[tt.field] == "" {
				t.Errorf("fields %v, want only %s", e.Fields, tt.field)
			}
		})
	}
}

func TestTCPTarget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		check probe.TCP
		want  string
	}{
		{probe.TCP{Host: "db.example.org", Port: 5432}, "db.example.org:5432"},
		{probe.TCP{Host: "2001:db8::1", Port: 6379}, "[2001:db8::1]:6379"},
		{probe.TCP{Host: "mail.example.org", Port: 993, TLS: true}, "mail.example.org:993 (TLS)"},
	}
	for _, tt := range tests {
		if got := tt.check.Target(); got != tt.want {
			t.Errorf("Target() = %q, want %q", got, tt.want)
		}
	}
}

func TestTCPKind(t *testing.T) {
	t.Parallel()
	k, err := probe.LookupKind("tcp")
	if err != nil {
		t.Fatal(err)
	}
	if k.Title != "TCP port" || !k.Scheduled {
		t.Errorf("Title %q Scheduled %v", k.Title, k.Scheduled)
	}
	if byScheme, ok := probe.KindForScheme("TCP"); !ok || byScheme.Name != "tcp" {
		t.Errorf("KindForScheme(TCP) = %q, %v", byScheme.Name, ok)
	}
	var names []string
	for _, f := range k.Fields {
		names = append(names, f.Name)
		if f.Label == "" || f.Help == "" {
			t.Errorf("field %s has no label or help", f.Name)
		}
	}
	want := []string{"host", "port", "send", "expect", "tls", "server_name"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("fields %v, want %v", names, want)
	}
	// Every field is a JSON name of the settings: the form and the export
	// read them back.
	raw, err := json.Marshal(probe.TCP{Host: "h", Port: 1, Send: "s", Expect: "e", TLS: true, ServerName: "n"})
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		t.Fatal(err)
	}
	for _, n := range want {
		if _, ok := obj[n]; !ok {
			t.Errorf("field %s is not in the JSON %s", n, raw)
		}
	}
}

func TestTCPFromURL(t *testing.T) {
	t.Parallel()
	k, err := probe.LookupKind("tcp")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		url    string
		want   *probe.TCP
		errHas string
	}{
		{url: "tcp://db.example.org:5432", want: &probe.TCP{Host: "db.example.org", Port: 5432}},
		{url: "tcp://[2001:db8::1]:6379/", want: &probe.TCP{Host: "2001:db8::1", Port: 6379}},
		{url: `tcp://cache:6379?send=PING%5Cr%5Cn&expect=+PONG`, want: &probe.TCP{Host: "cache", Port: 6379, Send: `PING\r\n`, Expect: "+PONG"}},
		{url: "tcp://cache:6379?send=PING%0D%0A&expect=%2BPONG", want: &probe.TCP{Host: "cache", Port: 6379, Send: "PING\r\n", Expect: "+PONG"}},
		{url: "tcp://mail:993?tls=1&server_name=mail.example.org&expect=*%20OK",
			want: &probe.TCP{Host: "mail", Port: 993, TLS: true, ServerName: "mail.example.org", Expect: "* OK"}},
		{url: "tcp://mail:993?tls", want: &probe.TCP{Host: "mail", Port: 993, TLS: true}},
		{url: "tcp://mail:993?tls=false", want: &probe.TCP{Host: "mail", Port: 993}},
		{url: "tcp://db", want: &probe.TCP{Host: "db"}}, // Validate names check.port
		{url: "tcp://db:5432?timeout=3&bogus=1", errHas: `unknown query parameters "bogus", "timeout"`},
		{url: "tcp://db:5432?Send=x", errHas: `unknown query parameter "Send"`},
		{url: "tcp://db:5432?tls=maybe", errHas: "tls must be"},
		{url: "tcp://db:5432?send=a&send=b", errHas: "send is given twice"},
		{url: "tcp://db:5432?send=%zz", errHas: "bad query"},
		{url: "tcp://db:5432/path", errHas: "no path"},
		{url: "tcp://user:pw@db:5432", errHas: "no user name"},
		{url: "tcp:db:5432", errHas: "tcp://host:port"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			u, err := url.Parse(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			got, err := k.FromURL(u)
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("FromURL = %v, %v; want an error containing %q", got, err, tt.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("FromURL = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestTCPParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		config string
		want   *probe.TCP
		field  string
	}{
		{name: "full", config: `{"host":"cache","port":6379,"send":"PING\\r\\n","expect":"+PONG","tls":true,"server_name":"cache.internal"}`,
			want: &probe.TCP{Host: "cache", Port: 6379, Send: `PING\r\n`, Expect: "+PONG", TLS: true, ServerName: "cache.internal"}},
		{name: "port as a string", config: `{"host":"cache","port":"x"}`, field: "check.port"},
		{name: "unknown field", config: `{"host":"cache","port":6379,"bogus":1}`, field: "check.bogus"},
		{name: "field names are case-sensitive", config: `{"host":"cache","Port":6379}`, field: "check.Port"},
		{name: "empty", config: `{}`, field: "check.host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := probe.Parse(probe.Spec{Kind: "tcp", Config: json.RawMessage(tt.config)})
			if tt.field != "" {
				if e := apperr.As(err); e == nil || e.Fields[tt.field] == "" {
					t.Fatalf("Parse = %v, want an error naming %s", err, tt.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse = %+v, want %+v", got, tt.want)
			}
			// The spec round-trips through its stored form.
			spec, err := probe.SpecOf("tcp", got)
			if err != nil {
				t.Fatal(err)
			}
			again, err := probe.Parse(spec)
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Errorf("round trip = %+v, %v", again, err)
			}
		})
	}
}
