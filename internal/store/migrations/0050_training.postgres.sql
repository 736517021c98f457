-- See the SQLite file: what a session lookup reads of training moves the auth epoch.
CREATE TRIGGER auth_epoch_bump AFTER INSERT OR UPDATE OR DELETE ON training_modules FOR EACH STATEMENT EXECUTE FUNCTION auth_epoch_bump();
CREATE TRIGGER auth_epoch_bump AFTER INSERT OR UPDATE OR DELETE ON training_roles FOR EACH STATEMENT EXECUTE FUNCTION auth_epoch_bump();
CREATE TRIGGER auth_epoch_bump AFTER INSERT OR UPDATE OR DELETE ON training_versions FOR EACH STATEMENT EXECUTE FUNCTION auth_epoch_bump();
CREATE TRIGGER auth_epoch_bump AFTER INSERT OR UPDATE OR DELETE ON training_attempts FOR EACH STATEMENT EXECUTE FUNCTION auth_epoch_bump();
