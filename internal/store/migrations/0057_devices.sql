-- Field devices (issue 15): a device a user enrolled for the field app,
-- bound to the public key it generated (jkt: its RFC 7638 thumbprint, so
-- DPoP proofs are checked against it). lease_ct is the secret that wraps
-- the device's own data key, sealed under the user's key; NULL once the
-- device is locked or wiped, so it can never be handed out again.
-- state: active, locked, wipe_ordered (not yet delivered), wipe_delivered
-- (answered at a contact, not yet confirmed), wiped. wipe_code_hash is the
-- hash of the one-time code the app confirms a wipe with (its keys are gone
-- by then). name_ct (the name its user gave it, e.g. "Li's phone") and
-- last_place_ct (the last coarse place the app reported) are sealed under
-- the user's key: they are the user's personal data.
CREATE TABLE devices (
    id                TEXT PRIMARY KEY,
    user_id           TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name_ct           {{blob}} NOT NULL,
    platform          TEXT NOT NULL,
    app_version       TEXT NOT NULL,
    jkt               TEXT NOT NULL UNIQUE,
    state             TEXT NOT NULL,
    lease_ct          {{blob}},
    wipe_code_hash    {{blob}},
    wipe_ordered_at   {{int64}} NOT NULL DEFAULT 0,
    wipe_ordered_by   TEXT NOT NULL DEFAULT '',
    wipe_done_at      {{int64}} NOT NULL DEFAULT 0,
    escalated         INTEGER NOT NULL DEFAULT 0,
    last_contact_at   {{int64}} NOT NULL DEFAULT 0,
    last_place_ct     {{blob}},
    created_at        {{int64}} NOT NULL,
    updated_at        {{int64}} NOT NULL
);
CREATE INDEX devices_user ON devices(user_id);
CREATE INDEX devices_state ON devices(state, wipe_ordered_at);

-- A session opened for a device: its token is bound to the device's key
-- and is refused without a DPoP proof by it ('' for an ordinary session).
ALTER TABLE sessions ADD COLUMN device_id TEXT NOT NULL DEFAULT '';
