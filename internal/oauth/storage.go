package oauth

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/clients"
)

// ScopeAPI is the one scope a client asks for: acting on /api/v1 with its
// role's grants (for the code flow, within the approving user's).
const ScopeAPI = "api"

// storage is zitadel's op.Storage over the clients service: every
// decision and every write is the service's, audited there.
type storage struct {
	svc     *clients.Clients
	signing ed25519.PrivateKey
	keyID   string
	consent string // the consent page's path; the request id is appended
}

var (
	_ op.Storage                  = (*storage)(nil)
	_ op.ClientCredentialsStorage = (*storage)(nil)
)

func newStorage(svc *clients.Clients, consent string) *storage {
	key := ed25519.NewKeyFromSeed(svc.SigningSeed())
	sum := sha256.Sum256(key.Public().(ed25519.PublicKey))
	return &storage{svc: svc, signing: key, keyID: hex.EncodeToString(sum[:8]), consent: consent}
}

type ctxKey int

const (
	ipKey       ctxKey = iota // the caller's address
	assertedKey               // the client a verified, spent assertion proved (and Admit admitted)
	limitKey                  // *limited: set when the client is refused for its rate
)

func ipOf(ctx context.Context) string { s, _ := ctx.Value(ipKey).(string); return s }

func assertedOf(ctx context.Context) string { s, _ := ctx.Value(assertedKey).(string); return s }

// oidcError answers a service error in the protocol's terms.
func oidcError(err error) error {
	if err == nil {
		return nil
	}
	msg, _ := errs.Public(err)
	switch {
	case errs.Is(err, errs.Unauthenticated), errs.Is(err, errs.Permission), errs.Is(err, errs.TooMany):
		return oidc.ErrInvalidClient().WithDescription("%s", msg)
	case errs.Is(err, errs.NotExist):
		return oidc.ErrInvalidGrant().WithDescription("%s", msg)
	case errs.Is(err, errs.Invalid):
		return oidc.ErrInvalidRequest().WithDescription("%s", msg)
	}
	return oidc.ErrServerError().WithParent(err)
}

// client is a registered client as zitadel sees it.
type client struct {
	c       clients.Client
	consent string
}

func (c *client) GetID() string                    { return c.c.ID }
func (c *client) RedirectURIs() []string           { return c.c.RedirectURIs }
func (c *client) PostLogoutRedirectURIs() []string { return nil }
func (c *client) ApplicationType() op.ApplicationType {
	return op.ApplicationTypeWeb
}
func (c *client) AuthMethod() oidc.AuthMethod {
	if c.c.AuthMethod == clients.MethodJWT {
		return oidc.AuthMethodPrivateKeyJWT
	}
	return oidc.AuthMethodBasic
}
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) GrantTypes() []oidc.GrantType {
	g := []oidc.GrantType{oidc.GrantTypeClientCredentials}
	if len(c.c.RedirectURIs) > 0 {
		g = append(g, oidc.GrantTypeCode)
	}
	return g
}
func (c *client) LoginURL(id string) string            { return c.consent + "/" + url.PathEscape(id) }
func (c *client) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeBearer }
func (c *client) IDTokenLifetime() time.Duration       { return 5 * time.Minute }
func (c *client) DevMode() bool                        { return false }
func (c *client) IsScopeAllowed(scope string) bool     { return scope == ScopeAPI }
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return false }
func (c *client) ClockSkew() time.Duration             { return 0 }
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// authRequest is an authorisation request of the code flow.
type authRequest struct {
	ID            string              `json:"-"`
	ClientID      string              `json:"client_id"`
	RedirectURI   string              `json:"redirect_uri"`
	State         string              `json:"state"`
	Nonce         string              `json:"nonce"`
	Scopes        []string            `json:"scopes"`
	ResponseMode  oidc.ResponseMode   `json:"response_mode"`
	CodeChallenge *oidc.CodeChallenge `json:"code_challenge"`
	UserID        string              `json:"-"`
	AuthTime      time.Time           `json:"-"`
}

