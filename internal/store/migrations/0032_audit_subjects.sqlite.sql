CREATE TABLE audit_subjects (
    subject_id TEXT NOT NULL,
    seq        INTEGER NOT NULL REFERENCES audit_events(seq),
    PRIMARY KEY (subject_id, seq)
) WITHOUT ROWID;
CREATE TRIGGER audit_subjects_no_update BEFORE UPDATE ON audit_subjects
BEGIN SELECT RAISE(ABORT, 'audit_subjects is append-only'); END;
CREATE TRIGGER audit_subjects_no_delete BEFORE DELETE ON audit_subjects
BEGIN SELECT RAISE(ABORT, 'audit_subjects is append-only'); END;
