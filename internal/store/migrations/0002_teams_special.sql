ALTER TABLE users ADD COLUMN team TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN assessment_ct {{blob}};
CREATE INDEX users_team ON users(team);
