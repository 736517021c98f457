-- OAuth 2.0 clients of partner systems (issue 15). A client acts with one
-- role's grants (for the code flow, never more than the approving user's).
-- secret_hash is the client secret's argon2id PHC string ('' for a client
-- that authenticates with private_key_jwt, whose public JWK is in jwk).
-- Lists (redirect URIs, allowed networks) are JSON arrays of strings.
-- window_start/window_count are the current minute's requests, so the rate
-- limit holds across several servers; last_used_at/request_count are what
-- administrators see of its use.
CREATE TABLE oauth_clients (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    role            TEXT NOT NULL,
    auth_method     TEXT NOT NULL,
    secret_hash     TEXT NOT NULL DEFAULT '',
    jwk             TEXT NOT NULL DEFAULT '',
    redirect_uris   TEXT NOT NULL DEFAULT '[]',
    networks        TEXT NOT NULL DEFAULT '[]',
    rate_per_minute INTEGER NOT NULL,
    token_seconds   INTEGER NOT NULL,
    status          TEXT NOT NULL,
    window_start    {{int64}} NOT NULL DEFAULT 0,
    window_count    INTEGER NOT NULL DEFAULT 0,
    last_used_at    {{int64}} NOT NULL DEFAULT 0,
    request_count   {{int64}} NOT NULL DEFAULT 0,
    created_by      TEXT NOT NULL,
    created_at      {{int64}} NOT NULL,
    updated_at      {{int64}} NOT NULL
);

-- Access tokens: only the SHA-256 of the token id is kept (the token a
-- client holds also needs the server's key to make). user_id is '' for a
-- client acting for itself (client credentials).
CREATE TABLE oauth_tokens (
    id_hash     {{blob}} PRIMARY KEY,
    client_id   TEXT NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL DEFAULT '',
    scopes      TEXT NOT NULL DEFAULT '',
    created_at  {{int64}} NOT NULL,
    expires_at  {{int64}} NOT NULL,
    revoked_at  {{int64}} NOT NULL DEFAULT 0
);
CREATE INDEX oauth_tokens_client ON oauth_tokens(client_id, expires_at);

-- Authorisation requests of the code flow, until their code is exchanged:
-- the request (JSON, no personal data), the approving user once consent
-- is given, and the SHA-256 of the code.
CREATE TABLE oauth_requests (
    id          TEXT PRIMARY KEY,
    client_id   TEXT NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
    request     TEXT NOT NULL,
    user_id     TEXT NOT NULL DEFAULT '',
    code_hash   {{blob}},
    created_at  {{int64}} NOT NULL,
    expires_at  {{int64}} NOT NULL
);
CREATE UNIQUE INDEX oauth_requests_code ON oauth_requests(code_hash);

-- The ids (jti) of private_key_jwt assertions already used, until they
-- expire: an assertion is accepted once.
CREATE TABLE oauth_assertions (
    client_id   TEXT NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
    jti         TEXT NOT NULL,
    expires_at  {{int64}} NOT NULL,
    PRIMARY KEY (client_id, jti)
);
