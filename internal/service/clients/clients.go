// Package clients is Strongroom's register of OAuth 2.0 clients of partner
// systems (payment, logistics) and the state of the authorisation server
// behind internal/oauth: clients with a role whose grants they act with,
// their secrets (kept hashed, shown once) or public keys (private_key_jwt),
// allowed networks, rate limits and token lifetimes; access tokens (opaque,
// kept under the hash of their id), authorisation requests of the code
// flow with the approving user, and used assertion ids. Administrators
// change the register; auditors read it. Every change, token issued,
// refused or revoked and consent given is audited.
package clients

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// The ways a client proves who it is at the token endpoint.
const (
	MethodSecret = "client_secret_basic" // a secret the server made, shown once, kept hashed
	MethodJWT    = "private_key_jwt"     // a JWT signed with the client's key; its public JWK is registered
)

// Statuses of a client.
const (
	StatusActive    = "active"
	StatusSuspended = "suspended"
)

// Defaults and bounds of a client's settings.
const (
	DefaultRate         = 600  // requests a minute
	DefaultTokenSeconds = 3600 // an access token's lifetime
	MaxTokenSeconds     = 24 * 3600
	SecretPrefix        = "src_"
)

// Clients is a domain service: the OAuth clients and the server's state.
type Clients struct {
	c *core.Core
	// tokens seals access tokens and codes (op.Crypto): derived from the
	// master key, so every server makes and reads the same.
	tokens TokenCrypto
}

// New returns the clients service over c.
func New(c *core.Core) *Clients {
	return &Clients{c: c, tokens: TokenCrypto{key: c.Keys.DeriveKey("oauth/tokens")}}
}

// Input is what an administrator registers of a client.
type Input struct {
	Name          string   `json:"name"`
	Role          string   `json:"role"`
	AuthMethod    string   `json:"auth_method"`   // client_secret_basic (default) or private_key_jwt
	JWK           string   `json:"jwk,omitempty"` // the public JWK, for private_key_jwt
	RedirectURIs  []string `json:"redirect_uris"` // for the code flow; none: client credentials only
	Networks      []string `json:"networks"`      // CIDRs it may call from; none: anywhere
	RatePerMinute int      `json:"rate_per_minute"`
	TokenSeconds  int      `json:"token_seconds"`
}

// Client is a registered client, with its use.
type Client struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	Role          string    `json:"role"`
	AuthMethod    string    `json:"auth_method"`
	RedirectURIs  []string  `json:"redirect_uris"`
	Networks      []string  `json:"networks"`
	RatePerMinute int       `json:"rate_per_minute"`
	TokenSeconds  int       `json:"token_seconds"`
	Status        string    `json:"status"`
	LastUsedAt    time.Time `json:"last_used_at"` // zero: never
	RequestCount  int64     `json:"request_count"`
	CreatedAt     time.Time `json:"created_at"`
	// Secret is the client secret, only in the answer to registering it.
	Secret string `json:"secret,omitempty"`
	// JWK is the client's registered public key (private_key_jwt).
	JWK string `json:"jwk,omitempty"`
}

func clientOf(r store.OAuthClientRow) Client {
	return Client{ID: r.ID, Name: r.Name, Role: r.Role, AuthMethod: r.AuthMethod, RedirectURIs: r.RedirectURIs, Networks: r.Networks,
		RatePerMinute: r.RatePerMinute, TokenSeconds: r.TokenSeconds, Status: r.Status, LastUsedAt: r.LastUsedAt, RequestCount: r.RequestCount,
		CreatedAt: r.CreatedAt, JWK: r.JWK}
}

func mayRead(a authz.Actor) error {
	return core.May(a, authz.ActionRead, authz.ObjectIntegration, "you may not read the OAuth clients")
}

func mayChange(a authz.Actor, act authz.Action) error {
	return core.May(a, act, authz.ObjectIntegration, "only administrators register, suspend and delete OAuth clients")
}

// clientStore is what the register reads and writes.
type clientStore interface {
	audit.Appender
	InsertOAuthClient(ctx context.Context, c store.OAuthClientRow) error
	SetOAuthClientStatus(ctx context.Context, id, status string, now time.Time) error
	DeleteOAuthClient(ctx context.Context, id string) error
	OAuthClientByID(ctx context.Context, id string) (store.OAuthClientRow, error)
	OAuthClientList(ctx context.Context) ([]store.OAuthClientRow, error)
}

