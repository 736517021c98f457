package store

import (
	"context"
	"time"
)

// RetentionRuleRow is how long one kind of record is kept.
type RetentionRuleRow struct {
	Target      string
	AfterDays   int
	Enabled     bool
	Note        string
	UpdatedBy   string
	UpdatedAt   time.Time
	PreviewedAt time.Time // the last dry run; zero: none since the rule last changed
	LastRunAt   time.Time
}

// RetentionRunRow is one run of a rule, dry or real: its counts, without
// personal data.
type RetentionRunRow struct {
	ID      string
	Target  string
	At      time.Time
	DryRun  bool
	ActorID string
	Cutoff  time.Time
	Matched int
	Removed int
	Kept    int
	Summary string
}

// RetentionCandidate is a record a rule reaches: its id, the customer it
// belongs to (if any), when it was last active, and why it is kept
// ("" when it may go): "legal_hold", "restricted" or "open_request".
type RetentionCandidate struct {
	ID         string
	CustomerID string
	LastActive time.Time
	KeptBy     string
}

// retentionRows are the retention rules and their runs, one part of a Tx.
type retentionRows struct{ *conn }

// RetentionRules lists every rule set.
func (tx *retentionRows) RetentionRules(ctx context.Context) ([]RetentionRuleRow, error) {
	rows, err := tx.query(ctx, "SELECT target, after_days, enabled, note, updated_by, updated_at, previewed_at, last_run_at FROM retention_rules ORDER BY target")
	if err != nil {
		return nil, classify("store.RetentionRules", err)
	}
	defer rows.Close()
	var out []RetentionRuleRow
	for rows.Next() {
		var r RetentionRuleRow
		var enabled, updated, previewed, last int64
		if err := rows.Scan(&r.Target, &r.AfterDays, &enabled, &r.Note, &r.UpdatedBy, &updated, &previewed, &last); err != nil {
			return nil, classify("store.RetentionRules", err)
		}
		r.Enabled, r.UpdatedAt = enabled != 0, fromMicro(updated)
		if previewed != 0 {
			r.PreviewedAt = fromMicro(previewed)
		}
		if last != 0 {
			r.LastRunAt = fromMicro(last)
		}
		out = append(out, r)
	}
	return out, classify("store.RetentionRules", rows.Err())
}

// PutRetentionRule sets a rule, inserting or replacing it; its dry run
// stands only if the caller keeps PreviewedAt.
func (tx *retentionRows) PutRetentionRule(ctx context.Context, r RetentionRuleRow) error {
	_, err := tx.exec(ctx, `INSERT INTO retention_rules (target, after_days, enabled, note, updated_by, updated_at, previewed_at, last_run_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (target) DO UPDATE SET after_days = excluded.after_days, enabled = excluded.enabled, note = excluded.note,
			updated_by = excluded.updated_by, updated_at = excluded.updated_at, previewed_at = excluded.previewed_at, last_run_at = excluded.last_run_at`,
		r.Target, r.AfterDays, boolInt(r.Enabled), r.Note, r.UpdatedBy, r.UpdatedAt.UnixMicro(), micro(r.PreviewedAt), micro(r.LastRunAt))
	return classify("store.PutRetentionRule", err)
}

