package store

import (
	"context"
	"database/sql"
	"time"

	"strongroom.dev/strongroom/internal/errs"
)

// UserRow is a stored user. The email is sealed; EmailIndex finds it.
type UserRow struct {
	ID          string
	EmailIndex  []byte
	EmailSealed []byte
	Role        string
	Team        string // "" for none
	Locale      string // the UI language the user chose; "" for the browser's
	TimeZone    string // the tz database zone times are shown in; "" for UTC
	TimeFormat  string // how dates and times are written: "" the language's own, "iso"
	LastLoginAt time.Time
	// TOTP: the secret sealed under the user's key (nil when not enrolled),
	// the last time step used, and hashes of the unused recovery codes.
	TOTPSealed     []byte
	TOTPLastStep   int64
	RecoveryHashes string
	PasswordHash   string
	TokenKey       []byte // per-user secret; changing it ends every session
	Disabled       bool
	// MustChangePassword: someone else (an administrator) chose the
	// password; the user must change it before anything else.
	MustChangePassword bool
	CreatedAt          time.Time
	UpdatedAt          time.Time
	WrappedKey         []byte // the user's wrapped data key, joined in on reads
}

const userColumns = "u.id, u.email_bidx, u.email_ct, u.role, u.team, u.locale, u.time_zone, u.time_format, u.password_hash, u.token_key, u.disabled, u.created_at, u.updated_at, u.last_login_at, u.totp_ct, u.totp_last_step, u.recovery_hashes, u.must_change_password, k.wrapped"

func scanUser(row interface{ Scan(...any) error }) (UserRow, error) {
	var u UserRow
	var disabled, mustChange int
	var created, updated, lastLogin int64
	err := row.Scan(&u.ID, &u.EmailIndex, &u.EmailSealed, &u.Role, &u.Team, &u.Locale, &u.TimeZone, &u.TimeFormat, &u.PasswordHash, &u.TokenKey, &disabled, &created, &updated, &lastLogin, &u.TOTPSealed, &u.TOTPLastStep, &u.RecoveryHashes, &mustChange, &u.WrappedKey)
	u.Disabled, u.MustChangePassword = disabled != 0, mustChange != 0
	u.CreatedAt, u.UpdatedAt = fromMicro(created), fromMicro(updated)
	if lastLogin > 0 {
		u.LastLoginAt = fromMicro(lastLogin)
	}
	return u, err
}

