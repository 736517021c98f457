-- Networks whose requests are refused until a time: set by a detector's
-- automatic response or by an administrator, lifted by an administrator.
CREATE TABLE blocked_networks (
    network    TEXT PRIMARY KEY,
    until      {{int64}} NOT NULL,
    reason     TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at {{int64}} NOT NULL
);
