-- Reasons people type for an audited act (revealing a masked field) are
-- their words about a data subject: they are kept beside the audit event,
-- sealed under that subject's key (erasing the subject shreds them), and
-- the event itself only says that a reason was given. Append-only like
-- the events.
CREATE TABLE audit_reasons (
    seq        INTEGER PRIMARY KEY REFERENCES audit_events(seq),
    subject_id TEXT NOT NULL,
    reason_ct  BLOB NOT NULL
);
CREATE TRIGGER audit_reasons_no_update BEFORE UPDATE ON audit_reasons
BEGIN SELECT RAISE(ABORT, 'audit_reasons is append-only'); END;
CREATE TRIGGER audit_reasons_no_delete BEFORE DELETE ON audit_reasons
BEGIN SELECT RAISE(ABORT, 'audit_reasons is append-only'); END;
