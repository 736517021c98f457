-- Alerts raised by the detectors (internal/detect) over the audit log,
-- and the detectors' state: the seq they have read up to and what they
-- remember (per-user baselines, sliding windows), as JSON. An alert names
-- ids, counts and addresses, never a personal value.
CREATE TABLE alerts (
    id         TEXT PRIMARY KEY,
    rule       TEXT NOT NULL,
    severity   TEXT NOT NULL,
    user_id    TEXT NOT NULL DEFAULT '',
    network    TEXT NOT NULL DEFAULT '',
    summary    TEXT NOT NULL,
    seqs       TEXT NOT NULL DEFAULT '',
    response   TEXT NOT NULL DEFAULT '',
    status     TEXT NOT NULL,
    created_at {{int64}} NOT NULL,
    updated_at {{int64}} NOT NULL,
    updated_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX alerts_status ON alerts(status, created_at);
CREATE TABLE detect_state (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    cursor {{int64}} NOT NULL,
    state  TEXT NOT NULL
);
