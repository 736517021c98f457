-- Online retention: events older than the retention are archived to files
-- (with the checkpoint they end at) and removed. The anchor is where the
-- log in the database now starts: the archived size, the last archived
-- event's chain hash, the Merkle tree's compact range at that size (the
-- roots of its complete subtrees, base64, largest first) and the signed
-- checkpoint of that size. Events (and their subjects, sealed reasons and
-- field history) may be deleted only at or below it, and it only moves
-- forward.
CREATE TABLE audit_anchor (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    size  {{int64}} NOT NULL,
    hash  {{blob}} NOT NULL,
    stack TEXT NOT NULL,
    note  TEXT NOT NULL,
    at    {{int64}} NOT NULL
);
