DROP TRIGGER audit_events_no_delete;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
WHEN OLD.seq > COALESCE((SELECT size FROM audit_anchor WHERE id = 1), 0)
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
DROP TRIGGER audit_reasons_no_delete;
CREATE TRIGGER audit_reasons_no_delete BEFORE DELETE ON audit_reasons
WHEN OLD.seq > COALESCE((SELECT size FROM audit_anchor WHERE id = 1), 0)
BEGIN SELECT RAISE(ABORT, 'audit_reasons is append-only'); END;
DROP TRIGGER audit_subjects_no_delete;
CREATE TRIGGER audit_subjects_no_delete BEFORE DELETE ON audit_subjects
WHEN OLD.seq > COALESCE((SELECT size FROM audit_anchor WHERE id = 1), 0)
BEGIN SELECT RAISE(ABORT, 'audit_subjects is append-only'); END;
DROP TRIGGER field_history_no_delete;
CREATE TRIGGER field_history_no_delete BEFORE DELETE ON field_history
WHEN OLD.event_seq > COALESCE((SELECT size FROM audit_anchor WHERE id = 1), 0)
BEGIN SELECT RAISE(ABORT, 'field_history is append-only'); END;
CREATE TRIGGER audit_anchor_forward BEFORE UPDATE ON audit_anchor
WHEN NEW.size <= OLD.size
BEGIN SELECT RAISE(ABORT, 'the audit anchor only moves forward'); END;
CREATE TRIGGER audit_anchor_no_delete BEFORE DELETE ON audit_anchor
BEGIN SELECT RAISE(ABORT, 'the audit anchor only moves forward'); END;
