package probe_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/probe"
)

func TestIsPublicAddr(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"8.8.8.8", true},
		{"1.1.1.1", true},
		{"172.32.0.1", true},
		{"100.128.0.1", true},
		{"2606:4700:4700::1111", true},
		{"::ffff:8.8.8.8", true},
		{"127.0.0.1", false},
		{"127.255.0.9", false},
		{"::1", false},
		{"10.1.2.3", false},
		{"172.16.0.1", false},
		{"172.31.255.255", false},
		{"192.168.1.1", false},
		{"fd00::1", false},
		{"fc00::1", false},
		{"169.254.169.254", false},
		{"fe80::1", false},
		{"0.0.0.0", false},
		{"0.1.2.3", false},
		{"::", false},
		{"224.0.0.1", false},
		{"ff02::1", false},
		{"100.64.0.1", false},
		{"100.127.255.255", false},
		{"255.255.255.255", false},
		{"::ffff:127.0.0.1", false},
		{"::ffff:10.0.0.1", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			if got := probe.IsPublicAddr(netip.MustParseAddr(tt.addr)); got != tt.want {
				t.Errorf("IsPublicAddr(%s) = %v, want %v", tt.addr, got, tt.want)
			}
		})
	}
}

func TestGuardedDialer(t *testing.T) {
	tests := []struct {
		name      string
		block     bool
		wantBlock bool
	}{
		{name: "blocking refuses loopback", block: true, wantBlock: true},
		{name: "not blocking connects", block: false, wantBlock: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			conn, err := probe.GuardedDialer(tt.block).DialContext(ctx, "tcp", ln.Addr().String())
			if tt.wantBlock {
				if !errors.Is(err, probe.ErrBlockedAddress) {
					t.Fatalf("dial error %v, want ErrBlockedAddress", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			conn.Close()
		})
	}
}

func TestCheckBlockPrivate(t *testing.T) {
	var hits atomic.Int64
	srv, conns := NewTarget(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	tests := []struct {
		name string
		url  string
	}{
		{name: "loopback ip", url: srv.URL},
		{name: "name resolving to loopback", url: "http://localhost" + port},
		{name: "ipv4-mapped loopback", url: "http://[::ffff:127.0.0.1]" + port},
	}
	p := probe.New(probe.Config{BlockPrivate: true})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MustCheck(t, p, probe.HTTPRequest(probe.HTTP{URL: tt.url}, 0, 0))
			if got.Status != probe.StatusDown || got.ErrorClass != probe.ClassBlocked {
				t.Fatalf("got %q %q (%s), want down blocked", got.Status, got.ErrorClass, got.Error)
			}
			if !strings.Contains(got.Error, "127.0.0.1") || !strings.Contains(got.Error, "block_private_targets") {
				t.Errorf("error %q does not name the address and the setting", got.Error)
			}
		})
	}
	if hits.Load() != 0 || conns.Load() != 0 {
		t.Errorf("server saw %d connections and %d requests, want none", conns.Load(), hits.Load())
	}
}
