-- A data key wrapped under a retired term of the master key would open
-- nowhere once the custody destroys that term: such a key is refused
-- (a server that had not yet loaded the newer term, docs/SECURITY.md
-- "Retirement"). SQLite's one writer runs a retirement and the writes
-- one after the other, so the check sees every retirement committed.
CREATE TRIGGER subject_keys_live_term BEFORE INSERT ON subject_keys
WHEN EXISTS (SELECT 1 FROM key_terms WHERE term = NEW.kek_term AND retired_at IS NOT NULL)
BEGIN SELECT RAISE(ABORT, 'strongroom: a data key under a retired master key term'); END;
CREATE TRIGGER subject_keys_live_term_update BEFORE UPDATE OF wrapped, kek_term ON subject_keys
WHEN EXISTS (SELECT 1 FROM key_terms WHERE term = NEW.kek_term AND retired_at IS NOT NULL)
BEGIN SELECT RAISE(ABORT, 'strongroom: a data key under a retired master key term'); END;
CREATE TRIGGER subject_key_history_live_term BEFORE INSERT ON subject_key_history
WHEN EXISTS (SELECT 1 FROM key_terms WHERE term = NEW.kek_term AND retired_at IS NOT NULL)
BEGIN SELECT RAISE(ABORT, 'strongroom: a data key under a retired master key term'); END;
