-- How far each SIEM export (internal/siem) has sent the audit log, by
-- destination, so that an export resumes where it stopped.
CREATE TABLE siem_cursors (
    name TEXT PRIMARY KEY,
    seq  {{int64}} NOT NULL,
    at   {{int64}} NOT NULL
);
