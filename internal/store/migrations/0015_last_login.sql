ALTER TABLE users ADD COLUMN last_login_at {{int64}} NOT NULL DEFAULT 0;
