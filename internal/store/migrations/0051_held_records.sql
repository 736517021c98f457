-- Held records: what an erasure kept under a legal hold (issue 14). Each is
-- a data subject of its own: its content (the transactions, the name and
-- national id, or the consents the hold's scope covers) is sealed under
-- its own data key in subject_keys, so that ending the hold shreds that
-- key and deletes the row. The hold's scope, reason and end are copied
-- here, since the hold itself goes with the erased customer. No column
-- names the erased person: the request id names the erasure.
CREATE TABLE held_records (
    id          TEXT PRIMARY KEY,
    request_id  TEXT NOT NULL,
    scope       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    until_at    {{int64}} NOT NULL,
    items       INTEGER NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  {{int64}} NOT NULL,
    data_ct     {{blob}} NOT NULL
);
CREATE INDEX held_records_until ON held_records(until_at);
