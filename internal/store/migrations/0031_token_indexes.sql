-- Search by name and filter by tag look tokens up by (kind, token). The
-- indexes for that now carry subject_id too, so that they answer alone
-- (covering) and the planner prefers them to the primary key, which
-- serves only the kind: SQLite, without statistics, otherwise read every
-- token of the kind for each search.
DROP INDEX name_tokens_token;
CREATE INDEX name_tokens_token ON name_tokens(kind, token, subject_id);
DROP INDEX tag_index_tag;
CREATE INDEX tag_index_tag ON tag_index(kind, tag, subject_id);
