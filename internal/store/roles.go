package store

import (
	"context"
	"database/sql"
	"strings"
	"time"
)

// RoleRow is a role an administrator defined.
type RoleRow struct {
	Name       string
	Definition string // JSON
	Retired    bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// InsertRole stores a new role; a taken name fails with Exist.
func (tx *roleRows) InsertRole(ctx context.Context, r RoleRow) error {
	_, err := tx.exec(ctx, "INSERT INTO roles (name, definition, created_at, updated_at) VALUES (?, ?, ?, ?)", r.Name, r.Definition, r.CreatedAt.UnixMicro(), r.UpdatedAt.UnixMicro())
	return classify("store.InsertRole", err)
}

// UpdateRole replaces a role's definition.
func (tx *roleRows) UpdateRole(ctx context.Context, name, definition string, now time.Time) error {
	return tx.updateOne(ctx, "store.UpdateRole", "UPDATE roles SET definition = ?, updated_at = ? WHERE name = ?", definition, now.UnixMicro(), name)
}

// RetireRole marks a role retired.
func (tx *roleRows) RetireRole(ctx context.Context, name string, now time.Time) error {
	return tx.updateOne(ctx, "store.RetireRole", "UPDATE roles SET retired = 1, updated_at = ? WHERE name = ?", now.UnixMicro(), name)
}

// RoleByName reads one defined role.
func (tx *roleRows) RoleByName(ctx context.Context, name string) (RoleRow, error) {
	r, err := scanRole(tx.queryRow(ctx, "SELECT name, definition, retired, created_at, updated_at FROM roles WHERE name = ?", name))
	return r, classify("store.RoleByName", err)
}

// ActiveRole reads a defined, unretired role without a transaction: it
// runs on every authenticated request of a user who holds one.
func (db *DB) ActiveRole(ctx context.Context, name string) (RoleRow, error) {
	r, err := scanRole(db.readRow(ctx, "SELECT name, definition, retired, created_at, updated_at FROM roles WHERE name = ? AND retired = 0", name))
	return r, classify("store.ActiveRole", err)
}

// ListRoles returns every defined role by name.
func (tx *roleRows) ListRoles(ctx context.Context) ([]RoleRow, error) {
	rows, err := tx.query(ctx, "SELECT name, definition, retired, created_at, updated_at FROM roles ORDER BY name")
	if err != nil {
		return nil, classify("store.ListRoles", err)
	}
	defer rows.Close()
	var out []RoleRow
	for rows.Next() {
		r, err := scanRole(rows)
		if err != nil {
			return nil, classify("store.ListRoles", err)
		}
		out = append(out, r)
	}
	return out, classify("store.ListRoles", rows.Err())
}

// CountEnabledWithRole counts the enabled users who hold role.
func (tx *roleRows) CountEnabledWithRole(ctx context.Context, role string) (int, error) {
	var n int
	err := tx.queryRow(ctx, "SELECT count(*) FROM users WHERE disabled = 0 AND "+roleIn("role", "?"), likeEscape(role)).Scan(&n)
	return n, classify("store.CountEnabledWithRole", err)
}

// CountUsersWithRole counts the users who hold role.
func (tx *roleRows) CountUsersWithRole(ctx context.Context, role string) (int, error) {
	var n int
	err := tx.queryRow(ctx, "SELECT count(*) FROM users WHERE "+roleIn("role", "?"), likeEscape(role)).Scan(&n)
	return n, classify("store.CountUsersWithRole", err)
}

func scanRole(row interface{ Scan(...any) error }) (RoleRow, error) {
	var r RoleRow
	var retired int
	var created, updated int64
	err := row.Scan(&r.Name, &r.Definition, &retired, &created, &updated)
	r.Retired, r.CreatedAt, r.UpdatedAt = retired != 0, fromMicro(created), fromMicro(updated)
	return r, err
}

// roleIn is SQL that is true when the comma-separated roles in column
// include the role that sql (an escaped role name) gives.
func roleIn(column, sql string) string {
	return "(',' || " + column + " || ',') LIKE ('%,' || " + sql + " || ',%') ESCAPE '\\'"
}

// likeEscape escapes a role name for roleIn.
func likeEscape(s string) string {
	return strings.NewReplacer("\\", "\\\\", "%", "\\%", "_", "\\_").Replace(s)
}

const roleNetworksQuery = "SELECT cidr FROM role_networks WHERE role = ? ORDER BY cidr"

// RoleNetworks returns the address ranges role may be used from, without
// a transaction: it runs on every authenticated request.
func (db *DB) RoleNetworks(ctx context.Context, role string) ([]string, error) {
	rows, err := db.readQuery(ctx, roleNetworksQuery, role)
	return scanNetworks(rows, err)
}

// RoleNetworksTx is RoleNetworks inside tx.
func (tx *roleRows) RoleNetworksTx(ctx context.Context, role string) ([]string, error) {
	rows, err := tx.query(ctx, roleNetworksQuery, role)
	return scanNetworks(rows, err)
}

func scanNetworks(rows *sql.Rows, err error) ([]string, error) {
	if err != nil {
		return nil, classify("store.RoleNetworks", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, classify("store.RoleNetworks", err)
		}
		out = append(out, c)
	}
	return out, classify("store.RoleNetworks", rows.Err())
}

// SetRoleNetworks replaces role's address ranges.
func (tx *roleRows) SetRoleNetworks(ctx context.Context, role string, cidrs []string) error {
	if _, err := tx.exec(ctx, "DELETE FROM role_networks WHERE role = ?", role); err != nil {
		return classify("store.SetRoleNetworks", err)
	}
	for _, c := range cidrs {
		if _, err := tx.exec(ctx, "INSERT INTO role_networks (role, cidr) VALUES (?, ?)", role, c); err != nil {
			return classify("store.SetRoleNetworks", err)
		}
	}
	return nil
}

// roleRows are the rows of roles and their networks, one part of a Tx.
type roleRows struct{ *conn }
