-- Passkeys and security keys (WebAuthn): each credential (public key,
-- sign count, flags, the user's label) sealed under its user's key. A
-- session keeps the challenge of a ceremony it has begun.
CREATE TABLE passkeys (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    credential_ct {{blob}} NOT NULL,
    created_at {{int64}} NOT NULL,
    last_used_at {{int64}} NOT NULL DEFAULT 0
);
CREATE INDEX passkeys_user ON passkeys (user_id);
ALTER TABLE sessions ADD COLUMN webauthn_challenge TEXT NOT NULL DEFAULT '';