func (a *authRequest) GetID() string                         { return a.ID }
func (a *authRequest) GetACR() string                        { return "" }
func (a *authRequest) GetAMR() []string                      { return nil }
func (a *authRequest) GetAudience() []string                 { return []string{a.ClientID} }
func (a *authRequest) GetAuthTime() time.Time                { return a.AuthTime }
func (a *authRequest) GetClientID() string                   { return a.ClientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge { return a.CodeChallenge }
func (a *authRequest) GetNonce() string                      { return a.Nonce }
func (a *authRequest) GetRedirectURI() string                { return a.RedirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType    { return oidc.ResponseTypeCode }
func (a *authRequest) GetResponseMode() oidc.ResponseMode    { return a.ResponseMode }
func (a *authRequest) GetScopes() []string                   { return a.Scopes }
func (a *authRequest) GetState() string                      { return a.State }
func (a *authRequest) GetSubject() string                    { return a.UserID }
func (a *authRequest) Done() bool                            { return a.UserID != "" }

func requestOf(r clients.Request) (*authRequest, error) {
	a := new(authRequest)
	if err := json.Unmarshal([]byte(r.Data), a); err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	a.ID, a.UserID = r.ID, r.UserID
	return a, nil
}

// ccRequest is a client acting for itself (client credentials).
type ccRequest struct {
	clientID string
	scopes   []string
}

func (r *ccRequest) GetSubject() string    { return r.clientID }
func (r *ccRequest) GetAudience() []string { return []string{r.clientID} }
func (r *ccRequest) GetScopes() []string   { return r.scopes }

func (s *storage) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	if req.CodeChallenge == "" || req.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
		return nil, oidc.ErrInvalidRequest().WithDescription("PKCE with code_challenge_method=S256 is required")
	}
	if req.ResponseType != oidc.ResponseTypeCode {
		return nil, oidc.ErrInvalidRequest().WithDescription("only the code flow is offered")
	}
	a := &authRequest{ClientID: req.ClientID, RedirectURI: req.RedirectURI, State: req.State, Nonce: req.Nonce, Scopes: req.Scopes,
		ResponseMode: req.ResponseMode, CodeChallenge: &oidc.CodeChallenge{Challenge: req.CodeChallenge, Method: req.CodeChallengeMethod}}
	data, err := json.Marshal(a)
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	id, err := s.svc.NewRequest(ctx, req.ClientID, string(data))
	if err != nil {
		return nil, oidcError(err)
	}
	a.ID = id
	return a, nil
}

func (s *storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	r, err := s.svc.RequestByID(ctx, id)
	if err != nil {
		return nil, oidcError(err)
	}
	return requestOf(r)
}

func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	r, err := s.svc.RequestByCode(ctx, code)
	if err != nil {
		return nil, oidcError(err)
	}
	return requestOf(r)
}

func (s *storage) SaveAuthCode(ctx context.Context, id, code string) error {
	return oidcError(s.svc.SaveCode(ctx, id, code))
}

func (s *storage) DeleteAuthRequest(ctx context.Context, id string) error {
	return oidcError(s.svc.DeleteRequest(ctx, id))
}

func (s *storage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	var clientID, userID string
	switch r := req.(type) {
	case *authRequest:
		clientID, userID = r.ClientID, r.UserID
		// The code is spent with this token: the request goes, once.
		if err := s.svc.Spend(ctx, r.ID); err != nil {
			return "", time.Time{}, oidcError(err)
		}
	case *ccRequest:
		clientID = r.clientID
	default:
		return "", time.Time{}, oidc.ErrUnsupportedGrantType()
	}
	id, exp, err := s.svc.IssueToken(ctx, clientID, userID, req.GetScopes(), ipOf(ctx))
	return id, exp, oidcError(err)
}

var errNoRefresh = oidc.ErrUnsupportedGrantType().WithDescription("refresh tokens are not issued: ask for a new access token")

func (s *storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errNoRefresh
}

func (s *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, errNoRefresh
}

func (s *storage) TerminateSession(context.Context, string, string) error { return nil }

