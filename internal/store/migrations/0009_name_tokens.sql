-- Blind indexes of name tokens, for token search over sealed names.
CREATE TABLE name_tokens (
    kind       TEXT NOT NULL CHECK (kind IN ('customer', 'company')),
    subject_id TEXT NOT NULL,
    token      {{blob}} NOT NULL,
    PRIMARY KEY (kind, subject_id, token)
);
CREATE INDEX name_tokens_token ON name_tokens(kind, token);