// InsertRetentionRun reports a run.
func (tx *retentionRows) InsertRetentionRun(ctx context.Context, r RetentionRunRow) error {
	_, err := tx.exec(ctx, "INSERT INTO retention_runs (id, target, at, dry_run, actor_id, cutoff, matched, removed, kept, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		r.ID, r.Target, r.At.UnixMicro(), boolInt(r.DryRun), r.ActorID, r.Cutoff.UnixMicro(), r.Matched, r.Removed, r.Kept, r.Summary)
	return classify("store.InsertRetentionRun", err)
}

// RetentionRuns lists the latest runs, newest first; at most limit.
func (tx *retentionRows) RetentionRuns(ctx context.Context, limit int) ([]RetentionRunRow, error) {
	rows, err := tx.query(ctx, "SELECT id, target, at, dry_run, actor_id, cutoff, matched, removed, kept, summary FROM retention_runs ORDER BY at DESC, id DESC LIMIT ?", limit)
	if err != nil {
		return nil, classify("store.RetentionRuns", err)
	}
	defer rows.Close()
	var out []RetentionRunRow
	for rows.Next() {
		var r RetentionRunRow
		var at, cutoff, dry int64
		if err := rows.Scan(&r.ID, &r.Target, &at, &dry, &r.ActorID, &cutoff, &r.Matched, &r.Removed, &r.Kept, &r.Summary); err != nil {
			return nil, classify("store.RetentionRuns", err)
		}
		r.At, r.Cutoff, r.DryRun = fromMicro(at), fromMicro(cutoff), dry != 0
		out = append(out, r)
	}
	return out, classify("store.RetentionRuns", rows.Err())
}

// keptBy is the SQL that says why a customer's data must stay: a legal
// hold standing at now (its one argument), a restriction, or an open
// request (which needs the data to be answered).
const keptBy = `CASE
	WHEN EXISTS (SELECT 1 FROM legal_holds h WHERE h.customer_id = c.id AND h.until_at > ?) THEN 'legal_hold'
	WHEN c.restricted <> 0 THEN 'restricted'
	WHEN EXISTS (SELECT 1 FROM privacy_requests r WHERE r.customer_id = c.id AND r.status IN ('open', 'in_progress')) THEN 'open_request'
	ELSE '' END`

// InactiveCustomers lists customers with nothing done since cutoff: the
// record itself, and its activities, deals and purchases, all unchanged
// since then; longest inactive first, at most limit.
func (tx *retentionRows) InactiveCustomers(ctx context.Context, cutoff, now time.Time, limit int) ([]RetentionCandidate, error) {
	c := cutoff.UnixMicro()
	return tx.candidates(ctx, "store.InactiveCustomers", `SELECT c.id, c.id, c.updated_at, `+keptBy+` FROM customers c
		WHERE c.updated_at < ?
		AND NOT EXISTS (SELECT 1 FROM activities a WHERE a.customer_id = c.id AND a.updated_at >= ?)
		AND NOT EXISTS (SELECT 1 FROM deals d WHERE d.customer_id = c.id AND d.updated_at >= ?)
		AND NOT EXISTS (SELECT 1 FROM transactions t WHERE t.customer_id = c.id AND t.updated_at >= ?)
		ORDER BY c.updated_at, c.id LIMIT ?`, now.UnixMicro(), c, c, c, c, limit)
}

// OldVisitPhotos lists visit photos taken before cutoff, oldest first.
func (tx *retentionRows) OldVisitPhotos(ctx context.Context, cutoff time.Time, limit int) ([]RetentionCandidate, error) {
	return tx.candidates(ctx, "store.OldVisitPhotos", `SELECT id, '', created_at, '' FROM attachments WHERE created_at < ? ORDER BY created_at, id LIMIT ?`,
		cutoff.UnixMicro(), limit)
}

// OldActivities lists calls, meetings, notes and finished tasks unchanged
// since cutoff, oldest first, with why a customer's are kept.
func (tx *retentionRows) OldActivities(ctx context.Context, cutoff, now time.Time, limit int) ([]RetentionCandidate, error) {
	return tx.candidates(ctx, "store.OldActivities", `SELECT a.id, COALESCE(a.customer_id, ''), a.updated_at,
		CASE WHEN c.id IS NULL THEN '' ELSE `+keptBy+` END
		FROM activities a LEFT JOIN customers c ON c.id = a.customer_id
		WHERE a.updated_at < ? AND (a.kind <> 'task' OR a.done_at IS NOT NULL)
		ORDER BY a.updated_at, a.id LIMIT ?`, now.UnixMicro(), cutoff.UnixMicro(), limit)
}

func (tx *retentionRows) candidates(ctx context.Context, op, q string, args ...any) ([]RetentionCandidate, error) {
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, classify(op, err)
	}
	defer rows.Close()
	var out []RetentionCandidate
	for rows.Next() {
		var r RetentionCandidate
		var at int64
		if err := rows.Scan(&r.ID, &r.CustomerID, &at, &r.KeptBy); err != nil {
			return nil, classify(op, err)
		}
		r.LastActive = fromMicro(at)
		out = append(out, r)
	}
	return out, classify(op, rows.Err())
}

// DeleteVisitPhoto deletes one visit photo.
func (tx *retentionRows) DeleteVisitPhoto(ctx context.Context, id string) error {
	return tx.updateOne(ctx, "store.DeleteVisitPhoto", "DELETE FROM attachments WHERE id = ?", id)
}

// DeleteActivity deletes one activity.
func (tx *retentionRows) DeleteActivity(ctx context.Context, id string) error {
	return tx.updateOne(ctx, "store.DeleteActivity", "DELETE FROM activities WHERE id = ?", id)
}
