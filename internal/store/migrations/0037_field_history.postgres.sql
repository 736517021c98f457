CREATE TRIGGER field_history_append_only BEFORE UPDATE OR DELETE ON field_history
    FOR EACH ROW EXECUTE FUNCTION audit_tree_append_only();