func (s *storage) RevokeToken(ctx context.Context, tokenOrID, _ string, clientID string) *oidc.Error {
	if err := s.svc.Revoke(ctx, clientID, tokenOrID, ipOf(ctx)); err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	return nil
}

func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

type signingKey struct {
	id  string
	key ed25519.PrivateKey
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.EdDSA }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.id }

type publicKey struct {
	id  string
	key ed25519.PublicKey
}

func (k publicKey) ID() string                         { return k.id }
func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.EdDSA }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return k.key }

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) {
	return signingKey{s.keyID, s.signing}, nil
}

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.EdDSA}, nil
}

func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{s.keyID, s.signing.Public().(ed25519.PublicKey)}}, nil
}

func (s *storage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.svc.Lookup(ctx, id)
	if err != nil {
		return nil, oidc.ErrInvalidClient().WithDescription("unknown client")
	}
	if c.Status != clients.StatusActive {
		return nil, oidc.ErrInvalidClient().WithDescription("the client is suspended")
	}
	return &client{c: c, consent: s.consent}, nil
}

func (s *storage) AuthorizeClientIDSecret(ctx context.Context, id, secret string) error {
	if assertedOf(ctx) == id {
		return nil
	}
	_, err := s.svc.Admit(ctx, id, secret, false, ipOf(ctx))
	return refused(ctx, err)
}

func (s *storage) ClientCredentials(ctx context.Context, id, secret string) (op.Client, error) {
	var c clients.Client
	var err error
	if assertedOf(ctx) == id && id != "" {
		c, err = s.svc.Lookup(ctx, id)
	} else {
		c, err = s.svc.Admit(ctx, id, secret, false, ipOf(ctx))
	}
	if err != nil {
		return nil, refused(ctx, err)
	}
	return &client{c: c, consent: s.consent}, nil
}

func (s *storage) ClientCredentialsTokenRequest(_ context.Context, id string, scopes []string) (op.TokenRequest, error) {
	if len(scopes) == 0 {
		scopes = []string{ScopeAPI}
	}
	if slices.ContainsFunc(scopes, func(sc string) bool { return sc != ScopeAPI }) {
		return nil, oidc.ErrInvalidScope().WithDescription("the one scope is " + ScopeAPI)
	}
	return &ccRequest{clientID: id, scopes: scopes}, nil
}

func (s *storage) SetUserinfoFromScopes(_ context.Context, u *oidc.UserInfo, userID, _ string, _ []string) error {
	u.Subject = userID
	return nil
}

func (s *storage) SetUserinfoFromToken(ctx context.Context, u *oidc.UserInfo, tokenID, _, _ string) error {
	info, err := s.svc.Active(ctx, tokenID)
	if err != nil {
		return err
	}
	if !info.Active {
		return oidc.ErrAccessDenied().WithDescription("the access token is not active")
	}
	u.Subject = info.Subject
	return nil
}

func (s *storage) SetIntrospectionFromToken(ctx context.Context, resp *oidc.IntrospectionResponse, tokenID, _, clientID string) error {
	info, err := s.svc.Introspect(ctx, clientID, tokenID)
	if err != nil {
		return err
	}
	if !info.Active {
		return errors.New("inactive")
	}
	resp.Scope = info.Scopes
	resp.ClientID = info.ClientID
	resp.Subject = info.Subject
	resp.TokenType = oidc.BearerToken
	resp.Expiration = oidc.FromTime(info.Expires)
	resp.IssuedAt = oidc.FromTime(info.IssuedAt)
	return nil
}

func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *storage) GetKeyByIDAndClientID(ctx context.Context, keyID, clientID string) (*jose.JSONWebKey, error) {
	c, err := s.svc.Lookup(ctx, clientID)
	if err != nil || c.JWK == "" {
		return nil, errors.New("no key registered for this client")
	}
	var k jose.JSONWebKey
	if err := k.UnmarshalJSON([]byte(c.JWK)); err != nil || k.KeyID != keyID {
		return nil, errors.New("no such key for this client")
	}
	return &k, nil
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, oidc.ErrUnsupportedGrantType()
}

func (s *storage) Health(context.Context) error { return nil }
