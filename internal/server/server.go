// Package server runs Strongroom's HTTPS server: TLS settings, timeouts,
// the middleware chain and graceful shutdown.
package server

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"sync/atomic"
	"time"

	"strongroom.dev/strongroom/internal/authn"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/core"
)

// TLSConfig is Strongroom's TLS policy: 1.2 at least (1.3 preferred by Go
// when both ends have it), forward-secret AEAD suites only for 1.2.
func TLSConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305,
			tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305,
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		},
	}
}

// Server is an HTTPS server.
type Server struct {
	srv *http.Server
	log *slog.Logger
}

// Recorder keeps requests the middleware refuses (cross-origin, over the
// per-address rate) as security events; *service.Service is one. It must
// stay cheap for repeated refusals from one address.
type Recorder interface {
	RecordRefusal(ctx context.Context, r core.Refusal) error
}

// Limits are the server's request limits and whom it trusts to name the
// client.
type Limits struct {
	// PerAddress is the steady requests per second each client address may
	// send (bursts of twice that); 0 means no limit.
	PerAddress int
	// TrustedProxies name the reverse proxies whose X-Forwarded-For gives
	// the client's address (httpx.TrustProxies); none: the peer is the
	// client.
	TrustedProxies []netip.Prefix
	// Blocks, if set, says which networks are blocked now; their requests
	// are refused (403). The server asks again every few seconds.
	Blocks BlockSource
	// BlocksEvery is how often Blocks is asked again; default 5 seconds.
	BlocksEvery time.Duration
}

// BlockSource lists the networks blocked now, with each block's end.
type BlockSource interface {
	ActiveBlocks(ctx context.Context) (map[netip.Prefix]time.Time, error)
}

// New wraps h in the middleware chain and returns a server for it.
// Refusals by the middleware are recorded with rec.
func New(h http.Handler, cert tls.Certificate, log *slog.Logger, rec Recorder, lim Limits) *Server {
	refuse := refuser(h, log, rec)
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		const msg = "cross-origin request refused: send state-changing requests from Strongroom's own pages or a non-browser client"
		refuse(r, core.RefusedCrossOrigin, msg)
		httpx.WriteError(w, r, log, errs.E(errs.Permission, msg))
	}))
	chain := httpx.TrustProxies(lim.TrustedProxies, recoverer(log, requestID(logRequests(log, httpx.SecurityHeaders(refuseBlocked(log, refuse, lim.Blocks, lim.BlocksEvery, limitPerClient(log, refuse, lim.PerAddress, cop.Handler(h))))))))
	return &Server{
		log: log,
		srv: &http.Server{
			Handler:           chain,
			TLSConfig:         TLSConfig(cert),
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      60 * time.Second,
			IdleTimeout:       120 * time.Second,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
			// "OPTIONS *" goes through the chain (and so gets the security
			// headers) instead of Go's own answer, written without them.
			// Go writes a few answers before any handler that cannot be
			// changed; docs/SECURITY.md (Transport) lists them.
			DisableGeneralOptionsHandler: true,
		},
	}
}

// Serve accepts TLS connections on ln until ctx ends, then shuts down
// gracefully. A plain-HTTP request on the port is answered by Go's TLS
// server with 400 and no content, never served.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- s.srv.ServeTLS(ln, "", "") }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(shutCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func recoverer(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.LogAttrs(r.Context(), slog.LevelError, "panic", slog.String("request_id", httpx.RequestID(r.Context())),
					slog.String("route", r.Pattern), slog.String("error", fmt.Sprint(v)), slog.String("stack", string(debug.Stack())))
				httpx.WriteError(w, r, log, errs.E(errs.Internal, ""))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [8]byte
		rand.Read(b[:])
		id := hex.EncodeToString(b[:])
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(httpx.WithRequestID(r.Context(), id)))
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests logs one line per request: the route pattern, never the URL,
// so that query values (which may be personal data) stay out of logs.
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("request_id", httpx.RequestID(r.Context())),
			slog.String("method", r.Method),
			slog.String("route", r.Pattern),
			slog.Int("status", sw.status),
			slog.Duration("duration", time.Since(start)))
	})
}

