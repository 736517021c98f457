-- Webhook subscriptions (service/hooks) and their deliveries (hookrun).
-- A subscription's signing secret is needed by the server to sign, so it
-- is sealed, not hashed: under a data key of the subscription's own
-- (key_wrapped, wrapped by the master key), bound to webhooks|secret_ct|id.
-- role is the subscription's scope: payloads are read as a system actor
-- holding only that role. events is a JSON array of event types.
CREATE TABLE webhooks (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    url         TEXT NOT NULL,
    role        TEXT NOT NULL,
    events      TEXT NOT NULL DEFAULT '[]',
    key_wrapped {{blob}} NOT NULL,
    secret_ct   {{blob}} NOT NULL,
    paused      INTEGER NOT NULL DEFAULT 0,
    created_by  TEXT NOT NULL,
    created_at  {{int64}} NOT NULL,
    updated_at  {{int64}} NOT NULL
);

-- One row per message to one subscription, updated at each attempt. It
-- names the event (type, the audit event's seq, the record's id) but holds
-- no payload: the payload is read through the service at each attempt, so
-- no personal data waits here in plaintext. status: pending, delivered,
-- failed (gave up).
CREATE TABLE webhook_deliveries (
    id          TEXT PRIMARY KEY,
    webhook_id  TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    event_type  TEXT NOT NULL,
    audit_seq   {{int64}} NOT NULL,
    object_id   TEXT NOT NULL,
    status      TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    status_code INTEGER NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT '',
    latency_ms  INTEGER NOT NULL DEFAULT 0,
    next_at     {{int64}} NOT NULL,
    created_at  {{int64}} NOT NULL,
    updated_at  {{int64}} NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_at);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries(webhook_id, created_at);
