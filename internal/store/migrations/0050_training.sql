-- Staff training: modules of text and a short quiz, in English and
-- Chinese, versioned (a version is never changed: a new one is published).
-- A module is assigned to roles; when required, a user holding one of them
-- must have passed its current version before reaching customer data, like
-- the security policy (the session query reads these tables, so the engine
-- files move the auth epoch on their changes). A version's quiz is JSON
-- and holds the correct answers: only the service reads them, to score.
CREATE TABLE training_modules (
    module_key TEXT PRIMARY KEY,
    required   INTEGER NOT NULL DEFAULT 0,
    created_at {{int64}} NOT NULL
);
CREATE TABLE training_roles (
    module_key TEXT NOT NULL REFERENCES training_modules(module_key) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    PRIMARY KEY (module_key, role)
);
CREATE TABLE training_versions (
    module_key TEXT NOT NULL REFERENCES training_modules(module_key) ON DELETE CASCADE,
    version    {{int64}} NOT NULL,
    title_en   TEXT NOT NULL,
    title_zh   TEXT NOT NULL,
    body_en    TEXT NOT NULL,
    body_zh    TEXT NOT NULL,
    quiz       TEXT NOT NULL,
    pass_mark  INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    created_at {{int64}} NOT NULL,
    PRIMARY KEY (module_key, version)
);
CREATE TABLE training_attempts (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    module_key TEXT NOT NULL,
    version    {{int64}} NOT NULL,
    score      INTEGER NOT NULL,
    passed     INTEGER NOT NULL,
    taken_at   {{int64}} NOT NULL
);
CREATE INDEX training_attempts_user ON training_attempts(user_id, module_key, version);

-- The built-in module, assigned to no role until an administrator does.
INSERT INTO training_modules (module_key, required, created_at) VALUES ('customer-data', 0, 0);
INSERT INTO training_versions (module_key, version, title_en, title_zh, body_en, body_zh, quiz, pass_mark, created_by, created_at) VALUES ('customer-data', 1,
'Handling customer data and reporting a breach',
'处理客户数据与报告数据泄露',
'Customer data belongs to the customer. Open a record only when your work needs it, and reveal a hidden field only with a true reason: every read is in the audit log.

Never copy customer data into e-mail, chat, spreadsheets or your own devices. Use the export only when a task requires it, and delete the file when the task is done.

A customer may ask to see, correct or erase their data, or to stop its use. Take the request in the privacy centre at once: the law gives us a deadline (one month under GDPR, 45 days under CCPA, 15 working days under PIPL).

Special-category data (health, assessments) needs the person''s separate consent. Do not record it without one.

If you suspect a breach — a lost laptop, a message sent to the wrong person, an account used by someone else, a strange alert — report it to your administrator at once, even outside office hours. Do not try to investigate or hide it yourself. We may have 72 hours to notify the regulator.',
'客户数据属于客户。仅在工作需要时打开记录，仅在有真实理由时显示隐藏字段：每一次读取都记入审计日志。

切勿将客户数据复制到邮件、聊天工具、电子表格或个人设备中。只有任务需要时才使用导出功能，任务完成后删除文件。

客户可以要求查看、更正或删除其数据，或停止使用其数据。请立即在隐私中心登记请求：法律规定了期限（GDPR 为一个月，CCPA 为 45 天，PIPL 为 15 个工作日）。

敏感个人信息（健康、评估）需要本人的单独同意。没有同意不得记录。

如果怀疑发生数据泄露——笔记本电脑丢失、消息发错了人、账号被他人使用、出现异常警报——请立即向管理员报告，即使在下班时间。不要自行调查或隐瞒。我们可能只有 72 小时通知监管机构。',
'[{"q_en":"When may you open a customer''s record?","q_zh":"什么时候可以打开客户记录？","choices_en":["Whenever I am curious","When my work needs it","Only on Mondays"],"choices_zh":["只要我好奇","工作需要时","只在星期一"],"answer":1},
{"q_en":"A customer asks you to delete their data. What do you do?","q_zh":"客户要求删除其数据，你应该怎么做？","choices_en":["Delete the record myself at once","Ignore it","Take the request in the privacy centre at once"],"choices_zh":["立即自己删除记录","不予理会","立即在隐私中心登记请求"],"answer":2},
{"q_en":"You sent a customer''s details to the wrong person. What do you do?","q_zh":"你把客户信息发给了错误的人，应该怎么做？","choices_en":["Report it to the administrator at once","Wait and see if anyone notices","Delete the sent message and say nothing"],"choices_zh":["立即向管理员报告","等等看是否有人发现","删除已发送的消息，什么也不说"],"answer":0},
{"q_en":"May you keep an export of customers on your own laptop?","q_zh":"可以把客户导出文件保存在个人电脑上吗？","choices_en":["Yes, it is faster","No, and delete an export when the task is done","Yes, if it is zipped"],"choices_zh":["可以，这样更快","不可以，任务完成后应删除导出文件","可以，只要压缩了"],"answer":1},
{"q_en":"What does recording a health assessment need first?","q_zh":"记录健康评估之前需要什么？","choices_en":["The person''s separate consent","Nothing","A manager''s e-mail"],"choices_zh":["本人的单独同意","什么都不需要","经理的邮件"],"answer":0}]',
80, 'system', 0);
