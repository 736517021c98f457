CREATE TABLE audit_subjects (
    subject_id TEXT NOT NULL,
    seq        BIGINT NOT NULL REFERENCES audit_events(seq),
    PRIMARY KEY (subject_id, seq)
);
CREATE FUNCTION audit_subjects_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_subjects is append-only';
END;
$$;
CREATE TRIGGER audit_subjects_append_only BEFORE UPDATE OR DELETE ON audit_subjects
    FOR EACH ROW EXECUTE FUNCTION audit_subjects_append_only();
