CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value {{blob}} NOT NULL
);

CREATE TABLE subject_keys (
    subject_id TEXT PRIMARY KEY,
    wrapped    {{blob}} NOT NULL,
    kek_term   {{int64}} NOT NULL,
    created_at {{int64}} NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email_bidx    {{blob}} NOT NULL UNIQUE,
    email_ct      {{blob}} NOT NULL,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    token_key     {{blob}} NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    {{int64}} NOT NULL,
    updated_at    {{int64}} NOT NULL
);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    token_hash   {{blob}} NOT NULL UNIQUE,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_key    {{blob}} NOT NULL,
    created_at   {{int64}} NOT NULL,
    last_seen_at {{int64}} NOT NULL,
    expires_at   {{int64}} NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE customers (
    id               TEXT PRIMARY KEY,
    owner_id         TEXT REFERENCES users(id),
    name_ct          {{blob}},
    email_ct         {{blob}},
    phone_ct         {{blob}},
    national_id_ct   {{blob}},
    notes_ct         {{blob}},
    email_bidx       {{blob}},
    phone_bidx       {{blob}},
    national_id_bidx {{blob}},
    created_at       {{int64}} NOT NULL,
    updated_at       {{int64}} NOT NULL
);
CREATE INDEX customers_email ON customers(email_bidx);
CREATE INDEX customers_phone ON customers(phone_bidx);
CREATE INDEX customers_national_id ON customers(national_id_bidx);
CREATE INDEX customers_created ON customers(created_at, id);
CREATE INDEX customers_owner_created ON customers(owner_id, created_at, id);

CREATE TABLE audit_events (
    seq         {{int64}} PRIMARY KEY,
    at          {{int64}} NOT NULL,
    actor_id    TEXT NOT NULL,
    session_id  TEXT NOT NULL,
    ip          TEXT NOT NULL,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    fields      TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    prev_hash   {{blob}} NOT NULL,
    hash        {{blob}} NOT NULL
);
CREATE INDEX audit_actor ON audit_events(actor_id, seq);
CREATE INDEX audit_object ON audit_events(object_type, object_id, seq);
CREATE INDEX audit_at ON audit_events(at);

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  {{int64}} NOT NULL,
    hash {{blob}} NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, CAST('' AS {{blob}}));
