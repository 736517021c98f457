CREATE TABLE security_policies (
    version    {{int64}} PRIMARY KEY,
    text_en    TEXT NOT NULL,
    text_zh    TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at {{int64}} NOT NULL
);
CREATE TABLE policy_acceptances (
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    version     {{int64}} NOT NULL REFERENCES security_policies(version),
    accepted_at {{int64}} NOT NULL,
    PRIMARY KEY (user_id, version)
);
