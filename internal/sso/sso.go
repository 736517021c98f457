// Package sso is Strongroom's side of single sign-on with the company's
// OpenID Connect provider: a relying party (zitadel/oidc's rp) using the
// authorisation code flow with PKCE (S256), a nonce and a state, whose ID
// tokens are verified against the issuer's published keys (JWKS), issuer,
// audience, expiry and nonce. It turns a verified ID token into an
// identity.SSOIdentity; who that identity may be here is decided by
// identity.Sessions.LoginSSO. It speaks HTTP as a client only.
package sso

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/pkg/client/rp"
	"github.com/zitadel/oidc/v3/pkg/oidc"

	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/identity"
)

// Config is how to reach and trust the provider.
type Config struct {
	Issuer       string // the provider's issuer URL, https
	ClientID     string
	ClientSecret string // from STRONGROOM_OIDC_CLIENT_SECRET, never a flag
	RedirectURL  string // this server's /login/sso/callback
	// GroupsClaim names the ID token claim that lists the user's groups
	// (default "groups").
	GroupsClaim string
	// MFAValues are the acr values, or amr entries, that show the provider
	// asked for two-step login (default: the amr value "mfa", RFC 8176).
	MFAValues []string
	// CAFile is a PEM bundle of extra roots for a provider under a private
	// CA ("" for the system's roots only).
	CAFile string
}

// Provider is the relying party. Discovery runs at the first login (and
// again after a failure), so serve starts while the provider is down.
type Provider struct {
	cfg    Config
	client *http.Client
	mu     sync.Mutex
	rp     rp.RelyingParty
}

// New checks cfg and returns its Provider.
func New(cfg Config) (*Provider, error) {
	u, err := url.Parse(cfg.Issuer)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, errors.New("sso: --oidc-issuer must be an https URL")
	}
	if cfg.ClientID == "" {
		return nil, errors.New("sso: --oidc-client-id is required with --oidc-issuer")
	}
	if cfg.ClientSecret == "" {
		return nil, errors.New("sso: STRONGROOM_OIDC_CLIENT_SECRET is required with --oidc-issuer")
	}
	if cfg.GroupsClaim == "" {
		cfg.GroupsClaim = "groups"
	}
	if len(cfg.MFAValues) == 0 {
		cfg.MFAValues = []string{"mfa"}
	}
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool()
	}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("sso: --oidc-ca: %w", err)
		}
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("sso: --oidc-ca %s holds no PEM certificate", cfg.CAFile)
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	return &Provider{cfg: cfg, client: &http.Client{Transport: tr, Timeout: 15 * time.Second,
		// The token and key endpoints answer directly; a redirect there is
		// not followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}, nil
}

// Issuer is the provider's issuer URL.
func (p *Provider) Issuer() string { return p.cfg.Issuer }

type nonceKey struct{}

// party returns the relying party, running discovery when it has not run.
func (p *Provider) party(ctx context.Context) (rp.RelyingParty, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rp != nil {
		return p.rp, nil
	}
	r, err := rp.NewRelyingPartyOIDC(ctx, p.cfg.Issuer, p.cfg.ClientID, p.cfg.ClientSecret, p.cfg.RedirectURL,
		[]string{oidc.ScopeOpenID, oidc.ScopeEmail, oidc.ScopeProfile},
		rp.WithHTTPClient(p.client),
		rp.WithVerifierOpts(
			rp.WithNonce(func(ctx context.Context) string { n, _ := ctx.Value(nonceKey{}).(string); return n }),
			rp.WithIssuedAtOffset(5*time.Second),
		),
	)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, "sso.discover", "the single sign-on provider cannot be reached", err)
	}
	p.rp = r
	return r, nil
}

// AuthURL is where to send the browser: the provider's authorisation
// endpoint with state, nonce and the S256 challenge of verifier. again
// asks the provider to sign the user in again, whatever session it has
// (prompt=login, max_age=0): a step-up.
func (p *Provider) AuthURL(ctx context.Context, state, nonce, verifier string, again bool) (string, error) {
	r, err := p.party(ctx)
	if err != nil {
		return "", err
	}
	opts := []rp.AuthURLOpt{rp.WithCodeChallenge(oidc.NewSHACodeChallenge(verifier)), rp.AuthURLOpt(rp.WithURLParam("nonce", nonce))}
	if again {
		opts = append(opts, rp.WithPrompt(oidc.PromptLogin), rp.AuthURLOpt(rp.WithURLParam("max_age", "0")))
	}
	return rp.AuthURL(state, r, opts...), nil
}

// Exchange redeems code at the token endpoint with the PKCE verifier and
// verifies the ID token (signature by the issuer's keys, issuer,
// audience, expiry, issued-at, the nonce this login sent). Any failure is
// Unauthenticated; the cause stays in the error for the log.
func (p *Provider) Exchange(ctx context.Context, code, verifier, nonce string) (identity.SSOIdentity, error) {
	r, err := p.party(ctx)
	if err != nil {
		return identity.SSOIdentity{}, err
	}
	tokens, err := rp.CodeExchange[*oidc.IDTokenClaims](context.WithValue(ctx, nonceKey{}, nonce), code, r, rp.WithCodeVerifier(verifier))
	if err != nil {
		return identity.SSOIdentity{}, errs.Wrap(errs.Unauthenticated, "sso.Exchange", "the single sign-on provider's answer was refused", err)
	}
	return p.identityOf(tokens.IDTokenClaims), nil
}

// identityOf reads what LoginSSO needs from verified claims.
func (p *Provider) identityOf(c *oidc.IDTokenClaims) identity.SSOIdentity {
	id := identity.SSOIdentity{
		Issuer:        c.Issuer,
		Subject:       c.Subject,
		Email:         c.Email,
		EmailVerified: bool(c.EmailVerified),
		AuthTime:      c.AuthTime.AsTime(),
	}
	switch g := c.Claims[p.cfg.GroupsClaim].(type) {
	case []any:
		for _, v := range g {
			if s, ok := v.(string); ok {
				id.Groups = append(id.Groups, s)
			}
		}
	case string: // some providers send one group, or a space-separated list
		id.Groups = strings.Fields(g)
	}
	id.MFA = slices.Contains(p.cfg.MFAValues, c.AuthenticationContextClassReference) ||
		slices.ContainsFunc(c.AuthenticationMethodsReferences, func(m string) bool { return slices.Contains(p.cfg.MFAValues, m) })
	return id
}
