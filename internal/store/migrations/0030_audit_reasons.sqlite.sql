CREATE TRIGGER audit_reasons_no_update BEFORE UPDATE ON audit_reasons
BEGIN SELECT RAISE(ABORT, 'audit_reasons is append-only'); END;
CREATE TRIGGER audit_reasons_no_delete BEFORE DELETE ON audit_reasons
BEGIN SELECT RAISE(ABORT, 'audit_reasons is append-only'); END;
