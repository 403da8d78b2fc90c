package probe_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/probe"
)

// certAuthority issues test certificates.
type certAuthority struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool // holds cert, for Config.RootCAs
}

// MustCertAuthority makes a root CA valid for a year around now.
func MustCertAuthority(t testing.TB) *certAuthority {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "BetterStack Test CA", Organization: []string{"BetterStack"}},
		NotBefore:             time.Now().Add(-365 * 24 * time.Hour),
		NotAfter:              time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &certAuthority{cert: cert, key: key, pool: pool}
}

// MustLeaf issues a server certificate valid from notBefore to notAfter
// for ips and names.
func (ca *certAuthority) MustLeaf(t testing.TB, notBefore, notAfter time.Time, ips []net.IP, names []string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "betterstack leaf"},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  ips,
		DNSNames:     names,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// MustTLSServer accepts connections on 127.0.0.1, makes the TLS handshake
// with cfg and closes them. It returns the port.
func MustTLSServer(t testing.TB, cfg *tls.Config) int {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return // closed by Cleanup
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = conn.(*tls.Conn).HandshakeContext(ctx) // failed handshakes are what some tests want
			cancel()
			conn.Close()
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().(*net.TCPAddr).Port
}

// MustRunCheck parses spec and runs it once in env.
func MustRunCheck(t testing.TB, env *probe.Env, kind, config string, timeout time.Duration) probe.Result {
	t.Helper()
	c, err := probe.Parse(probe.Spec{Kind: kind, Config: json.RawMessage(config)})
	if err != nil {
		t.Fatalf("parse %s: %v", config, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return c.Run(ctx, env)
}

// detailNamed returns the value of res's detail called name, or "(none)".
func detailNamed(res probe.Result, name string) string {
	for _, d := range res.Details {
		if d.Name == name {
			return d.Value
		}
	}
	return "(none)"
}

func TestTLSKindRun(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	day := 24 * time.Hour
	ca := MustCertAuthority(t)
	loopback := []net.IP{net.IPv4(127, 0, 0, 1)}
	serve := func(cert tls.Certificate, maxVersion uint16) int {
		return MustTLSServer(t, &tls.Config{Certificates: []tls.Certificate{cert}, MaxVersion: maxVersion})
	}

	valid := ca.MustLeaf(t, now.Add(-day), now.Add(90*day), loopback, []string{"localhost"})
	validPort := serve(valid, 0)
	soonPort := serve(ca.MustLeaf(t, now.Add(-day), now.Add(5*day+time.Hour), loopback, nil), 0)
	closePort := serve(ca.MustLeaf(t, now.Add(-day), now.Add(2*day+time.Hour), loopback, nil), 0)
	expired := ca.MustLeaf(t, now.Add(-30*day), now.Add(-2*day), loopback, nil)
	expiredPort := serve(expired, 0)
	otherPort := serve(ca.MustLeaf(t, now.Add(-day), now.Add(90*day), nil, []string{"status.example.com"}), 0)
	selfSigned, _ := MustCert(t, now.Add(-day), now.Add(90*day), loopback, nil)
	selfSignedPort := serve(selfSigned, 0)
	tls12Port := serve(valid, tls.VersionTLS12)
	plain, _ := NewTarget(t, nil) // speaks HTTP, not TLS

	tests := []struct {
		name        string
		config      string // without the closing brace
		want        probe.Status
		wantClass   probe.ErrorClass
		wantError   []string
		wantDetails map[string]string // values that must be contained
		wantExpiry  time.Time         // zero: no certificate seen
	}{
		{name: "valid certificate", config: `{"host":"127.0.0.1","port":` + strconv.Itoa(validPort),
			want: probe.StatusUp, wantExpiry: valid.Leaf.NotAfter,
			wantDetails: map[string]string{
				"expires":   valid.Leaf.NotAfter.UTC().Format("2006-01-02 15:04 UTC"),
				"days left": "90",
				"issuer":    "BetterStack Test CA",
				"subject":   "betterstack leaf",
				"protocol":  "TLS 1.3",
				"chain":     "valid",
				"hostname":  "matches",
			}},
		{name: "server name is sent and matched", config: `{"host":"127.0.0.1","server_name":"localhost","port":` + strconv.Itoa(validPort),
			want: probe.StatusUp, wantExpiry: valid.Leaf.NotAfter, wantDetails: map[string]string{"hostname": "matches"}},
		{name: "5 days left is degraded", config: `{"host":"127.0.0.1","port":` + strconv.Itoa(soonPort),
			want: probe.StatusDegraded, wantClass: probe.ClassCertExpiry,
			wantError:   []string{"certificate expires in 5 days (" + now.Add(5*day+time.Hour).UTC().Format(time.DateOnly) + "), degraded under 14 days"},
			wantDetails: map[string]string{"days left": "5", "chain": "valid"}, wantExpiry: now.Add(5*day + time.Hour)},
		{name: "2 days left is down", config: `{"host":"127.0.0.1","port":` + strconv.Itoa(closePort),
			want: probe.StatusDown, wantClass: probe.ClassCertExpiry, wantError: []string{"expires in 2 days", "down under 3 days"},
			wantExpiry: now.Add(2*day + time.Hour)},
		{name: "5 days left is up with lower thresholds", config: `{"host":"127.0.0.1","degraded_days":5,"down_days":0,"port":` + strconv.Itoa(soonPort),
			want: probe.StatusUp, wantExpiry: now.Add(5*day + time.Hour)},
		{name: "expired", config: `{"host":"127.0.0.1","port":` + strconv.Itoa(expiredPort),
			want: probe.StatusDown, wantClass: probe.ClassCertExpiry, wantError: []string{"certificate expired 2 days ago"},
			wantDetails: map[string]string{"days left": "-2", "chain": "valid"}, wantExpiry: expired.Leaf.NotAfter},
		{name: "wrong host", config: `{"host":"127.0.0.1","port":` + strconv.Itoa(otherPort),
			want: probe.StatusDown, wantClass: probe.ClassTLS, wantError: []string{"hostname mismatch", "127.0.0.1"},
			wantDetails: map[string]string{"hostname": "does not match", "chain": "valid"}, wantExpiry: now.Add(90 * day)},
		{name: "wrong server name", config: `{"host":"127.0.0.1","server_name":"wrong.example","port":` + strconv.Itoa(validPort),
			want: probe.StatusDown, wantClass: probe.ClassTLS, wantError: []string{"hostname mismatch", "valid for localhost, not wrong.example"},
			wantDetails: map[string]string{"hostname": "does not match", "chain": "valid"}, wantExpiry: valid.Leaf.NotAfter},
		{name: "wrong host without verify", config: `{"host":"127.0.0.1","verify":false,"port":` + strconv.Itoa(otherPort),
			want: probe.StatusUp, wantDetails: map[string]string{"hostname": "does not match"}, wantExpiry: now.Add(90 * day)},
		{name: "self-signed is untrusted", config: `{"host":"127.0.0.1","port":` + strconv.Itoa(selfSignedPort),
			want: probe.StatusDown, wantClass: probe.ClassTLS, wantError: []string{"untrusted certificate chain", "unknown authority"},
			wantDetails: map[string]string{"chain": "unknown authority", "hostname": "matches"}, wantExpiry: selfSigned.Leaf.NotAfter},
		{name: "self-signed without verify", config: `{"host":"127.0.0.1","verify":false,"port":` + strconv.Itoa(selfSignedPort),
			want: probe.StatusUp, wantDetails: map[string]string{"chain": "signed by unknown authority", "issuer": "betterstack test"},
			wantExpiry: selfSigned.Leaf.NotAfter},
		{name: "below min_version", config: `{"host":"127.0.0.1","min_version":"1.3","port":` + strconv.Itoa(tls12Port),
			want: probe.StatusDown, wantClass: probe.ClassTLS, wantError: []string{"server negotiated TLS 1.2, below the minimum TLS 1.3"},
			wantDetails: map[string]string{"protocol": "TLS 1.2"}, wantExpiry: valid.Leaf.NotAfter},
		{name: "TLS 1.2 meets the default minimum", config: `{"host":"127.0.0.1","port":` + strconv.Itoa(tls12Port),
			want: probe.StatusUp, wantDetails: map[string]string{"protocol": "TLS 1.2"}, wantExpiry: valid.Leaf.NotAfter},
		{name: "server does not speak TLS", config: `{"host":"127.0.0.1","port":` + plain.URL[strings.LastIndexByte(plain.URL, ':')+1:],
			want: probe.StatusDown, wantClass: probe.ClassTLS, wantError: []string{"TLS handshake failed"}},
		{name: "closed port", config: `{"host":"127.0.0.1","port":` + MustClosedPort(t)[len("127.0.0.1:"):],
			want: probe.StatusDown, wantClass: probe.ClassConnect, wantError: []string{"refused"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := probe.NewEnv(probe.Config{RootCAs: ca.pool})
			env.Now = func() time.Time { return now }
			got := MustRunCheck(t, env, "tls", tt.config+"}", 10*time.Second)
			if got.Status != tt.want || got.ErrorClass != tt.wantClass {
				t.Fatalf("got %q %q (%s), want %q %q", got.Status, got.ErrorClass, got.Error, tt.want, tt.wantClass)
			}
			for _, s := range tt.wantError {
				if !strings.Contains(got.Error, s) {
					t.Errorf("error %q does not contain %q", got.Error, s)
				}
			}
			if tt.want == probe.StatusUp && got.Error != "" {
				t.Errorf("error %q on an up check", got.Error)
			}
			for name, want := range tt.wantDetails {
				if v := detailNamed(got, name); !strings.Contains(v, want) {
					t.Errorf("detail %q = %q, want it to contain %q", name, v, want)
				}
			}
			switch {
			case tt.wantExpiry.IsZero() && got.CertExpiry != nil:
				t.Errorf("cert expiry %v, want none", got.CertExpiry)
			case !tt.wantExpiry.IsZero() && (got.CertExpiry == nil || !got.CertExpiry.Equal(tt.wantExpiry)):
				t.Errorf("cert expiry %v, want %v", got.CertExpiry, tt.wantExpiry)
			}
			if !tt.wantExpiry.IsZero() && (got.Phases.ConnectMS <= 0 || got.Phases.TLSMS <= 0) {
				t.Errorf("phases %+v: want connect and tls > 0", got.Phases)
			}
		})
	}
}

func TestTLSKindRunBlockedAndTimeout(t *testing.T) {
	ca := MustCertAuthority(t)

	t.Run("private address blocked", func(t *testing.T) {
		port := MustTLSServer(t, &tls.Config{Certificates: []tls.Certificate{
			ca.MustLeaf(t, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), []net.IP{net.IPv4(127, 0, 0, 1)}, nil)}})
		env := probe.NewEnv(probe.Config{RootCAs: ca.pool, BlockPrivate: true})
		got := MustRunCheck(t, env, "tls", `{"host":"127.0.0.1","port":`+strconv.Itoa(port)+`}`, 10*time.Second)
		if got.Status != probe.StatusDown || got.ErrorClass != probe.ClassBlocked || got.CertExpiry != nil {
			t.Fatalf("got %q %q (%s) expiry %v, want down blocked without a certificate", got.Status, got.ErrorClass, got.Error, got.CertExpiry)
		}
	})

	t.Run("server never answers the handshake", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		env := probe.NewEnv(probe.Config{RootCAs: ca.pool})
		got := MustRunCheck(t, env, "tls", `{"host":"127.0.0.1","port":`+strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)+`}`, 300*time.Millisecond)
		if got.Status != probe.StatusDown || got.ErrorClass != probe.ClassTimeout || !strings.Contains(got.Error, "in the TLS handshake") {
			t.Fatalf("got %q %q (%s), want down timeout in the TLS handshake", got.Status, got.ErrorClass, got.Error)
		}
	})
}

