-- Sealed notes (issue 17): notes encrypted in the browser for named staff
-- recipients and the organisation's recovery key. The server holds only
-- what it cannot open: nothing here is sealed under the master key, and
-- no column holds plaintext.
--
-- seal_keys: one per staff member who may read sealed notes. public_key is
-- their ECDH P-256 public key (65 bytes, uncompressed); private_ct is their
-- private key (a JWK) encrypted with AES-256-GCM (private_nonce) under a
-- key derived in their browser from a passphrase by PBKDF2-SHA256
-- (kdf, kdf_salt, kdf_iterations), which the server never sees.
CREATE TABLE seal_keys (
    user_id         TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    public_key      {{blob}} NOT NULL,
    private_ct      {{blob}} NOT NULL,
    private_nonce   {{blob}} NOT NULL,
    kdf             TEXT NOT NULL,
    kdf_salt        {{blob}} NOT NULL,
    kdf_iterations  INTEGER NOT NULL,
    created_at      {{int64}} NOT NULL
);

-- seal_recovery: the organisation's recovery public key (one row, id 1).
-- Its private half is made offline by `strongroom keys recovery-init` and
-- never reaches the server.
CREATE TABLE seal_recovery (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    public_key  {{blob}} NOT NULL,
    set_by      TEXT NOT NULL,
    created_at  {{int64}} NOT NULL
);

-- sealed_notes: a note's body, AES-256-GCM under its own note key (which
-- only the envelopes carry), with the note id as associated data.
-- key_version counts re-keyings (a recipient removed). Deleting the
-- customer (deletion, erasure, retention) deletes their sealed notes.
CREATE TABLE sealed_notes (
    id           TEXT PRIMARY KEY,
    customer_id  TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    author_id    TEXT NOT NULL,
    ciphertext   {{blob}} NOT NULL,
    nonce        {{blob}} NOT NULL,
    key_version  INTEGER NOT NULL,
    created_at   {{int64}} NOT NULL,
    updated_at   {{int64}} NOT NULL
);
CREATE INDEX sealed_notes_customer ON sealed_notes(customer_id, created_at);

-- sealed_envelopes: the note key wrapped to one recipient (a user id, or
-- 'recovery'): ephemeral ECDH P-256, HKDF-SHA256, AES-256-GCM.
CREATE TABLE sealed_envelopes (
    note_id       TEXT NOT NULL REFERENCES sealed_notes(id) ON DELETE CASCADE,
    recipient_id  TEXT NOT NULL,
    envelope      {{blob}} NOT NULL,
    added_by      TEXT NOT NULL,
    created_at    {{int64}} NOT NULL,
    PRIMARY KEY (note_id, recipient_id)
);
CREATE INDEX sealed_envelopes_recipient ON sealed_envelopes(recipient_id);
