ALTER TABLE activities ADD COLUMN deal_id TEXT REFERENCES deals(id) ON DELETE CASCADE;
CREATE INDEX activities_deal ON activities(deal_id, created_at);
