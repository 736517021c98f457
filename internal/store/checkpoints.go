package store

import (
	"context"
	"database/sql"
	"encoding/base64"
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
//
// It runs while the checkpointer holds the writer, which every audited
// read waits on, so it takes the cheapest way in on each engine: COPY on
// PostgreSQL, and on SQLite inserts of treeChunk rows by a statement
// prepared at open. Parsing one statement with a pair of parameters for
// each hash (2,000 for a checkpoint of 1,000 events) was most of the 5 ms
// the writer was held (BenchmarkInsertAuditTree).
func (tx *checkpointRows) InsertAuditTree(ctx context.Context, start int64, hashes [][]byte) error {
	if tx.db.engine == Postgres {
		rows := make([][]any, len(hashes))
		for i, h := range hashes {
			rows[i] = []any{start + int64(i), h}
		}
		return classify("store.InsertAuditTree", tx.copyRows(ctx, "audit_tree", []string{"idx", "hash"}, rows))
	}
	args := make([]any, 0, 2*treeChunk)
	for from := 0; from < len(hashes); {
		n := treeChunk
		if len(hashes)-from < treeChunk {
			n = 1
		}
		args = args[:0]
		for i, h := range hashes[from : from+n] {
			args = append(args, start+int64(from+i), h)
		}
		if _, err := tx.exec(ctx, insertAuditTreeQuery(n), args...); err != nil {
			return classify("store.InsertAuditTree", err)
		}
		from += n
	}
	return nil
}

// treeChunk is how many tree hashes one prepared insert stores on SQLite;
// the rest of a checkpoint's go in one by one, by another.
const treeChunk = 100

func insertAuditTreeQuery(rows int) string {
	return "INSERT OR FAIL INTO audit_tree (idx, hash) VALUES " + strings.TrimSuffix(strings.Repeat("(?, ?), ", rows), ", ")
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

// AnchorRow is where the log in the database starts once older events
// are archived (migration 0040): Size events are archived, Hash is the
// last one's chain hash, Stack the tree's compact range at Size (base64
// hashes, largest subtree first) and Note the signed checkpoint of Size.
type AnchorRow struct {
	Size  int64
	Hash  []byte
	Stack [][]byte
	Note  string
	At    time.Time
}

func scanAnchor(row interface{ Scan(...any) error }) (AnchorRow, error) {
	var a AnchorRow
	var stack string
	var at int64
	err := row.Scan(&a.Size, &a.Hash, &stack, &a.Note, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return AnchorRow{}, nil
	}
	if err != nil {
		return a, classify("store.AuditAnchor", err)
	}
	a.At = fromMicro(at)
	for _, s := range strings.Split(stack, ",") {
		if s == "" {
			continue
		}
		h, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return a, classify("store.AuditAnchor", err)
		}
		a.Stack = append(a.Stack, h)
	}
	return a, nil
}

const anchorQuery = "SELECT size, hash, stack, note, at FROM audit_anchor WHERE id = 1"

// AuditAnchor returns the anchor; a zero row if nothing was archived.
func (tx *checkpointRows) AuditAnchor(ctx context.Context) (AnchorRow, error) {
	return scanAnchor(tx.queryRow(ctx, anchorQuery))
}

// AuditAnchor is the anchor read outside a transaction, for verifying.
func (db *DB) AuditAnchor(ctx context.Context) (AnchorRow, error) {
	return scanAnchor(db.read.QueryRowContext(ctx, anchorQuery))
}

// SetAuditAnchor moves the anchor forward (the database refuses to move it
// back).
func (tx *checkpointRows) SetAuditAnchor(ctx context.Context, a AnchorRow) error {
	stack := make([]string, len(a.Stack))
	for i, h := range a.Stack {
		stack[i] = base64.StdEncoding.EncodeToString(h)
	}
	res, err := tx.exec(ctx, "UPDATE audit_anchor SET size = ?, hash = ?, stack = ?, note = ?, at = ? WHERE id = 1", a.Size, a.Hash, strings.Join(stack, ","), a.Note, a.At.UnixMicro())
	if err != nil {
		return classify("store.SetAuditAnchor", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return classify("store.SetAuditAnchor", err)
	}
	_, err = tx.exec(ctx, "INSERT INTO audit_anchor (id, size, hash, stack, note, at) VALUES (1, ?, ?, ?, ?, ?)", a.Size, a.Hash, strings.Join(stack, ","), a.Note, a.At.UnixMicro())
	return classify("store.SetAuditAnchor", err)
}

// ArchivableSize is the largest checkpoint size, at most upto, whose last
// event happened before cutoff (0 if none).
func (tx *checkpointRows) ArchivableSize(ctx context.Context, cutoff time.Time, upto int64) (int64, error) {
	var n int64
	err := tx.queryRow(ctx, "SELECT COALESCE(MAX(c.size), 0) FROM audit_checkpoints c JOIN audit_events e ON e.seq = c.size WHERE e.at < ? AND c.size <= ?", cutoff.UnixMicro(), upto).Scan(&n)
	return n, classify("store.ArchivableSize", err)
}

// DeleteAuditThrough removes the events up to seq, with their subjects'
// index rows, sealed reasons and field history (the database allows it
// only at or below the anchor).
func (tx *checkpointRows) DeleteAuditThrough(ctx context.Context, seq int64) error {
	for _, q := range []string{
		"DELETE FROM audit_subjects WHERE seq <= ?",
		"DELETE FROM audit_reasons WHERE seq <= ?",
		"DELETE FROM field_history WHERE event_seq <= ?",
		"DELETE FROM audit_events WHERE seq <= ?",
	} {
		if _, err := tx.exec(ctx, q, seq); err != nil {
			return classify("store.DeleteAuditThrough", err)
		}
	}
	return nil
}
