// Package oidctest starts a real OpenID Connect provider for tests:
// zitadel/oidc's pkg/op over an in-memory storage written here, served on
// loopback TLS. Single sign-on tests log in at it through the real
// protocol (discovery, authorisation code with PKCE S256, token endpoint,
// JWKS), never a mock of it. Its login page logs in, at once and without
// a form, the user the test chose with LoginAs.
package oidctest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"encoding/pem"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// User is who logs in at the provider, and what its ID token says.
type User struct {
	Subject       string
	Email         string
	EmailVerified bool
	Groups        []string
	AMR           []string // authentication methods, e.g. "pwd", "otp", "mfa"
	ACR           string
	// Claims are put into the ID token over the ones the provider set,
	// and the token signed again with the provider's real key: a test's
	// forgery, such as another "iss" or a wrong "nonce".
	Claims map[string]any
}

// Provider is a running provider with one confidential client.
type Provider struct {
	Issuer       string // https://127.0.0.1:port
	ClientID     string
	ClientSecret string
	CAFile       string // PEM of the TLS certificate, for --oidc-ca
	srv          *httptest.Server
	st           *storage
}

// Start starts a provider on loopback TLS; t's cleanup stops it.
func Start(t testing.TB) *Provider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	st := &storage{key: key, kid: rand.Text(), requests: map[string]*authRequest{}, codes: map[string]string{},
		client: &client{id: "strongroom", secret: rand.Text()}}
	mux := http.NewServeMux()
	srv := httptest.NewUnstartedServer(mux)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	var cryptoKey [32]byte
	if _, err := rand.Read(cryptoKey[:]); err != nil {
		t.Fatal(err)
	}
	provider, err := op.NewOpenIDProvider(srv.URL, &op.Config{CryptoKey: cryptoKey, CodeMethodS256: true, AuthMethodPost: true}, st)
	if err != nil {
		t.Fatal(err)
	}
	callback := op.AuthCallbackURL(provider)
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("authRequestID")
		if err := st.complete(id); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, callback(op.ContextWithIssuer(r.Context(), srv.URL), id), http.StatusFound)
	})
	mux.Handle("/oauth/token", st.forge(provider))
	mux.Handle("/", provider)
	caFile := filepath.Join(t.TempDir(), "oidc-ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &Provider{Issuer: srv.URL, ClientID: st.client.id, ClientSecret: st.client.secret, CAFile: caFile, srv: srv, st: st}
}

// AllowRedirect registers the relying party's callback URL.
func (p *Provider) AllowRedirect(uri string) {
	p.st.mu.Lock()
	defer p.st.mu.Unlock()
	p.st.client.redirects = append(p.st.client.redirects, uri)
}

// LoginAs makes u the user who logs in at the next authorisation requests.
func (p *Provider) LoginAs(u User) {
	p.st.mu.Lock()
	defer p.st.mu.Unlock()
	p.st.user = u
}

// Requests returns the authorisation requests the provider received, for
// checking what the relying party sent (PKCE method, nonce).
func (p *Provider) Requests() []oidc.AuthRequest {
	p.st.mu.Lock()
	defer p.st.mu.Unlock()
	return slices.Clone(p.st.seen)
}

// Client returns an HTTP client that trusts the provider's certificate.
func (p *Provider) Client() *http.Client { return p.srv.Client() }

// storage is op.Storage in memory.
type storage struct {
	mu       sync.Mutex
	key      *rsa.PrivateKey
	kid      string
	client   *client
	user     User
	requests map[string]*authRequest
	codes    map[string]string // code -> request id
	seen     []oidc.AuthRequest
}

var errNotFound = errors.New("oidctest: not found")

func (s *storage) CreateAuthRequest(_ context.Context, r *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, *r)
	// The relying party must use PKCE with S256; a provider that requires
	// it is what a careful company runs.
	if r.CodeChallengeMethod != oidc.CodeChallengeMethodS256 || r.CodeChallenge == "" {
		return nil, oidc.ErrInvalidRequest().WithDescription("PKCE with S256 is required")
	}
	a := &authRequest{id: rand.Text(), req: *r, created: time.Now()}
	s.requests[a.id] = a
	return a, nil
}

// complete logs the chosen user in for request id.
func (s *storage) complete(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.requests[id]
	if !ok {
		return errNotFound
	}
	a.user, a.done, a.authTime = s.user, true, time.Now()
	return nil
}

func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.requests[id]; ok {
		return a, nil
	}
	return nil, errNotFound
}

func (s *storage) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.requests[s.codes[code]]; ok {
		return a, nil
	}
	return nil, errNotFound
}

func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = id
	return nil
}

// DeleteAuthRequest makes a code single-use.
func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.requests, id)
	for c, r := range s.codes {
		if r == id {
			delete(s.codes, c)
		}
	}
	return nil
}

func (s *storage) CreateAccessToken(context.Context, op.TokenRequest) (string, time.Time, error) {
	return rand.Text(), time.Now().Add(5 * time.Minute), nil
}

func (s *storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errors.New("oidctest: no refresh tokens")
}

func (s *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, op.ErrInvalidRefreshToken
}

func (s *storage) TerminateSession(context.Context, string, string) error { return nil }

func (s *storage) RevokeToken(context.Context, string, string, string) *oidc.Error { return nil }

