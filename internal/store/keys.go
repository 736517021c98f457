package store

import (
	"context"
	"time"
)

// InsertSubjectKey stores a subject's wrapped data key.
func (tx *keyRows) InsertSubjectKey(ctx context.Context, subject string, wrapped []byte, kekTerm uint32, now time.Time) error {
	_, err := tx.exec(ctx, "INSERT INTO subject_keys (subject_id, wrapped, kek_term, created_at) VALUES (?, ?, ?, ?)",
		subject, wrapped, int64(kekTerm), now.UnixMicro())
	return classify("store.InsertSubjectKey", err)
}

// SubjectKey returns a subject's wrapped data key.
func (tx *keyRows) SubjectKey(ctx context.Context, subject string) ([]byte, error) {
	var wrapped []byte
	err := tx.queryRow(ctx, "SELECT wrapped FROM subject_keys WHERE subject_id = ?", subject).Scan(&wrapped)
	return wrapped, classify("store.SubjectKey", err)
}

// ShredSubject destroys a subject's data key, so that every value sealed
// under it becomes unreadable (crypto-shredding), and writes the erasure
// ledger's entry (the id, what it was, when: no personal data), from which
// a restore of an older backup erases the subject again. kind is
// "customer", "company" or "held" (a held record whose hold ended).
func (tx *keyRows) ShredSubject(ctx context.Context, subject, kind string, at time.Time) error {
	if _, err := tx.exec(ctx, "DELETE FROM subject_keys WHERE subject_id = ?", subject); err != nil {
		return classify("store.ShredSubject", err)
	}
	if _, err := tx.exec(ctx, "DELETE FROM subject_key_history WHERE subject_id = ?", subject); err != nil {
		return classify("store.ShredSubject", err)
	}
	_, err := tx.exec(ctx, "INSERT INTO erasure_ledger (subject_id, kind, erased_at) VALUES (?, ?, ?) ON CONFLICT (subject_id) DO NOTHING",
		subject, kind, at.UnixMicro())
	return classify("store.ShredSubject", err)
}

// Meta returns a value from the meta table.
func (tx *keyRows) Meta(ctx context.Context, key string) ([]byte, error) {
	var v []byte
	err := tx.queryRow(ctx, "SELECT value FROM meta WHERE key = ?", key).Scan(&v)
	return v, classify("store.Meta", err)
}

// SetMeta inserts a value into the meta table; it fails with Exist if the
// key is already set.
func (tx *keyRows) SetMeta(ctx context.Context, key string, value []byte) error {
	_, err := tx.exec(ctx, "INSERT INTO meta (key, value) VALUES (?, ?)", key, value)
	return classify("store.SetMeta", err)
}

// keyRows are the rows of subject data keys and metadata, one part of a Tx.
type keyRows struct{ *conn }
