package clients

import (
	"context"
	"crypto/sha256"
	"strconv"
	"strings"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// RequestLifetime is how long an authorisation request (the consent page,
// then its code) stays usable.
const RequestLifetime = 10 * time.Minute

// protocolStore is what the authorisation server reads and writes.
type protocolStore interface {
	audit.Appender
	OAuthClientByID(ctx context.Context, id string) (store.OAuthClientRow, error)
	CountOAuthRequest(ctx context.Context, id string, now time.Time) (int, error)
	InsertOAuthToken(ctx context.Context, t store.OAuthTokenRow) error
	OAuthTokenByHash(ctx context.Context, hash []byte) (store.OAuthTokenRow, error)
	RevokeOAuthToken(ctx context.Context, hash []byte, clientID string, now time.Time) error
	UseOAuthAssertion(ctx context.Context, clientID, jti string, expires time.Time) error
	UserByID(ctx context.Context, id string) (store.UserRow, error)
}

func protocolStoreOf(tx *store.Tx) protocolStore { return tx }

var (
	errBadClient = errs.E(errs.Unauthenticated, "the client is unknown or its credentials are wrong")
	errNoToken   = errs.E(errs.Unauthenticated, "the access token is not valid: it is unknown, expired or revoked")
)

func hashID(id string) []byte {
	sum := sha256.Sum256([]byte(id))
	return sum[:]
}

// clientActor is the client acting for itself, as its events name it.
func clientActor(id, ip string) authz.Actor { return authz.Actor{UserID: id, ClientID: id, IP: ip} }

// refuse records that a client (or its token) was refused, with why, and
// answers answer; if the record cannot be written, that error instead.
func (s *Clients) refuse(ctx context.Context, a authz.Actor, objType, objID, why string, answer error) error {
	err := core.Change(ctx, s.c, protocolStoreOf, func(tx protocolStore) error {
		return s.c.Record(ctx, tx, a, "oauth.token.refuse", objType, objID, nil, audit.Denied, why)
	})
	if err != nil {
		return err
	}
	return answer
}

// Lookup returns a client for the protocol: whether it exists and how it
// authenticates. It decides nothing.
func (s *Clients) Lookup(ctx context.Context, id string) (Client, error) {
	var out Client
	err := core.Look(ctx, s.c, protocolStoreOf, func(tx protocolStore) error {
		r, err := tx.OAuthClientByID(ctx, id)
		out = clientOf(r)
		return core.NotFound(err, "client")
	})
	return out, err
}

// Admit decides whether client id may be served at the token endpoint
// from ip: it exists and is active, proved itself (the secret, or an
// assertion the protocol layer verified and UseAssertion spent), calls
// from an allowed network and is within its rate. Each refusal is audited
// with its reason.
func (s *Clients) Admit(ctx context.Context, id, secret string, asserted bool, ip string) (Client, error) {
	var row store.OAuthClientRow
	err := core.Look(ctx, s.c, protocolStoreOf, func(tx protocolStore) error {
		var err error
		row, err = tx.OAuthClientByID(ctx, id)
		return err
	})
	if errs.Is(err, errs.NotExist) {
		// An unknown caller: recorded as other unknown callers' refusals
		// are, once per address a minute, so guessing cannot flood the log.
		if err := s.c.RecordRefusal(ctx, core.Refusal{Actor: authz.Actor{IP: ip}, Action: "oauth.token.refuse", Route: "/oauth/token", Reason: "unknown client"}); err != nil {
			return Client{}, err
		}
		return Client{}, errBadClient
	}
	if err != nil {
		return Client{}, err
	}
	switch {
	case asserted && row.AuthMethod != MethodJWT:
		return Client{}, s.refuse(ctx, clientActor(id, ip), "client", id, "an assertion from a client registered with a secret", errBadClient)
	case !asserted && (row.AuthMethod != MethodSecret || !sameSecret(row.SecretHash, secret)):
		return Client{}, s.refuse(ctx, clientActor(id, ip), "client", id, "wrong client secret", errBadClient)
	}
	c := clientOf(row)
	return c, s.admitted(ctx, c, ip)
}

// admitted checks an authenticated client's status, network and rate, and
// counts the request.
func (s *Clients) admitted(ctx context.Context, c Client, ip string) error {
	a := clientActor(c.ID, ip)
	if c.Status != StatusActive {
		return s.refuse(ctx, a, "client", c.ID, "client suspended", errs.E(errs.Unauthenticated, "the client is suspended; ask the Strongroom administrator"))
	}
	if !contains(c.Networks, ip) {
		return s.refuse(ctx, a, "client", c.ID, "address outside the client's networks", errs.E(errs.Permission, "this client may not be used from this network address"))
	}
	var n int
	err := core.Change(ctx, s.c, protocolStoreOf, func(tx protocolStore) error {
		var err error
		n, err = tx.CountOAuthRequest(ctx, c.ID, s.c.Now())
		return err
	})
	if err != nil {
		return core.NotFound(err, "client")
	}
	if n > c.RatePerMinute {
		wait := time.Minute - s.c.Now().Sub(s.c.Now().Truncate(time.Minute))
		answer := core.TooMany("this client is over its rate limit of "+strconv.Itoa(c.RatePerMinute)+" requests a minute", wait)
		if n == c.RatePerMinute+1 { // the first refusal of the minute is kept, not every one
			return s.refuse(ctx, a, "client", c.ID, "rate limit", answer)
		}
		return answer
	}
	return nil
}

// UseAssertion spends a private_key_jwt assertion's id (jti) for client
// id: an assertion is accepted once; a replay is refused and audited.
func (s *Clients) UseAssertion(ctx context.Context, id, jti string, expires time.Time, ip string) error {
	if jti == "" {
		return s.refuse(ctx, clientActor(id, ip), "client", id, "assertion without an id (jti)", errs.E(errs.Unauthenticated, "the client assertion needs a jti"))
	}
	if max := s.c.Now().Add(time.Hour); expires.After(max) || expires.IsZero() {
		expires = max
	}
	err := core.Change(ctx, s.c, protocolStoreOf, func(tx protocolStore) error {
		return tx.UseOAuthAssertion(ctx, id, jti, expires)
	})
	if errs.Is(err, errs.Exist) {
		return s.refuse(ctx, clientActor(id, ip), "client", id, "assertion replayed", errs.E(errs.Unauthenticated, "this client assertion was used before"))
	}
	if errs.Is(err, errs.NotExist) || errs.Is(err, errs.Invalid) {
		return errBadClient
	}
	return err
}

// IssueToken keeps a new access token for client (acting for userID, ""
// for itself) and returns its id, which the protocol layer seals into the
// token the client gets, and when it expires. Audited.
func (s *Clients) IssueToken(ctx context.Context, clientID, userID string, scopes []string, ip string) (string, time.Time, error) {
	c, err := s.Lookup(ctx, clientID)
	if err != nil {
		return "", time.Time{}, err
	}
	if c.Status != StatusActive {
		return "", time.Time{}, errs.E(errs.Unauthenticated, "the client is suspended")
	}
	id := random()
	now := s.c.Now()
	exp := now.Add(time.Duration(c.TokenSeconds) * time.Second)
	a := clientActor(clientID, ip)
	if userID != "" {
		a.UserID = userID
	}
	err = core.Change(ctx, s.c, protocolStoreOf, func(tx protocolStore) error {
		if err := tx.InsertOAuthToken(ctx, store.OAuthTokenRow{IDHash: hashID(id), ClientID: clientID, UserID: userID, Scopes: strings.Join(scopes, " "), CreatedAt: now, ExpiresAt: exp}); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "oauth.token.issue", "client", clientID, nil, audit.Success, "expires "+exp.Format(time.RFC3339))
	})
	return id, exp, err
}

