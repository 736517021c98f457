package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"
)

// AlertRow is one alert raised by a detector.
type AlertRow struct {
	ID        string
	Rule      string
	Severity  string
	UserID    string
	Network   string
	Summary   string
	Seqs      []int64
	Response  string
	Status    string // open, acknowledged, closed
	CreatedAt time.Time
	UpdatedAt time.Time
	UpdatedBy string
}

// alertRows are the detectors' alerts and state and the SIEM exports' cursors, one part of a Tx.
type alertRows struct{ *conn }

// LockDetect makes one detecting transaction wait for another on
// PostgreSQL (several servers); SQLite's write transaction is alone.
func (tx *alertRows) LockDetect(ctx context.Context) error {
	if tx.db.engine != Postgres {
		return nil
	}
	_, err := tx.exec(ctx, "SELECT pg_advisory_xact_lock(7412003)")
	return classify("store.LockDetect", err)
}

// DetectState returns the seq the detectors have read up to and their
// saved state ("" before the first run).
func (tx *alertRows) DetectState(ctx context.Context) (int64, string, error) {
	var cursor int64
	var state string
	err := tx.queryRow(ctx, "SELECT cursor, state FROM detect_state WHERE id = 1").Scan(&cursor, &state)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	return cursor, state, classify("store.DetectState", err)
}

// SaveDetectState keeps the detectors' cursor and state.
func (tx *alertRows) SaveDetectState(ctx context.Context, cursor int64, state string) error {
	_, err := tx.exec(ctx, "INSERT INTO detect_state (id, cursor, state) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET cursor = excluded.cursor, state = excluded.state", cursor, state)
	return classify("store.SaveDetectState", err)
}

// InsertAlert stores a new alert.
func (tx *alertRows) InsertAlert(ctx context.Context, a AlertRow) error {
	seqs := make([]string, len(a.Seqs))
	for i, s := range a.Seqs {
		seqs[i] = strconv.FormatInt(s, 10)
	}
	_, err := tx.exec(ctx, "INSERT INTO alerts (id, rule, severity, user_id, network, summary, seqs, response, status, created_at, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		a.ID, a.Rule, a.Severity, a.UserID, a.Network, a.Summary, strings.Join(seqs, ","), a.Response, a.Status, a.CreatedAt.UnixMicro(), a.UpdatedAt.UnixMicro(), a.UpdatedBy)
	return classify("store.InsertAlert", err)
}

const alertColumns = "id, rule, severity, user_id, network, summary, seqs, response, status, created_at, updated_at, updated_by"

func scanAlert(row interface{ Scan(...any) error }) (AlertRow, error) {
	var a AlertRow
	var seqs string
	var created, updated int64
	err := row.Scan(&a.ID, &a.Rule, &a.Severity, &a.UserID, &a.Network, &a.Summary, &seqs, &a.Response, &a.Status, &created, &updated, &a.UpdatedBy)
	for _, s := range strings.Split(seqs, ",") {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			a.Seqs = append(a.Seqs, n)
		}
	}
	a.CreatedAt, a.UpdatedAt = fromMicro(created), fromMicro(updated)
	return a, err
}

// ListAlerts returns alerts with status (all when empty), newest first.
func (tx *alertRows) ListAlerts(ctx context.Context, status string, limit int) ([]AlertRow, error) {
	q, args := "SELECT "+alertColumns+" FROM alerts", []any{}
	if status != "" {
		q, args = q+" WHERE status = ?", append(args, status)
	}
	rows, err := tx.query(ctx, q+" ORDER BY created_at DESC, id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, classify("store.ListAlerts", err)
	}
	defer rows.Close()
	var out []AlertRow
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, classify("store.ListAlerts", err)
		}
		out = append(out, a)
	}
	return out, classify("store.ListAlerts", rows.Err())
}

// AlertByID returns one alert.
func (tx *alertRows) AlertByID(ctx context.Context, id string) (AlertRow, error) {
	a, err := scanAlert(tx.queryRow(ctx, "SELECT "+alertColumns+" FROM alerts WHERE id = ?", id))
	return a, classify("store.AlertByID", err)
}

// SetAlertStatus moves an alert to status.
func (tx *alertRows) SetAlertStatus(ctx context.Context, id, status, by string, at time.Time) error {
	return tx.updateOne(ctx, "store.SetAlertStatus", "UPDATE alerts SET status = ?, updated_by = ?, updated_at = ? WHERE id = ?", status, by, at.UnixMicro(), id)
}

// UserRoles returns every user's stored roles (comma-separated), by id.
func (tx *alertRows) UserRoles(ctx context.Context) (map[string]string, error) {
	rows, err := tx.query(ctx, "SELECT id, role FROM users")
	if err != nil {
		return nil, classify("store.UserRoles", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, role string
		if err := rows.Scan(&id, &role); err != nil {
			return nil, classify("store.UserRoles", err)
		}
		out[id] = role
	}
	return out, classify("store.UserRoles", rows.Err())
}

// SIEMCursor is the seq the named export has sent up to (0: none).
func (tx *alertRows) SIEMCursor(ctx context.Context, name string) (int64, error) {
	var n int64
	err := tx.queryRow(ctx, "SELECT seq FROM siem_cursors WHERE name = ?", name).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, classify("store.SIEMCursor", err)
}

// SetSIEMCursor records how far the named export has sent.
func (tx *alertRows) SetSIEMCursor(ctx context.Context, name string, seq int64, at time.Time) error {
	_, err := tx.exec(ctx, "INSERT INTO siem_cursors (name, seq, at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET seq = excluded.seq, at = excluded.at", name, seq, at.UnixMicro())
	return classify("store.SetSIEMCursor", err)
}
