package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// ConsentRow is one entry of a person's consent ledger; the guardian's
// name and the note are sealed in DetailsCT.
type ConsentRow struct {
	ID            string
	SubjectID     string
	Purpose       string
	Basis         string
	NoticeVersion int
	Channel       string
	Source        string
	Guardian      bool
	DetailsCT     []byte
	GivenAt       time.Time
	WithdrawnAt   time.Time // zero while it stands
	RecordedBy    string
}

// NoticeRow is a published privacy notice.
type NoticeRow struct {
	Version     int
	TextEN      string
	TextZH      string
	PublishedAt time.Time
	PublishedBy string
}

// consentRows are the privacy notices and the consent ledger, one part of a Tx.
type consentRows struct{ *conn }

// InsertConsent adds an entry to the ledger.
func (tx *consentRows) InsertConsent(ctx context.Context, c ConsentRow) error {
	_, err := tx.exec(ctx, `INSERT INTO consents (id, subject_id, purpose, basis, notice_version, channel, source, guardian, details_ct, given_at, withdrawn_at, recorded_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)`,
		c.ID, c.SubjectID, c.Purpose, c.Basis, c.NoticeVersion, c.Channel, c.Source, boolInt(c.Guardian), c.DetailsCT, c.GivenAt.UnixMicro(), c.RecordedBy)
	return classify("store.InsertConsent", err)
}

// WithdrawConsents withdraws the person's standing consents for purpose
// and reports how many there were.
func (tx *consentRows) WithdrawConsents(ctx context.Context, subjectID, purpose string, at time.Time) (int64, error) {
	res, err := tx.exec(ctx, "UPDATE consents SET withdrawn_at = ? WHERE subject_id = ? AND purpose = ? AND withdrawn_at = 0", at.UnixMicro(), subjectID, purpose)
	if err != nil {
		return 0, classify("store.WithdrawConsents", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// HasConsent reports whether the person has a standing consent for purpose.
func (tx *consentRows) HasConsent(ctx context.Context, subjectID, purpose string) (bool, error) {
	var n int
	err := tx.queryRow(ctx, "SELECT count(*) FROM consents WHERE subject_id = ? AND purpose = ? AND withdrawn_at = 0", subjectID, purpose).Scan(&n)
	return n > 0, classify("store.HasConsent", err)
}

// Consents lists the person's ledger, newest first.
func (tx *consentRows) Consents(ctx context.Context, subjectID string) ([]ConsentRow, error) {
	rows, err := tx.query(ctx, `SELECT id, subject_id, purpose, basis, notice_version, channel, source, guardian, details_ct, given_at, withdrawn_at, recorded_by
		FROM consents WHERE subject_id = ? ORDER BY given_at DESC, id DESC`, subjectID)
	if err != nil {
		return nil, classify("store.Consents", err)
	}
	defer rows.Close()
	var out []ConsentRow
	for rows.Next() {
		var c ConsentRow
		var guardian int
		var given, withdrawn int64
		if err := rows.Scan(&c.ID, &c.SubjectID, &c.Purpose, &c.Basis, &c.NoticeVersion, &c.Channel, &c.Source, &guardian, &c.DetailsCT, &given, &withdrawn, &c.RecordedBy); err != nil {
			return nil, classify("store.Consents", err)
		}
		c.Guardian, c.GivenAt = guardian != 0, fromMicro(given)
		if withdrawn != 0 {
			c.WithdrawnAt = fromMicro(withdrawn)
		}
		out = append(out, c)
	}
	return out, classify("store.Consents", rows.Err())
}

// InsertNotice publishes a notice as the next version and returns it.
func (tx *consentRows) InsertNotice(ctx context.Context, n NoticeRow) (int, error) {
	var last sql.NullInt64
	if err := tx.queryRow(ctx, "SELECT MAX(version) FROM privacy_notices").Scan(&last); err != nil {
		return 0, classify("store.InsertNotice", err)
	}
	n.Version = int(last.Int64) + 1
	_, err := tx.exec(ctx, "INSERT INTO privacy_notices (version, text_en, text_zh, published_at, published_by) VALUES (?, ?, ?, ?, ?)",
		n.Version, n.TextEN, n.TextZH, n.PublishedAt.UnixMicro(), n.PublishedBy)
	return n.Version, classify("store.InsertNotice", err)
}

// Notice returns a notice by version; version 0 is the current (latest)
// one. NotExist when none is published.
func (tx *consentRows) Notice(ctx context.Context, version int) (NoticeRow, error) {
	q, args := "SELECT version, text_en, text_zh, published_at, published_by FROM privacy_notices ORDER BY version DESC LIMIT 1", []any{}
	if version > 0 {
		q, args = "SELECT version, text_en, text_zh, published_at, published_by FROM privacy_notices WHERE version = ?", []any{version}
	}
	var n NoticeRow
	var at int64
	err := tx.queryRow(ctx, q, args...).Scan(&n.Version, &n.TextEN, &n.TextZH, &at, &n.PublishedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return n, classify("store.Notice", err)
	}
	n.PublishedAt = fromMicro(at)
	return n, classify("store.Notice", err)
}

// ConsentCounts counts the standing (not withdrawn) consents per purpose.
func (tx *consentRows) ConsentCounts(ctx context.Context) (map[string]int64, error) {
	rows, err := tx.query(ctx, "SELECT purpose, count(*) FROM consents WHERE withdrawn_at = 0 GROUP BY purpose")
	if err != nil {
		return nil, classify("store.ConsentCounts", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var p string
		var n int64
		if err := rows.Scan(&p, &n); err != nil {
			return nil, classify("store.ConsentCounts", err)
		}
		out[p] = n
	}
	return out, classify("store.ConsentCounts", rows.Err())
}
