CREATE TABLE visits (
    id              TEXT PRIMARY KEY,
    company_id      TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    rep_id          TEXT NOT NULL REFERENCES users(id),
    planned_for     TEXT NOT NULL,
    checkin_at      {{int64}},
    checkout_at     {{int64}},
    checkin_loc_ct  {{blob}},
    checkout_loc_ct {{blob}},
    notes_ct        {{blob}},
    created_at      {{int64}} NOT NULL,
    updated_at      {{int64}} NOT NULL
);
CREATE INDEX visits_rep_day ON visits(rep_id, planned_for);
CREATE INDEX visits_company ON visits(company_id);

CREATE TABLE attachments (
    id           TEXT PRIMARY KEY,
    visit_id     TEXT NOT NULL REFERENCES visits(id) ON DELETE CASCADE,
    content_type TEXT NOT NULL,
    size         {{int64}} NOT NULL,
    data_ct      {{blob}} NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   {{int64}} NOT NULL
);
CREATE INDEX attachments_visit ON attachments(visit_id);
