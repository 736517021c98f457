// Package oauth is Strongroom's OAuth 2.0 authorisation server for partner
// systems, built on zitadel's op (github.com/zitadel/oidc/v3/pkg/op): the
// protocol glue only. It implements op.Storage over service/clients, which
// decides and audits everything, and mounts the endpoints under /oauth/
// and the discovery document at /.well-known/openid-configuration:
// client credentials and the authorisation code with PKCE (S256 only) for
// apps acting for a user, who approves them on the web layer's consent
// page; client_secret_basic and private_key_jwt (an assertion's jti is
// spent once); revocation (RFC 7009) and introspection (RFC 7662). Access
// tokens are opaque (a random id sealed with a key derived from the master
// key; only the id's hash is stored), so every server on one database
// serves and checks them alike.
package oauth

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/clients"
)

// The paths of the endpoints.
const (
	AuthorizePath  = "/oauth/authorize"
	TokenPath      = "/oauth/token"
	RevokePath     = "/oauth/revoke"
	IntrospectPath = "/oauth/introspect"
	// ConsentPath is the web layer's consent page; it sends an approval
	// on to CallbackPath with the request id.
	ConsentPath  = "/oauth/consent"
	CallbackPath = AuthorizePath + "/callback"
)

// maxForm bounds a request's body: the protocol's forms are small.
const maxForm = 64 << 10

// Server is the authorisation server.
type Server struct {
	op      *op.Provider
	storage *storage
	log     *slog.Logger
}

// New returns the authorisation server for issuer (the public https URL,
// without a trailing slash) over the clients service.
func New(issuer string, svc *clients.Clients, log *slog.Logger) (*Server, error) {
	st := newStorage(svc, ConsentPath)
	s := &Server{storage: st, log: log}
	cfg := &op.Config{CodeMethodS256: true, AuthMethodPrivateKeyJWT: true, SupportedScopes: []string{oidc.ScopeOpenID, ScopeAPI}}
	p, err := op.NewProvider(cfg, st, op.StaticIssuer(strings.TrimSuffix(issuer, "/")),
		op.WithCrypto(svc.Crypto()),
		op.WithCustomEndpoints(op.NewEndpoint(AuthorizePath), op.NewEndpoint(TokenPath), op.NewEndpoint("/oauth/userinfo"),
			op.NewEndpoint(RevokePath), op.NewEndpoint("/oauth/end_session"), op.NewEndpoint("/oauth/keys")),
		op.WithCustomIntrospectionEndpoint(op.NewEndpoint(IntrospectPath)),
		op.WithHttpInterceptors(s.intercept),
		op.WithLogger(log))
	if err != nil {
		return nil, err
	}
	s.op = p
	return s, nil
}

// Mux is where routes are registered; *http.ServeMux is one.
type Mux interface {
	Handle(pattern string, handler http.Handler)
}

// Routes mounts the server. The consent page (ConsentPath) is the web
// layer's, registered there with a more specific pattern.
func (s *Server) Routes(mux Mux) {
	mux.Handle("/oauth/", s.op)
	mux.Handle("GET /.well-known/openid-configuration", s.op)
}

// intercept carries the caller's address to the storage (address rules,
// the audit log) and, for a client that authenticates with a JWT
// assertion (private_key_jwt), verifies it with zitadel's verifier, spends
// its jti (a replay is refused) and admits the client (status, networks,
// rate) before the endpoint runs.
func (s *Server) intercept(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip := httpx.ClientOf(r).IP
		hit := new(limited)
		ctx := context.WithValue(context.WithValue(r.Context(), ipKey, ip), limitKey, hit)
		r = r.WithContext(ctx)
		w = &limitWriter{ResponseWriter: w, hit: hit}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		}
		if r.Method == http.MethodPost && r.ParseForm() == nil && r.PostForm.Get("client_assertion") != "" {
			id, err := s.assertion(ctx, r.PostForm.Get("client_assertion"), ip)
			if err != nil {
				op.RequestError(w, r, err, s.log)
				return
			}
			r = r.WithContext(context.WithValue(ctx, assertedKey, id))
			r.Form.Set("client_id", id)
			r.PostForm.Set("client_id", id)
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) assertion(ctx context.Context, assertion, ip string) (string, error) {
	v := op.NewJWTProfileVerifier(s.storage, op.IssuerFromContext(ctx), time.Hour, time.Second)
	req, err := op.VerifyJWTAssertion(ctx, assertion, v)
	if err != nil {
		return "", oidc.ErrInvalidClient().WithDescription("the client assertion is not valid").WithParent(err)
	}
	if err := s.storage.svc.UseAssertion(ctx, req.Issuer, req.JWTID, req.ExpiresAt.AsTime(), ip); err != nil {
		return "", oidcError(err)
	}
	if _, err := s.storage.svc.Admit(ctx, req.Issuer, "", true, ip); err != nil {
		return "", refused(ctx, err)
	}
	return req.Issuer, nil
}

// limited is set when a client was refused for its rate during a request.
type limited struct{ wait time.Duration }

// refused is oidcError for a refused admission; a refusal for the rate is
// noted, so that the answer is 429 with Retry-After (limitWriter).
func refused(ctx context.Context, err error) error {
	var e *errs.Error
	if hit, ok := ctx.Value(limitKey).(*limited); ok && errs.Is(err, errs.TooMany) && errors.As(err, &e) {
		hit.wait = max(e.RetryAfter, time.Second)
	}
	return oidcError(err)
}

// limitWriter answers 429 with Retry-After, instead of zitadel's 400 or 401
// invalid_client, when the client was refused for its rate.
type limitWriter struct {
	http.ResponseWriter
	hit *limited
}

func (w *limitWriter) WriteHeader(code int) {
	if w.hit.wait > 0 && code >= 400 && code < 500 {
		w.Header().Set("Retry-After", strconv.Itoa(int(w.hit.wait.Seconds()+0.999)))
		code = http.StatusTooManyRequests
	}
	w.ResponseWriter.WriteHeader(code)
}