func TestCertExpiryVerdict(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	tests := []struct {
		name               string
		left               time.Duration // notAfter - now
		degraded, down     int
		want               probe.Status
		wantClass          probe.ErrorClass
		wantMessage        string // exact
		wantMessageContain string
	}{
		{name: "far away", left: 365 * day, degraded: 14, down: 3, want: probe.StatusUp},
		{name: "exactly degraded_days left", left: 14 * day, degraded: 14, down: 3, want: probe.StatusUp},
		{name: "degraded_days minus 1 second", left: 14*day - time.Second, degraded: 14, down: 3,
			want: probe.StatusDegraded, wantClass: probe.ClassCertExpiry,
			wantMessage: "certificate expires in 13 days (2026-12-08), degraded under 14 days"},
		{name: "5 days", left: 5*day + time.Hour, degraded: 14, down: 3,
			want: probe.StatusDegraded, wantClass: probe.ClassCertExpiry,
			wantMessage: "certificate expires in 5 days (2026-11-29), degraded under 14 days"},
		{name: "exactly down_days left", left: 3 * day, degraded: 14, down: 3,
			want: probe.StatusDegraded, wantClass: probe.ClassCertExpiry},
		{name: "down_days minus 1 second", left: 3*day - time.Second, degraded: 14, down: 3,
			want: probe.StatusDown, wantClass: probe.ClassCertExpiry,
			wantMessage: "certificate expires in 2 days (2026-11-27), down under 3 days"},
		{name: "hours left", left: 5 * time.Hour, degraded: 14, down: 1,
			want: probe.StatusDown, wantClass: probe.ClassCertExpiry, wantMessageContain: "expires in 5 hours"},
		{name: "expires this very second", left: 0, degraded: 14, down: 0,
			want: probe.StatusDegraded, wantClass: probe.ClassCertExpiry, wantMessageContain: "expires in 0 seconds"},
		{name: "expired by 1 second", left: -time.Second, degraded: 14, down: 3,
			want: probe.StatusDown, wantClass: probe.ClassCertExpiry,
			wantMessage: "certificate expired 1 second ago (2026-11-24)"},
		{name: "expired by 1 second with down_days 0", left: -time.Second, degraded: 14, down: 0,
			want: probe.StatusDown, wantClass: probe.ClassCertExpiry, wantMessageContain: "expired 1 second ago"},
		{name: "down_days 0: 1 second left is degraded", left: time.Second, degraded: 14, down: 0,
			want: probe.StatusDegraded, wantClass: probe.ClassCertExpiry, wantMessageContain: "expires in 1 second"},
		{name: "both 0: 1 second left is up", left: time.Second, degraded: 0, down: 0, want: probe.StatusUp},
		{name: "both 0: expired is down", left: -3 * day, degraded: 0, down: 0,
			want: probe.StatusDown, wantClass: probe.ClassCertExpiry, wantMessage: "certificate expired 3 days ago (2026-11-21)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, class, msg := probe.CertExpiryVerdict(now.Add(tt.left), now, tt.degraded, tt.down)
			if status != tt.want || class != tt.wantClass {
				t.Fatalf("got %q %q (%s), want %q %q", status, class, msg, tt.want, tt.wantClass)
			}
			switch {
			case tt.want == probe.StatusUp && msg != "":
				t.Errorf("message %q on up", msg)
			case tt.wantMessage != "" && msg != tt.wantMessage:
				t.Errorf("message %q, want %q", msg, tt.wantMessage)
			case !strings.Contains(msg, tt.wantMessageContain):
				t.Errorf("message %q does not contain %q", msg, tt.wantMessageContain)
			}
		})
	}
}

