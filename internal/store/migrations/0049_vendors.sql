-- The vendors register (GDPR Art. 28 and 30, PIPL Art. 21 and 23): the
-- third parties that receive or process customer data, their agreements,
-- certifications, reviews and the findings of those reviews. A vendor
-- record holds no customer personal data, so nothing here is sealed; lists
-- (data categories, countries, the product's links to the vendor) are JSON
-- arrays of strings. reminded is the due item the last reminder alert was
-- raised for, so that the daily check raises one alert per item, not one
-- per run.
CREATE TABLE vendors (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    role             TEXT NOT NULL,
    purpose          TEXT NOT NULL,
    data_categories  TEXT NOT NULL DEFAULT '[]',
    locations        TEXT NOT NULL DEFAULT '[]',
    transfer         TEXT NOT NULL DEFAULT '',
    agreement_ref    TEXT NOT NULL DEFAULT '',
    agreement_signed {{int64}} NOT NULL DEFAULT 0,
    dpa              INTEGER NOT NULL DEFAULT 0,
    links            TEXT NOT NULL DEFAULT '[]',
    next_review      {{int64}} NOT NULL DEFAULT 0,
    status           TEXT NOT NULL,
    reminded         TEXT NOT NULL DEFAULT '',
    created_by       TEXT NOT NULL,
    created_at       {{int64}} NOT NULL,
    updated_at       {{int64}} NOT NULL
);
CREATE INDEX vendors_review ON vendors(status, next_review);

CREATE TABLE vendor_certifications (
    vendor_id  TEXT NOT NULL REFERENCES vendors(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    expires_at {{int64}} NOT NULL,
    PRIMARY KEY (vendor_id, name)
);

CREATE TABLE vendor_reviews (
    id          TEXT PRIMARY KEY,
    vendor_id   TEXT NOT NULL REFERENCES vendors(id) ON DELETE CASCADE,
    reviewed_at {{int64}} NOT NULL,
    reviewer    TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    notes       TEXT NOT NULL DEFAULT '',
    created_by  TEXT NOT NULL,
    created_at  {{int64}} NOT NULL
);
CREATE INDEX vendor_reviews_vendor ON vendor_reviews(vendor_id, reviewed_at);

CREATE TABLE vendor_findings (
    id         TEXT PRIMARY KEY,
    vendor_id  TEXT NOT NULL REFERENCES vendors(id) ON DELETE CASCADE,
    review_id  TEXT NOT NULL DEFAULT '',
    text       TEXT NOT NULL,
    severity   TEXT NOT NULL,
    owner      TEXT NOT NULL DEFAULT '',
    due_at     {{int64}} NOT NULL DEFAULT 0,
    fixed_at   {{int64}} NOT NULL DEFAULT 0,
    fix        TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at {{int64}} NOT NULL
);
CREATE INDEX vendor_findings_vendor ON vendor_findings(vendor_id, fixed_at);
