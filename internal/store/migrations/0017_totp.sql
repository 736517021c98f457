-- TOTP: the secret sealed under the user's key, the last step used (codes
-- are single-use), SHA-256 hashes of unused recovery codes; sessions that
-- still owe a second factor.
ALTER TABLE users ADD COLUMN totp_ct {{blob}};
ALTER TABLE users ADD COLUMN totp_last_step {{int64}} NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN recovery_hashes TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN mfa_pending INTEGER NOT NULL DEFAULT 0;
