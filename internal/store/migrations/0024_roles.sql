-- Roles administrators define (built-in roles live in the code): the
-- definition is JSON (summary and, per object type, actions at a scope and
-- field levels). A retired role grants nothing and cannot be assigned.
CREATE TABLE roles (
    name TEXT PRIMARY KEY,
    definition TEXT NOT NULL,
    retired INTEGER NOT NULL DEFAULT 0,
    created_at {{int64}} NOT NULL,
    updated_at {{int64}} NOT NULL
);
