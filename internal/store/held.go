package store

import (
	"context"
	"time"
)

// HeldRow is a held record: what an erasure kept under a legal hold,
// sealed under the record's own data key.
type HeldRow struct {
	ID        string
	RequestID string
	Scope     string
	Reason    string
	Until     time.Time
	Items     int
	CreatedBy string
	CreatedAt time.Time
	DataCT    []byte
}

// heldRows are the held records, one part of a Tx.
type heldRows struct{ *conn }

const heldColumns = "id, request_id, scope, reason, until_at, items, created_by, created_at, data_ct"

// InsertHeld stores a held record.
func (tx *heldRows) InsertHeld(ctx context.Context, h HeldRow) error {
	_, err := tx.exec(ctx, "INSERT INTO held_records ("+heldColumns+") VALUES ("+placeholders(9)+")",
		h.ID, h.RequestID, h.Scope, h.Reason, h.Until.UnixMicro(), h.Items, h.CreatedBy, h.CreatedAt.UnixMicro(), h.DataCT)
	return classify("store.InsertHeld", err)
}

func scanHeld(row interface{ Scan(...any) error }) (HeldRow, error) {
	var h HeldRow
	var until, created int64
	err := row.Scan(&h.ID, &h.RequestID, &h.Scope, &h.Reason, &until, &h.Items, &h.CreatedBy, &created, &h.DataCT)
	h.Until, h.CreatedAt = fromMicro(until), fromMicro(created)
	return h, err
}

// HeldByID returns one held record.
func (tx *heldRows) HeldByID(ctx context.Context, id string) (HeldRow, error) {
	h, err := scanHeld(tx.queryRow(ctx, "SELECT "+heldColumns+" FROM held_records WHERE id = ?", id))
	return h, classify("store.HeldByID", err)
}

// HeldRecords lists held records, those ending soonest first, at most
// limit; with ended set, only those to destroy: whose hold ended at or
// before now, or whose key is gone (a restore re-applied the erasure
// ledger's entry for it).
func (tx *heldRows) HeldRecords(ctx context.Context, ended bool, now time.Time, limit int) ([]HeldRow, error) {
	q, args := "SELECT "+heldColumns+" FROM held_records ORDER BY until_at, id LIMIT ?", []any{limit}
	if ended {
		q, args = "SELECT "+heldColumns+" FROM held_records WHERE until_at <= ? OR NOT EXISTS (SELECT 1 FROM subject_keys k WHERE k.subject_id = held_records.id) ORDER BY until_at, id LIMIT ?", []any{now.UnixMicro(), limit}
	}
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, classify("store.HeldRecords", err)
	}
	defer rows.Close()
	var out []HeldRow
	for rows.Next() {
		h, err := scanHeld(rows)
		if err != nil {
			return nil, classify("store.HeldRecords", err)
		}
		out = append(out, h)
	}
	return out, classify("store.HeldRecords", rows.Err())
}

// DeleteHeld deletes a held record; the caller shreds its key.
func (tx *heldRows) DeleteHeld(ctx context.Context, id string) error {
	return tx.updateOne(ctx, "store.DeleteHeld", "DELETE FROM held_records WHERE id = ?", id)
}

// HeldCounts are the held records for the compliance report: how many
// stand, how many await the hourly job (hold ended, or key destroyed).
type HeldCounts struct {
	Standing int
	Ended    int
}

// HeldCounts counts the held records at now.
func (tx *heldRows) HeldCounts(ctx context.Context, now time.Time) (HeldCounts, error) {
	var c HeldCounts
	err := tx.queryRow(ctx, `SELECT count(*), COALESCE(sum(CASE WHEN until_at <= ? OR NOT EXISTS (SELECT 1 FROM subject_keys k WHERE k.subject_id = held_records.id) THEN 1 ELSE 0 END), 0) FROM held_records`, now.UnixMicro()).Scan(&c.Standing, &c.Ended)
	c.Standing -= c.Ended
	return c, classify("store.HeldCounts", err)
}