// refuseFunc records a request the middleware refused.
type refuseFunc func(r *http.Request, action, reason string)

// refuser records refusals with rec, naming the route h would have
// served (the pattern, never the URL, whose query may hold personal
// data). Whether the event could be written does not change the answer.
func refuser(h http.Handler, log *slog.Logger, rec Recorder) refuseFunc {
	router, _ := h.(interface {
		Handler(*http.Request) (http.Handler, string)
	})
	return func(r *http.Request, action, reason string) {
		ip := httpx.ClientOf(r).IP
		route := r.Pattern
		if route == "" && router != nil {
			_, route = router.Handler(r)
		}
		if err := rec.RecordRefusal(r.Context(), core.Refusal{Actor: authz.Actor{IP: ip}, Action: action, Route: route, Reason: reason}); err != nil {
			log.LogAttrs(r.Context(), slog.LevelWarn, "refusal not recorded", slog.String("request_id", httpx.RequestID(r.Context())),
				slog.String("client_ip", ip), slog.String("error", err.Error()))
		}
	}
}

// limitPerClient bounds each client address to a steady request rate with
// bursts, so one client cannot take the server from everyone else. A
// refusal is recorded (at most once per address a minute; see
// service.RecordRefusal). perSecond 0 means no limit.
func limitPerClient(log *slog.Logger, refuse refuseFunc, perSecond int, next http.Handler) http.Handler {
	if perSecond == 0 {
		return next
	}
	clients := authn.NewLimiter(perSecond)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !clients.Allow(httpx.ClientOf(r).IP, time.Now()) {
			const msg = "too many requests from this address; slow down"
			refuse(r, core.RefusedRateLimit, msg)
			e := errs.E(errs.TooMany, msg)
			e.RetryAfter = time.Second
			httpx.WriteError(w, r, log, e)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// refuseBlocked refuses requests from blocked networks (403), recorded as
// security.blocked (at most once per address a minute). The list is read
// again at most every `every` (default 5 s), by one request while the
// others use the list in hand; if it cannot be read, the last one stays.
func refuseBlocked(log *slog.Logger, refuse refuseFunc, src BlockSource, every time.Duration, next http.Handler) http.Handler {
	if src == nil {
		return next
	}
	if every <= 0 {
		every = 5 * time.Second
	}
	// The list in hand and when it was read; a request only loads them.
	// The request that finds the list stale (and wins the flag) reads it
	// again; the others go on with the one in hand.
	type list struct {
		blocks map[netip.Prefix]time.Time
		loaded time.Time
	}
	var held atomic.Pointer[list]
	held.Store(&list{})
	var loading atomic.Bool
	current := func(ctx context.Context, now time.Time) map[netip.Prefix]time.Time {
		l := held.Load()
		if now.Sub(l.loaded) < every || !loading.CompareAndSwap(false, true) {
			return l.blocks
		}
		defer loading.Store(false)
		var fresh map[netip.Prefix]time.Time
		var err error
		func() {
			defer func() {
				if p := recover(); p != nil {
					err = fmt.Errorf("panic: %v", p)
				}
			}()
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			fresh, err = src.ActiveBlocks(rctx)
		}()
		if err != nil { // the next try waits its turn too
			log.Warn("reading the blocked networks failed; keeping the last list", slog.String("error", err.Error()))
			fresh = l.blocks
		}
		held.Store(&list{blocks: fresh, loaded: now})
		return fresh
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		if blocks := current(r.Context(), now); len(blocks) > 0 {
			if ip, err := netip.ParseAddr(httpx.ClientOf(r).IP); err == nil {
				for p, until := range blocks {
					if now.Before(until) && p.Contains(ip.Unmap()) {
						msg := "requests from this network are blocked until " + until.UTC().Format(time.RFC3339)
						refuse(r, core.RefusedBlocked, msg)
						httpx.WriteError(w, r, log, errs.E(errs.Permission, msg))
						return
					}
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}
