-- See the SQLite file: the same changes move the counter.
CREATE FUNCTION auth_epoch_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE auth_epoch SET n = n + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;
CREATE TRIGGER auth_epoch_bump AFTER INSERT OR UPDATE OR DELETE ON security_policies FOR EACH STATEMENT EXECUTE FUNCTION auth_epoch_bump();
CREATE TRIGGER auth_epoch_bump AFTER INSERT OR UPDATE OR DELETE ON policy_acceptances FOR EACH STATEMENT EXECUTE FUNCTION auth_epoch_bump();
CREATE TRIGGER auth_epoch_bump AFTER INSERT OR UPDATE OR DELETE ON mfa_required_roles FOR EACH STATEMENT EXECUTE FUNCTION auth_epoch_bump();
CREATE TRIGGER auth_epoch_bump AFTER INSERT OR UPDATE OR DELETE ON passkeys FOR EACH STATEMENT EXECUTE FUNCTION auth_epoch_bump();
CREATE TRIGGER auth_epoch_bump AFTER INSERT OR UPDATE OR DELETE ON access_requests FOR EACH STATEMENT EXECUTE FUNCTION auth_epoch_bump();
CREATE TRIGGER auth_epoch_bump AFTER INSERT OR UPDATE OR DELETE ON role_networks FOR EACH STATEMENT EXECUTE FUNCTION auth_epoch_bump();
CREATE TRIGGER auth_epoch_bump AFTER INSERT OR UPDATE OR DELETE ON team_parents FOR EACH STATEMENT EXECUTE FUNCTION auth_epoch_bump();
CREATE TRIGGER auth_epoch_bump AFTER INSERT OR UPDATE OR DELETE ON roles FOR EACH STATEMENT EXECUTE FUNCTION auth_epoch_bump();
CREATE TRIGGER auth_epoch_bump AFTER UPDATE OF token_hash, token_key, user_id, expires_at, mfa_pending, verified_at OR DELETE ON sessions FOR EACH STATEMENT EXECUTE FUNCTION auth_epoch_bump();
CREATE TRIGGER auth_epoch_bump AFTER UPDATE OF email_bidx, role, team, locale, disabled, token_key, password_hash, must_change_password, totp_ct OR DELETE ON users FOR EACH STATEMENT EXECUTE FUNCTION auth_epoch_bump();
CREATE TRIGGER auth_epoch_bump AFTER UPDATE OR DELETE ON subject_keys FOR EACH STATEMENT EXECUTE FUNCTION auth_epoch_bump();
