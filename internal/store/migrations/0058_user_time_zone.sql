-- A user's time zone (an IANA tz database name, "" for UTC stated
-- explicitly) and date/time format ("" for the language's written form,
-- "iso" for 2026-11-24 14:05). Times stay stored in UTC; these only say how
-- the web UI, exports and emails show them to this user.
ALTER TABLE users ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN time_format TEXT NOT NULL DEFAULT '';
