package probe

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// The first and last address of every range IsPublicAddr refuses, and the
// addresses just outside it.
func TestIsPublicAddr_EdgesOfEveryRefusedRange(t *testing.T) {
	for addr, want := range map[string]bool{
		// 0.0.0.0/8
		"0.0.0.0": false, "0.255.255.255": false, "1.0.0.0": true,
		// 10.0.0.0/8
		"9.255.255.255": true, "10.0.0.0": false, "10.255.255.255": false, "11.0.0.0": true,
		// 100.64.0.0/10
		"100.63.255.255": true, "100.64.0.0": false, "100.127.255.255": false, "100.128.0.0": true,
		// 127.0.0.0/8
		"126.255.255.255": true, "127.0.0.0": false, "127.255.255.255": false, "128.0.0.0": true,
		// 169.254.0.0/16
		"169.253.255.255": true, "169.254.0.0": false, "169.254.255.255": false, "169.255.0.0": true,
		// 172.16.0.0/12
		"172.15.255.255": true, "172.16.0.0": false, "172.31.255.255": false, "172.32.0.0": true,
		// 192.168.0.0/16
		"192.167.255.255": true, "192.168.0.0": false, "192.168.255.255": false, "192.169.0.0": true,
		// 224.0.0.0/4 multicast, and the limited broadcast
		"223.255.255.255": true, "224.0.0.0": false, "239.255.255.255": false, "255.255.255.255": false,
		// IPv6: unspecified, loopback, fc00::/7, fe80::/10, fec0::/10, ff00::/8
		"::": false, "::1": false, "::2": true,
		"fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff": true, "fc00::": false, "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff": false,
		"fe80::": false, "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff": false,
		"fec0::": false, "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff": false,
		"ff00::": false, "ff02::1": false,
		"2001:4860:4860::8888": true,
		// IPv4-mapped: judged as IPv4
		"::ffff:8.8.8.8": true, "::ffff:100.64.0.1": false, "::ffff:0.0.0.1": false, "::ffff:255.255.255.255": false,
	} {
		if got := IsPublicAddr(netip.MustParseAddr(addr)); got != want {
			t.Errorf("IsPublicAddr(%s) = %v, want %v", addr, got, want)
		}
	}
	if IsPublicAddr(netip.Addr{}) {
		t.Error("the zero Addr is public")
	}
}

func TestGuardControl_RefusesWhatIsNotAPublicAddressAndPort(t *testing.T) {
	for _, tc := range []struct {
		address string
		blocked bool
		names   string
	}{
		{"8.8.8.8:53", false, ""},
		{"[2001:4860:4860::8888]:443", false, ""},
		{"127.0.0.1:80", true, "127.0.0.1"},
		{"[::ffff:10.1.2.3]:80", true, "10.1.2.3"},
		{"[fe80::1]:80", true, "fe80::1"},
		{"8.8.8.8", true, `unparseable address "8.8.8.8"`},
		{"example.com:80", true, "unparseable"},
		{"", true, "unparseable"},
	} {
		err := guardControl("tcp", tc.address, nil)
		if got := errors.Is(err, ErrBlockedAddress); got != tc.blocked {
			t.Errorf("guardControl(%q) = %v, blocked %v; want %v", tc.address, err, got, tc.blocked)
			continue
		}
		if tc.blocked && !strings.Contains(err.Error(), tc.names) {
			t.Errorf("guardControl(%q) = %q, want it to name %s", tc.address, err, tc.names)
		}
	}
}

func TestGuardedDialer_GuardsOnlyWhenAsked(t *testing.T) {
	if GuardedDialer(false).Control != nil {
		t.Error("an unguarded dialer has a Control function")
	}
	d := GuardedDialer(true)
	if d.Control == nil {
		t.Fatal("a guarded dialer has no Control function")
	}
	if err := d.Control("tcp", "127.0.0.1:80", nil); !errors.Is(err, ErrBlockedAddress) {
		t.Fatalf("guarded dialer's Control allowed loopback: %v", err)
	}
}
