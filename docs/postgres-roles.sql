-- Least privilege for Strongroom on PostgreSQL.
--
-- Two roles: the schema's OWNER runs the migrations (`strongroom migrate`)
-- and owns every table, trigger and function; the APP role runs
-- `strongroom serve` (and the other commands) and owns nothing, so it can
-- run no DDL at all (no DROP, ALTER, CREATE, and no touching the triggers).
-- This script, run by the owner after every `strongroom migrate`, gives the
-- app role what serving needs and no more; the audit log stays append-only
-- for it even if the triggers were gone:
--   audit_events, audit_reasons, audit_subjects, audit_tree, audit_checkpoints:
--                                SELECT, INSERT (no UPDATE, DELETE, TRUNCATE)
--   audit_head:                  SELECT, UPDATE (the chain's head row moves)
--   audit_subjects_indexed:      SELECT, INSERT, UPDATE (the index of subjects'
--                                one-row mark; a trigger refuses moving it back)
--   audit_anchor:                SELECT (archiving, which moves it and removes
--                                old events, runs as the owner: audit archive)
--   schema_migrations:           SELECT
--   every other table:           SELECT, INSERT, UPDATE, DELETE (no TRUNCATE)
--
--   psql "postgres://strongroom_owner@db.example.com/crm?sslmode=verify-full" \
--     -v schema=strongroom -v app_role=strongroom_app -f docs/postgres-roles.sql
--
-- internal/store's TestLeastPrivilegeRoles applies this very file.
GRANT USAGE ON SCHEMA :"schema" TO :"app_role";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA :"schema" TO :"app_role";
REVOKE TRUNCATE ON ALL TABLES IN SCHEMA :"schema" FROM :"app_role";
REVOKE UPDATE, DELETE ON :"schema".audit_events, :"schema".audit_reasons, :"schema".audit_subjects,
    :"schema".audit_tree, :"schema".audit_checkpoints FROM :"app_role";
REVOKE INSERT, DELETE ON :"schema".audit_head FROM :"app_role";
REVOKE DELETE ON :"schema".audit_subjects_indexed FROM :"app_role";
REVOKE INSERT, UPDATE, DELETE ON :"schema".audit_anchor FROM :"app_role";
REVOKE INSERT, UPDATE, DELETE ON :"schema".schema_migrations FROM :"app_role";
