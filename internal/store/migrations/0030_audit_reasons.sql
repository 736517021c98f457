-- Reasons people type for an audited act (revealing a masked field) are
-- their words about a data subject: they are kept beside the audit event,
-- sealed under that subject's key (erasing the subject shreds them), and
-- the event itself only says that a reason was given. Append-only like
-- the events.
CREATE TABLE audit_reasons (
    seq        {{int64}} PRIMARY KEY REFERENCES audit_events(seq),
    subject_id TEXT NOT NULL,
    reason_ct  {{blob}} NOT NULL
);
