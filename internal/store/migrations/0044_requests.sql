-- Data-subject requests (GDPR Art. 15–21, CCPA/CPRA, PIPL Art. 44–47):
-- the kind, the law whose clock runs, when it is due, who handles it and
-- how it ended (evidence without personal data). The person's own words
-- are sealed under their key. After an erasure the request stays, without
-- its customer. Legal holds keep what a law says must be kept (e.g. a
-- payment firm's transaction records) from an erasure, with the reason.
CREATE TABLE privacy_requests (
    id          TEXT PRIMARY KEY,
    customer_id TEXT REFERENCES customers(id) ON DELETE SET NULL,
    kind        TEXT NOT NULL,
    law         TEXT NOT NULL,
    status      TEXT NOT NULL,
    channel     TEXT NOT NULL,
    received_at {{int64}} NOT NULL,
    due_at      {{int64}} NOT NULL,
    assignee    TEXT NOT NULL DEFAULT '',
    created_by  TEXT NOT NULL,
    closed_at   {{int64}} NOT NULL DEFAULT 0,
    outcome     TEXT NOT NULL DEFAULT '',
    details_ct  {{blob}}
);
CREATE INDEX privacy_requests_open ON privacy_requests(status, due_at);
CREATE INDEX privacy_requests_customer ON privacy_requests(customer_id);

CREATE TABLE legal_holds (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    scope       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    until_at    {{int64}} NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  {{int64}} NOT NULL
);
CREATE INDEX legal_holds_customer ON legal_holds(customer_id);
