-- A request made on the public privacy page waits here until the person
-- confirms it from the single-use link emailed to the address on record
-- (24 hours): only the token's hash is kept, and their words are sealed
-- under their key.
CREATE TABLE request_links (
    token_hash  {{blob}} PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    law         TEXT NOT NULL,
    details_ct  {{blob}},
    created_at  {{int64}} NOT NULL,
    expires_at  {{int64}} NOT NULL,
    used_at     {{int64}} NOT NULL DEFAULT 0
);
