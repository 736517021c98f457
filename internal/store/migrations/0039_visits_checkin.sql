-- The detectors read the check-ins made since they last looked (for
-- impossible travel between a rep's check-in places).
CREATE INDEX visits_checkin ON visits(checkin_at);
