-- Access review campaigns: each user's role is confirmed or revoked by a
-- reviewer (a manager of their team, else an administrator), with flags
-- (dormant, rights unused, a role outside the built-in and template ones);
-- a signed-off campaign keeps its report and the report's SHA-256.
CREATE TABLE access_reviews (
    id TEXT PRIMARY KEY,
    created_by TEXT NOT NULL,
    created_at {{int64}} NOT NULL,
    due_at {{int64}} NOT NULL,
    status TEXT NOT NULL,
    signed_by TEXT NOT NULL DEFAULT '',
    signed_at {{int64}} NOT NULL DEFAULT 0,
    report TEXT NOT NULL DEFAULT '',
    report_hash TEXT NOT NULL DEFAULT ''
);
CREATE TABLE access_review_items (
    review_id TEXT NOT NULL REFERENCES access_reviews(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    role TEXT NOT NULL,
    team TEXT NOT NULL,
    reviewer_id TEXT NOT NULL,
    flags TEXT NOT NULL,
    decision TEXT NOT NULL DEFAULT 'pending',
    decided_by TEXT NOT NULL DEFAULT '',
    decided_at {{int64}} NOT NULL DEFAULT 0,
    PRIMARY KEY (review_id, user_id)
);
