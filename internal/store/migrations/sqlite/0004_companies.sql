CREATE TABLE companies (
    id         TEXT PRIMARY KEY,
    owner_id   TEXT REFERENCES users(id),
    is_store   INTEGER NOT NULL DEFAULT 0,
    name_ct    BLOB,
    address_ct BLOB,
    phone_ct   BLOB,
    notes_ct   BLOB,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX companies_owner_created ON companies(owner_id, created_at, id);
CREATE INDEX companies_created ON companies(created_at, id);
ALTER TABLE customers ADD COLUMN company_id TEXT REFERENCES companies(id) ON DELETE SET NULL;
CREATE INDEX customers_company ON customers(company_id);