func TestTLSKindValidate(t *testing.T) {
	tests := []struct {
		name      string
		config    string
		wantField string // "" = valid
		wantMsg   string
	}{
		{name: "host only", config: `{"host":"example.org"}`},
		{name: "everything", config: `{"host":"example.org","port":8443,"server_name":"www.example.org","degraded_days":30,"down_days":7,"verify":false,"min_version":"1.3"}`},
		{name: "IPv4 host", config: `{"host":"192.0.2.1"}`},
		{name: "IPv6 host", config: `{"host":"2001:db8::1"}`},
		{name: "missing host", config: `{}`, wantField: "check.host", wantMsg: "is required"},
		{name: "host with scheme", config: `{"host":"https://example.org"}`, wantField: "check.host"},
		{name: "host with port", config: `{"host":"example.org:443"}`, wantField: "check.host"},
		{name: "host with trailing dot", config: `{"host":"example.org."}`, wantField: "check.host"},
		{name: "host label starting with a hyphen", config: `{"host":"-x.example.org"}`, wantField: "check.host"},
		{name: "port 0", config: `{"host":"example.org","port":0}`, wantField: "check.port"},
		{name: "port 1", config: `{"host":"example.org","port":1}`},
		{name: "port 65535", config: `{"host":"example.org","port":65535}`},
		{name: "port 65536", config: `{"host":"example.org","port":65536}`, wantField: "check.port"},
		{name: "bad server name", config: `{"host":"example.org","server_name":"not a name"}`, wantField: "check.server_name"},
		{name: "degraded_days -1", config: `{"host":"example.org","degraded_days":-1,"down_days":0}`, wantField: "check.degraded_days"},
		{name: "degraded_days 3650", config: `{"host":"example.org","degraded_days":3650}`},
		{name: "degraded_days 3651", config: `{"host":"example.org","degraded_days":3651}`, wantField: "check.degraded_days"},
		{name: "both 0", config: `{"host":"example.org","degraded_days":0,"down_days":0}`},
		{name: "down_days -1", config: `{"host":"example.org","down_days":-1}`, wantField: "check.down_days"},
		{name: "down_days equal to degraded_days", config: `{"host":"example.org","degraded_days":14,"down_days":14}`},
		{name: "down_days above degraded_days", config: `{"host":"example.org","degraded_days":14,"down_days":15}`,
			wantField: "check.down_days", wantMsg: "must not be more than degraded_days"},
		{name: "min_version 1.0", config: `{"host":"example.org","min_version":"1.0"}`},
		{name: "min_version 1.4", config: `{"host":"example.org","min_version":"1.4"}`, wantField: "check.min_version"},
		{name: "min_version empty", config: `{"host":"example.org","min_version":""}`, wantField: "check.min_version"},
		{name: "unknown field", config: `{"host":"example.org","hots":"x"}`, wantField: "check.hots", wantMsg: "unknown field"},
		{name: "port as a string", config: `{"host":"example.org","port":"443"}`, wantField: "check.port", wantMsg: "must be an integer"},
		{name: "verify as a string", config: `{"host":"example.org","verify":"no"}`, wantField: "check.verify", wantMsg: "true or false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := probe.Parse(probe.Spec{Kind: "tls", Config: json.RawMessage(tt.config)})
			assertFieldError(t, err, tt.wantField, tt.wantMsg)
		})
	}
}

