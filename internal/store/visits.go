package store

import (
	"context"
	"time"
)

// VisitRow is a stored visit, joined with the store's and the rep's
// wrapped data keys and the store's sealed name.
type VisitRow struct {
	ID            string
	CompanyID     string
	RepID         string
	RepTeam       string
	PlannedFor    string
	CheckinAt     *time.Time
	CheckoutAt    *time.Time
	CheckinLocCT  []byte // sealed under the rep's key
	CheckoutLocCT []byte
	NotesCT       []byte // sealed under the store's key
	CreatedAt     time.Time
	UpdatedAt     time.Time
	StoreKey      []byte
	RepKey        []byte
	StoreNameCT   []byte
}

const visitSelect = `SELECT v.id, v.company_id, v.rep_id, COALESCE(ru.team, ''), v.planned_for, v.checkin_at, v.checkout_at,
	v.checkin_loc_ct, v.checkout_loc_ct, v.notes_ct, v.created_at, v.updated_at, sk.wrapped, rk.wrapped, co.name_ct
	FROM visits v JOIN companies co ON co.id = v.company_id JOIN subject_keys sk ON sk.subject_id = v.company_id
	JOIN users ru ON ru.id = v.rep_id JOIN subject_keys rk ON rk.subject_id = v.rep_id`

func scanVisit(row interface{ Scan(...any) error }) (VisitRow, error) {
	var v VisitRow
	var in, out *int64
	var created, updated int64
	err := row.Scan(&v.ID, &v.CompanyID, &v.RepID, &v.RepTeam, &v.PlannedFor, &in, &out, &v.CheckinLocCT, &v.CheckoutLocCT, &v.NotesCT,
		&created, &updated, &v.StoreKey, &v.RepKey, &v.StoreNameCT)
	v.CheckinAt, v.CheckoutAt = optTime(in), optTime(out)
	v.CreatedAt, v.UpdatedAt = fromMicro(created), fromMicro(updated)
	return v, err
}

// InsertVisit stores a planned visit.
func (tx *visitRows) InsertVisit(ctx context.Context, v VisitRow) error {
	_, err := tx.exec(ctx, "INSERT INTO visits (id, company_id, rep_id, planned_for, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
		v.ID, v.CompanyID, v.RepID, v.PlannedFor, v.CreatedAt.UnixMicro(), v.UpdatedAt.UnixMicro())
	return classify("store.InsertVisit", err)
}

// UpdateVisit records check-in, check-out and notes.
func (tx *visitRows) UpdateVisit(ctx context.Context, v VisitRow) error {
	return tx.updateOne(ctx, "store.UpdateVisit", `UPDATE visits SET checkin_at = ?, checkout_at = ?, checkin_loc_ct = ?, checkout_loc_ct = ?, notes_ct = ?, updated_at = ? WHERE id = ?`,
		optMicro(v.CheckinAt), optMicro(v.CheckoutAt), v.CheckinLocCT, v.CheckoutLocCT, v.NotesCT, v.UpdatedAt.UnixMicro(), v.ID)
}

// DeleteVisit removes a visit and its photos.
func (tx *visitRows) DeleteVisit(ctx context.Context, id string) error {
	return tx.updateOne(ctx, "store.DeleteVisit", "DELETE FROM visits WHERE id = ?", id)
}

// VisitByID returns one visit.
func (tx *visitRows) VisitByID(ctx context.Context, id string) (VisitRow, error) {
	v, err := scanVisit(tx.queryRow(ctx, visitSelect+" WHERE v.id = ?", id))
	return v, classify("store.VisitByID", err)
}

// VisitFilter selects visits.
type VisitFilter struct {
	RepID    string
	Teams    []string
	From, To string // planned_for range, inclusive, YYYY-MM-DD
	Limit    int
}

