package store

import (
	"context"
	"time"
)

// PasskeyRow is a stored WebAuthn credential, sealed under its user's key.
type PasskeyRow struct {
	ID         string
	UserID     string
	Sealed     []byte
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never
}

// InsertPasskey stores a new credential.
func (tx *passkeyRows) InsertPasskey(ctx context.Context, p PasskeyRow) error {
	_, err := tx.exec(ctx, "INSERT INTO passkeys (id, user_id, credential_ct, created_at) VALUES (?, ?, ?, ?)", p.ID, p.UserID, p.Sealed, p.CreatedAt.UnixMicro())
	return classify("store.InsertPasskey", err)
}

// UserPasskeys returns a user's credentials, oldest first.
func (tx *passkeyRows) UserPasskeys(ctx context.Context, userID string) ([]PasskeyRow, error) {
	rows, err := tx.query(ctx, "SELECT id, user_id, credential_ct, created_at, last_used_at FROM passkeys WHERE user_id = ? ORDER BY created_at, id", userID)
	if err != nil {
		return nil, classify("store.UserPasskeys", err)
	}
	defer rows.Close()
	var out []PasskeyRow
	for rows.Next() {
		var p PasskeyRow
		var created, used int64
		if err := rows.Scan(&p.ID, &p.UserID, &p.Sealed, &created, &used); err != nil {
			return nil, classify("store.UserPasskeys", err)
		}
		p.CreatedAt = fromMicro(created)
		if used > 0 {
			p.LastUsedAt = fromMicro(used)
		}
		out = append(out, p)
	}
	return out, classify("store.UserPasskeys", rows.Err())
}

// UsePasskey stores a credential after a login (its new sign count).
func (tx *passkeyRows) UsePasskey(ctx context.Context, id string, sealed []byte, now time.Time) error {
	return tx.updateOne(ctx, "store.UsePasskey", "UPDATE passkeys SET credential_ct = ?, last_used_at = ? WHERE id = ?", sealed, now.UnixMicro(), id)
}

// DeletePasskey removes one of a user's credentials.
func (tx *passkeyRows) DeletePasskey(ctx context.Context, userID, id string) error {
	return tx.updateOne(ctx, "store.DeletePasskey", "DELETE FROM passkeys WHERE id = ? AND user_id = ?", id, userID)
}

// DeleteUserPasskeys removes every credential of a user.
func (tx *passkeyRows) DeleteUserPasskeys(ctx context.Context, userID string) error {
	_, err := tx.exec(ctx, "DELETE FROM passkeys WHERE user_id = ?", userID)
	return classify("store.DeleteUserPasskeys", err)
}

// SetSessionChallenge keeps a WebAuthn ceremony's state on a session ("" clears it).
func (tx *passkeyRows) SetSessionChallenge(ctx context.Context, sessionID, challenge string) error {
	return tx.updateOne(ctx, "store.SetSessionChallenge", "UPDATE sessions SET webauthn_challenge = ? WHERE id = ?", challenge, sessionID)
}

// TakeSessionChallenge returns a session's ceremony state and clears it, so
// a challenge answers once.
func (tx *passkeyRows) TakeSessionChallenge(ctx context.Context, sessionID string) (string, error) {
	var c string
	if err := tx.queryRow(ctx, "SELECT webauthn_challenge FROM sessions WHERE id = ?", sessionID).Scan(&c); err != nil {
		return "", classify("store.TakeSessionChallenge", err)
	}
	_, err := tx.exec(ctx, "UPDATE sessions SET webauthn_challenge = '' WHERE id = ?", sessionID)
	return c, classify("store.TakeSessionChallenge", err)
}

// UsersWithPasskeys returns the ids of users who have a passkey.
func (tx *passkeyRows) UsersWithPasskeys(ctx context.Context) (map[string]bool, error) {
	rows, err := tx.query(ctx, "SELECT DISTINCT user_id FROM passkeys")
	if err != nil {
		return nil, classify("store.UsersWithPasskeys", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, classify("store.UsersWithPasskeys", err)
		}
		out[id] = true
	}
	return out, classify("store.UsersWithPasskeys", rows.Err())
}

// passkeyRows are the rows of passkeys and their challenges, one part of a Tx.
type passkeyRows struct{ *conn }
