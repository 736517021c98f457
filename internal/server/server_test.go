package server_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/server"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/governance"
	"strongroom.dev/strongroom/internal/testkit"
)

// serve runs a Strongroom server with h on a loopback port until the test
// ends and returns its address and a TLS configuration that trusts it.
func serve(t *testing.T, h http.Handler) (string, *tls.Config) {
	t.Helper()
	return serveWith(t, h, server.Limits{PerAddress: 200})
}

// serveWith is serve with the given limits.
func serveWith(t *testing.T, h http.Handler, lim server.Limits) (string, *tls.Config) {
	t.Helper()
	return serveOn(t, testkit.NewEnv(t, testkit.NewSQLite(t), service.Options{}), h, lim)
}

// serveOn is serveWith over env's service.
func serveOn(t *testing.T, env *testkit.Env, h http.Handler, lim server.Limits) (string, *tls.Config) {
	t.Helper()
	dir := t.TempDir()
	certFile, keyFile, err := server.EnsureSelfSigned(dir)
	if err != nil {
		t.Fatal(err)
	}
	cert, _, err := server.LoadCertificate(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	pem, _ := os.ReadFile(filepath.Join(dir, "cert.pem"))
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.New(h, cert, slog.New(slog.DiscardHandler), env.Service, lim).Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return ln.Addr().String(), &tls.Config{RootCAs: pool, ServerName: "localhost"}
}

var securityHeaders = []string{"Strict-Transport-Security", "Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"}

// TestResponsesGoWritesItself shows which answers carry Strongroom's
// security headers. Everything that reaches the handler chain does, even
// when Go's ServeMux writes it (404 for an unknown path, 405 for a wrong
// method). Go's HTTP server writes some answers itself before any handler
// runs, with no hook (net/http server.go, go1.26): 400 to a plain-HTTP
// request on the TLS port, written on the raw TCP connection before TLS,
// with no header at all; 431 for a request whose headers exceed
// MaxHeaderBytes, with only Content-Type and Connection; 417 for an
// unknown Expect. They carry no Strongroom header; docs/SECURITY.md says
// why that is harmless. "OPTIONS *", which Go would also answer itself,
// is passed to the chain.
func TestResponsesGoWritesItself(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ok", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	addr, tlsConf := serve(t, mux)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConf}, Timeout: 10 * time.Second}

	for _, tc := range []struct{ method, path string }{{"GET", "/ok"}, {"GET", "/nothing"}, {"DELETE", "/ok"}} {
		req, _ := http.NewRequest(tc.method, "https://"+addr+tc.path, nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for _, h := range securityHeaders {
			if resp.Header.Get(h) == "" {
				t.Errorf("%s %s (%d) lacks %s", tc.method, tc.path, resp.StatusCode, h)
			}
		}
	}

	// raw sends a request as written over TLS with HTTP/1.1 and reads the answer.
	raw := func(t *testing.T, request string) *http.Response {
		t.Helper()
		c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: tlsConf.RootCAs, ServerName: "localhost", NextProtos: []string{"http/1.1"}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(10 * time.Second))
		go io.WriteString(c, request)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}

	t.Run("OPTIONS *", func(t *testing.T) {
		// Go answers it itself unless told not to; Strongroom passes it on.
		resp := raw(t, "OPTIONS * HTTP/1.1\r\nHost: localhost\r\n\r\n")
		resp.Body.Close()
		for _, h := range securityHeaders {
			if resp.Header.Get(h) == "" {
				t.Errorf("OPTIONS * (%d) lacks %s", resp.StatusCode, h)
			}
		}
	})

	t.Run("an unknown Expect", func(t *testing.T) {
		resp := raw(t, "GET /ok HTTP/1.1\r\nHost: localhost\r\nExpect: something\r\n\r\n")
		resp.Body.Close()
		if resp.StatusCode != http.StatusExpectationFailed {
			t.Fatalf("Expect: something: %d", resp.StatusCode)
		}
		for _, h := range securityHeaders {
			if resp.Header.Get(h) != "" {
				t.Errorf("Go's 417 now carries %s: Go has changed; update docs/SECURITY.md", h)
			}
		}
	})

	t.Run("plain HTTP on the TLS port", func(t *testing.T) {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, "GET /ok HTTP/1.1\r\nHost: localhost\r\n\r\n")
		got, _ := io.ReadAll(c)
		if string(got) != "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n" {
			t.Fatalf("plain HTTP got %q", got)
		}
	})

	t.Run("oversize headers over HTTP/1.1", func(t *testing.T) {
		resp := raw(t, "GET /ok HTTP/1.1\r\nHost: localhost\r\nX-Big: "+strings.Repeat("a", 80<<10)+"\r\n\r\n")
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge || string(body) != "431 Request Header Fields Too Large" {
			t.Fatalf("oversize headers: %d %q", resp.StatusCode, body)
		}
		if len(resp.Header) != 1 || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" || !resp.Close {
			t.Errorf("Go's 431 has other headers than Content-Type and Connection: close: %v", resp.Header)
		}
		for _, h := range securityHeaders {
			if resp.Header.Get(h) != "" {
				t.Errorf("Go's 431 now carries %s: Go has changed; update docs/SECURITY.md", h)
			}
		}
	})

	t.Run("oversize headers over HTTP/2", func(t *testing.T) {
		// The server advertises its limit (SETTINGS_MAX_HEADER_LIST_SIZE),
		// and Go's client, like browsers, will not send more once it knows
		// it. A first request sent before that is refused by Go's HTTP/2
		// server without the handler: by ending the connection, or with a
		// 431 page of its own.
		h2 := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConf, ForceAttemptHTTP2: true}, Timeout: 10 * time.Second}
		req, _ := http.NewRequest("GET", "https://"+addr+"/ok", nil)
		req.Header.Set("X-Big", strings.Repeat("a", 80<<10))
		resp, err := h2.Do(req)
		if err != nil {
			t.Logf("refused without an answer: %v", err)
			return
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("HTTP/2 oversize headers: %s %d", resp.Proto, resp.StatusCode)
		}
		for _, h := range securityHeaders {
			if resp.Header.Get(h) != "" {
				t.Errorf("Go's HTTP/2 431 now carries %s: Go has changed; update docs/SECURITY.md", h)
			}
		}
	})
}

