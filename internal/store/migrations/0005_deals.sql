CREATE TABLE pipeline_stages (
    id          TEXT PRIMARY KEY,
    position    INTEGER NOT NULL,
    probability INTEGER NOT NULL CHECK (probability BETWEEN 0 AND 100),
    outcome     TEXT NOT NULL DEFAULT 'open' CHECK (outcome IN ('open', 'won', 'lost'))
);
INSERT INTO pipeline_stages (id, position, probability, outcome) VALUES
    ('lead', 1, 10, 'open'), ('qualified', 2, 25, 'open'), ('proposal', 3, 50, 'open'),
    ('negotiation', 4, 75, 'open'), ('won', 5, 100, 'won'), ('lost', 6, 0, 'lost');

CREATE TABLE deals (
    id             TEXT PRIMARY KEY,
    customer_id    TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    owner_id       TEXT NOT NULL REFERENCES users(id),
    stage          TEXT NOT NULL REFERENCES pipeline_stages(id),
    currency       TEXT NOT NULL,
    title_ct       {{blob}},
    amount_ct      {{blob}},
    probability    INTEGER NOT NULL CHECK (probability BETWEEN 0 AND 100),
    expected_close TEXT,
    created_at     {{int64}} NOT NULL,
    updated_at     {{int64}} NOT NULL
);
CREATE INDEX deals_owner ON deals(owner_id, stage);
CREATE INDEX deals_customer ON deals(customer_id);
