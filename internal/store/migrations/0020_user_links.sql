-- Single-use links sent by email: password resets (30 minutes) and
-- invitations (7 days). Only the token's SHA-256 is kept.
CREATE TABLE user_links (
    token_hash {{blob}} PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    purpose TEXT NOT NULL, -- reset or invite
    created_at {{int64}} NOT NULL,
    expires_at {{int64}} NOT NULL,
    used_at {{int64}} NOT NULL DEFAULT 0
);
CREATE INDEX user_links_user ON user_links (user_id, purpose);