// InsertUser stores a new user. A taken email fails with Exist.
func (tx *userRows) InsertUser(ctx context.Context, u UserRow) error {
	_, err := tx.exec(ctx, `INSERT INTO users (id, email_bidx, email_ct, role, team, password_hash, token_key, disabled, must_change_password, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.EmailIndex, u.EmailSealed, u.Role, u.Team, u.PasswordHash, u.TokenKey, boolInt(u.Disabled), boolInt(u.MustChangePassword), u.CreatedAt.UnixMicro(), u.UpdatedAt.UnixMicro())
	return classify("store.InsertUser", err)
}

// UserByEmailIndex finds a user by the blind index of their email.
func (tx *userRows) UserByEmailIndex(ctx context.Context, idx []byte) (UserRow, error) {
	u, err := scanUser(tx.queryRow(ctx, "SELECT "+userColumns+" FROM users u JOIN subject_keys k ON k.subject_id = u.id WHERE u.email_bidx = ?", idx))
	return u, classify("store.UserByEmailIndex", err)
}

// UserByID finds a user by id.
func (tx *userRows) UserByID(ctx context.Context, id string) (UserRow, error) {
	u, err := scanUser(tx.queryRow(ctx, "SELECT "+userColumns+" FROM users u JOIN subject_keys k ON k.subject_id = u.id WHERE u.id = ?", id))
	return u, classify("store.UserByID", err)
}

// ListUsers returns every user, oldest first.
func (tx *userRows) ListUsers(ctx context.Context) ([]UserRow, error) {
	rows, err := tx.query(ctx, "SELECT "+userColumns+" FROM users u JOIN subject_keys k ON k.subject_id = u.id ORDER BY u.created_at, u.id")
	if err != nil {
		return nil, classify("store.ListUsers", err)
	}
	defer rows.Close()
	var out []UserRow
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, classify("store.ListUsers", err)
		}
		out = append(out, u)
	}
	return out, classify("store.ListUsers", rows.Err())
}

// UpdateUserRole sets a user's role.
func (tx *userRows) UpdateUserRole(ctx context.Context, id, role string, now time.Time) error {
	return tx.updateOne(ctx, "store.UpdateUserRole", "UPDATE users SET role = ?, updated_at = ? WHERE id = ?", role, now.UnixMicro(), id)
}

// UpdateUserDisabled disables or re-enables a user; a new token key ends
// every session they have.
func (tx *userRows) UpdateUserDisabled(ctx context.Context, id string, disabled bool, tokenKey []byte, now time.Time) error {
	return tx.updateOne(ctx, "store.UpdateUserDisabled", "UPDATE users SET disabled = ?, token_key = ?, updated_at = ? WHERE id = ?", boolInt(disabled), tokenKey, now.UnixMicro(), id)
}

// SetUserTOTP stores a user's sealed TOTP secret and recovery-code hashes
// (nil and "" remove them).
func (tx *userRows) SetUserTOTP(ctx context.Context, id string, sealed []byte, recovery string, now time.Time) error {
	return tx.updateOne(ctx, "store.SetUserTOTP", "UPDATE users SET totp_ct = ?, totp_last_step = 0, recovery_hashes = ?, updated_at = ? WHERE id = ?", sealed, recovery, now.UnixMicro(), id)
}

// UseTOTPStep records the time step of a code just used, so that it cannot
// be used again; it fails with Conflict if a later or equal step was used.
func (tx *userRows) UseTOTPStep(ctx context.Context, id string, step int64) error {
	res, err := tx.exec(ctx, "UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?", step, id, step)
	if err != nil {
		return classify("store.UseTOTPStep", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.E(errs.Conflict, "this code was already used")
	}
	return nil
}

// SetRecoveryHashes replaces the unused recovery-code hashes.
func (tx *userRows) SetRecoveryHashes(ctx context.Context, id, hashes string) error {
	return tx.updateOne(ctx, "store.SetRecoveryHashes", "UPDATE users SET recovery_hashes = ? WHERE id = ?", hashes, id)
}

// RecordLogin notes a user's successful login.
func (tx *userRows) RecordLogin(ctx context.Context, id string, now time.Time) error {
	return tx.updateOne(ctx, "store.RecordLogin", "UPDATE users SET last_login_at = ? WHERE id = ?", now.UnixMicro(), id)
}

// DormantUsers returns the ids of enabled users who have not logged in
// since before (or, never having logged in, were created before it).
func (tx *userRows) DormantUsers(ctx context.Context, before time.Time) ([]string, error) {
	us := before.UnixMicro()
	rows, err := tx.query(ctx, "SELECT id FROM users WHERE disabled = 0 AND ((last_login_at > 0 AND last_login_at < ?) OR (last_login_at = 0 AND created_at < ?))", us, us)
	if err != nil {
		return nil, classify("store.DormantUsers", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, classify("store.DormantUsers", err)
		}
		out = append(out, id)
	}
	return out, classify("store.DormantUsers", rows.Err())
}

// UpdateUserTime sets the time zone and format a user's times are shown in.
func (tx *userRows) UpdateUserTime(ctx context.Context, id, zone, format string, now time.Time) error {
	return tx.updateOne(ctx, "store.UpdateUserTime", "UPDATE users SET time_zone = ?, time_format = ?, updated_at = ? WHERE id = ?", zone, format, now.UnixMicro(), id)
}

// UpdateUserLocale sets a user's UI language.
func (tx *userRows) UpdateUserLocale(ctx context.Context, id, locale string, now time.Time) error {
	return tx.updateOne(ctx, "store.UpdateUserLocale", "UPDATE users SET locale = ?, updated_at = ? WHERE id = ?", locale, now.UnixMicro(), id)
}

// UpdateUserTeam sets a user's team ("" for none).
func (tx *userRows) UpdateUserTeam(ctx context.Context, id, team string, now time.Time) error {
	return tx.updateOne(ctx, "store.UpdateUserTeam", "UPDATE users SET team = ?, updated_at = ? WHERE id = ?", team, now.UnixMicro(), id)
}

// UpdateUserPassword sets a user's password hash and, when tokenKey is not
// nil, their token key (ending every session they have).
func (tx *userRows) UpdateUserPassword(ctx context.Context, id, hash string, tokenKey []byte, now time.Time) error {
	if tokenKey == nil {
		return tx.updateOne(ctx, "store.UpdateUserPassword", "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?", hash, now.UnixMicro(), id)
	}
	return tx.updateOne(ctx, "store.UpdateUserPassword", "UPDATE users SET password_hash = ?, token_key = ?, updated_at = ? WHERE id = ?", hash, tokenKey, now.UnixMicro(), id)
}

// SetMustChangePassword says whether the user must change their password
// before anything else.
func (tx *userRows) SetMustChangePassword(ctx context.Context, id string, must bool) error {
	return tx.updateOne(ctx, "store.SetMustChangePassword", "UPDATE users SET must_change_password = ? WHERE id = ?", boolInt(must), id)
}

// updateOne runs an UPDATE or DELETE that must touch exactly one row; none
// is NotExist.
func (tx *conn) updateOne(ctx context.Context, op, query string, args ...any) error {
	res, err := tx.exec(ctx, query, args...)
	if err != nil {
		return classify(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return classify(op, err)
	}
	if n == 0 {
		return classify(op, sql.ErrNoRows)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func fromMicro(us int64) time.Time { return time.UnixMicro(us).UTC() }

// micro stores a time that may be zero (none) as 0.
func micro(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// userRows are the rows of users, one part of a Tx.
type userRows struct{ *conn }