func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

type signingKey struct {
	kid string
	key *rsa.PrivateKey
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.kid }

type publicKey struct{ signingKey }

func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return &k.key.PublicKey }

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) {
	return signingKey{s.kid, s.key}, nil
}

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{signingKey{s.kid, s.key}}}, nil
}

func (s *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	if id != s.client.id {
		return nil, errNotFound
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := *s.client
	c.redirects = slices.Clone(c.redirects)
	return &c, nil
}

func (s *storage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	if id != s.client.id || secret != s.client.secret {
		return oidc.ErrInvalidClient()
	}
	return nil
}

// userBySubject finds the user of a completed request.
func (s *storage) userBySubject(subject string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.requests {
		if a.done && a.user.Subject == subject {
			return a.user, true
		}
	}
	if s.user.Subject == subject {
		return s.user, true
	}
	return User{}, false
}

func (s *storage) SetUserinfoFromScopes(_ context.Context, info *oidc.UserInfo, userID, _ string, scopes []string) error {
	u, ok := s.userBySubject(userID)
	if !ok {
		return errNotFound
	}
	info.Subject = u.Subject
	if slices.Contains(scopes, oidc.ScopeEmail) {
		info.Email, info.EmailVerified = u.Email, oidc.Bool(u.EmailVerified)
	}
	if u.Groups != nil {
		info.AppendClaims("groups", u.Groups)
	}
	return nil
}

func (s *storage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, _, subject, _ string) error {
	return s.SetUserinfoFromScopes(ctx, info, subject, "", []string{oidc.ScopeEmail})
}

func (s *storage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errNotFound
}

func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errNotFound
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errNotFound
}

func (s *storage) Health(context.Context) error { return nil }

// authRequest is op.AuthRequest.
type authRequest struct {
	id       string
	req      oidc.AuthRequest
	created  time.Time
	user     User
	done     bool
	authTime time.Time
}

func (a *authRequest) GetID() string                      { return a.id }
func (a *authRequest) GetACR() string                     { return a.user.ACR }
func (a *authRequest) GetAMR() []string                   { return a.user.AMR }
func (a *authRequest) GetAudience() []string              { return []string{a.req.ClientID} }
func (a *authRequest) GetAuthTime() time.Time             { return a.authTime }
func (a *authRequest) GetClientID() string                { return a.req.ClientID }
func (a *authRequest) GetNonce() string                   { return a.req.Nonce }
func (a *authRequest) GetRedirectURI() string             { return a.req.RedirectURI }
func (a *authRequest) GetScopes() []string                { return a.req.Scopes }
func (a *authRequest) GetState() string                   { return a.req.State }
func (a *authRequest) GetSubject() string                 { return a.user.Subject }
func (a *authRequest) Done() bool                         { return a.done }
func (a *authRequest) GetResponseType() oidc.ResponseType { return a.req.ResponseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode { return a.req.ResponseMode }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	return &oidc.CodeChallenge{Challenge: a.req.CodeChallenge, Method: a.req.CodeChallengeMethod}
}

// client is the one confidential web client.
type client struct {
	id, secret string
	redirects  []string
}

func (c *client) GetID() string                       { return c.id }
func (c *client) RedirectURIs() []string              { return c.redirects }
func (c *client) PostLogoutRedirectURIs() []string    { return nil }
func (c *client) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c *client) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodBasic }
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) GrantTypes() []oidc.GrantType        { return []oidc.GrantType{oidc.GrantTypeCode} }
func (c *client) LoginURL(id string) string           { return "/login?authRequestID=" + id }
func (c *client) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeBearer }
func (c *client) IDTokenLifetime() time.Duration      { return 5 * time.Minute }
func (c *client) DevMode() bool                       { return false }
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) IsScopeAllowed(string) bool           { return false }
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *client) ClockSkew() time.Duration             { return 0 }

// Authorize follows authURL through the provider as a browser would (the
// provider logs in the LoginAs user) up to the redirect back to the relying
// party, and returns that redirect's URL without fetching it.
func (p *Provider) Authorize(t testing.TB, authURL string) *url.URL {
	t.Helper()
	c := p.Client()
	c.Jar = nil
	var back *url.URL
	c.CheckRedirect = func(r *http.Request, _ []*http.Request) error {
		if r.URL.Host != p.srv.Listener.Addr().String() {
			back = r.URL
			return http.ErrUseLastResponse
		}
		return nil
	}
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if back == nil {
		t.Fatalf("the provider answered %s without sending the browser back", resp.Status)
	}
	return back
}

// forge wraps the token endpoint: when the user has Claims, the ID token
// it answers is rewritten with them and signed again with the real key.
func (s *storage) forge(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		claims := s.user.Claims
		s.mu.Unlock()
		if len(claims) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var body map[string]any
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &body) != nil {
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
			return
		}
		idToken, _ := body["id_token"].(string)
		jws, err := jose.ParseSigned(idToken, []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		var payload map[string]any
		if err := json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &payload); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		maps.Copy(payload, claims)
		raw, _ := json.Marshal(payload)
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: s.key, KeyID: s.kid}}, (&jose.SignerOptions{}).WithType("JWT"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		signed, err := signer.Sign(raw)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if body["id_token"], err = signed.CompactSerialize(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(body)
	})
}
