package probe_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"log"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/probe"
)

// MustCert makes a self-signed certificate valid from notBefore to notAfter
// for the given IPs and names; it can serve as its own root.
func MustCert(t testing.TB, notBefore, notAfter time.Time, ips []net.IP, names []string) (tls.Certificate, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "betterstack test"},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           ips,
		DNSNames:              names,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, leaf
}

// NewTLSTarget serves ok over TLS with cert.
func NewTLSTarget(t testing.TB, cert tls.Certificate) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok"))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ErrorLog = quietLog() // failed handshakes are the point of these tests
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// quietLog discards a test server's error log.
func quietLog() *log.Logger { return slog.NewLogLogger(slog.DiscardHandler, slog.LevelError) }

func TestCheckTLS(t *testing.T) {
	now := time.Now()
	loopback := []net.IP{net.IPv4(127, 0, 0, 1)}

	good := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }))
	good.Config.ErrorLog = quietLog()
	good.StartTLS()
	t.Cleanup(good.Close)
	expiredCert, expiredLeaf := MustCert(t, now.Add(-48*time.Hour), now.Add(-24*time.Hour), loopback, nil)
	expired := NewTLSTarget(t, expiredCert)
	otherCert, otherLeaf := MustCert(t, now.Add(-time.Hour), now.Add(24*time.Hour), nil, []string{"status.example.com"})
	other := NewTLSTarget(t, otherCert)
	plain, _ := NewTarget(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))

	trusted := x509.NewCertPool()
	trusted.AddCert(good.Certificate())
	trusted.AddCert(expiredLeaf)
	trusted.AddCert(otherLeaf)

	tests := []struct {
		name       string
		roots      *x509.CertPool
		url        string
		want       probe.Status
		wantClass  probe.ErrorClass
		wantError  string
		wantExpiry time.Time // zero: no certificate seen
	}{
		{name: "trusted certificate", roots: trusted, url: good.URL,
			want: probe.StatusUp, wantExpiry: good.Certificate().NotAfter},
		{name: "unknown authority", url: good.URL,
			want: probe.StatusDown, wantClass: probe.ClassTLS, wantError: "unknown authority", wantExpiry: good.Certificate().NotAfter},
		{name: "expired certificate", roots: trusted, url: expired.URL,
			want: probe.StatusDown, wantClass: probe.ClassTLS, wantError: "expired", wantExpiry: expiredLeaf.NotAfter},
		{name: "hostname mismatch", roots: trusted, url: other.URL,
			want: probe.StatusDown, wantClass: probe.ClassTLS, wantError: "127.0.0.1", wantExpiry: otherLeaf.NotAfter},
		{name: "server does not speak tls", roots: trusted, url: strings.Replace(plain.URL, "http:", "https:", 1),
			want: probe.StatusDown, wantClass: probe.ClassTLS, wantError: "tls"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MustCheck(t, probe.New(probe.Config{RootCAs: tt.roots}), probe.HTTPRequest(probe.HTTP{URL: tt.url}, 0, 0))
			if got.Status != tt.want || got.ErrorClass != tt.wantClass {
				t.Fatalf("got %q %q (%s), want %q %q", got.Status, got.ErrorClass, got.Error, tt.want, tt.wantClass)
			}
			if !strings.Contains(got.Error, tt.wantError) {
				t.Errorf("error %q does not contain %q", got.Error, tt.wantError)
			}
			switch {
			case tt.wantExpiry.IsZero() && got.CertExpiry != nil:
				t.Errorf("cert expiry %v, want none", got.CertExpiry)
			case !tt.wantExpiry.IsZero() && (got.CertExpiry == nil || !got.CertExpiry.Equal(tt.wantExpiry)):
				t.Errorf("cert expiry %v, want %v", got.CertExpiry, tt.wantExpiry)
			}
			if got.Phases.TLSMS <= 0 || got.Phases.ConnectMS <= 0 {
				t.Errorf("phases %+v: want connect and tls > 0", got.Phases)
			}
		})
	}

	t.Run("expired certificate expiry is in the past", func(t *testing.T) {
		got := MustCheck(t, probe.New(probe.Config{RootCAs: trusted}), probe.HTTPRequest(probe.HTTP{URL: expired.URL}, 0, 0))
		if got.CertExpiry == nil || !got.CertExpiry.Before(time.Now()) {
			t.Errorf("cert expiry %v, want a time in the past", got.CertExpiry)
		}
	})
}
