-- Maker-checker: which kinds of access need approval, by whom, level by
-- level (a JSON list of lists of roles); the roles that may break glass;
-- and the requests (an approval asked for, or a break-glass opened and
-- awaiting review). The reason is sealed under the requester's key.
CREATE TABLE approval_rules (
    kind TEXT PRIMARY KEY,
    levels TEXT NOT NULL
);
INSERT INTO approval_rules (kind, levels) VALUES ('reveal_special', '[["admin"]]'), ('breakglass', '[["admin"]]');
CREATE TABLE breakglass_roles (
    role TEXT PRIMARY KEY
);
CREATE TABLE access_requests (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    requester_id TEXT NOT NULL REFERENCES users(id),
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    field TEXT NOT NULL DEFAULT '',
    reason_ct {{blob}} NOT NULL,
    status TEXT NOT NULL,
    level INTEGER NOT NULL DEFAULT 0,
    levels TEXT NOT NULL,
    steps TEXT NOT NULL DEFAULT '[]',
    created_at {{int64}} NOT NULL,
    expires_at {{int64}} NOT NULL,
    valid_until {{int64}} NOT NULL DEFAULT 0
);
CREATE INDEX access_requests_requester ON access_requests (requester_id, status);
CREATE INDEX access_requests_status ON access_requests (status);
