-- The anchor only moves forward, and always to the size of a signed
-- checkpoint, so no unsigned event can be deleted.
CREATE OR REPLACE FUNCTION audit_anchor_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') AND NOT EXISTS (SELECT 1 FROM audit_checkpoints WHERE size = NEW.size) THEN
        RAISE EXCEPTION 'the audit anchor must be at a checkpoint';
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.size > OLD.size) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit anchor only moves forward';
END;
$$;
DROP TRIGGER audit_anchor_forward ON audit_anchor;
CREATE TRIGGER audit_anchor_forward BEFORE INSERT OR UPDATE OR DELETE ON audit_anchor
    FOR EACH ROW EXECUTE FUNCTION audit_anchor_forward();
