-- Sealed notes' passkey unlock (issue 17): the same private key as
-- seal_keys.private_ct, wrapped a second way, under a key its owner's
-- browser derives (HKDF-SHA256) from a passkey's WebAuthn PRF output for
-- prf_salt; credential_id names that passkey. Replacing the seal key
-- deletes it (it wraps the old key).
--
-- IF NOT EXISTS: for a few minutes of development this table was part of
-- 0060 on main, so a database made then already has it; 0060 is back to
-- what it first was, and this migration adds the table to every other.
CREATE TABLE IF NOT EXISTS seal_key_prf (
    user_id        TEXT PRIMARY KEY REFERENCES seal_keys(user_id) ON DELETE CASCADE,
    credential_id  {{blob}} NOT NULL,
    prf_salt       {{blob}} NOT NULL,
    private_ct     {{blob}} NOT NULL,
    private_nonce  {{blob}} NOT NULL,
    created_at     {{int64}} NOT NULL
);
