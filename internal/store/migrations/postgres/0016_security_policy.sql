CREATE TABLE security_policies (
    version    BIGINT PRIMARY KEY,
    text_en    TEXT NOT NULL,
    text_zh    TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE policy_acceptances (
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    version     BIGINT NOT NULL REFERENCES security_policies(version),
    accepted_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, version)
);
