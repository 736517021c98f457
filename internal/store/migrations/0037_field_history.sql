-- Field history: the before and after values of each field a change
-- touched, sealed under the subject's data key (so erasing the subject
-- makes them unreadable), beside the change's audit event (event_seq),
-- which says who changed it and when. Append-only.
CREATE TABLE field_history (
    subject_id TEXT NOT NULL,
    event_seq  {{int64}} NOT NULL,
    field      TEXT NOT NULL,
    before_ct  {{blob}},
    after_ct   {{blob}},
    PRIMARY KEY (subject_id, event_seq, field)
);