// Behind a trusted proxy each client is limited by its own address, from
// X-Forwarded-For; from any other peer the header changes nothing, so a
// client cannot slip its limit by naming another address.
func TestLimitsFollowTrustedProxies(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ok", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	for _, tc := range []struct {
		name    string
		trusted []netip.Prefix
		second  int // status for a request naming another client after the first is limited
	}{
		{"loopback is a trusted proxy", []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, http.StatusOK},
		{"no trusted proxy", nil, http.StatusTooManyRequests},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, tlsConf := serveWith(t, mux, server.Limits{PerAddress: 1, TrustedProxies: tc.trusted})
			client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConf}, Timeout: 10 * time.Second}
			get := func(forwarded string) int {
				req, _ := http.NewRequest("GET", "https://"+addr+"/ok", nil)
				req.Header.Set("X-Forwarded-For", forwarded)
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.StatusCode
			}
			limited := false
			for range 10 { // a burst of two, then refusals
				if get("198.51.100.1") == http.StatusTooManyRequests {
					limited = true
					break
				}
			}
			if !limited {
				t.Fatal("the first client was never limited")
			}
			if got := get("198.51.100.2"); got != tc.second {
				t.Errorf("another client after the first was limited: %d, want %d", got, tc.second)
			}
		})
	}
}

// TestBlockedNetworks: requests from a blocked network are refused with
// the block's end, and recorded; once the block is lifted they pass.
func TestBlockedNetworks(t *testing.T) {
	env := testkit.NewEnv(t, testkit.NewSQLite(t), service.Options{})
	ctx := context.Background()
	if _, err := env.Service.Roles.BlockNetwork(ctx, authz.System(), "127.0.0.0/8", time.Hour, "test"); err != nil {
		t.Fatal(err)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	addr, cfg := serveOn(t, env, ok, server.Limits{Blocks: env.Service.Roles, BlocksEvery: 50 * time.Millisecond})
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
	get := func() (int, string) {
		resp, err := client.Get("https://" + addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get(); code != http.StatusForbidden || !strings.Contains(body, "blocked until") {
		t.Fatalf("from a blocked network: %d %s", code, body)
	}
	page, err := env.Service.AuditLog.Events(ctx, authz.System(), governance.AuditQuery{ObjectType: "route", Limit: 10})
	if err != nil || len(page.Events) == 0 || page.Events[0].Action != "security.blocked" {
		t.Fatalf("the refusal was not recorded: %+v %v", page.Events, err)
	}
	if err := env.Service.Roles.UnblockNetwork(ctx, authz.System(), "127.0.0.0/8"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if code, body := get(); code != http.StatusOK {
		t.Fatalf("after the block was lifted: %d %s", code, body)
	}
}