func clientStoreOf(tx *store.Tx) clientStore { return tx }

// check validates and normalises in.
func (s *Clients) check(ctx context.Context, in *Input) error {
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > 100 {
		return errs.InvalidField("name", "give the client a name of at most 100 characters")
	}
	if err := s.c.CheckRole(ctx, in.Role); err != nil {
		return err
	}
	switch in.AuthMethod {
	case "":
		in.AuthMethod = MethodSecret
	case MethodSecret, MethodJWT:
	default:
		return errs.InvalidField("auth_method", "auth_method is client_secret_basic or private_key_jwt")
	}
	if in.AuthMethod == MethodJWT {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON([]byte(in.JWK)); err != nil || !k.Valid() || !k.IsPublic() || k.KeyID == "" {
			return errs.InvalidField("jwk", "give the client's public key as a JWK with a key id (kid); never a private key")
		}
		b, _ := k.MarshalJSON()
		in.JWK = string(b)
	} else if in.JWK != "" {
		return errs.InvalidField("jwk", "a public key is only for private_key_jwt")
	}
	for i, u := range in.RedirectURIs {
		p, err := url.Parse(strings.TrimSpace(u))
		if err != nil || p.Fragment != "" || p.Host == "" || p.Scheme != "https" {
			return errs.InvalidField("redirect_uris", "a redirect URI is an absolute https URL without a fragment")
		}
		in.RedirectURIs[i] = p.String()
	}
	for i, n := range in.Networks {
		p, err := netip.ParsePrefix(strings.TrimSpace(n))
		if err != nil {
			return errs.InvalidField("networks", "a network is a CIDR range, such as 203.0.113.0/24")
		}
		in.Networks[i] = p.Masked().String()
	}
	if in.RatePerMinute == 0 {
		in.RatePerMinute = DefaultRate
	}
	if in.RatePerMinute < 1 || in.RatePerMinute > 100000 {
		return errs.InvalidField("rate_per_minute", "rate_per_minute is 1 to 100000")
	}
	if in.TokenSeconds == 0 {
		in.TokenSeconds = DefaultTokenSeconds
	}
	if in.TokenSeconds < 60 || in.TokenSeconds > MaxTokenSeconds {
		return errs.InvalidField("token_seconds", "token_seconds is 60 to 86400")
	}
	return nil
}

// hashSecret is the stored form of a client secret: SHA-256, enough for a
// secret of 256 random bits (nothing to guess, so no slow hash is needed).
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func random() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Register adds a client. For client_secret_basic the answer holds its
// secret, the only time it is shown.
func (s *Clients) Register(ctx context.Context, a authz.Actor, in Input) (Client, error) {
	if err := mayChange(a, authz.ActionCreate); err != nil {
		return Client{}, err
	}
	if err := s.check(ctx, &in); err != nil {
		return Client{}, err
	}
	now := s.c.Now()
	row := store.OAuthClientRow{ID: crm.NewID("cli"), Name: in.Name, Role: in.Role, AuthMethod: in.AuthMethod, JWK: in.JWK,
		RedirectURIs: in.RedirectURIs, Networks: in.Networks, RatePerMinute: in.RatePerMinute, TokenSeconds: in.TokenSeconds,
		Status: StatusActive, CreatedBy: a.UserID, CreatedAt: now, UpdatedAt: now}
	secret := ""
	if in.AuthMethod == MethodSecret {
		secret = SecretPrefix + random()
		row.SecretHash = hashSecret(secret)
	}
	err := core.Change(ctx, s.c, clientStoreOf, func(tx clientStore) error {
		if err := tx.InsertOAuthClient(ctx, row); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "client.register", "client", row.ID, nil, audit.Success, in.Name+" as "+in.Role)
	})
	if err != nil {
		return Client{}, err
	}
	out := clientOf(row)
	out.Secret = secret
	return out, nil
}

