-- Backups (internal/backup). The erasure ledger: one row per data subject
-- erased (its id, what it was, when; no personal data), so that a restore
-- of an older backup erases them again. Backup runs and restore drills, with
-- their outcome, size, duration (the measured RTO) and the backup's age
-- (the RPO).
CREATE TABLE erasure_ledger (
    subject_id TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    erased_at  {{int64}} NOT NULL
);
CREATE INDEX erasure_ledger_at ON erasure_ledger(erased_at);

CREATE TABLE backup_runs (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,          -- backup | drill
    target      TEXT NOT NULL,          -- the target's name
    backup_id   TEXT NOT NULL,          -- the backup made or drilled ('' if none)
    started_at  {{int64}} NOT NULL,
    finished_at {{int64}} NOT NULL,
    outcome     TEXT NOT NULL,          -- ok | failed
    size        {{int64}} NOT NULL,     -- bytes stored
    row_count   {{int64}} NOT NULL,
    age_us      {{int64}} NOT NULL,     -- a drill: how old the backup was (RPO)
    detail      TEXT NOT NULL
);
CREATE INDEX backup_runs_started ON backup_runs(started_at);
