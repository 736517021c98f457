package authz

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// ParseNetworks validates address ranges for a role: CIDR prefixes, or
// single addresses (taken as /32 or /128). It returns them in canonical
// form.
func ParseNetworks(in []string) ([]string, error) {
	var out []string
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("%q is not an address range like 10.0.0.0/8 or an address", s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked().String())
	}
	return out, nil
}

// FromNetworks reports whether a request from ip may use a role limited to
// cidrs; a role with no ranges may be used from anywhere. An address that
// cannot be read is outside every range.
func FromNetworks(ip string, cidrs []string) bool {
	if len(cidrs) == 0 {
		return true
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, c := range cidrs {
		if p, err := netip.ParsePrefix(c); err == nil && p.Contains(a) {
			return true
		}
	}
	return false
}

// SubTeams lists the teams below team, at any depth, given each nested
// team's parent.
func SubTeams(team string, parents map[string]string) []string {
	if team == "" {
		return nil
	}
	var out []string
	for t := range parents {
		if t == team {
			continue
		}
		for p, seen := parents[t], 0; p != "" && seen < len(parents); p, seen = parents[p], seen+1 {
			if p == team {
				out = append(out, t)
				break
			}
		}
	}
	slices.Sort(out)
	return out
}
