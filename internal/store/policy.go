package store

import (
	"context"
	"time"
)

// Policy is one version of the security policy.
type Policy struct {
	Version   int64
	TextEN    string
	TextZH    string
	CreatedBy string
	CreatedAt time.Time
}

// CurrentPolicy returns the latest policy, or NotExist when none was published.
func (tx *policyRows) CurrentPolicy(ctx context.Context) (Policy, error) {
	var p Policy
	var created int64
	err := tx.queryRow(ctx, "SELECT version, text_en, text_zh, created_by, created_at FROM security_policies ORDER BY version DESC LIMIT 1").
		Scan(&p.Version, &p.TextEN, &p.TextZH, &p.CreatedBy, &created)
	p.CreatedAt = fromMicro(created)
	return p, classify("store.CurrentPolicy", err)
}

// InsertPolicy stores a new version.
func (tx *policyRows) InsertPolicy(ctx context.Context, p Policy) error {
	_, err := tx.exec(ctx, "INSERT INTO security_policies (version, text_en, text_zh, created_by, created_at) VALUES (?, ?, ?, ?, ?)",
		p.Version, p.TextEN, p.TextZH, p.CreatedBy, p.CreatedAt.UnixMicro())
	return classify("store.InsertPolicy", err)
}

// AcceptPolicy records a user's acceptance of a version (again is a no-op).
func (tx *policyRows) AcceptPolicy(ctx context.Context, userID string, version int64, now time.Time) error {
	var n int
	if err := tx.queryRow(ctx, "SELECT count(*) FROM policy_acceptances WHERE user_id = ? AND version = ?", userID, version).Scan(&n); err != nil {
		return classify("store.AcceptPolicy", err)
	}
	if n > 0 {
		return nil
	}
	_, err := tx.exec(ctx, "INSERT INTO policy_acceptances (user_id, version, accepted_at) VALUES (?, ?, ?)", userID, version, now.UnixMicro())
	return classify("store.AcceptPolicy", err)
}

// Acceptance is one user's acceptance of a version.
type Acceptance struct {
	UserID     string
	AcceptedAt time.Time
}

// PolicyAcceptances lists who accepted a version, earliest first.
func (tx *policyRows) PolicyAcceptances(ctx context.Context, version int64) ([]Acceptance, error) {
	rows, err := tx.query(ctx, "SELECT user_id, accepted_at FROM policy_acceptances WHERE version = ? ORDER BY accepted_at", version)
	if err != nil {
		return nil, classify("store.PolicyAcceptances", err)
	}
	defer rows.Close()
	var out []Acceptance
	for rows.Next() {
		var a Acceptance
		var at int64
		if err := rows.Scan(&a.UserID, &at); err != nil {
			return nil, classify("store.PolicyAcceptances", err)
		}
		a.AcceptedAt = fromMicro(at)
		out = append(out, a)
	}
	return out, classify("store.PolicyAcceptances", rows.Err())
}

// MFARequiredRoles lists the roles whose users must use two-step login.
func (tx *policyRows) MFARequiredRoles(ctx context.Context) ([]string, error) {
	rows, err := tx.query(ctx, "SELECT role FROM mfa_required_roles ORDER BY role")
	if err != nil {
		return nil, classify("store.MFARequiredRoles", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, classify("store.MFARequiredRoles", err)
		}
		out = append(out, r)
	}
	return out, classify("store.MFARequiredRoles", rows.Err())
}

// SetMFARequiredRoles replaces the roles that must use two-step login.
func (tx *policyRows) SetMFARequiredRoles(ctx context.Context, roles []string) error {
	if _, err := tx.exec(ctx, "DELETE FROM mfa_required_roles"); err != nil {
		return classify("store.SetMFARequiredRoles", err)
	}
	for _, r := range roles {
		if _, err := tx.exec(ctx, "INSERT INTO mfa_required_roles (role) VALUES (?)", r); err != nil {
			return classify("store.SetMFARequiredRoles", err)
		}
	}
	return nil
}

// policyRows are the rows of the security policy, its acceptances and MFA rules, one part of a Tx.
type policyRows struct{ *conn }
