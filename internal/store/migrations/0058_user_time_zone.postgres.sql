-- A session lookup carries the user's time zone and format, so changing
-- them moves the counter like the locale does (0033).
DROP TRIGGER auth_epoch_bump ON users;
CREATE TRIGGER auth_epoch_bump AFTER UPDATE OF email_bidx, role, team, locale, time_zone, time_format, disabled, token_key, password_hash, must_change_password, totp_ct OR DELETE ON users FOR EACH STATEMENT EXECUTE FUNCTION auth_epoch_bump();
