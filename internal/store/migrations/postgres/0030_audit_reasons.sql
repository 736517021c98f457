-- Reasons people type for an audited act (revealing a masked field) are
-- their words about a data subject: they are kept beside the audit event,
-- sealed under that subject's key (erasing the subject shreds them), and
-- the event itself only says that a reason was given. Append-only like
-- the events.
CREATE TABLE audit_reasons (
    seq        BIGINT PRIMARY KEY REFERENCES audit_events(seq),
    subject_id TEXT NOT NULL,
    reason_ct  BYTEA NOT NULL
);
CREATE FUNCTION audit_reasons_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_reasons is append-only';
END;
$$;
CREATE TRIGGER audit_reasons_append_only BEFORE UPDATE OR DELETE ON audit_reasons
    FOR EACH ROW EXECUTE FUNCTION audit_reasons_append_only();