// List returns every client with its last use and volume.
func (s *Clients) List(ctx context.Context, a authz.Actor) ([]Client, error) {
	if err := mayRead(a); err != nil {
		return nil, err
	}
	out := []Client{}
	err := core.Look(ctx, s.c, clientStoreOf, func(tx clientStore) error {
		rows, err := tx.OAuthClientList(ctx)
		for _, r := range rows {
			out = append(out, clientOf(r))
		}
		return err
	})
	return out, err
}

// Show returns one client.
func (s *Clients) Show(ctx context.Context, a authz.Actor, id string) (Client, error) {
	if err := mayRead(a); err != nil {
		return Client{}, err
	}
	var out Client
	err := core.Look(ctx, s.c, clientStoreOf, func(tx clientStore) error {
		r, err := tx.OAuthClientByID(ctx, id)
		out = clientOf(r)
		return core.NotFound(err, "client")
	})
	return out, err
}

// Suspend stops a client at once: its tokens are refused and it gets no
// new ones until it is resumed.
func (s *Clients) Suspend(ctx context.Context, a authz.Actor, id string) error {
	return s.setStatus(ctx, a, id, StatusSuspended, "client.suspend")
}

// Resume lets a suspended client work again.
func (s *Clients) Resume(ctx context.Context, a authz.Actor, id string) error {
	return s.setStatus(ctx, a, id, StatusActive, "client.resume")
}

func (s *Clients) setStatus(ctx context.Context, a authz.Actor, id, status, action string) error {
	if err := mayChange(a, authz.ActionUpdate); err != nil {
		return err
	}
	return core.Change(ctx, s.c, clientStoreOf, func(tx clientStore) error {
		if err := tx.SetOAuthClientStatus(ctx, id, status, s.c.Now()); err != nil {
			return core.NotFound(err, "client")
		}
		return s.c.Record(ctx, tx, a, action, "client", id, nil, audit.Success, "")
	})
}

// Delete removes a client with its tokens.
func (s *Clients) Delete(ctx context.Context, a authz.Actor, id string) error {
	if err := mayChange(a, authz.ActionDelete); err != nil {
		return err
	}
	return core.Change(ctx, s.c, clientStoreOf, func(tx clientStore) error {
		if err := tx.DeleteOAuthClient(ctx, id); err != nil {
			return core.NotFound(err, "client")
		}
		return s.c.Record(ctx, tx, a, "client.delete", "client", id, nil, audit.Success, "")
	})
}

// TokenCrypto seals what the authorisation server hands out (access
// tokens and codes: a random id and the subject) as compact JWE
// (A256GCMKW, A256GCM) under a key derived from the master key, so that
// every server makes and opens the same. It is zitadel's op.Crypto.
type TokenCrypto struct{ key []byte }

// Encrypt seals s.
func (c TokenCrypto) Encrypt(s string) (string, error) {
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.A256GCMKW, Key: c.key}, nil)
	if err != nil {
		return "", err
	}
	obj, err := enc.Encrypt([]byte(s))
	if err != nil {
		return "", err
	}
	return obj.CompactSerialize()
}

// Decrypt opens what Encrypt sealed.
func (c TokenCrypto) Decrypt(s string) (string, error) {
	obj, err := jose.ParseEncryptedCompact(s, []jose.KeyAlgorithm{jose.A256GCMKW}, []jose.ContentEncryption{jose.A256GCM})
	if err != nil {
		return "", err
	}
	b, err := obj.Decrypt(c.key)
	return string(b), err
}

// Crypto is the sealer of tokens and codes, for the protocol layer.
func (s *Clients) Crypto() TokenCrypto { return s.tokens }

// SigningSeed is the seed of the Ed25519 key that signs ID tokens, derived
// from the master key: the same on every server, never made per start.
func (s *Clients) SigningSeed() []byte { return s.c.Keys.DeriveKey("oauth/signing") }

func contains(nets []string, ip string) bool {
	if len(nets) == 0 {
		return true
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	return slices.ContainsFunc(nets, func(n string) bool {
		p, err := netip.ParsePrefix(n)
		return err == nil && p.Contains(a.Unmap())
	})
}

func sameSecret(hash, secret string) bool {
	return subtle.ConstantTimeCompare([]byte(hash), []byte(hashSecret(secret))) == 1
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
