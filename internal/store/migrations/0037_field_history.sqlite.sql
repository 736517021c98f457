CREATE TRIGGER field_history_no_update BEFORE UPDATE ON field_history
BEGIN SELECT RAISE(ABORT, 'field_history is append-only'); END;
CREATE TRIGGER field_history_no_delete BEFORE DELETE ON field_history
BEGIN SELECT RAISE(ABORT, 'field_history is append-only'); END;
