-- One event may record many subjects (a list page, an import): their ids
-- are part of the event (hashed, in subjects) and indexed one row each in
-- audit_subjects, which answers "who saw this person's data" per subject.
ALTER TABLE audit_events ADD COLUMN subjects TEXT NOT NULL DEFAULT '';
