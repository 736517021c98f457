CREATE TABLE visits (
    id              TEXT PRIMARY KEY,
    company_id      TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    rep_id          TEXT NOT NULL REFERENCES users(id),
    planned_for     TEXT NOT NULL,
    checkin_at      BIGINT,
    checkout_at     BIGINT,
    checkin_loc_ct  BYTEA,
    checkout_loc_ct BYTEA,
    notes_ct        BYTEA,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX visits_rep_day ON visits(rep_id, planned_for);
CREATE INDEX visits_company ON visits(company_id);

CREATE TABLE attachments (
    id           TEXT PRIMARY KEY,
    visit_id     TEXT NOT NULL REFERENCES visits(id) ON DELETE CASCADE,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    data_ct      BYTEA NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX attachments_visit ON attachments(visit_id);
