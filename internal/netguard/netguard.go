// Package netguard decides which network addresses Strongroom may connect
// to on a partner's behalf (webhook destinations), against server-side
// request forgery: loopback, link-local (the cloud metadata service at
// 169.254.169.254), private, shared (CGNAT), unspecified, multicast and
// other special-purpose ranges are refused, including IPv4 addresses
// embedded in IPv6 ones (IPv4-mapped, IPv4-compatible, 6to4, NAT64), unless
// an administrator allows a range. Control is a net.Dialer Control
// function: it checks the address actually being connected to, after name
// resolution, so a name that resolves once to a public address and then to
// a private one (DNS rebinding) cannot switch the connection.
package netguard

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"syscall"
)

// blocked are the special-purpose ranges no destination may be in.
var blocked = prefixes(
	"0.0.0.0/8",       // "this network", unspecified
	"10.0.0.0/8",      // private
	"100.64.0.0/10",   // shared address space (CGNAT)
	"127.0.0.0/8",     // loopback
	"169.254.0.0/16",  // link-local, cloud metadata
	"172.16.0.0/12",   // private
	"192.0.0.0/24",    // IETF protocol assignments
	"192.0.2.0/24",    // documentation
	"192.88.99.0/24",  // 6to4 relay anycast
	"192.168.0.0/16",  // private
	"198.18.0.0/15",   // benchmarking
	"198.51.100.0/24", // documentation
	"203.0.113.0/24",  // documentation
	"224.0.0.0/4",     // multicast
	"240.0.0.0/4",     // reserved, broadcast
	"::/128",          // unspecified
	"::1/128",         // loopback
	"100::/64",        // discard
	"2001::/32",       // Teredo (an IPv4 address hidden inside)
	"2001:db8::/32",   // documentation
	"fc00::/7",        // unique local (private)
	"fe80::/10",       // link-local
	"fec0::/10",       // site-local (deprecated)
	"ff00::/8",        // multicast
)

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

var (
	sixToFour = netip.MustParsePrefix("2002::/16")
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	nat64Loc  = netip.MustParsePrefix("64:ff9b:1::/48")
	v4compat  = netip.MustParsePrefix("::/96")
)

// ErrRefused is the kind of every refusal.
var ErrRefused = errors.New("address refused")

// Guard holds the ranges an administrator allows in spite of the rules
// (e.g. a partner on the company's own network).
type Guard struct {
	Allow []netip.Prefix
}

// ParseAllow reads ranges in CIDR notation ("10.20.0.0/16", "::1/128");
// a bare address is a range of one.
func ParseAllow(ss []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range ss {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("netguard: %q is not an address range (CIDR, e.g. 10.20.0.0/16)", s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// embedded returns the IPv4 address an IPv6 address carries, if any:
// IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), 6to4
// (2002:AABB:CCDD::) and NAT64 (64:ff9b::a.b.c.d, 64:ff9b:1::/48).
func embedded(a netip.Addr) (netip.Addr, bool) {
	if a.Is4In6() {
		return a.Unmap(), true
	}
	if !a.Is6() {
		return netip.Addr{}, false
	}
	b := a.As16()
	switch {
	case sixToFour.Contains(a):
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), true
	case nat64.Contains(a), nat64Loc.Contains(a):
		return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), true
	case v4compat.Contains(a) && a != netip.IPv6Unspecified() && a != netip.IPv6Loopback():
		return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), true
	}
	return netip.Addr{}, false
}

func (g Guard) allowed(a netip.Addr) bool {
	for _, p := range g.Allow {
		if p.Contains(a) || (a.Is4In6() && p.Contains(a.Unmap())) {
			return true
		}
	}
	return false
}

// Check refuses an address a destination may not have.
func (g Guard) Check(a netip.Addr) error {
	a = a.WithZone("")
	if !a.IsValid() {
		return fmt.Errorf("netguard: no address: %w", ErrRefused)
	}
	if g.allowed(a) {
		return nil
	}
	check := []netip.Addr{a}
	if v4, ok := embedded(a); ok {
		if g.allowed(v4) {
			return nil
		}
		check = append(check, v4)
	}
	for _, c := range check {
		for _, p := range blocked {
			if p.Contains(c) {
				return fmt.Errorf("netguard: %s is in %s, a special-purpose range (allow it with --webhook-allow): %w", a, p, ErrRefused)
			}
		}
	}
	return nil
}

// CheckHost refuses a host that is a literal address Check refuses, or a
// name that is obviously local ("localhost", "*.localhost"). Names are
// otherwise checked when they are dialled (Control).
func (g Guard) CheckHost(host string) error {
	h := strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if a, err := netip.ParseAddr(h); err == nil {
		return g.Check(a)
	}
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		if g.allowed(netip.MustParseAddr("127.0.0.1")) {
			return nil
		}
		return fmt.Errorf("netguard: %s is this machine: %w", host, ErrRefused)
	}
	return nil
}

// Control is a net.Dialer Control function: it refuses a connection to an
// address Check refuses, at the moment of connecting, so the address
// checked is the address dialled.
func (g Guard) Control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("netguard: %q: %w", address, ErrRefused)
	}
	return g.Check(ap.Addr())
}
