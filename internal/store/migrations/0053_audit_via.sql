-- An audit event names the OAuth client a request came through and the
-- field device its session is bound to ('' for neither). Both are hashed
-- into the chain only when set, so the events before them verify as they
-- always have.
ALTER TABLE audit_events ADD COLUMN client_id TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN device_id TEXT NOT NULL DEFAULT '';
