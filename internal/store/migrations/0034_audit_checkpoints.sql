-- The audit log's Merkle tree (RFC 6962) and its signed checkpoints.
-- audit_tree holds the tree's stored hashes, keyed by
-- golang.org/x/mod/sumdb/tlog's StoredHashIndex, for the events up to the
-- latest checkpoint: derived from the events, kept so that inclusion and
-- consistency proofs read a few rows. audit_checkpoints holds each signed
-- checkpoint (a C2SP tlog-checkpoint signed note). audit_witnesses is the
-- size last delivered to each witness, so a witness that is rolled back to
-- an older checkpoint is noticed at the next delivery.
CREATE TABLE audit_tree (
    idx  {{int64}} PRIMARY KEY,
    hash {{blob}} NOT NULL
);
CREATE TABLE audit_checkpoints (
    size {{int64}} PRIMARY KEY,
    root {{blob}} NOT NULL,
    note TEXT NOT NULL,
    at   {{int64}} NOT NULL
);
CREATE TABLE audit_witnesses (
    name TEXT PRIMARY KEY,
    size {{int64}} NOT NULL,
    at   {{int64}} NOT NULL
);
