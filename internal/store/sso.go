package store

import (
	"context"
	"time"
)

// SSOLinkRow links a staff account to its identity at an OpenID Connect
// provider. Only blind indexes are kept: of the issuer and subject
// together (Link) and of the issuer alone (Issuer).
type SSOLinkRow struct {
	Link       []byte
	Issuer     []byte
	UserID     string
	CreatedAt  time.Time
	LastUsedAt time.Time
}

// ssoRows is the part of Tx over sso_links.
type ssoRows struct{ *conn }

// InsertSSOLink stores a new link. A second identity from the same
// provider for one account, or one identity for two accounts, fails with
// Exist.
func (tx *ssoRows) InsertSSOLink(ctx context.Context, l SSOLinkRow) error {
	_, err := tx.exec(ctx, "INSERT INTO sso_links (link_bidx, issuer_bidx, user_id, created_at, last_used_at) VALUES (?, ?, ?, ?, ?)",
		l.Link, l.Issuer, l.UserID, l.CreatedAt.UnixMicro(), l.LastUsedAt.UnixMicro())
	return classify("store.InsertSSOLink", err)
}

// SSOLinkByIndex finds the link of an identity by its blind index.
func (tx *ssoRows) SSOLinkByIndex(ctx context.Context, link []byte) (SSOLinkRow, error) {
	l := SSOLinkRow{Link: link}
	var created, used int64
	err := tx.queryRow(ctx, "SELECT issuer_bidx, user_id, created_at, last_used_at FROM sso_links WHERE link_bidx = ?", link).
		Scan(&l.Issuer, &l.UserID, &created, &used)
	l.CreatedAt, l.LastUsedAt = fromMicro(created), fromMicro(used)
	return l, classify("store.SSOLinkByIndex", err)
}

// UserHasSSOLink reports whether a user is already linked to an identity
// at the issuer whose blind index is given.
func (tx *ssoRows) UserHasSSOLink(ctx context.Context, userID string, issuer []byte) (bool, error) {
	var n int
	err := tx.queryRow(ctx, "SELECT count(*) FROM sso_links WHERE user_id = ? AND issuer_bidx = ?", userID, issuer).Scan(&n)
	return n > 0, classify("store.UserHasSSOLink", err)
}

// TouchSSOLink notes a login through a link.
func (tx *ssoRows) TouchSSOLink(ctx context.Context, link []byte, now time.Time) error {
	return tx.updateOne(ctx, "store.TouchSSOLink", "UPDATE sso_links SET last_used_at = ? WHERE link_bidx = ?", now.UnixMicro(), link)
}
