CREATE TABLE activities (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    owner_id    TEXT NOT NULL REFERENCES users(id),
    kind        TEXT NOT NULL CHECK (kind IN ('call', 'meeting', 'note', 'task')),
    subject_ct  BYTEA,
    body_ct     BYTEA,
    due_at      BIGINT,
    done_at     BIGINT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX activities_customer ON activities(customer_id, created_at);
CREATE INDEX activities_open_tasks ON activities(owner_id, due_at) WHERE kind = 'task' AND done_at IS NULL;
