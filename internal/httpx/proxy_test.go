package httpx_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"strongroom.dev/strongroom/internal/httpx"
)

func TestTrustProxies(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	cases := []struct {
		name   string
		peer   string
		xff    []string
		want   string
		prefix []netip.Prefix
	}{
		{"untrusted peer keeps its address whatever it claims", "203.0.113.7:5000", []string{"198.51.100.1"}, "203.0.113.7", trusted},
		{"trusted proxy names its client", "10.1.2.3:443", []string{"198.51.100.1"}, "198.51.100.1", trusted},
		{"right-most untrusted hop wins over a forged left part", "10.1.2.3:443", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1", trusted},
		{"chained trusted proxies are skipped", "10.1.2.3:443", []string{"198.51.100.1, 10.9.9.9"}, "198.51.100.1", trusted},
		{"several headers are one list", "10.1.2.3:443", []string{"1.2.3.4", "198.51.100.2"}, "198.51.100.2", trusted},
		{"a malformed hop stops the walk", "10.1.2.3:443", []string{"198.51.100.1, not-an-ip"}, "10.1.2.3", trusted},
		{"only trusted hops: the proxy itself", "10.1.2.3:443", []string{"10.5.5.5"}, "10.1.2.3", trusted},
		{"no header: the proxy itself", "10.1.2.3:443", nil, "10.1.2.3", trusted},
		{"IPv6 loopback proxy", "[::1]:443", []string{"2001:db8::1"}, "2001:db8::1", trusted},
		{"no trusted proxies: headers ignored", "10.1.2.3:443", []string{"198.51.100.1"}, "10.1.2.3", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got string
			h := httpx.TrustProxies(c.prefix, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = httpx.ClientOf(r).IP
			}))
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = c.peer
			for _, v := range c.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			if got != c.want {
				t.Errorf("client address %q, want %q", got, c.want)
			}
		})
	}
}