// ListVisits returns visits matching f by planned day.
func (tx *visitRows) ListVisits(ctx context.Context, f VisitFilter) ([]VisitRow, error) {
	q := visitSelect + " WHERE v.planned_for >= ? AND v.planned_for <= ?"
	args := []any{f.From, f.To}
	if f.RepID != "" {
		q, args = q+" AND v.rep_id = ?", append(args, f.RepID)
	}
	if len(f.Teams) > 0 {
		cond, vals := in("ru.team", f.Teams)
		q, args = q+" AND "+cond, append(args, vals...)
	}
	rows, err := tx.query(ctx, q+" ORDER BY v.planned_for, v.created_at LIMIT ?", append(args, f.Limit)...)
	if err != nil {
		return nil, classify("store.ListVisits", err)
	}
	defer rows.Close()
	var out []VisitRow
	for rows.Next() {
		v, err := scanVisit(rows)
		if err != nil {
			return nil, classify("store.ListVisits", err)
		}
		out = append(out, v)
	}
	return out, classify("store.ListVisits", rows.Err())
}

// AttachmentRow is a stored attachment; Data is sealed under the store's key.
type AttachmentRow struct {
	ID          string
	VisitID     string
	ContentType string
	Size        int64
	DataCT      []byte
	CreatedBy   string
	CreatedAt   time.Time
}

// InsertAttachment stores an attachment.
func (tx *visitRows) InsertAttachment(ctx context.Context, a AttachmentRow) error {
	_, err := tx.exec(ctx, "INSERT INTO attachments (id, visit_id, content_type, size, data_ct, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
		a.ID, a.VisitID, a.ContentType, a.Size, a.DataCT, a.CreatedBy, a.CreatedAt.UnixMicro())
	return classify("store.InsertAttachment", err)
}

// Attachments lists a visit's attachments without their data.
func (tx *visitRows) Attachments(ctx context.Context, visitID string) ([]AttachmentRow, error) {
	rows, err := tx.query(ctx, "SELECT id, visit_id, content_type, size, created_by, created_at FROM attachments WHERE visit_id = ? ORDER BY created_at", visitID)
	if err != nil {
		return nil, classify("store.Attachments", err)
	}
	defer rows.Close()
	var out []AttachmentRow
	for rows.Next() {
		var a AttachmentRow
		var created int64
		if err := rows.Scan(&a.ID, &a.VisitID, &a.ContentType, &a.Size, &a.CreatedBy, &created); err != nil {
			return nil, classify("store.Attachments", err)
		}
		a.CreatedAt = fromMicro(created)
		out = append(out, a)
	}
	return out, classify("store.Attachments", rows.Err())
}

// AttachmentByID returns one attachment with its sealed data.
func (tx *visitRows) AttachmentByID(ctx context.Context, id string) (AttachmentRow, error) {
	var a AttachmentRow
	var created int64
	err := tx.queryRow(ctx, "SELECT id, visit_id, content_type, size, data_ct, created_by, created_at FROM attachments WHERE id = ?", id).
		Scan(&a.ID, &a.VisitID, &a.ContentType, &a.Size, &a.DataCT, &a.CreatedBy, &created)
	a.CreatedAt = fromMicro(created)
	return a, classify("store.AttachmentByID", err)
}

// visitRows are the rows of store visits and their photos, one part of a Tx.
type visitRows struct{ *conn }

// CheckInsSince returns the visits checked in after since with a
// location, oldest first (at most limit).
func (tx *visitRows) CheckInsSince(ctx context.Context, since time.Time, limit int) ([]VisitRow, error) {
	rows, err := tx.query(ctx, visitSelect+" WHERE v.checkin_at > ? AND v.checkin_loc_ct IS NOT NULL ORDER BY v.checkin_at LIMIT ?", since.UnixMicro(), limit)
	if err != nil {
		return nil, classify("store.CheckInsSince", err)
	}
	defer rows.Close()
	var out []VisitRow
	for rows.Next() {
		v, err := scanVisit(rows)
		if err != nil {
			return nil, classify("store.CheckInsSince", err)
		}
		out = append(out, v)
	}
	return out, classify("store.CheckInsSince", rows.Err())
}
