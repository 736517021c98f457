-- The workflow of a data-subject request: who it is assigned to and when,
-- the second person's approval that some steps need (maker-checker:
-- approval asked by one handler, given by another), who closed it, and the
-- deadline reminder raised for it (reminded_at: once, compare-and-set).
-- approval is '' (none asked), 'requested' or 'approved'; approval_for
-- names the step it is for: 'erasure' (carrying out an erasure),
-- 'completion' or 'rejection' (with the outcome waiting in outcome). The status stays
-- open or in_progress while an approval is awaited, so that everything
-- that counts open requests (retention, the compliance report) holds.
ALTER TABLE privacy_requests ADD COLUMN assigned_at {{int64}} NOT NULL DEFAULT 0;
ALTER TABLE privacy_requests ADD COLUMN approval TEXT NOT NULL DEFAULT '';
ALTER TABLE privacy_requests ADD COLUMN approval_for TEXT NOT NULL DEFAULT '';
ALTER TABLE privacy_requests ADD COLUMN requested_by TEXT NOT NULL DEFAULT '';
ALTER TABLE privacy_requests ADD COLUMN approved_by TEXT NOT NULL DEFAULT '';
ALTER TABLE privacy_requests ADD COLUMN approved_at {{int64}} NOT NULL DEFAULT 0;
ALTER TABLE privacy_requests ADD COLUMN closed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE privacy_requests ADD COLUMN reminded_at {{int64}} NOT NULL DEFAULT 0;

-- Which steps need a second handler's approval: 'rejection' (rejecting
-- any request) or a request kind (carrying out or completing a request of
-- that kind). On by default for erasure and rejection.
CREATE TABLE request_approval_steps (
    step TEXT PRIMARY KEY
);
INSERT INTO request_approval_steps (step) VALUES ('erasure'), ('rejection');
