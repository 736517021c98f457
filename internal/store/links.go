package store

import (
	"context"
	"time"
)

// Link purposes.
const (
	LinkReset  = "reset"
	LinkInvite = "invite"
)

// LinkRow is a single-use link sent by email. Only the token's hash is kept.
type LinkRow struct {
	TokenHash []byte
	UserID    string
	Purpose   string
	CreatedAt time.Time
	ExpiresAt time.Time
	Used      bool
}

// InsertLink stores a new link.
func (tx *linkRows) InsertLink(ctx context.Context, l LinkRow) error {
	_, err := tx.exec(ctx, "INSERT INTO user_links (token_hash, user_id, purpose, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
		l.TokenHash, l.UserID, l.Purpose, l.CreatedAt.UnixMicro(), l.ExpiresAt.UnixMicro())
	return classify("store.InsertLink", err)
}

// LinkByHash finds a link by its token's hash.
func (tx *linkRows) LinkByHash(ctx context.Context, hash []byte) (LinkRow, error) {
	l := LinkRow{TokenHash: hash}
	var created, expires, used int64
	err := tx.queryRow(ctx, "SELECT user_id, purpose, created_at, expires_at, used_at FROM user_links WHERE token_hash = ?", hash).
		Scan(&l.UserID, &l.Purpose, &created, &expires, &used)
	l.CreatedAt, l.ExpiresAt, l.Used = fromMicro(created), fromMicro(expires), used != 0
	return l, classify("store.LinkByHash", err)
}

// UseLink spends a link; a link already spent fails with NotExist, so two
// concurrent uses cannot both succeed.
func (tx *linkRows) UseLink(ctx context.Context, hash []byte, now time.Time) error {
	return tx.updateOne(ctx, "store.UseLink", "UPDATE user_links SET used_at = ? WHERE token_hash = ? AND used_at = 0", now.UnixMicro(), hash)
}

// RevokeLinks spends every unused link of a user for purpose (a new link
// replaces older ones; a finished reset voids the others).
func (tx *linkRows) RevokeLinks(ctx context.Context, userID, purpose string, now time.Time) error {
	_, err := tx.exec(ctx, "UPDATE user_links SET used_at = ? WHERE user_id = ? AND purpose = ? AND used_at = 0", now.UnixMicro(), userID, purpose)
	return classify("store.RevokeLinks", err)
}

// PendingInvites returns the ids of users whose invitation is unused and
// unexpired.
func (tx *linkRows) PendingInvites(ctx context.Context, now time.Time) (map[string]bool, error) {
	rows, err := tx.query(ctx, "SELECT user_id FROM user_links WHERE purpose = ? AND used_at = 0 AND expires_at > ?", LinkInvite, now.UnixMicro())
	if err != nil {
		return nil, classify("store.PendingInvites", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, classify("store.PendingInvites", err)
		}
		out[id] = true
	}
	return out, classify("store.PendingInvites", rows.Err())
}

// linkRows are the rows of single-use links (resets, invitations), one part of a Tx.
type linkRows struct{ *conn }
