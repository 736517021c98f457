CREATE TABLE preferences (
    customer_id TEXT PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,
    data_ct     {{blob}} NOT NULL,
    updated_at  {{int64}} NOT NULL
);

CREATE TABLE feedback (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    channel     TEXT NOT NULL,
    rating_ct   {{blob}} NOT NULL,
    comment_ct  {{blob}},
    created_by  TEXT NOT NULL,
    created_at  {{int64}} NOT NULL
);
CREATE INDEX feedback_customer ON feedback(customer_id, created_at);
