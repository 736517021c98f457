-- The audit log page filters by action and by outcome, newest first:
-- each filter is an index of its own ending in seq, so a page is a walk
-- down one index from a cursor; audit_action also answers the chooser of
-- actions (a loose index scan: one probe per distinct action).
CREATE INDEX audit_action ON audit_events(action, seq);
CREATE INDEX audit_outcome ON audit_events(outcome, seq);
