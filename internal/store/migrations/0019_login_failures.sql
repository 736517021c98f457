-- Consecutive failed logins per account (keyed by the blind index of the
-- email typed, so unknown accounts count like real ones) and per user for
-- second-factor codes, shared by every server on this database.
CREATE TABLE login_failures (
    account {{blob}} PRIMARY KEY,
    failures INTEGER NOT NULL,
    until_at {{int64}} NOT NULL, -- no attempt before this (delay or lock)
    last_at {{int64}} NOT NULL
);
