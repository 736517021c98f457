-- The anchor is one row, set once and then only moved forward, and always
-- to the size of a signed checkpoint (so no unsigned event can be
-- deleted); INSERT OR REPLACE may not go around the update's trigger.
CREATE TRIGGER audit_anchor_insert_once BEFORE INSERT ON audit_anchor
WHEN EXISTS (SELECT 1 FROM audit_anchor)
BEGIN SELECT RAISE(ABORT, 'the audit anchor only moves forward'); END;
CREATE TRIGGER audit_anchor_insert_checkpointed BEFORE INSERT ON audit_anchor
WHEN NEW.size NOT IN (SELECT size FROM audit_checkpoints)
BEGIN SELECT RAISE(ABORT, 'the audit anchor must be at a checkpoint'); END;
CREATE TRIGGER audit_anchor_update_checkpointed BEFORE UPDATE ON audit_anchor
WHEN NEW.size NOT IN (SELECT size FROM audit_checkpoints)
BEGIN SELECT RAISE(ABORT, 'the audit anchor must be at a checkpoint'); END;
