-- Consecutive failed logins per account (keyed by the blind index of the
-- email typed, so unknown accounts count like real ones) and per user for
-- second-factor codes, shared by every server on this database.
CREATE TABLE login_failures (
    account BYTEA PRIMARY KEY,
    failures INTEGER NOT NULL,
    until_at BIGINT NOT NULL, -- no attempt before this (delay or lock)
    last_at BIGINT NOT NULL
);
