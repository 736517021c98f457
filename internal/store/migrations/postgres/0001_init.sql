CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);

CREATE TABLE subject_keys (
    subject_id TEXT PRIMARY KEY,
    wrapped    BYTEA NOT NULL,
    kek_term   BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email_bidx    BYTEA NOT NULL UNIQUE,
    email_ct      BYTEA NOT NULL,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    token_key     BYTEA NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    token_hash   BYTEA NOT NULL UNIQUE,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_key    BYTEA NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE customers (
    id               TEXT PRIMARY KEY,
    owner_id         TEXT REFERENCES users(id),
    name_ct          BYTEA,
    email_ct         BYTEA,
    phone_ct         BYTEA,
    national_id_ct   BYTEA,
    notes_ct         BYTEA,
    email_bidx       BYTEA,
    phone_bidx       BYTEA,
    national_id_bidx BYTEA,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX customers_email ON customers(email_bidx);
CREATE INDEX customers_phone ON customers(phone_bidx);
CREATE INDEX customers_national_id ON customers(national_id_bidx);
CREATE INDEX customers_created ON customers(created_at, id);
CREATE INDEX customers_owner_created ON customers(owner_id, created_at, id);

CREATE TABLE audit_events (
    seq         BIGINT PRIMARY KEY,
    at          BIGINT NOT NULL,
    actor_id    TEXT NOT NULL,
    session_id  TEXT NOT NULL,
    ip          TEXT NOT NULL,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    fields      TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    prev_hash   BYTEA NOT NULL,
    hash        BYTEA NOT NULL
);
CREATE INDEX audit_actor ON audit_events(actor_id, seq);
CREATE INDEX audit_object ON audit_events(object_type, object_id, seq);
CREATE INDEX audit_at ON audit_events(at);

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash BYTEA NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, ''::bytea);

-- The log is append-only for the application. A superuser can drop this
-- trigger; the hash chain is what catches them.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
