CREATE TABLE companies (
    id         TEXT PRIMARY KEY,
    owner_id   TEXT REFERENCES users(id),
    is_store   INTEGER NOT NULL DEFAULT 0,
    name_ct    {{blob}},
    address_ct {{blob}},
    phone_ct   {{blob}},
    notes_ct   {{blob}},
    created_at {{int64}} NOT NULL,
    updated_at {{int64}} NOT NULL
);
CREATE INDEX companies_owner_created ON companies(owner_id, created_at, id);
CREATE INDEX companies_created ON companies(created_at, id);
ALTER TABLE customers ADD COLUMN company_id TEXT REFERENCES companies(id) ON DELETE SET NULL;
CREATE INDEX customers_company ON customers(company_id);
