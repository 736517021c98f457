-- Activities belong to a customer or to a company (exactly one).
ALTER TABLE activities ALTER COLUMN customer_id DROP NOT NULL;
ALTER TABLE activities ADD COLUMN company_id TEXT REFERENCES companies(id) ON DELETE CASCADE;
ALTER TABLE activities ADD CONSTRAINT activities_one_subject CHECK ((customer_id IS NULL) <> (company_id IS NULL));
CREATE INDEX activities_company ON activities(company_id, created_at);
