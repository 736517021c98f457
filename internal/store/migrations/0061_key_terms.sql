-- Master-key rotation (docs/SECURITY.md, "Key custody and rotation").
-- key_terms: the master key's terms this database has seen, with the
-- custody that holds them, when each was added and retired (no key bytes:
-- those stay in the custody). key_rewraps: the re-wrapping of every data
-- key to a term, resumable from its cursor (the last subject_keys id
-- done) by whichever server holds the job's lock. subject_keys_term finds
-- how many keys each term still wraps.
CREATE TABLE key_terms (
    term       {{int64}} PRIMARY KEY,
    custody    TEXT NOT NULL,
    created_at {{int64}} NOT NULL,
    retired_at {{int64}}
);

CREATE TABLE key_rewraps (
    term        {{int64}} PRIMARY KEY,
    cursor      TEXT NOT NULL DEFAULT '',
    done        {{int64}} NOT NULL DEFAULT 0,
    total       {{int64}} NOT NULL DEFAULT 0,
    started_at  {{int64}} NOT NULL,
    updated_at  {{int64}} NOT NULL,
    finished_at {{int64}}
);

CREATE INDEX subject_keys_term ON subject_keys(kek_term);

-- A customer's data key replaced on demand (keys rotate-subject): every
-- value sealed under it is re-sealed under the new key, except those of
-- the append-only field_history and audit_reasons, for which the old key
-- is kept here, wrapped like any other, and shredded with the subject.
CREATE TABLE subject_key_history (
    subject_id TEXT NOT NULL,
    wrapped    {{blob}} NOT NULL,
    kek_term   {{int64}} NOT NULL,
    retired_at {{int64}} NOT NULL,
    PRIMARY KEY (subject_id, retired_at)
);
