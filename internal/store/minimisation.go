package store

import (
	"context"
	"strings"
	"time"
)

// FieldUse is how much one customer field is held and shown: the
// customers who have it filled, and how often it was shown (read,
// revealed, exported; each record an event names counts) in full or
// masked since a time, from the audit log.
type FieldUse struct {
	Field  string
	Filled int64
	Shown  int64
	Masked int64
}

// readActions are the audit actions on customers that show their fields.
var readActions = []string{"customer.read", "customer.reveal", "customer.export", "customer.csv", "customer.history",
	"customer.subject_export", "customer.pseudonymised_export", "incident.draft"}

// FieldUse counts, for each customer field in order, the customers who
// have it filled (a sealed value, never opened) and the records it was
// shown for since since.
func (tx *requestRows) FieldUse(ctx context.Context, since time.Time) ([]FieldUse, error) {
	out := make([]FieldUse, len(customerFieldOrder))
	dest := make([]any, len(customerFieldOrder))
	cols := make([]string, len(customerFieldOrder))
	at := map[string]int{}
	for i, f := range customerFieldOrder {
		out[i].Field, dest[i], cols[i], at[f] = f, &out[i].Filled, "count("+CustomerColumns[f]+")", i
	}
	if err := tx.queryRow(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM customers").Scan(dest...); err != nil {
		return nil, classify("store.FieldUse", err)
	}
	args := []any{since.UnixMicro()}
	marks := make([]string, len(readActions))
	for i, a := range readActions {
		marks[i], args = "?", append(args, a)
	}
	// A grouped event names its records in subjects (comma-separated) and
	// none in object_id: it counts once per record.
	rows, err := tx.query(ctx, `SELECT fields, SUM(CASE WHEN subjects = '' THEN 1 ELSE length(subjects) - length(replace(subjects, ',', '')) + 1 END)
		FROM audit_events WHERE object_type = 'customer' AND outcome = 'success' AND fields <> '' AND at >= ? AND action IN (`+strings.Join(marks, ", ")+`)
		GROUP BY fields`, args...)
	if err != nil {
		return nil, classify("store.FieldUse", err)
	}
	defer rows.Close()
	for rows.Next() {
		var fields string
		var n int64
		if err := rows.Scan(&fields, &n); err != nil {
			return nil, classify("store.FieldUse", err)
		}
		for _, f := range strings.Split(fields, ",") {
			name, masked := strings.CutSuffix(f, ":masked")
			i, ok := at[name]
			switch {
			case !ok:
			case masked:
				out[i].Masked += n
			default:
				out[i].Shown += n
			}
		}
	}
	return out, classify("store.FieldUse", rows.Err())
}
