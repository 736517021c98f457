package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// WrappedKeyRow is one data key as stored: its subject (the associated
// data it is wrapped with), the wrapped bytes and the term the row says
// wrapped it.
type WrappedKeyRow struct {
	Subject string
	Wrapped []byte
	Term    uint32
}

// KeyTermRow is one term of the master key as the database knows it.
type KeyTermRow struct {
	Term      uint32
	Custody   string
	CreatedAt time.Time
	RetiredAt time.Time // zero: in use
}

// RewrapRow is the progress of re-wrapping every data key to Term.
type RewrapRow struct {
	Term       uint32
	Cursor     string // the last subject_keys id done
	Done       int64
	Total      int64
	StartedAt  time.Time
	UpdatedAt  time.Time
	FinishedAt time.Time // zero: not finished
}

// SubjectKeysAfter lists up to limit subject keys whose ids sort after
// the cursor, in id order, leaving out those whose rows say they are under
// term skip (0 leaves out none).
func (tx *keyRows) SubjectKeysAfter(ctx context.Context, cursor string, skip uint32, limit int) ([]WrappedKeyRow, error) {
	rows, err := tx.query(ctx, "SELECT subject_id, wrapped, kek_term FROM subject_keys WHERE subject_id > ? AND kek_term <> ? ORDER BY subject_id LIMIT ?", cursor, int64(skip), limit)
	if err != nil {
		return nil, classify("store.SubjectKeysAfter", err)
	}
	return scanWrappedKeys(rows, "store.SubjectKeysAfter")
}

// scanWrappedKeys reads rows of (subject, wrapped key, term) and closes
// them.
func scanWrappedKeys(rows *sql.Rows, op string) ([]WrappedKeyRow, error) {
	defer rows.Close()
	var out []WrappedKeyRow
	for rows.Next() {
		var r WrappedKeyRow
		var term int64
		if err := rows.Scan(&r.Subject, &r.Wrapped, &term); err != nil {
			return nil, classify(op, err)
		}
		r.Term = uint32(term)
		out = append(out, r)
	}
	return out, classify(op, rows.Err())
}

// ReplaceSubjectKey stores subject's re-wrapped key if the stored one is
// still old (a key replaced or shredded meanwhile is left alone); it
// reports whether it did.
func (tx *keyRows) ReplaceSubjectKey(ctx context.Context, subject string, old, wrapped []byte, term uint32) (bool, error) {
	return tx.swap(ctx, "store.ReplaceSubjectKey", "UPDATE subject_keys SET wrapped = ?, kek_term = ? WHERE subject_id = ? AND wrapped = ?", wrapped, int64(term), subject, old)
}

// WebhookKeys lists every webhook subscription's wrapped key; Subject is
// the subscription's id.
func (tx *keyRows) WebhookKeys(ctx context.Context) ([]WrappedKeyRow, error) {
	rows, err := tx.query(ctx, "SELECT id, key_wrapped FROM webhooks ORDER BY id")
	if err != nil {
		return nil, classify("store.WebhookKeys", err)
	}
	defer rows.Close()
	var out []WrappedKeyRow
	for rows.Next() {
		var r WrappedKeyRow
		if err := rows.Scan(&r.Subject, &r.Wrapped); err != nil {
			return nil, classify("store.WebhookKeys", err)
		}
		out = append(out, r)
	}
	return out, classify("store.WebhookKeys", rows.Err())
}

// ReplaceWebhookKey stores a subscription's re-wrapped key if the stored
// one is still old.
func (tx *keyRows) ReplaceWebhookKey(ctx context.Context, id string, old, wrapped []byte) (bool, error) {
	return tx.swap(ctx, "store.ReplaceWebhookKey", "UPDATE webhooks SET key_wrapped = ? WHERE id = ? AND key_wrapped = ?", wrapped, id, old)
}

// swap runs an update of one row that applies only while the row still
// holds the old value, and reports whether it did.
func (tx *keyRows) swap(ctx context.Context, op, query string, args ...any) (bool, error) {
	res, err := tx.exec(ctx, query, args...)
	if err != nil {
		return false, classify(op, err)
	}
	n, err := res.RowsAffected()
	return n == 1, classify(op, err)
}

// ReplaceMeta replaces a meta value if it is still old.
func (tx *keyRows) ReplaceMeta(ctx context.Context, key string, old, value []byte) (bool, error) {
	return tx.swap(ctx, "store.ReplaceMeta", "UPDATE meta SET value = ? WHERE key = ? AND value = ?", value, key, old)
}

// KeysByTerm counts the subject keys each term wraps, by the rows' terms.
func (tx *keyRows) KeysByTerm(ctx context.Context) (map[uint32]int64, error) {
	rows, err := tx.query(ctx, "SELECT kek_term, COUNT(*) FROM subject_keys GROUP BY kek_term")
	if err != nil {
		return nil, classify("store.KeysByTerm", err)
	}
	defer rows.Close()
	out := map[uint32]int64{}
	for rows.Next() {
		var term, n int64
		if err := rows.Scan(&term, &n); err != nil {
			return nil, classify("store.KeysByTerm", err)
		}
		out[uint32(term)] = n
	}
	return out, classify("store.KeysByTerm", rows.Err())
}

