CREATE TABLE transactions (
    id             TEXT PRIMARY KEY,
    customer_id    TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    kind           TEXT NOT NULL CHECK (kind IN ('order', 'payment', 'lot', 'refund')),
    status         TEXT NOT NULL CHECK (status IN ('pending', 'completed', 'cancelled')),
    currency       TEXT NOT NULL,
    occurred_on    TEXT NOT NULL,
    reference_ct   {{blob}},
    description_ct {{blob}},
    amount_ct      {{blob}},
    premium_ct     {{blob}},
    created_by     TEXT NOT NULL,
    created_at     {{int64}} NOT NULL,
    updated_at     {{int64}} NOT NULL
);
CREATE INDEX transactions_customer ON transactions(customer_id, occurred_on);
