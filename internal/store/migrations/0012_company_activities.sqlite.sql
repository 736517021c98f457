-- Activities belong to a customer or to a company (exactly one).
CREATE TABLE activities_v2 (
    id          TEXT PRIMARY KEY,
    customer_id TEXT REFERENCES customers(id) ON DELETE CASCADE,
    company_id  TEXT REFERENCES companies(id) ON DELETE CASCADE,
    owner_id    TEXT NOT NULL REFERENCES users(id),
    kind        TEXT NOT NULL CHECK (kind IN ('call', 'meeting', 'note', 'task')),
    subject_ct  BLOB,
    body_ct     BLOB,
    due_at      INTEGER,
    done_at     INTEGER,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    CHECK ((customer_id IS NULL) <> (company_id IS NULL))
);
INSERT INTO activities_v2 (id, customer_id, owner_id, kind, subject_ct, body_ct, due_at, done_at, created_at, updated_at)
    SELECT id, customer_id, owner_id, kind, subject_ct, body_ct, due_at, done_at, created_at, updated_at FROM activities;
DROP TABLE activities;
ALTER TABLE activities_v2 RENAME TO activities;
CREATE INDEX activities_customer ON activities(customer_id, created_at);
CREATE INDEX activities_company ON activities(company_id, created_at);
CREATE INDEX activities_open_tasks ON activities(owner_id, due_at) WHERE kind = 'task' AND done_at IS NULL;
