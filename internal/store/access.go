package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
)

// in is the SQL "column IN (?, ?, …)" for values, and its arguments.
func in(column string, values []string) (string, []any) {
	args := make([]any, len(values))
	for i, v := range values {
		args[i] = v
	}
	return column + " IN (" + placeholders(len(values)) + ")", args
}

// AccessRequestRow is an approval request or a break-glass opening.
type AccessRequestRow struct {
	ID          string
	Kind        string
	RequesterID string
	ObjectType  string
	ObjectID    string
	Field       string
	ReasonCT    []byte
	Status      string
	Level       int
	Levels      string // JSON
	Steps       string // JSON
	CreatedAt   time.Time
	ExpiresAt   time.Time
	ValidUntil  time.Time // zero until granted
	WrappedKey  []byte    // the requester's data key, joined in on reads
}

const accessColumns = "r.id, r.kind, r.requester_id, r.object_type, r.object_id, r.field, r.reason_ct, r.status, r.level, r.levels, r.steps, r.created_at, r.expires_at, r.valid_until, k.wrapped"

func scanAccess(row interface{ Scan(...any) error }) (AccessRequestRow, error) {
	var r AccessRequestRow
	var created, expires, valid int64
	err := row.Scan(&r.ID, &r.Kind, &r.RequesterID, &r.ObjectType, &r.ObjectID, &r.Field, &r.ReasonCT, &r.Status, &r.Level, &r.Levels, &r.Steps, &created, &expires, &valid, &r.WrappedKey)
	r.CreatedAt, r.ExpiresAt = fromMicro(created), fromMicro(expires)
	if valid > 0 {
		r.ValidUntil = fromMicro(valid)
	}
	return r, err
}

