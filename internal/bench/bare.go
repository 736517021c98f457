package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"strongroom.dev/strongroom/internal/server"
)

// bareBody is what the bare handler answers: about the size of a small
// customer.
var bareBody = []byte(`{"id":"cus_bare0000000000000000","name":"Bare Handler","email":"bare@example.com","phone":"+441234567890"}` + "\n")

// ServeBare serves a small JSON object over HTTPS on addr (a loopback
// address), with Strongroom's TLS settings and a certificate in tlsDir,
// until ctx ends or stdin closes (its parent went away). It does nothing
// else: no middleware, no database; the ceiling a server is compared with.
func ServeBare(ctx context.Context, addr, tlsDir string, stdin io.Reader, stdout io.Writer) error {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("bench: the bare handler serves only on a loopback address, like 127.0.0.1:0")
	}
	certFile, keyFile, err := server.EnsureSelfSigned(tlsDir)
	if err != nil {
		return err
	}
	cert, _, err := server.LoadCertificate(certFile, keyFile)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("bench: cannot listen on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write(bareBody)
		}),
		TLSConfig:         server.TLSConfig(cert),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		io.Copy(io.Discard, stdin)
		cancel()
	}()
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeTLS(ln, "", "") }()
	fmt.Fprintf(stdout, "bare handler listening on %s\n", ln.Addr())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	srv.Shutdown(shut)
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
