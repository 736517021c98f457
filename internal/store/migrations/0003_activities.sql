CREATE TABLE activities (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    owner_id    TEXT NOT NULL REFERENCES users(id),
    kind        TEXT NOT NULL CHECK (kind IN ('call', 'meeting', 'note', 'task')),
    subject_ct  {{blob}},
    body_ct     {{blob}},
    due_at      {{int64}},
    done_at     {{int64}},
    created_at  {{int64}} NOT NULL,
    updated_at  {{int64}} NOT NULL
);
CREATE INDEX activities_customer ON activities(customer_id, created_at);
CREATE INDEX activities_open_tasks ON activities(owner_id, due_at) WHERE kind = 'task' AND done_at IS NULL;
