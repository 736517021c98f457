package store

import (
	"context"
	"time"
)

// Erasure is one entry of the erasure ledger.
type Erasure struct {
	SubjectID string
	Kind      string // customer | company | held
	At        time.Time
}

// BackupRun is one backup made, or one restore drill, and how it went.
type BackupRun struct {
	ID         string
	Kind       string // backup | drill
	Target     string
	BackupID   string
	StartedAt  time.Time
	FinishedAt time.Time
	OK         bool
	Size       int64
	Rows       int64
	Age        time.Duration // a drill: the backup's age when drilled (the RPO)
	Detail     string
}

// backupRows are the erasure ledger and the backup runs, one part of a Tx.
type backupRows struct{ *conn }

// Erasures lists the ledger's entries made at or after since, oldest
// first, at most limit.
func (tx *backupRows) Erasures(ctx context.Context, since time.Time, limit int) ([]Erasure, error) {
	rows, err := tx.query(ctx, "SELECT subject_id, kind, erased_at FROM erasure_ledger WHERE erased_at >= ? ORDER BY erased_at, subject_id LIMIT ?", since.UnixMicro(), limit)
	if err != nil {
		return nil, classify("store.Erasures", err)
	}
	defer rows.Close()
	var out []Erasure
	for rows.Next() {
		var e Erasure
		var at int64
		if err := rows.Scan(&e.SubjectID, &e.Kind, &at); err != nil {
			return nil, classify("store.Erasures", err)
		}
		e.At = time.UnixMicro(at)
		out = append(out, e)
	}
	return out, classify("store.Erasures", rows.Err())
}

// EraseAgain applies a ledger entry to a restored database: it removes the
// subject's record (a customer or a company, with what cascades from it)
// and its data key, and keeps the entry. It reports whether anything of the
// subject was there.
func (tx *backupRows) EraseAgain(ctx context.Context, e Erasure) (bool, error) {
	found := false
	table, tokens := "customers", "customer"
	switch e.Kind {
	case "company":
		table, tokens = "companies", "company"
	case "held":
		// A held record whose hold ended: destroying its key makes it
		// unreadable now; its row (in a backup made since migration 0052)
		// is past its end, so the hourly job deletes it. The row is not
		// deleted here, since the loaded backup may predate its table.
		table = ""
	}
	if table != "" {
		res, err := tx.exec(ctx, "DELETE FROM "+table+" WHERE id = ?", e.SubjectID)
		if err != nil {
			return false, classify("store.EraseAgain", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			found = true
		}
	}
	for _, q := range []string{"DELETE FROM name_tokens WHERE kind = ? AND subject_id = ?", "DELETE FROM tag_index WHERE kind = ? AND subject_id = ?"} {
		if _, err := tx.exec(ctx, q, tokens, e.SubjectID); err != nil {
			return false, classify("store.EraseAgain", err)
		}
	}
	if _, err := tx.exec(ctx, "DELETE FROM subject_key_history WHERE subject_id = ?", e.SubjectID); err != nil {
		return false, classify("store.EraseAgain", err)
	}
	res, err := tx.exec(ctx, "DELETE FROM subject_keys WHERE subject_id = ?", e.SubjectID)
	if err != nil {
		return false, classify("store.EraseAgain", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		found = true
	}
	_, err = tx.exec(ctx, "INSERT INTO erasure_ledger (subject_id, kind, erased_at) VALUES (?, ?, ?) ON CONFLICT (subject_id) DO NOTHING", e.SubjectID, e.Kind, e.At.UnixMicro())
	return found, classify("store.EraseAgain", err)
}

// InsertBackupRun records a backup or a drill.
func (tx *backupRows) InsertBackupRun(ctx context.Context, r BackupRun) error {
	_, err := tx.exec(ctx, `INSERT INTO backup_runs (id, kind, target, backup_id, started_at, finished_at, outcome, size, row_count, age_us, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.Kind, r.Target, r.BackupID, r.StartedAt.UnixMicro(), r.FinishedAt.UnixMicro(), outcome(r.OK), r.Size, r.Rows, r.Age.Microseconds(), r.Detail)
	return classify("store.InsertBackupRun", err)
}

func outcome(ok bool) string {
	if ok {
		return "ok"
	}
	return "failed"
}

// BackupRuns lists the latest runs, newest first; kind "" is both kinds,
// target "" every target.
func (tx *backupRows) BackupRuns(ctx context.Context, kind, target string, limit int) ([]BackupRun, error) {
	q, args := "SELECT id, kind, target, backup_id, started_at, finished_at, outcome, size, row_count, age_us, detail FROM backup_runs WHERE 1 = 1", []any{}
	if kind != "" {
		q, args = q+" AND kind = ?", append(args, kind)
	}
	if target != "" {
		q, args = q+" AND target = ?", append(args, target)
	}
	rows, err := tx.query(ctx, q+" ORDER BY started_at DESC, id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, classify("store.BackupRuns", err)
	}
	defer rows.Close()
	var out []BackupRun
	for rows.Next() {
		var r BackupRun
		var started, finished, age int64
		var oc string
		if err := rows.Scan(&r.ID, &r.Kind, &r.Target, &r.BackupID, &started, &finished, &oc, &r.Size, &r.Rows, &age, &r.Detail); err != nil {
			return nil, classify("store.BackupRuns", err)
		}
		r.StartedAt, r.FinishedAt, r.OK, r.Age = time.UnixMicro(started), time.UnixMicro(finished), oc == "ok", time.Duration(age)*time.Microsecond
		out = append(out, r)
	}
	return out, classify("store.BackupRuns", rows.Err())
}

// TryLock takes a PostgreSQL session lock named key if no other server
// holds it, for background work one server at a time must do (backups:
// 7412004); release gives it back. SQLite has one server: always ok.
func (db *DB) TryLock(ctx context.Context, key int64) (release func(), ok bool) {
	if db.engine != Postgres {
		return func() {}, true
	}
	c, err := db.write.Conn(ctx)
	if err != nil {
		return nil, false
	}
	if err := c.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&ok); err != nil || !ok {
		c.Close()
		return nil, false
	}
	return func() {
		c.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", key)
		c.Close()
	}, true
}
