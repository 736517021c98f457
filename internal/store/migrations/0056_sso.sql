-- Single sign-on (issue 15): a staff account linked to its identity at the
-- company's OpenID Connect provider. No column holds the provider's subject
-- or the issuer in plaintext: link_bidx is the blind index of the issuer and
-- subject together, issuer_bidx of the issuer alone (so one account has at
-- most one identity per provider). A session notes whether the provider
-- asserted two-step login (sso_mfa), which stands in for Strongroom's own
-- second factor when the administrator delegated it.
CREATE TABLE sso_links (
    link_bidx   {{blob}} PRIMARY KEY,
    issuer_bidx {{blob}} NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  {{int64}} NOT NULL,
    last_used_at {{int64}} NOT NULL
);
CREATE UNIQUE INDEX sso_links_user ON sso_links(user_id, issuer_bidx);
ALTER TABLE sessions ADD COLUMN sso_mfa INTEGER NOT NULL DEFAULT 0;
