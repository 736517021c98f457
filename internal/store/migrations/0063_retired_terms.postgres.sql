-- A data key wrapped under a retired term of the master key would open
-- nowhere once the custody destroys that term: such a key is refused
-- (a server that had not yet loaded the newer term, docs/SECURITY.md
-- "Retirement"). Each write takes a shared transaction lock on its term
-- and a retirement the exclusive one before it counts the term's keys
-- (store.LockTermForRetirement): a write in flight is counted, and a
-- write after it waits and then sees the term retired.
CREATE FUNCTION strongroom_live_term() RETURNS trigger AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(7412006, NEW.kek_term::integer);
  IF EXISTS (SELECT 1 FROM key_terms WHERE term = NEW.kek_term AND retired_at IS NOT NULL) THEN
    RAISE EXCEPTION 'strongroom: a data key under a retired master key term (%)', NEW.kek_term;
  END IF;
  RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER subject_keys_live_term BEFORE INSERT OR UPDATE OF wrapped, kek_term ON subject_keys
  FOR EACH ROW EXECUTE FUNCTION strongroom_live_term();
CREATE TRIGGER subject_key_history_live_term BEFORE INSERT ON subject_key_history
  FOR EACH ROW EXECUTE FUNCTION strongroom_live_term();
