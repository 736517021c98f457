-- A counter that every change to what authenticating a session reads
-- moves on (the triggers in the engine files), so that a server may keep
-- sessions it has looked up and trust them while the counter stands: a
-- change made by any server or command takes effect at the next request.
CREATE TABLE auth_epoch (
    id {{int64}} PRIMARY KEY CHECK (id = 1),
    n  {{int64}} NOT NULL
);
INSERT INTO auth_epoch (id, n) VALUES (1, 0);
