-- When a session last proved its user fresh (second factor, or password
-- for a user without one): sensitive actions need it within 5 minutes.
ALTER TABLE sessions ADD COLUMN verified_at {{int64}} NOT NULL DEFAULT 0;
