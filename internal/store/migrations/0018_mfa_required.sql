-- Roles whose users must use two-step login: until they enrol an
-- authenticator, they reach only the enrolment (and logging out).
CREATE TABLE mfa_required_roles (
    role TEXT PRIMARY KEY
);
