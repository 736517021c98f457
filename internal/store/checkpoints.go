package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
)

// CheckpointRow is one signed checkpoint of the audit log's Merkle tree:
// its size (events), root hash and signed note.
type CheckpointRow struct {
	Size int64
	Root []byte
	Note string
	At   time.Time
}

// checkpointRows are the audit log's tree hashes, checkpoints and witness
// deliveries, one part of a Tx.
type checkpointRows struct{ *conn }

// LockCheckpoints makes one checkpointing transaction wait for another on
// PostgreSQL, where several servers share the log (an advisory lock held
// to the transaction's end); SQLite's write transaction is alone already.
func (tx *checkpointRows) LockCheckpoints(ctx context.Context) error {
	if tx.db.engine != Postgres {
		return nil
	}
	_, err := tx.exec(ctx, "SELECT pg_advisory_xact_lock(7412002)")
	return classify("store.LockCheckpoints", err)
}

// LatestCheckpoint returns the newest checkpoint; a zero row if none.
func (tx *checkpointRows) LatestCheckpoint(ctx context.Context) (CheckpointRow, error) {
	var c CheckpointRow
	var at int64
	err := tx.queryRow(ctx, "SELECT size, root, note, at FROM audit_checkpoints ORDER BY size DESC LIMIT 1").Scan(&c.Size, &c.Root, &c.Note, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return CheckpointRow{}, nil
	}
	c.At = fromMicro(at)
	return c, classify("store.LatestCheckpoint", err)
}

// CheckpointCovering returns the oldest checkpoint of at least size events.
func (tx *checkpointRows) CheckpointCovering(ctx context.Context, size int64) (CheckpointRow, error) {
	var c CheckpointRow
	var at int64
	err := tx.queryRow(ctx, "SELECT size, root, note, at FROM audit_checkpoints WHERE size >= ? ORDER BY size LIMIT 1", size).Scan(&c.Size, &c.Root, &c.Note, &at)
	c.At = fromMicro(at)
	return c, classify("store.CheckpointCovering", err)
}

// AuditTreeHashes reads stored tree hashes by index, in the order asked.
func (tx *checkpointRows) AuditTreeHashes(ctx context.Context, indexes []int64) ([][]byte, error) {
	out := make([][]byte, len(indexes))
	if len(indexes) == 0 {
		return out, nil
	}
	args := make([]any, len(indexes))
	for i, x := range indexes {
		args[i] = x
	}
	rows, err := tx.query(ctx, "SELECT idx, hash FROM audit_tree WHERE idx IN ("+placeholders(len(indexes))+")", args...)
	if err != nil {
		return nil, classify("store.AuditTreeHashes", err)
	}
	defer rows.Close()
	got := map[int64][]byte{}
	for rows.Next() {
		var idx int64
		var h []byte
		if err := rows.Scan(&idx, &h); err != nil {
			return nil, classify("store.AuditTreeHashes", err)
		}
		got[idx] = h
	}
	if err := rows.Err(); err != nil {
		return nil, classify("store.AuditTreeHashes", err)
	}
	for i, x := range indexes {
		if out[i] = got[x]; out[i] == nil {
			return nil, classify("store.AuditTreeHashes", sql.ErrNoRows)
		}
	}
	return out, nil
}

// InsertAuditTree stores tree hashes at indexes start, start+1, ….
func (tx *checkpointRows) InsertAuditTree(ctx context.Context, start int64, hashes [][]byte) error {
	const batch = 5000
	for from := 0; from < len(hashes); from += batch {
		part := hashes[from:min(from+batch, len(hashes))]
		args := make([]any, 0, 2*len(part))
		for i, h := range part {
			args = append(args, start+int64(from+i), h)
		}
		if _, err := tx.exec(ctx, tx.bulkInsert()+" audit_tree (idx, hash) VALUES "+strings.TrimSuffix(strings.Repeat("(?, ?), ", len(part)), ", "), args...); err != nil {
			return classify("store.InsertAuditTree", err)
		}
	}
	return nil
}

// InsertCheckpoint stores a signed checkpoint.
func (tx *checkpointRows) InsertCheckpoint(ctx context.Context, c CheckpointRow) error {
	_, err := tx.exec(ctx, "INSERT INTO audit_checkpoints (size, root, note, at) VALUES (?, ?, ?, ?)", c.Size, c.Root, c.Note, c.At.UnixMicro())
	return classify("store.InsertCheckpoint", err)
}

// WitnessSize is the size of the checkpoint last delivered to the named
// witness; 0 if none.
func (tx *checkpointRows) WitnessSize(ctx context.Context, name string) (int64, error) {
	var n int64
	err := tx.queryRow(ctx, "SELECT size FROM audit_witnesses WHERE name = ?", name).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, classify("store.WitnessSize", err)
}

// SetWitnessSize records a delivery to the named witness.
func (tx *checkpointRows) SetWitnessSize(ctx context.Context, name string, size int64, at time.Time) error {
	_, err := tx.exec(ctx, "INSERT INTO audit_witnesses (name, size, at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET size = excluded.size, at = excluded.at", name, size, at.UnixMicro())
	return classify("store.SetWitnessSize", err)
}

// AuditCheckpoints returns every checkpoint, oldest first, for verifying.
func (db *DB) AuditCheckpoints(ctx context.Context) ([]CheckpointRow, error) {
	rows, err := db.read.QueryContext(ctx, "SELECT size, root, note, at FROM audit_checkpoints ORDER BY size")
	if err != nil {
		return nil, classify("store.AuditCheckpoints", err)
	}
	defer rows.Close()
	var out []CheckpointRow
	for rows.Next() {
		var c CheckpointRow
		var at int64
		if err := rows.Scan(&c.Size, &c.Root, &c.Note, &at); err != nil {
			return nil, classify("store.AuditCheckpoints", err)
		}
		c.At = fromMicro(at)
		out = append(out, c)
	}
	return out, classify("store.AuditCheckpoints", rows.Err())
}

// AuditHeadSeq is the seq of the last event (the head), read without a lock.
func (db *DB) AuditHeadSeq(ctx context.Context) (int64, error) {
	var n int64
	err := db.read.QueryRowContext(ctx, "SELECT seq FROM audit_head WHERE id = 1").Scan(&n)
	return n, classify("store.AuditHeadSeq", err)
}
