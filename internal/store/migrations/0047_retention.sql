-- Retention rules (GDPR Art. 5(1)(c) and (e), PIPL Art. 19): one rule per
-- kind of record, how long it is kept, and whether the daily job applies
-- it. A rule is switched on only after a dry run of it as it stands
-- (previewed_at >= updated_at). Each run, dry or real, is reported with
-- its counts and no personal data; what it removed is in the audit log.
CREATE TABLE retention_rules (
    target       TEXT PRIMARY KEY,
    after_days   INTEGER NOT NULL CHECK (after_days >= 1),
    enabled      INTEGER NOT NULL DEFAULT 0,
    note         TEXT NOT NULL DEFAULT '',
    updated_by   TEXT NOT NULL,
    updated_at   {{int64}} NOT NULL,
    previewed_at {{int64}} NOT NULL DEFAULT 0,
    last_run_at  {{int64}} NOT NULL DEFAULT 0
);

CREATE TABLE retention_runs (
    id       TEXT PRIMARY KEY,
    target   TEXT NOT NULL,
    at       {{int64}} NOT NULL,
    dry_run  INTEGER NOT NULL,
    actor_id TEXT NOT NULL,
    cutoff   {{int64}} NOT NULL,
    matched  INTEGER NOT NULL,
    removed  INTEGER NOT NULL,
    kept     INTEGER NOT NULL,
    summary  TEXT NOT NULL
);
CREATE INDEX retention_runs_at ON retention_runs(at);
