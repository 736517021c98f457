package netguard_test

import (
	"errors"
	"net/netip"
	"testing"

	"strongroom.dev/strongroom/internal/netguard"
)

// TestSSRFTrials: the special-purpose addresses a destination may not
// have are refused, literally and when dialled, and allowed once an
// administrator allows their range; public addresses pass.
func TestSSRFTrials(t *testing.T) {
	trials := []struct {
		addr  string
		allow string // the range that lets it through
	}{
		{"127.0.0.1", "127.0.0.0/8"},
		{"::1", "::1/128"},
		{"10.1.2.3", "10.0.0.0/8"},
		{"169.254.169.254", "169.254.169.254/32"},
		{"192.168.1.10", "192.168.0.0/16"},
		{"172.16.5.4", "172.16.0.0/12"},
		{"100.64.0.1", "100.64.0.0/10"},
		{"::ffff:127.0.0.1", "127.0.0.0/8"},
		{"::ffff:10.0.0.1", "10.0.0.0/8"},
		{"2002:7f00:1::", "127.0.0.0/8"},
		{"2002:a9fe:a9fe::1", "169.254.0.0/16"},
		{"64:ff9b::7f00:1", "127.0.0.0/8"},
		{"64:ff9b::a00:1", "10.0.0.0/8"},
		{"::127.0.0.1", "127.0.0.0/8"},
		{"0.0.0.0", "0.0.0.0/8"},
		{"::", "::/128"},
		{"224.0.0.1", "224.0.0.0/4"},
		{"ff02::1", "ff00::/8"},
		{"fe80::1", "fe80::/10"},
		{"fd00::1", "fc00::/7"},
		{"255.255.255.255", "240.0.0.0/4"},
	}
	for _, tt := range trials {
		t.Run(tt.addr, func(t *testing.T) {
			a := netip.MustParseAddr(tt.addr)
			if err := (netguard.Guard{}).Check(a); !errors.Is(err, netguard.ErrRefused) {
				t.Errorf("Check(%s) = %v, want refused", a, err)
			}
			if err := (netguard.Guard{}).CheckHost(tt.addr); !errors.Is(err, netguard.ErrRefused) {
				t.Errorf("CheckHost(%s) = %v, want refused", a, err)
			}
			if err := (netguard.Guard{}).Control("tcp", netip.AddrPortFrom(a, 443).String(), nil); !errors.Is(err, netguard.ErrRefused) {
				t.Errorf("Control(%s) = %v, want refused", a, err)
			}
			allow, err := netguard.ParseAllow([]string{tt.allow})
			if err != nil {
				t.Fatal(err)
			}
			if err := (netguard.Guard{Allow: allow}).Check(a); err != nil {
				t.Errorf("Check(%s) with %s allowed: %v", a, tt.allow, err)
			}
		})
	}
	for _, pub := range []string{"93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8", "2002:0808:0808::1", "100.128.0.1"} {
		if err := (netguard.Guard{}).Check(netip.MustParseAddr(pub)); err != nil {
			t.Errorf("public %s refused: %v", pub, err)
		}
	}
	if err := (netguard.Guard{}).CheckHost("LocalHost."); !errors.Is(err, netguard.ErrRefused) {
		t.Errorf("localhost: %v", err)
	}
	if _, err := netguard.ParseAllow([]string{"10.0.0.0/33"}); err == nil {
		t.Error("a bad range was accepted")
	}
}