// Revoke revokes token id of client (RFC 7009): an unknown token, or one
// of another client, is no error and changes nothing. Audited when it
// revoked one.
func (s *Clients) Revoke(ctx context.Context, clientID, tokenID, ip string) error {
	return core.Change(ctx, s.c, protocolStoreOf, func(tx protocolStore) error {
		err := tx.RevokeOAuthToken(ctx, hashID(tokenID), clientID, s.c.Now())
		if errs.Is(err, errs.NotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		return s.c.Record(ctx, tx, clientActor(clientID, ip), "oauth.token.revoke", "client", clientID, nil, audit.Success, "")
	})
}

// TokenInfo is what introspection tells of a token (RFC 7662).
type TokenInfo struct {
	Active   bool
	ClientID string
	Subject  string
	Scopes   []string
	IssuedAt time.Time
	Expires  time.Time
}

// Introspect tells client (the caller) whether token id is active: known,
// not revoked nor expired, issued to the caller, whose client is active.
// Anything else is inactive, with nothing more said.
func (s *Clients) Introspect(ctx context.Context, clientID, tokenID string) (TokenInfo, error) {
	info, err := s.Active(ctx, tokenID)
	if err != nil || info.ClientID != clientID {
		return TokenInfo{}, err
	}
	return info, nil
}

// Active tells whether token id is active (known, not revoked nor
// expired, its client active), whoever asks: for the userinfo endpoint,
// whose caller holds the token itself.
func (s *Clients) Active(ctx context.Context, tokenID string) (TokenInfo, error) {
	var info TokenInfo
	err := core.Look(ctx, s.c, protocolStoreOf, func(tx protocolStore) error {
		t, err := tx.OAuthTokenByHash(ctx, hashID(tokenID))
		if errs.Is(err, errs.NotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		c, err := tx.OAuthClientByID(ctx, t.ClientID)
		if err != nil || !t.RevokedAt.IsZero() || !s.c.Now().Before(t.ExpiresAt) || c.Status != StatusActive {
			return nil
		}
		info = TokenInfo{Active: true, ClientID: t.ClientID, Subject: t.UserID, Scopes: strings.Fields(t.Scopes), IssuedAt: t.CreatedAt, Expires: t.ExpiresAt}
		if info.Subject == "" {
			info.Subject = t.ClientID
		}
		return nil
	})
	return info, err
}

// Authenticate turns an access token sent as Bearer to /api/v1 into the
// Actor the request runs as: the client with its role's grants (client
// credentials), or the approving user narrowed to the client's role (the
// code flow; authz.Actor.Within). ClientID is set, so every event of the
// request names the client. The token must be known, unexpired and not
// revoked, its client active, the address in the client's networks and
// the client within its rate (429 past it); a refusal of a real token is
// audited with its reason.
func (s *Clients) Authenticate(ctx context.Context, token, ip string) (authz.Actor, error) {
	plain, err := s.tokens.Decrypt(token)
	if err != nil {
		return authz.Actor{}, errNoToken
	}
	id, _, _ := strings.Cut(plain, ":")
	var t store.OAuthTokenRow
	var user store.UserRow
	var c Client
	err = core.Look(ctx, s.c, protocolStoreOf, func(tx protocolStore) error {
		var err error
		if t, err = tx.OAuthTokenByHash(ctx, hashID(id)); err != nil {
			return err
		}
		row, err := tx.OAuthClientByID(ctx, t.ClientID)
		if err != nil {
			return err
		}
		c = clientOf(row)
		if t.UserID != "" {
			user, err = tx.UserByID(ctx, t.UserID)
		}
		return err
	})
	if errs.Is(err, errs.NotExist) {
		return authz.Actor{}, errNoToken
	}
	if err != nil {
		return authz.Actor{}, err
	}
	a := clientActor(c.ID, ip)
	if t.UserID != "" {
		a.UserID = t.UserID
	}
	switch {
	case !t.RevokedAt.IsZero():
		return authz.Actor{}, s.refuse(ctx, a, "client", c.ID, "token revoked", errNoToken)
	case !s.c.Now().Before(t.ExpiresAt):
		return authz.Actor{}, errNoToken
	case t.UserID != "" && user.Disabled:
		return authz.Actor{}, s.refuse(ctx, a, "client", c.ID, "the approving user is disabled", errNoToken)
	}
	if err := s.admitted(ctx, c, ip); err != nil {
		return authz.Actor{}, err
	}
	role := authz.Role(c.Role)
	if t.UserID == "" {
		a.Roles = []authz.Role{role}
		a.Defined, err = s.c.DefinedGrants(ctx, a.Roles)
		return a, err
	}
	a.Roles, a.Team = authz.RolesOf(user.Role), user.Team
	a.Defined, err = s.c.DefinedGrants(ctx, append([]authz.Role{role}, a.Roles...))
	if err != nil {
		return authz.Actor{}, err
	}
	return a.Within(role), nil
}
