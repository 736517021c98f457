package store

import (
	"context"
	"database/sql"
	"time"
)

// SessionRow is a stored session. Only the token's hash is kept.
type SessionRow struct {
	ID         string
	TokenHash  []byte
	UserID     string
	TokenKey   []byte // the user's token key when the session began
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // absolute end
	AgentCT    []byte    // the browser's user agent, sealed under the user's key
	IPCT       []byte    // the client address, likewise
	MFAPending bool      // the password was right; the second factor is still owed
	VerifiedAt time.Time // the last proof of the user (see authz.Actor.VerifiedAt); zero for none
	// SSOMFA: the login came through single sign-on, and the provider
	// asserted two-step login, which the administrator let stand for
	// Strongroom's own second factor.
	SSOMFA   bool
	DeviceID string // the field device whose key the token is bound to (DPoP); "" for none
}

// SessionWithUser is a session joined with its user, as authentication
// needs it.
type SessionWithUser struct {
	Session SessionRow
	User    UserRow
	// PolicyPending: a security policy is published that the user has not
	// accepted yet.
	PolicyPending bool
	// EnrolPending: the user's role must use two-step login and the user
	// has no authenticator yet.
	EnrolPending bool
	// TrainingPending: a role the user holds must have passed a training
	// module's current version before reaching customer data, and the user
	// has not.
	TrainingPending bool
	// What else authentication must read, known from this one query: the
	// user has break-glass openings in their window; a role they hold is
	// limited to networks; teams nest at all.
	BreakGlass, Networks, NestedTeams bool
}

