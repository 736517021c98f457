CREATE FUNCTION audit_reasons_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_reasons is append-only';
END;
$$;
CREATE TRIGGER audit_reasons_append_only BEFORE UPDATE OR DELETE ON audit_reasons
    FOR EACH ROW EXECUTE FUNCTION audit_reasons_append_only();
