package store

import (
	"context"
	"encoding/json"
	"time"
)

// OAuthClientRow is an OAuth client of a partner system. It holds no
// personal data; its secret is kept only as a hash.
type OAuthClientRow struct {
	ID            string
	Name          string
	Role          string // the role whose grants the client acts with
	AuthMethod    string // client_secret_basic, private_key_jwt
	SecretHash    string // argon2id PHC string; "" for private_key_jwt
	JWK           string // the client's public JWK (JSON); "" for client_secret_basic
	RedirectURIs  []string
	Networks      []string // CIDRs the client may call from; none: anywhere
	RatePerMinute int
	TokenSeconds  int
	Status        string // active, suspended
	LastUsedAt    time.Time
	RequestCount  int64
	CreatedBy     string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// OAuthTokenRow is an access token, kept under the hash of its id.
type OAuthTokenRow struct {
	IDHash    []byte
	ClientID  string
	UserID    string // "" for client credentials
	Scopes    string
	CreatedAt time.Time
	ExpiresAt time.Time
	RevokedAt time.Time // zero: not revoked
}

// OAuthRequestRow is an authorisation request of the code flow.
type OAuthRequestRow struct {
	ID        string
	ClientID  string
	Request   string // JSON
	UserID    string // "" until consent
	CodeHash  []byte // nil until a code is issued
	CreatedAt time.Time
	ExpiresAt time.Time
}

// oauthRows are the OAuth clients, tokens, requests and used assertions,
// one part of a Tx.
type oauthRows struct{ *conn }

const oauthClientColumns = "id, name, role, auth_method, secret_hash, jwk, redirect_uris, networks, rate_per_minute, token_seconds, status, last_used_at, request_count, created_by, created_at, updated_at"

// InsertOAuthClient adds a client.
func (tx *oauthRows) InsertOAuthClient(ctx context.Context, c OAuthClientRow) error {
	_, err := tx.exec(ctx, "INSERT INTO oauth_clients ("+oauthClientColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		c.ID, c.Name, c.Role, c.AuthMethod, c.SecretHash, c.JWK, jsonList(c.RedirectURIs), jsonList(c.Networks), c.RatePerMinute, c.TokenSeconds,
		c.Status, micro(c.LastUsedAt), c.RequestCount, c.CreatedBy, c.CreatedAt.UnixMicro(), c.UpdatedAt.UnixMicro())
	return classify("store.InsertOAuthClient", err)
}

// SetOAuthClientStatus suspends or resumes a client.
func (tx *oauthRows) SetOAuthClientStatus(ctx context.Context, id, status string, now time.Time) error {
	return tx.updateOne(ctx, "store.SetOAuthClientStatus", "UPDATE oauth_clients SET status = ?, updated_at = ? WHERE id = ?", status, now.UnixMicro(), id)
}

// DeleteOAuthClient deletes a client with its tokens and requests.
func (tx *oauthRows) DeleteOAuthClient(ctx context.Context, id string) error {
	for _, q := range []string{"DELETE FROM oauth_tokens WHERE client_id = ?", "DELETE FROM oauth_requests WHERE client_id = ?", "DELETE FROM oauth_assertions WHERE client_id = ?"} {
		if _, err := tx.exec(ctx, q, id); err != nil {
			return classify("store.DeleteOAuthClient", err)
		}
	}
	return tx.updateOne(ctx, "store.DeleteOAuthClient", "DELETE FROM oauth_clients WHERE id = ?", id)
}

func scanOAuthClient(row interface{ Scan(...any) error }) (OAuthClientRow, error) {
	var c OAuthClientRow
	var uris, nets string
	var used, created, updated int64
	err := row.Scan(&c.ID, &c.Name, &c.Role, &c.AuthMethod, &c.SecretHash, &c.JWK, &uris, &nets, &c.RatePerMinute, &c.TokenSeconds, &c.Status,
		&used, &c.RequestCount, &c.CreatedBy, &created, &updated)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal([]byte(uris), &c.RedirectURIs); err != nil {
		return c, err
	}
	if err := json.Unmarshal([]byte(nets), &c.Networks); err != nil {
		return c, err
	}
	c.LastUsedAt, c.CreatedAt, c.UpdatedAt = timeOf(used), fromMicro(created), fromMicro(updated)
	return c, nil
}

// OAuthClientByID returns one client.
func (tx *oauthRows) OAuthClientByID(ctx context.Context, id string) (OAuthClientRow, error) {
	c, err := scanOAuthClient(tx.queryRow(ctx, "SELECT "+oauthClientColumns+" FROM oauth_clients WHERE id = ?", id))
	return c, classify("store.OAuthClientByID", err)
}

// OAuthClientList returns every client, by name.
func (tx *oauthRows) OAuthClientList(ctx context.Context) ([]OAuthClientRow, error) {
	rows, err := tx.query(ctx, "SELECT "+oauthClientColumns+" FROM oauth_clients ORDER BY name, id")
	if err != nil {
		return nil, classify("store.OAuthClientList", err)
	}
	defer rows.Close()
	out := []OAuthClientRow{}
	for rows.Next() {
		c, err := scanOAuthClient(rows)
		if err != nil {
			return nil, classify("store.OAuthClientList", err)
		}
		out = append(out, c)
	}
	return out, classify("store.OAuthClientList", rows.Err())
}

// CountOAuthRequest counts one request of a client at now: its volume, its
// last use, and the requests in now's minute, which it returns (for the
// rate limit, shared by every server on the database).
func (tx *oauthRows) CountOAuthRequest(ctx context.Context, id string, now time.Time) (int, error) {
	minute := now.Truncate(time.Minute).UnixMicro()
	err := tx.updateOne(ctx, "store.CountOAuthRequest", `UPDATE oauth_clients SET request_count = request_count + 1, last_used_at = ?,
		window_count = CASE WHEN window_start = ? THEN window_count + 1 ELSE 1 END, window_start = ? WHERE id = ?`, now.UnixMicro(), minute, minute, id)
	if err != nil {
		return 0, err
	}
	var n int
	err = tx.queryRow(ctx, "SELECT window_count FROM oauth_clients WHERE id = ?", id).Scan(&n)
	return n, classify("store.CountOAuthRequest", err)
}

// InsertOAuthToken keeps an access token's hash.
func (tx *oauthRows) InsertOAuthToken(ctx context.Context, t OAuthTokenRow) error {
	_, err := tx.exec(ctx, "INSERT INTO oauth_tokens (id_hash, client_id, user_id, scopes, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
		t.IDHash, t.ClientID, t.UserID, t.Scopes, t.CreatedAt.UnixMicro(), t.ExpiresAt.UnixMicro(), micro(t.RevokedAt))
	return classify("store.InsertOAuthToken", err)
}

// OAuthTokenByHash returns the token kept under hash.
func (tx *oauthRows) OAuthTokenByHash(ctx context.Context, hash []byte) (OAuthTokenRow, error) {
	var t OAuthTokenRow
	var created, expires, revoked int64
	err := tx.queryRow(ctx, "SELECT id_hash, client_id, user_id, scopes, created_at, expires_at, revoked_at FROM oauth_tokens WHERE id_hash = ?", hash).
		Scan(&t.IDHash, &t.ClientID, &t.UserID, &t.Scopes, &created, &expires, &revoked)
	t.CreatedAt, t.ExpiresAt, t.RevokedAt = fromMicro(created), fromMicro(expires), timeOf(revoked)
	return t, classify("store.OAuthTokenByHash", err)
}

// RevokeOAuthToken revokes a token of client; NotExist when it has none
// such (or it was revoked already).
func (tx *oauthRows) RevokeOAuthToken(ctx context.Context, hash []byte, clientID string, now time.Time) error {
	return tx.updateOne(ctx, "store.RevokeOAuthToken", "UPDATE oauth_tokens SET revoked_at = ? WHERE id_hash = ? AND client_id = ? AND revoked_at = 0",
		now.UnixMicro(), hash, clientID)
}

// DeleteExpiredOAuth forgets tokens, requests and assertions past their
// expiry.
func (tx *oauthRows) DeleteExpiredOAuth(ctx context.Context, now time.Time) error {
	for _, q := range []string{"DELETE FROM oauth_tokens WHERE expires_at < ?", "DELETE FROM oauth_requests WHERE expires_at < ?", "DELETE FROM oauth_assertions WHERE expires_at < ?"} {
		if _, err := tx.exec(ctx, q, now.UnixMicro()); err != nil {
			return classify("store.DeleteExpiredOAuth", err)
		}
	}
	return nil
}

// InsertOAuthRequest keeps an authorisation request.
func (tx *oauthRows) InsertOAuthRequest(ctx context.Context, r OAuthRequestRow) error {
	_, err := tx.exec(ctx, "INSERT INTO oauth_requests (id, client_id, request, user_id, code_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
		r.ID, r.ClientID, r.Request, r.UserID, r.CodeHash, r.CreatedAt.UnixMicro(), r.ExpiresAt.UnixMicro())
	return classify("store.InsertOAuthRequest", err)
}

const oauthRequestColumns = "id, client_id, request, user_id, code_hash, created_at, expires_at"

func scanOAuthRequest(row interface{ Scan(...any) error }) (OAuthRequestRow, error) {
	var r OAuthRequestRow
	var created, expires int64
	err := row.Scan(&r.ID, &r.ClientID, &r.Request, &r.UserID, &r.CodeHash, &created, &expires)
	r.CreatedAt, r.ExpiresAt = fromMicro(created), fromMicro(expires)
	return r, err
}

// OAuthRequestByID returns an authorisation request.
func (tx *oauthRows) OAuthRequestByID(ctx context.Context, id string) (OAuthRequestRow, error) {
	r, err := scanOAuthRequest(tx.queryRow(ctx, "SELECT "+oauthRequestColumns+" FROM oauth_requests WHERE id = ?", id))
	return r, classify("store.OAuthRequestByID", err)
}

// OAuthRequestByCode returns the authorisation request whose code hashes
// to hash.
func (tx *oauthRows) OAuthRequestByCode(ctx context.Context, hash []byte) (OAuthRequestRow, error) {
	r, err := scanOAuthRequest(tx.queryRow(ctx, "SELECT "+oauthRequestColumns+" FROM oauth_requests WHERE code_hash = ?", hash))
	return r, classify("store.OAuthRequestByCode", err)
}

// ApproveOAuthRequest records the user who gave consent to a request not
// yet approved.
func (tx *oauthRows) ApproveOAuthRequest(ctx context.Context, id, userID string) error {
	return tx.updateOne(ctx, "store.ApproveOAuthRequest", "UPDATE oauth_requests SET user_id = ? WHERE id = ? AND user_id = ''", userID, id)
}

// SetOAuthCode keeps the hash of a request's code (once).
func (tx *oauthRows) SetOAuthCode(ctx context.Context, id string, hash []byte) error {
	return tx.updateOne(ctx, "store.SetOAuthCode", "UPDATE oauth_requests SET code_hash = ? WHERE id = ? AND code_hash IS NULL", hash, id)
}

// DeleteOAuthRequest forgets a request (its code is spent).
func (tx *oauthRows) DeleteOAuthRequest(ctx context.Context, id string) error {
	return tx.updateOne(ctx, "store.DeleteOAuthRequest", "DELETE FROM oauth_requests WHERE id = ?", id)
}

// UseOAuthAssertion records an assertion's id for a client: Exist when it
// was used before.
func (tx *oauthRows) UseOAuthAssertion(ctx context.Context, clientID, jti string, expires time.Time) error {
	_, err := tx.exec(ctx, "INSERT INTO oauth_assertions (client_id, jti, expires_at) VALUES (?, ?, ?)", clientID, jti, expires.UnixMicro())
	return classify("store.UseOAuthAssertion", err)
}