// CountSubjectKeys counts the stored subject keys whose rows say they are
// not under term skip.
func (tx *keyRows) CountSubjectKeys(ctx context.Context, skip uint32) (int64, error) {
	var n int64
	err := tx.queryRow(ctx, "SELECT COUNT(*) FROM subject_keys WHERE kek_term < ? OR kek_term > ?", int64(skip), int64(skip)).Scan(&n)
	return n, classify("store.CountSubjectKeys", err)
}

// AnySubjectKeyOutside reports whether any subject key's row names another
// term than term; the index on kek_term answers it without a scan.
func (tx *keyRows) AnySubjectKeyOutside(ctx context.Context, term uint32) (bool, error) {
	var one int
	err := tx.queryRow(ctx, "SELECT 1 FROM subject_keys WHERE kek_term < ? OR kek_term > ? LIMIT 1", int64(term), int64(term)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, classify("store.AnySubjectKeyOutside", err)
}

// AddKeyTerm records a term of the master key (again: nothing happens
// for a term already recorded).
func (tx *keyRows) AddKeyTerm(ctx context.Context, term uint32, custody string, at time.Time) error {
	_, err := tx.exec(ctx, "INSERT INTO key_terms (term, custody, created_at) VALUES (?, ?, ?) ON CONFLICT (term) DO NOTHING", int64(term), custody, at.UnixMicro())
	return classify("store.AddKeyTerm", err)
}

// RetireKeyTerm records that a term was destroyed.
func (tx *keyRows) RetireKeyTerm(ctx context.Context, term uint32, at time.Time) error {
	_, err := tx.exec(ctx, "UPDATE key_terms SET retired_at = ? WHERE term = ?", at.UnixMicro(), int64(term))
	return classify("store.RetireKeyTerm", err)
}

// retireLock is the PostgreSQL advisory lock (with the term as its second
// key) that every write of a wrapped key takes shared (migration 0063) and
// a retirement exclusive.
const retireLock = 7412006

// LockTermForRetirement makes the writes of data keys under term wait
// until this transaction ends, after those in flight have committed, so
// that a retirement counts every key under the term and no key under it
// is written after (migration 0063's triggers refuse them once it is
// retired). SQLite's one writer already orders them.
func (tx *keyRows) LockTermForRetirement(ctx context.Context, term uint32) error {
	if tx.db.engine != Postgres {
		return nil
	}
	_, err := tx.exec(ctx, "SELECT pg_advisory_xact_lock(?, ?)", retireLock, int64(term))
	return classify("store.LockTermForRetirement", err)
}

// KeyTerms lists the recorded terms, oldest first.
func (tx *keyRows) KeyTerms(ctx context.Context) ([]KeyTermRow, error) {
	rows, err := tx.query(ctx, "SELECT term, custody, created_at, retired_at FROM key_terms ORDER BY term")
	if err != nil {
		return nil, classify("store.KeyTerms", err)
	}
	defer rows.Close()
	var out []KeyTermRow
	for rows.Next() {
		var r KeyTermRow
		var term, created int64
		var retired sql.NullInt64
		if err := rows.Scan(&term, &r.Custody, &created, &retired); err != nil {
			return nil, classify("store.KeyTerms", err)
		}
		r.Term, r.CreatedAt = uint32(term), time.UnixMicro(created)
		if retired.Valid {
			r.RetiredAt = time.UnixMicro(retired.Int64)
		}
		out = append(out, r)
	}
	return out, classify("store.KeyTerms", rows.Err())
}

// Rewrap returns the progress of re-wrapping to term.
func (tx *keyRows) Rewrap(ctx context.Context, term uint32) (RewrapRow, error) {
	var r RewrapRow
	var t, started, updated int64
	var finished sql.NullInt64
	err := tx.queryRow(ctx, "SELECT term, cursor, done, total, started_at, updated_at, finished_at FROM key_rewraps WHERE term = ?", int64(term)).
		Scan(&t, &r.Cursor, &r.Done, &r.Total, &started, &updated, &finished)
	if err != nil {
		return r, classify("store.Rewrap", err)
	}
	r.Term, r.StartedAt, r.UpdatedAt = uint32(t), time.UnixMicro(started), time.UnixMicro(updated)
	if finished.Valid {
		r.FinishedAt = time.UnixMicro(finished.Int64)
	}
	return r, nil
}

// SaveRewrap inserts or updates the progress of re-wrapping to r.Term.
func (tx *keyRows) SaveRewrap(ctx context.Context, r RewrapRow) error {
	var finished any
	if !r.FinishedAt.IsZero() {
		finished = r.FinishedAt.UnixMicro()
	}
	_, err := tx.exec(ctx, `INSERT INTO key_rewraps (term, cursor, done, total, started_at, updated_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (term) DO UPDATE SET cursor = excluded.cursor, done = excluded.done, total = excluded.total, updated_at = excluded.updated_at, finished_at = excluded.finished_at`,
		int64(r.Term), r.Cursor, r.Done, r.Total, r.StartedAt.UnixMicro(), r.UpdatedAt.UnixMicro(), finished)
	return classify("store.SaveRewrap", err)
}
