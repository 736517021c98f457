CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

CREATE TABLE subject_keys (
    subject_id TEXT PRIMARY KEY,
    wrapped    BLOB NOT NULL,
    kek_term   INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email_bidx    BLOB NOT NULL UNIQUE,
    email_ct      BLOB NOT NULL,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    token_key     BLOB NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    token_hash   BLOB NOT NULL UNIQUE,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_key    BLOB NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE customers (
    id               TEXT PRIMARY KEY,
    owner_id         TEXT REFERENCES users(id),
    name_ct          BLOB,
    email_ct         BLOB,
    phone_ct         BLOB,
    national_id_ct   BLOB,
    notes_ct         BLOB,
    email_bidx       BLOB,
    phone_bidx       BLOB,
    national_id_bidx BLOB,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX customers_email ON customers(email_bidx);
CREATE INDEX customers_phone ON customers(phone_bidx);
CREATE INDEX customers_national_id ON customers(national_id_bidx);
CREATE INDEX customers_created ON customers(created_at, id);
CREATE INDEX customers_owner_created ON customers(owner_id, created_at, id);

CREATE TABLE audit_events (
    seq         INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    actor_id    TEXT NOT NULL,
    session_id  TEXT NOT NULL,
    ip          TEXT NOT NULL,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    fields      TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    prev_hash   BLOB NOT NULL,
    hash        BLOB NOT NULL
);
CREATE INDEX audit_actor ON audit_events(actor_id, seq);
CREATE INDEX audit_object ON audit_events(object_type, object_id, seq);
CREATE INDEX audit_at ON audit_events(at);

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash BLOB NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, x'');

-- The log is append-only for the application. Someone with raw write access
-- to the file can drop these triggers; the hash chain is what catches them.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