// assertFieldError checks that err is nil when field is "", else a
// validation error whose message for field contains msg.
func assertFieldError(t *testing.T, err error, field, msg string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	e := apperr.As(err)
	if e == nil || e.Kind != apperr.Invalid {
		t.Fatalf("got %v, want a validation error naming %s", err, field)
	}
	got, ok := e.Fields[field]
	if !ok || !strings.Contains(got, msg) {
		t.Fatalf("fields %v, want %s containing %q", e.Fields, field, msg)
	}
}

func TestTLSKindDefaultsAndRoundTrip(t *testing.T) {
	c, err := probe.Parse(probe.Spec{Kind: "tls", Config: json.RawMessage(`{"host":"example.org"}`)})
	if err != nil {
		t.Fatal(err)
	}
	want := &probe.TLSCheck{Host: "example.org", Port: 443, DegradedDays: 14, DownDays: 3, Verify: true, MinVersion: "1.2"}
	if got := c.(*probe.TLSCheck); *got != *want {
		t.Errorf("defaults %+v, want %+v", got, want)
	}
	if c.Target() != "example.org:443" {
		t.Errorf("target %q", c.Target())
	}

	// verify=false must survive being stored and read back.
	off := &probe.TLSCheck{Host: "192.0.2.1", Port: 8443, ServerName: "example.org", DegradedDays: 10, DownDays: 0, MinVersion: "1.3"}
	spec, err := probe.SpecOf("tls", off)
	if err != nil {
		t.Fatal(err)
	}
	back, err := probe.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.(*probe.TLSCheck); *got != *off {
		t.Errorf("round trip %+v, want %+v", got, off)
	}
	if back.Target() != "192.0.2.1:8443 (example.org)" {
		t.Errorf("target %q", back.Target())
	}
}

