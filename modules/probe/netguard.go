package probe

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// ErrBlockedAddress is returned by a guarded dialer that refused to connect
// to an address that is not public.
var ErrBlockedAddress = errors.New("connection to a non-public address blocked")

// nonPublic lists the ranges that netip.Addr has no predicate for.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),          // "this network"; 0.0.0.0 reaches the local host
	netip.MustParsePrefix("100.64.0.0/10"),      // carrier-grade NAT
	netip.MustParsePrefix("255.255.255.255/32"), // limited broadcast
	netip.MustParsePrefix("fec0::/10"),          // deprecated site-local
}

// IsPublicAddr reports whether addr is a public unicast address: not
// loopback, private (RFC 1918, fc00::/7), link-local, unspecified,
// multicast, CGNAT (100.64.0.0/10), 0.0.0.0/8 or broadcast. IPv4-mapped IPv6
// addresses are judged by their IPv4 address.
func IsPublicAddr(addr netip.Addr) bool {
	addr = addr.Unmap()
	if !addr.IsValid() ||
		addr.IsLoopback() ||
		addr.IsPrivate() ||
		addr.IsLinkLocalUnicast() ||
		addr.IsUnspecified() ||
		addr.IsMulticast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(addr) {
			return false
		}
	}
	return true
}

// GuardedDialer returns a dialer that, when block is true, refuses to
// connect to any address IsPublicAddr rejects, with an error wrapping
// ErrBlockedAddress. The check runs in net.Dialer.Control, after DNS
// resolution and before the connection is attempted, so every address a
// name resolves to (and every redirect target) is checked without a race
// against DNS rebinding. Callers may adjust the other fields of the
// returned dialer.
func GuardedDialer(block bool) *net.Dialer {
	d := &net.Dialer{}
	if block {
		d.Control = guardControl
	}
	return d
}

// guardControl is a net.Dialer.Control function; address is the resolved
// "ip:port" about to be connected to.
func guardControl(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: unparseable address %q", ErrBlockedAddress, address)
	}
	if !IsPublicAddr(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrBlockedAddress, ap.Addr().Unmap())
	}
	return nil
}
