package store

import (
	"context"

	"strongroom.dev/strongroom/internal/audit"
)

// FieldChangeRow is one field's sealed before and after values in one
// change (the audit event at EventSeq).
type FieldChangeRow struct {
	SubjectID string
	EventSeq  int64
	Field     string
	BeforeCT  []byte // nil: the field was empty
	AfterCT   []byte
	Event     audit.Event // filled by FieldHistory
}

// historyRows are the field history, one part of a Tx.
type historyRows struct{ *conn }

// InsertFieldHistory keeps the sealed values of a change's fields.
func (tx *historyRows) InsertFieldHistory(ctx context.Context, rows []FieldChangeRow) error {
	for _, r := range rows {
		if _, err := tx.exec(ctx, "INSERT INTO field_history (subject_id, event_seq, field, before_ct, after_ct) VALUES (?, ?, ?, ?, ?)",
			r.SubjectID, r.EventSeq, r.Field, r.BeforeCT, r.AfterCT); err != nil {
			return classify("store.InsertFieldHistory", err)
		}
	}
	return nil
}

// FieldHistory returns a subject's field changes, newest first, each with
// its audit event; at most limit.
func (tx *historyRows) FieldHistory(ctx context.Context, subjectID string, limit int) ([]FieldChangeRow, error) {
	rows, err := tx.query(ctx, "SELECT h.event_seq, h.field, h.before_ct, h.after_ct, "+prefixed("e.", auditColumns)+
		" FROM field_history h JOIN audit_events e ON e.seq = h.event_seq WHERE h.subject_id = ? ORDER BY h.event_seq DESC, h.field LIMIT ?", subjectID, limit)
	if err != nil {
		return nil, classify("store.FieldHistory", err)
	}
	defer rows.Close()
	var out []FieldChangeRow
	for rows.Next() {
		r := FieldChangeRow{SubjectID: subjectID}
		var dest auditDest
		if err := rows.Scan(append([]any{&r.EventSeq, &r.Field, &r.BeforeCT, &r.AfterCT}, dest.targets()...)...); err != nil {
			return nil, classify("store.FieldHistory", err)
		}
		r.Event = dest.event()
		out = append(out, r)
	}
	return out, classify("store.FieldHistory", rows.Err())
}