// InsertAccessRequest stores a new request.
func (tx *accessRows) InsertAccessRequest(ctx context.Context, r AccessRequestRow) error {
	_, err := tx.exec(ctx, `INSERT INTO access_requests (id, kind, requester_id, object_type, object_id, field, reason_ct, status, level, levels, steps, created_at, expires_at, valid_until)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.Kind, r.RequesterID, r.ObjectType, r.ObjectID, r.Field, r.ReasonCT, r.Status, r.Level, r.Levels, r.Steps, r.CreatedAt.UnixMicro(), r.ExpiresAt.UnixMicro(), micro(r.ValidUntil))
	return classify("store.InsertAccessRequest", err)
}

// AccessRequest reads one request.
func (tx *accessRows) AccessRequest(ctx context.Context, id string) (AccessRequestRow, error) {
	r, err := scanAccess(tx.queryRow(ctx, "SELECT "+accessColumns+" FROM access_requests r JOIN subject_keys k ON k.subject_id = r.requester_id WHERE r.id = ?", id))
	return r, classify("store.AccessRequest", err)
}

// UpdateAccessRequest records a decision: status, level, steps and the
// end of the granted window. It fails with NotExist when the request's
// status is no longer from (a concurrent decision won).
func (tx *accessRows) UpdateAccessRequest(ctx context.Context, id, from string, r AccessRequestRow) error {
	return tx.updateOne(ctx, "store.UpdateAccessRequest", "UPDATE access_requests SET status = ?, level = ?, steps = ?, valid_until = ? WHERE id = ? AND status = ?",
		r.Status, r.Level, r.Steps, micro(r.ValidUntil), id, from)
}

// ListAccessRequests returns the newest requests, at most limit: all, or
// (mine != "") those mine made and those still waiting for a decision.
func (tx *accessRows) ListAccessRequests(ctx context.Context, mine string, limit int) ([]AccessRequestRow, error) {
	q, args := "SELECT "+accessColumns+" FROM access_requests r JOIN subject_keys k ON k.subject_id = r.requester_id", []any{}
	if mine != "" {
		q, args = q+" WHERE r.requester_id = ? OR r.status IN ('pending', 'open')", append(args, mine)
	}
	rows, err := tx.query(ctx, q+" ORDER BY r.created_at DESC, r.id LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, classify("store.ListAccessRequests", err)
	}
	defer rows.Close()
	var out []AccessRequestRow
	for rows.Next() {
		r, err := scanAccess(rows)
		if err != nil {
			return nil, classify("store.ListAccessRequests", err)
		}
		out = append(out, r)
	}
	return out, classify("store.ListAccessRequests", rows.Err())
}

// GrantedAccess finds a granted, unused, unexpired approval of kind for a
// requester on one object (and field).
func (tx *accessRows) GrantedAccess(ctx context.Context, kind, requester, objectID, field string, now time.Time) (AccessRequestRow, error) {
	r, err := scanAccess(tx.queryRow(ctx, "SELECT "+accessColumns+` FROM access_requests r JOIN subject_keys k ON k.subject_id = r.requester_id
		WHERE r.kind = ? AND r.requester_id = ? AND r.object_id = ? AND r.field = ? AND r.status = 'approved' AND r.valid_until > ? ORDER BY r.valid_until DESC LIMIT 1`,
		kind, requester, objectID, field, now.UnixMicro()))
	return r, classify("store.GrantedAccess", err)
}

// OpenBreakGlass returns the customer ids a user opened by break-glass
// whose window has not ended, without a transaction (every request).
func (db *DB) OpenBreakGlass(ctx context.Context, userID string, now time.Time) ([]string, error) {
	rows, err := db.readQuery(ctx, "SELECT object_id FROM access_requests WHERE requester_id = ? AND kind = 'breakglass' AND valid_until > ?", userID, now.UnixMicro())
	if err != nil {
		return nil, classify("store.OpenBreakGlass", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, classify("store.OpenBreakGlass", err)
		}
		out = append(out, id)
	}
	return out, classify("store.OpenBreakGlass", rows.Err())
}

// ApprovalLevels returns the levels (JSON) of an approval rule; "" when
// the kind needs no approval.
func (tx *accessRows) ApprovalLevels(ctx context.Context, kind string) (string, error) {
	var levels string
	err := tx.queryRow(ctx, "SELECT levels FROM approval_rules WHERE kind = ?", kind).Scan(&levels)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return levels, classify("store.ApprovalLevels", err)
}

// SetApprovalLevels sets (or, with "", removes) an approval rule.
func (tx *accessRows) SetApprovalLevels(ctx context.Context, kind, levels string) error {
	if _, err := tx.exec(ctx, "DELETE FROM approval_rules WHERE kind = ?", kind); err != nil {
		return classify("store.SetApprovalLevels", err)
	}
	if levels == "" {
		return nil
	}
	_, err := tx.exec(ctx, "INSERT INTO approval_rules (kind, levels) VALUES (?, ?)", kind, levels)
	return classify("store.SetApprovalLevels", err)
}

// BreakGlassRoles returns the roles that may break glass.
func (tx *accessRows) BreakGlassRoles(ctx context.Context) ([]string, error) {
	rows, err := tx.query(ctx, "SELECT role FROM breakglass_roles ORDER BY role")
	if err != nil {
		return nil, classify("store.BreakGlassRoles", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, classify("store.BreakGlassRoles", err)
		}
		out = append(out, r)
	}
	return out, classify("store.BreakGlassRoles", rows.Err())
}

// SetBreakGlassRoles replaces the roles that may break glass.
func (tx *accessRows) SetBreakGlassRoles(ctx context.Context, roles []string) error {
	if _, err := tx.exec(ctx, "DELETE FROM breakglass_roles"); err != nil {
		return classify("store.SetBreakGlassRoles", err)
	}
	for _, r := range roles {
		if _, err := tx.exec(ctx, "INSERT INTO breakglass_roles (role) VALUES (?)", r); err != nil {
			return classify("store.SetBreakGlassRoles", err)
		}
	}
	return nil
}

// UsersWithRoles returns the ids of enabled users holding any of roles.
func (tx *accessRows) UsersWithRoles(ctx context.Context, roles []string) ([]UserRow, error) {
	if len(roles) == 0 {
		return nil, nil
	}
	args := make([]any, len(roles))
	conds := make([]string, len(roles))
	for i, r := range roles {
		args[i], conds[i] = likeEscape(r), roleIn("u.role", "?")
	}
	rows, err := tx.query(ctx, "SELECT "+userColumns+" FROM users u JOIN subject_keys k ON k.subject_id = u.id WHERE u.disabled = 0 AND ("+strings.Join(conds, " OR ")+")", args...)
	if err != nil {
		return nil, classify("store.UsersWithRoles", err)
	}
	defer rows.Close()
	var out []UserRow
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, classify("store.UsersWithRoles", err)
		}
		out = append(out, u)
	}
	return out, classify("store.UsersWithRoles", rows.Err())
}

// accessRows are the rows of access requests, approval rules and break-glass roles, one part of a Tx.
type accessRows struct{ *conn }