func TestTLSKindFromURL(t *testing.T) {
	kind, ok := probe.KindForScheme("tls")
	if !ok || kind.Name != "tls" || !kind.Scheduled {
		t.Fatalf("tls scheme: %+v %v", kind, ok)
	}
	tests := []struct {
		name      string
		url       string
		want      probe.TLSCheck
		wantField string
	}{
		{name: "host only", url: "tls://example.org",
			want: probe.TLSCheck{Host: "example.org", Port: 443, DegradedDays: 14, DownDays: 3, Verify: true, MinVersion: "1.2"}},
		{name: "everything", url: "tls://example.org:8443?server_name=www.example.org&degraded_days=20&down_days=5&verify=false&min_version=1.3",
			want: probe.TLSCheck{Host: "example.org", Port: 8443, ServerName: "www.example.org", DegradedDays: 20, DownDays: 5, MinVersion: "1.3"}},
		{name: "IPv6", url: "tls://[2001:db8::1]:993",
			want: probe.TLSCheck{Host: "2001:db8::1", Port: 993, DegradedDays: 14, DownDays: 3, Verify: true, MinVersion: "1.2"}},
		{name: "no host", url: "tls://", wantField: "check.host"},
		{name: "bad verify", url: "tls://example.org?verify=maybe", wantField: "check.verify"},
		{name: "bad days", url: "tls://example.org?degraded_days=soon", wantField: "check.degraded_days"},
		{name: "unknown parameter", url: "tls://example.org?colour=blue", wantField: "check.colour"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			c, err := kind.FromURL(u)
			assertFieldError(t, err, tt.wantField, "")
			if tt.wantField != "" {
				return
			}
			if got := c.(*probe.TLSCheck); *got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if err := c.Validate(); err != nil {
				t.Errorf("validate: %v", err)
			}
		})
	}
}
