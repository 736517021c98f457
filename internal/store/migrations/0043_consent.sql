-- Privacy notices, versioned, in English and Chinese (not personal data),
-- and each person's consent ledger: purpose, lawful basis, the notice
-- version they were shown, channel, source, time and withdrawal. A
-- guardian's name and notes are sealed under the person's key. Deleting
-- the customer deletes their ledger.
CREATE TABLE privacy_notices (
    version      INTEGER PRIMARY KEY,
    text_en      TEXT NOT NULL,
    text_zh      TEXT NOT NULL,
    published_at {{int64}} NOT NULL,
    published_by TEXT NOT NULL
);

CREATE TABLE consents (
    id             TEXT PRIMARY KEY,
    subject_id     TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    purpose        TEXT NOT NULL,
    basis          TEXT NOT NULL,
    notice_version INTEGER NOT NULL,
    channel        TEXT NOT NULL,
    source         TEXT NOT NULL,
    guardian       INTEGER NOT NULL DEFAULT 0,
    details_ct     {{blob}},
    given_at       {{int64}} NOT NULL,
    withdrawn_at   {{int64}} NOT NULL DEFAULT 0,
    recorded_by    TEXT NOT NULL
);
CREATE INDEX consents_subject ON consents(subject_id, purpose);
CREATE INDEX consents_purpose ON consents(purpose, withdrawn_at);

-- A first notice, so that consents always say what the person was told;
-- the privacy officer publishes the organisation's own as version 2.
INSERT INTO privacy_notices (version, text_en, text_zh, published_at, published_by) VALUES (1,
'We keep your name, contact details and the records of our dealings with you to serve you as a customer (the contract between us), and, only with your consent, to send you marketing through the channels you choose and to process sensitive information such as counselling assessments. Your data is kept encrypted on our own servers and in encrypted backups, is seen only by staff who need it, and every access is recorded. We share it with no one without your consent, except where the law requires. You may ask for a copy of your data, its correction or erasure, restrict or object to its use, or withdraw a consent at any time, through our staff or our privacy page.',
'我们保存您的姓名、联系方式以及与您往来的记录，用于为您提供服务（履行我们之间的合同）；仅在取得您同意后，才通过您选择的渠道向您发送营销信息，或处理心理评估等敏感个人信息。您的数据以加密方式保存在我们自己的服务器和加密备份中，只有确需了解的员工才能查看，每次访问都有记录。未经您同意，我们不会向任何人提供您的数据，法律另有规定的除外。您可以随时通过我们的员工或隐私页面要求获取数据副本、更正或删除数据、限制或反对处理，或撤回任何同意。',
0, 'system');
