-- An authenticator secret offered to a session (sealed under the user's
-- key) and until when it may be confirmed: only the secret the server
-- generated can be enrolled.
ALTER TABLE sessions ADD COLUMN totp_offer_ct {{blob}};
ALTER TABLE sessions ADD COLUMN totp_offer_until BIGINT NOT NULL DEFAULT 0;
-- The password was chosen by someone else (an administrator): the user
-- must change it before anything else.
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
