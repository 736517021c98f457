-- What a session lookup reads of training moves the auth epoch (0033).
CREATE TRIGGER auth_epoch_training_modules_insert AFTER INSERT ON training_modules BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER auth_epoch_training_modules_update AFTER UPDATE ON training_modules BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER auth_epoch_training_modules_delete AFTER DELETE ON training_modules BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER auth_epoch_training_roles_insert AFTER INSERT ON training_roles BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER auth_epoch_training_roles_update AFTER UPDATE ON training_roles BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER auth_epoch_training_roles_delete AFTER DELETE ON training_roles BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER auth_epoch_training_versions_insert AFTER INSERT ON training_versions BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER auth_epoch_training_versions_update AFTER UPDATE ON training_versions BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER auth_epoch_training_versions_delete AFTER DELETE ON training_versions BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER auth_epoch_training_attempts_insert AFTER INSERT ON training_attempts BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER auth_epoch_training_attempts_update AFTER UPDATE ON training_attempts BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER auth_epoch_training_attempts_delete AFTER DELETE ON training_attempts BEGIN UPDATE auth_epoch SET n = n + 1 WHERE id = 1; END;
