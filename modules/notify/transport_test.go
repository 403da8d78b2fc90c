package notify_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/notify"
	"github.com/betterstack/betterstack/modules/probe"
)

// The guard runs in the dialer after DNS resolution and before connect, so
// it fails at once, even for addresses that would otherwise time out
// (10.0.0.1, 169.254.169.254). Redirects are covered because the HTTP
// client dials every new connection through the same dialer, which
// TestRedirectToPrivateAddressIsRefused shows with a real redirect.
func TestTransportRefusesNonPublicAddresses(t *testing.T) {
	tr := notify.NewTransport(false, 10*time.Second)
	for _, addr := range []string{"127.0.0.1:9", "[::1]:9", "169.254.169.254:80", "10.0.0.1:80", "192.168.1.1:25", "[fd00::1]:80", "localhost:9"} {
		t.Run(addr, func(t *testing.T) {
			start := time.Now()
			conn, err := tr.Dial(t.Context(), "tcp", addr)
			if err == nil {
				conn.Close()
				t.Fatal("dial succeeded")
			}
			if !errors.Is(err, probe.ErrBlockedAddress) {
				t.Fatalf("got %v, want ErrBlockedAddress", err)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("refusal took %v: the guard should run before connecting", d)
			}

			start = time.Now()
			resp, err := tr.HTTP.Get("http://" + addr + "/latest/meta-data/")
			if err == nil {
				resp.Body.Close()
				t.Fatal("HTTP request succeeded")
			}
			if !errors.Is(err, probe.ErrBlockedAddress) {
				t.Fatalf("HTTP: got %v, want ErrBlockedAddress", err)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("HTTP refusal took %v", d)
			}
		})
	}
}

func TestSendRefusesPrivateAddresses(t *testing.T) {
	rc := NewReceiver(t, http.StatusOK, `{"ok":true}`)
	tr := notify.NewTransport(false, 5*time.Second)
	for typ, cfg := range validConfigs(rc.URL) {
		if typ == "email" {
			continue // TestEmailRefusesPrivateAddresses
		}
		t.Run(typ, func(t *testing.T) {
			err := MustParse(t, typ, cfg).Send(t.Context(), tr, NewEvent("incident.opened"))
			if !errors.Is(err, probe.ErrBlockedAddress) {
				t.Fatalf("got %v, want ErrBlockedAddress", err)
			}
			if !notify.IsPermanent(err) {
				t.Errorf("a blocked address is permanent: %v", err)
			}
		})
	}
	if n := len(rc.Requests()); n != 0 {
		t.Fatalf("receiver on 127.0.0.1 got %d requests, want none", n)
	}
}
