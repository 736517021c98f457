ALTER TABLE customers ADD COLUMN tags_ct {{blob}};
ALTER TABLE companies ADD COLUMN tags_ct {{blob}};
-- Blind indexes of tags, for filtering lists by tag.
CREATE TABLE tag_index (
    kind       TEXT NOT NULL CHECK (kind IN ('customer', 'company')),
    subject_id TEXT NOT NULL,
    tag        {{blob}} NOT NULL,
    PRIMARY KEY (kind, subject_id, tag)
);
CREATE INDEX tag_index_tag ON tag_index(kind, tag);
