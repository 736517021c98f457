-- Breach response (GDPR Art. 33/34, PIPL Art. 57, CCPA §1798.82): the
-- incident record with its 72-hour clock, the compromised account, session
-- or address and the window whose audit events draw the scope, the
-- decision on notifying the authority and the people, and its tasks. A
-- drill runs the same workflow and is marked as one. No personal data is
-- kept here: the scope names customers by id (their rows go when they are
-- erased), and notification drafts are rendered when opened, never stored.
CREATE TABLE incidents (
    id               TEXT PRIMARY KEY,
    title            TEXT NOT NULL,
    description      TEXT NOT NULL,
    kind             TEXT NOT NULL,             -- account | session | device | key | other
    drill            INTEGER NOT NULL DEFAULT 0,
    status           TEXT NOT NULL,             -- open | contained | notified | closed
    discovered_at    {{int64}} NOT NULL,
    due_at           {{int64}} NOT NULL,        -- the authority's notice, discovered_at + 72 h
    window_from      {{int64}} NOT NULL,
    window_to        {{int64}} NOT NULL,
    actor_id         TEXT NOT NULL DEFAULT '',  -- the compromised account
    session_id       TEXT NOT NULL DEFAULT '',  -- the compromised session or device session
    ip               TEXT NOT NULL DEFAULT '',  -- the attacker's address
    created_by       TEXT NOT NULL,
    created_at       {{int64}} NOT NULL,
    scoped_at        {{int64}} NOT NULL DEFAULT 0,
    scope_events     INTEGER NOT NULL DEFAULT 0,
    affected         INTEGER NOT NULL DEFAULT 0,
    decided_at       {{int64}} NOT NULL DEFAULT 0,
    decided_by       TEXT NOT NULL DEFAULT '',
    notify_authority INTEGER NOT NULL DEFAULT 0,
    authority_reason TEXT NOT NULL DEFAULT '',
    notify_people    INTEGER NOT NULL DEFAULT 0,
    people_reason    TEXT NOT NULL DEFAULT '',  -- high_risk | no_high_risk | art34_3a | art34_3b | art34_3c
    decision_note    TEXT NOT NULL DEFAULT '',
    contained_at     {{int64}} NOT NULL DEFAULT 0,
    notified_at      {{int64}} NOT NULL DEFAULT 0,
    closed_at        {{int64}} NOT NULL DEFAULT 0
);
CREATE INDEX incidents_open ON incidents(drill, status, due_at);

CREATE TABLE incident_subjects (
    incident_id TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    first_at    {{int64}} NOT NULL,
    last_at     {{int64}} NOT NULL,
    events      INTEGER NOT NULL,
    actions     TEXT NOT NULL,
    fields      TEXT NOT NULL,
    PRIMARY KEY (incident_id, customer_id)
);
CREATE INDEX incident_subjects_customer ON incident_subjects(customer_id);

CREATE TABLE incident_tasks (
    id          TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    owner_id    TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  {{int64}} NOT NULL,
    done_at     {{int64}} NOT NULL DEFAULT 0,
    done_by     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX incident_tasks_incident ON incident_tasks(incident_id, created_at);
