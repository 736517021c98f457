-- Restriction of processing (GDPR Art. 18, PIPL Art. 44): while set (the
-- time it began, in Unix microseconds; 0 when not restricted), a customer
-- is left out of lists and exports and refused to every read and change
-- but the data-subject request itself and erasure.
ALTER TABLE customers ADD COLUMN restricted {{int64}} NOT NULL DEFAULT 0;
