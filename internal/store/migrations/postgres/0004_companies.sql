CREATE TABLE companies (
    id         TEXT PRIMARY KEY,
    owner_id   TEXT REFERENCES users(id),
    is_store   INTEGER NOT NULL DEFAULT 0,
    name_ct    BYTEA,
    address_ct BYTEA,
    phone_ct   BYTEA,
    notes_ct   BYTEA,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX companies_owner_created ON companies(owner_id, created_at, id);
CREATE INDEX companies_created ON companies(created_at, id);
ALTER TABLE customers ADD COLUMN company_id TEXT REFERENCES companies(id) ON DELETE SET NULL;
CREATE INDEX customers_company ON customers(company_id);
