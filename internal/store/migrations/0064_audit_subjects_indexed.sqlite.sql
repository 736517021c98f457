-- The index of subjects (audit_subjects) is filled behind the log, in
-- batches sorted by subject, from the subjects each event names: a page
-- of 50 customers appends one event, not 50 scattered index rows
-- (docs/ARCHITECTURE.md, "One event, many subjects"). through is the last seq
-- indexed; queries read the events after it directly. Every event
-- already in the log was indexed as it was appended; without a row
-- (no events yet), nothing is indexed, and the indexer adds the row.
CREATE TABLE audit_subjects_indexed (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    through INTEGER NOT NULL
);
INSERT INTO audit_subjects_indexed (id, through) SELECT 1, m FROM (SELECT MAX(seq) AS m FROM audit_events) e WHERE m IS NOT NULL;
CREATE TRIGGER audit_subjects_indexed_forward BEFORE UPDATE ON audit_subjects_indexed
WHEN NEW.through < OLD.through OR NEW.id <> OLD.id
BEGIN SELECT RAISE(ABORT, 'audit_subjects_indexed only moves forward'); END;