// InsertSession stores a new session.
func (tx *sessionRows) InsertSession(ctx context.Context, s SessionRow) error {
	_, err := tx.exec(ctx, "INSERT INTO sessions (id, token_hash, user_id, token_key, created_at, last_seen_at, expires_at, agent_ct, ip_ct, mfa_pending, verified_at, sso_mfa, device_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		s.ID, s.TokenHash, s.UserID, s.TokenKey, s.CreatedAt.UnixMicro(), s.LastSeenAt.UnixMicro(), s.ExpiresAt.UnixMicro(), s.AgentCT, s.IPCT, boolInt(s.MFAPending), micro(s.VerifiedAt), boolInt(s.SSOMFA), s.DeviceID)
	return classify("store.InsertSession", err)
}

// UserSessions returns a user's sessions, most recently active first.
func (tx *sessionRows) UserSessions(ctx context.Context, userID string) ([]SessionRow, error) {
	return scanSessions("store.UserSessions")(tx.query(ctx, "SELECT "+sessionListColumns+" FROM sessions WHERE user_id = ? ORDER BY last_seen_at DESC", userID))
}

// sessionListColumns are what scanSessions reads.
const sessionListColumns = "id, user_id, token_key, created_at, last_seen_at, expires_at, agent_ct, ip_ct"

// scanSessions reads the rows of a query for sessionListColumns.
func scanSessions(op string) func(*sql.Rows, error) ([]SessionRow, error) {
	return func(rows *sql.Rows, err error) ([]SessionRow, error) {
		if err != nil {
			return nil, classify(op, err)
		}
		defer rows.Close()
		var out []SessionRow
		for rows.Next() {
			var s SessionRow
			var created, seen, expires int64
			if err := rows.Scan(&s.ID, &s.UserID, &s.TokenKey, &created, &seen, &expires, &s.AgentCT, &s.IPCT); err != nil {
				return nil, classify(op, err)
			}
			s.CreatedAt, s.LastSeenAt, s.ExpiresAt = fromMicro(created), fromMicro(seen), fromMicro(expires)
			out = append(out, s)
		}
		return out, classify(op, rows.Err())
	}
}

// AuthEpoch reads the counter that every change to what
// SessionByTokenHash reads moves on (migration 0033's triggers): a session
// looked up under the same count is still as it was.
func (db *DB) AuthEpoch(ctx context.Context) (int64, error) {
	var n int64
	err := db.readRow(ctx, "SELECT n FROM auth_epoch WHERE id = 1").Scan(&n)
	return n, classify("store.AuthEpoch", err)
}

// SessionByTokenHash finds a session and its user without a transaction:
// it runs on every authenticated request.
func (db *DB) SessionByTokenHash(ctx context.Context, hash []byte, now time.Time) (SessionWithUser, error) {
	var out SessionWithUser
	var created, seen, expires, verified int64
	row := db.readRow(ctx, `SELECT s.id, s.token_hash, s.user_id, s.token_key, s.created_at, s.last_seen_at, s.expires_at, s.mfa_pending, s.verified_at, s.sso_mfa, s.device_id, `+userColumns+`,
		(SELECT count(*) FROM security_policies sp WHERE sp.version = (SELECT max(version) FROM security_policies)
			AND NOT EXISTS (SELECT 1 FROM policy_acceptances pa WHERE pa.user_id = u.id AND pa.version = sp.version)),
		(SELECT count(*) FROM mfa_required_roles mr WHERE `+roleIn("u.role", "replace(mr.role, '_', '\\_')")+` AND u.totp_ct IS NULL AND s.sso_mfa = 0
			AND NOT EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = u.id)),
		(SELECT count(*) FROM access_requests ar WHERE ar.requester_id = u.id AND ar.kind = 'breakglass' AND ar.valid_until > ?),
		(SELECT count(*) FROM role_networks rn WHERE `+roleIn("u.role", "replace(rn.role, '_', '\\_')")+`),
		(SELECT count(*) FROM team_parents),
		`+trainingPendingQuery+`
		FROM sessions s JOIN users u ON u.id = s.user_id JOIN subject_keys k ON k.subject_id = u.id WHERE s.token_hash = ?`, now.UnixMicro(), hash)
	var u UserRow
	var disabled, mustChange int
	var uc, uu, ul int64
	var pending, mfa, enrol, glass, nets, teams, training, ssoMFA int
	s := &out.Session
	err := row.Scan(&s.ID, &s.TokenHash, &s.UserID, &s.TokenKey, &created, &seen, &expires, &mfa, &verified, &ssoMFA, &s.DeviceID,
		&u.ID, &u.EmailIndex, &u.EmailSealed, &u.Role, &u.Team, &u.Locale, &u.TimeZone, &u.TimeFormat, &u.PasswordHash, &u.TokenKey, &disabled, &uc, &uu, &ul,
		&u.TOTPSealed, &u.TOTPLastStep, &u.RecoveryHashes, &mustChange, &u.WrappedKey, &pending, &enrol, &glass, &nets, &teams, &training)
	if err != nil {
		return out, classify("store.SessionByTokenHash", err)
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = fromMicro(created), fromMicro(seen), fromMicro(expires)
	u.Disabled, u.MustChangePassword = disabled != 0, mustChange != 0
	u.CreatedAt, u.UpdatedAt = fromMicro(uc), fromMicro(uu)
	if ul > 0 {
		u.LastLoginAt = fromMicro(ul)
	}
	out.User = u
	out.PolicyPending = pending > 0
	out.EnrolPending = enrol > 0
	out.TrainingPending = training > 0
	out.BreakGlass, out.Networks, out.NestedTeams = glass > 0, nets > 0, teams > 0
	s.MFAPending, s.SSOMFA = mfa != 0, ssoMFA != 0
	if verified > 0 {
		s.VerifiedAt = fromMicro(verified)
	}
	return out, nil
}

// SetSessionTOTPOffer keeps the authenticator secret offered to a session,
// sealed, until a time (nil clears it).
func (tx *sessionRows) SetSessionTOTPOffer(ctx context.Context, sessionID string, sealed []byte, until time.Time) error {
	return tx.updateOne(ctx, "store.SetSessionTOTPOffer", "UPDATE sessions SET totp_offer_ct = ?, totp_offer_until = ? WHERE id = ?", sealed, micro(until), sessionID)
}

// SessionTOTPOffer returns the secret offered to a session (nil for none)
// and until when it may be confirmed.
func (tx *sessionRows) SessionTOTPOffer(ctx context.Context, sessionID string) ([]byte, time.Time, error) {
	var sealed []byte
	var until int64
	err := tx.queryRow(ctx, "SELECT totp_offer_ct, totp_offer_until FROM sessions WHERE id = ?", sessionID).Scan(&sealed, &until)
	return sealed, fromMicro(until), classify("store.SessionTOTPOffer", err)
}

// TouchSession records activity on a session.
func (db *DB) TouchSession(ctx context.Context, id string, now time.Time) error {
	_, err := db.write.ExecContext(ctx, db.q("UPDATE sessions SET last_seen_at = ? WHERE id = ?"), now.UnixMicro(), id)
	return classify("store.TouchSession", err)
}

// DeleteSession ends a session.
func (tx *sessionRows) DeleteSession(ctx context.Context, id string) error {
	return tx.updateOne(ctx, "store.DeleteSession", "DELETE FROM sessions WHERE id = ?", id)
}

// DeleteExpiredSessions removes sessions past their absolute end or idle
// since before idleBefore.
func (db *DB) DeleteExpiredSessions(ctx context.Context, now, idleBefore time.Time) (int64, error) {
	res, err := db.write.ExecContext(ctx, db.q("DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?"), now.UnixMicro(), idleBefore.UnixMicro())
	if err != nil {
		return 0, classify("store.DeleteExpiredSessions", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// DeleteSessionsExcept ends every session but keep ("" for none) and
// returns how many ended.
func (tx *sessionRows) DeleteSessionsExcept(ctx context.Context, keep string) (int, error) {
	res, err := tx.exec(ctx, "DELETE FROM sessions WHERE id <> ?", keep)
	if err != nil {
		return 0, classify("store.DeleteSessionsExcept", err)
	}
	n, err := res.RowsAffected()
	return int(n), classify("store.DeleteSessionsExcept", err)
}

// SessionOwner returns the user a session belongs to.
func (tx *sessionRows) SessionOwner(ctx context.Context, id string) (string, error) {
	var user string
	err := tx.queryRow(ctx, "SELECT user_id FROM sessions WHERE id = ?", id).Scan(&user)
	return user, classify("store.SessionOwner", err)
}

// UpdateSessionTokenKey moves a session to the user's new token key, so it
// survives a password change that ends the others.
func (tx *sessionRows) UpdateSessionTokenKey(ctx context.Context, id string, tokenKey []byte) error {
	return tx.updateOne(ctx, "store.UpdateSessionTokenKey", "UPDATE sessions SET token_key = ? WHERE id = ?", tokenKey, id)
}

// VerifySession records a fresh proof of the user on a session (its
// second factor at login, or a step-up) and moves it to a new token hash:
// the token is rotated whenever the session gains privilege.
// It returns the session's absolute end, for the new token's cookie.
func (tx *sessionRows) VerifySession(ctx context.Context, id string, tokenHash []byte, now time.Time) (time.Time, error) {
	var expires int64
	err := tx.queryRow(ctx, "UPDATE sessions SET mfa_pending = 0, verified_at = ?, token_hash = ? WHERE id = ? RETURNING expires_at", now.UnixMicro(), tokenHash, id).Scan(&expires)
	return fromMicro(expires), classify("store.VerifySession", err)
}

// sessionRows are the rows of sessions, one part of a Tx.
type sessionRows struct{ *conn }

// ActiveSessions returns the sessions seen since seenSince that have not
// expired by now, most recently seen first (at most 500).
func (tx *sessionRows) ActiveSessions(ctx context.Context, seenSince, now time.Time) ([]SessionRow, error) {
	return scanSessions("store.ActiveSessions")(tx.query(ctx, "SELECT "+sessionListColumns+" FROM sessions WHERE last_seen_at >= ? AND expires_at > ? ORDER BY last_seen_at DESC LIMIT 500", seenSince.UnixMicro(), now.UnixMicro()))
}

// MarkSessionsPending makes every session of a user owe its second factor
// again (a detector's require_step_up response); it returns how many.
func (tx *sessionRows) MarkSessionsPending(ctx context.Context, userID string) (int, error) {
	res, err := tx.exec(ctx, "UPDATE sessions SET mfa_pending = 1 WHERE user_id = ?", userID)
	if err != nil {
		return 0, classify("store.MarkSessionsPending", err)
	}
	n, err := res.RowsAffected()
	return int(n), classify("store.MarkSessionsPending", err)
}
