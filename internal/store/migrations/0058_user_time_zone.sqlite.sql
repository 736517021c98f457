-- A session lookup carries the user's time zone and format, so changing
-- them moves the counter like the locale does (0033).
DROP TRIGGER auth_epoch_users_update;
CREATE TRIGGER auth_epoch_users_update AFTER UPDATE OF email_bidx, role, team, locale, time_zone, time_format, disabled, token_key, password_hash, must_change_password, totp_ct ON users BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
