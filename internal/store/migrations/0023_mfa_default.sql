-- Two-step login is required for every role by default (NIST SP 800-63B
-- AAL2 for anyone who touches customer data). Administrators may make it
-- optional per role.
INSERT INTO mfa_required_roles (role) VALUES
    ('admin'), ('manager'), ('sales'), ('finance'), ('marketing'), ('support'), ('counsellor'), ('field_rep'), ('auditor')
ON CONFLICT (role) DO NOTHING;
