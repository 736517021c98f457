package store

import (
	"context"
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
}

// SessionWithUser is a session joined with its user, as authentication
// needs it.
type SessionWithUser struct {
	Session SessionRow
	User    UserRow
}

// InsertSession stores a new session.
func (tx *Tx) InsertSession(ctx context.Context, s SessionRow) error {
	_, err := tx.exec(ctx, "INSERT INTO sessions (id, token_hash, user_id, token_key, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
		s.ID, s.TokenHash, s.UserID, s.TokenKey, s.CreatedAt.UnixMicro(), s.LastSeenAt.UnixMicro(), s.ExpiresAt.UnixMicro())
	return classify("store.InsertSession", err)
}

// SessionByTokenHash finds a session and its user without a transaction:
// it runs on every authenticated request.
func (db *DB) SessionByTokenHash(ctx context.Context, hash []byte) (SessionWithUser, error) {
	var out SessionWithUser
	var created, seen, expires int64
	row := db.read.QueryRowContext(ctx, db.q(`SELECT s.id, s.token_hash, s.user_id, s.token_key, s.created_at, s.last_seen_at, s.expires_at, `+userColumns+`
		FROM sessions s JOIN users u ON u.id = s.user_id JOIN subject_keys k ON k.subject_id = u.id WHERE s.token_hash = ?`), hash)
	var u UserRow
	var disabled int
	var uc, uu int64
	s := &out.Session
	err := row.Scan(&s.ID, &s.TokenHash, &s.UserID, &s.TokenKey, &created, &seen, &expires,
		&u.ID, &u.EmailIndex, &u.EmailSealed, &u.Role, &u.Team, &u.Locale, &u.PasswordHash, &u.TokenKey, &disabled, &uc, &uu, &u.WrappedKey)
	if err != nil {
		return out, classify("store.SessionByTokenHash", err)
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = fromMicro(created), fromMicro(seen), fromMicro(expires)
	u.Disabled = disabled != 0
	u.CreatedAt, u.UpdatedAt = fromMicro(uc), fromMicro(uu)
	out.User = u
	return out, nil
}

// TouchSession records activity on a session.
func (db *DB) TouchSession(ctx context.Context, id string, now time.Time) error {
	_, err := db.write.ExecContext(ctx, db.q("UPDATE sessions SET last_seen_at = ? WHERE id = ?"), now.UnixMicro(), id)
	return classify("store.TouchSession", err)
}

// DeleteSession ends a session.
func (tx *Tx) DeleteSession(ctx context.Context, id string) error {
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
