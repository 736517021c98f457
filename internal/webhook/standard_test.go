package webhook_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/netguard"
	"strongroom.dev/strongroom/internal/webhook"
)

// TestStandardSignature: a message signed the Standard Webhooks way
// verifies; a changed body, id, timestamp or secret, or an old message
// replayed, is refused.
func TestStandardSignature(t *testing.T) {
	sec := webhook.NewSecret()
	key, err := webhook.ParseSecret(sec)
	if err != nil || !strings.HasPrefix(sec, "whsec_") || len(key) != 32 {
		t.Fatalf("secret %q: %v", sec, err)
	}
	other, _ := webhook.ParseSecret(webhook.NewSecret())
	body := []byte(`{"type":"customer.created","data":{"id":"c1"}}`)
	at := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	signed := func() http.Header {
		h := http.Header{}
		webhook.SetHeaders(h, key, "msg_1", at, body)
		return h
	}
	if h := signed(); !strings.HasPrefix(h.Get(webhook.HeaderSignature), "v1,") {
		t.Fatalf("signature %q", h.Get(webhook.HeaderSignature))
	}
	// A known vector from the Standard Webhooks reference libraries.
	ref, _ := webhook.ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if got := webhook.SignStandard(ref, "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`)); got != "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" {
		t.Errorf("reference vector: %s", got)
	}
	tests := []struct {
		name   string
		change func(h http.Header) ([]byte, []byte) // body, secret
		now    time.Time
		ok     bool
	}{
		{"as sent", func(http.Header) ([]byte, []byte) { return body, key }, at, true},
		{"a minute late", func(http.Header) ([]byte, []byte) { return body, key }, at.Add(time.Minute), true},
		{"a second signature among others", func(h http.Header) ([]byte, []byte) {
			h.Set(webhook.HeaderSignature, "v1,AAAA "+h.Get(webhook.HeaderSignature))
			return body, key
		}, at, true},
		{"body changed", func(http.Header) ([]byte, []byte) {
			return []byte(`{"type":"customer.created","data":{"id":"c2"}}`), key
		}, at, false},
		{"id changed", func(h http.Header) ([]byte, []byte) { h.Set(webhook.HeaderID, "msg_2"); return body, key }, at, false},
		{"timestamp changed", func(h http.Header) ([]byte, []byte) {
			h.Set(webhook.HeaderTimestamp, "1764554401")
			return body, key
		}, at, false},
		{"another secret", func(http.Header) ([]byte, []byte) { return body, other }, at, false},
		{"replayed after ten minutes", func(http.Header) ([]byte, []byte) { return body, key }, at.Add(10 * time.Minute), false},
		{"from the future", func(http.Header) ([]byte, []byte) { return body, key }, at.Add(-10 * time.Minute), false},
		{"no signature", func(h http.Header) ([]byte, []byte) { h.Del(webhook.HeaderSignature); return body, key }, at, false},
		{"v1a instead of v1", func(h http.Header) ([]byte, []byte) {
			h.Set(webhook.HeaderSignature, strings.Replace(h.Get(webhook.HeaderSignature), "v1,", "v1a,", 1))
			return body, key
		}, at, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := signed()
			b, k := tt.change(h)
			err := webhook.VerifyStandard(k, h, b, tt.now, 5*time.Minute)
			if (err == nil) != tt.ok {
				t.Errorf("verify: %v, want ok=%v", err, tt.ok)
			}
		})
	}
	for _, bad := range []string{"", "whsec_", "whsec_!!!", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_c2hvcnQ="} {
		if _, err := webhook.ParseSecret(bad); err == nil {
			t.Errorf("ParseSecret(%q) accepted", bad)
		}
	}
}

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

// TestGuardedClientDialsOnlyCheckedAddresses: a name that resolves to
// loopback ("localhost") is refused when dialled, whatever the URL says,
// and reached once its range is allowed; a redirect is not followed.
func TestGuardedClientDialsOnlyCheckedAddresses(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "https://169.254.169.254/latest/meta-data/", http.StatusFound)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	roots := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	byName := "https://localhost:" + port
	for _, u := range []string{byName, srv.URL} {
		resp, err := webhook.GuardedClient(netguard.Guard{}, 5*time.Second, roots).Get(u)
		if err == nil {
			resp.Body.Close()
		}
		if !errors.Is(err, netguard.ErrRefused) {
			t.Errorf("%s without an allowed range: %v, want refused", u, err)
		}
	}
	allow, _ := netguard.ParseAllow([]string{"127.0.0.0/8", "::1/128"})
	c := webhook.GuardedClient(netguard.Guard{Allow: allow}, 5*time.Second, roots)
	resp, err := c.Get(srv.URL + "/")
	if err != nil {
		t.Fatalf("allowed: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("allowed: %d", resp.StatusCode)
	}
	resp, err = c.Get(srv.URL + "/redirect")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Errorf("redirect followed: %d", resp.StatusCode)
	}
}
