-- The device (user agent) and address of a session, sealed under the user's key.
ALTER TABLE sessions ADD COLUMN agent_ct {{blob}};
ALTER TABLE sessions ADD COLUMN ip_ct {{blob}};
