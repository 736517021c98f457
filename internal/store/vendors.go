package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"
)

// VendorRow is one third party that receives or processes customer data.
// It holds no customer personal data.
type VendorRow struct {
	ID              string
	Name            string
	Role            string // processor, controller, sub-processor
	Purpose         string
	DataCategories  []string
	Locations       []string // countries
	Transfer        string   // the mechanism for a transfer abroad ("" for none)
	AgreementRef    string
	AgreementSigned time.Time // zero: none
	DPA             bool      // the agreement has data-protection terms
	Links           []string  // the product's parts that send it data ("webhook:alerts", "mail:relay", …)
	Certifications  []CertificationRow
	NextReview      time.Time // zero: none planned
	Status          string    // active, suspended, ended
	Reminded        string    // what the last reminder alert was raised for
	CreatedBy       string
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// CertificationRow is a vendor's certification and when it expires.
type CertificationRow struct {
	Name    string
	Expires time.Time
}

// VendorReviewRow is one review of a vendor.
type VendorReviewRow struct {
	ID         string
	VendorID   string
	ReviewedAt time.Time
	Reviewer   string
	Outcome    string
	Notes      string
	CreatedBy  string
	CreatedAt  time.Time
}

// VendorFindingRow is a finding about a vendor, tracked to its fix.
type VendorFindingRow struct {
	ID        string
	VendorID  string
	ReviewID  string // "" when not raised by a review
	Text      string
	Severity  string
	Owner     string
	Due       time.Time // zero: none
	FixedAt   time.Time // zero: open
	Fix       string
	CreatedBy string
	CreatedAt time.Time
}

// vendorRows are the vendors register, one part of a Tx.
type vendorRows struct{ *conn }

const vendorColumns = "id, name, role, purpose, data_categories, locations, transfer, agreement_ref, agreement_signed, dpa, links, next_review, status, reminded, created_by, created_at, updated_at"

func jsonList(v []string) string {
	if v == nil {
		v = []string{}
	}
	b, _ := json.Marshal(v) // a []string always encodes
	return string(b)
}

// timeOf reads a stored time that may be 0 (none).
func timeOf(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return fromMicro(us)
}

// InsertVendor adds a vendor and its certifications.
func (tx *vendorRows) InsertVendor(ctx context.Context, v VendorRow) error {
	_, err := tx.exec(ctx, "INSERT INTO vendors ("+vendorColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		v.ID, v.Name, v.Role, v.Purpose, jsonList(v.DataCategories), jsonList(v.Locations), v.Transfer, v.AgreementRef, micro(v.AgreementSigned),
		boolInt(v.DPA), jsonList(v.Links), micro(v.NextReview), v.Status, v.Reminded, v.CreatedBy, v.CreatedAt.UnixMicro(), v.UpdatedAt.UnixMicro())
	if err != nil {
		return classify("store.InsertVendor", err)
	}
	return tx.setCertifications(ctx, v)
}

// UpdateVendor saves a vendor's fields and replaces its certifications.
func (tx *vendorRows) UpdateVendor(ctx context.Context, v VendorRow) error {
	err := tx.updateOne(ctx, "store.UpdateVendor", `UPDATE vendors SET name = ?, role = ?, purpose = ?, data_categories = ?, locations = ?, transfer = ?,
		agreement_ref = ?, agreement_signed = ?, dpa = ?, links = ?, next_review = ?, status = ?, reminded = ?, updated_at = ? WHERE id = ?`,
		v.Name, v.Role, v.Purpose, jsonList(v.DataCategories), jsonList(v.Locations), v.Transfer, v.AgreementRef, micro(v.AgreementSigned),
		boolInt(v.DPA), jsonList(v.Links), micro(v.NextReview), v.Status, v.Reminded, v.UpdatedAt.UnixMicro(), v.ID)
	if err != nil {
		return err
	}
	if _, err := tx.exec(ctx, "DELETE FROM vendor_certifications WHERE vendor_id = ?", v.ID); err != nil {
		return classify("store.UpdateVendor", err)
	}
	return tx.setCertifications(ctx, v)
}

func (tx *vendorRows) setCertifications(ctx context.Context, v VendorRow) error {
	for _, c := range v.Certifications {
		if _, err := tx.exec(ctx, "INSERT INTO vendor_certifications (vendor_id, name, expires_at) VALUES (?, ?, ?)", v.ID, c.Name, micro(c.Expires)); err != nil {
			return classify("store.setCertifications", err)
		}
	}
	return nil
}

// SetVendorReminded records what the last reminder was raised for, if it
// is still from (compare and set): NotExist when another run moved it.
func (tx *vendorRows) SetVendorReminded(ctx context.Context, id, from, to string) error {
	return tx.updateOne(ctx, "store.SetVendorReminded", "UPDATE vendors SET reminded = ? WHERE id = ? AND reminded = ?", to, id, from)
}

func scanVendor(row interface{ Scan(...any) error }) (VendorRow, error) {
	var v VendorRow
	var cats, locs, links string
	var signed, review, created, updated int64
	var dpa int
	err := row.Scan(&v.ID, &v.Name, &v.Role, &v.Purpose, &cats, &locs, &v.Transfer, &v.AgreementRef, &signed, &dpa, &links, &review, &v.Status, &v.Reminded,
		&v.CreatedBy, &created, &updated)
	if err != nil {
		return v, err
	}
	for _, l := range []struct {
		s string
		v *[]string
	}{{cats, &v.DataCategories}, {locs, &v.Locations}, {links, &v.Links}} {
		if err := json.Unmarshal([]byte(l.s), l.v); err != nil {
			return v, err
		}
	}
	v.AgreementSigned, v.NextReview, v.DPA = timeOf(signed), timeOf(review), dpa != 0
	v.CreatedAt, v.UpdatedAt = fromMicro(created), fromMicro(updated)
	return v, nil
}

// VendorByID returns one vendor with its certifications.
func (tx *vendorRows) VendorByID(ctx context.Context, id string) (VendorRow, error) {
	v, err := scanVendor(tx.queryRow(ctx, "SELECT "+vendorColumns+" FROM vendors WHERE id = ?", id))
	if err != nil {
		return v, classify("store.VendorByID", err)
	}
	certs, err := tx.certifications(ctx, id)
	v.Certifications = certs[id]
	return v, err
}

// VendorList returns every vendor with its certifications, by name: what
// the register, the record of processing and the compliance report list.
func (tx *vendorRows) VendorList(ctx context.Context) ([]VendorRow, error) {
	rows, err := tx.query(ctx, "SELECT "+vendorColumns+" FROM vendors ORDER BY name, id")
	if err != nil {
		return nil, classify("store.VendorList", err)
	}
	defer rows.Close()
	var out []VendorRow
	for rows.Next() {
		v, err := scanVendor(rows)
		if err != nil {
			return nil, classify("store.VendorList", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, classify("store.VendorList", err)
	}
	certs, err := tx.certifications(ctx, "")
	for i := range out {
		out[i].Certifications = certs[out[i].ID]
	}
	return out, err
}

// certifications returns the certifications of vendorID (every vendor's
// for ""), by vendor, soonest expiry first.
func (tx *vendorRows) certifications(ctx context.Context, vendorID string) (map[string][]CertificationRow, error) {
	q, args := "SELECT vendor_id, name, expires_at FROM vendor_certifications", []any{}
	if vendorID != "" {
		q, args = q+" WHERE vendor_id = ?", append(args, vendorID)
	}
	rows, err := tx.query(ctx, q+" ORDER BY vendor_id, expires_at, name", args...)
	if err != nil {
		return nil, classify("store.certifications", err)
	}
	defer rows.Close()
	out := map[string][]CertificationRow{}
	for rows.Next() {
		var id string
		var c CertificationRow
		var exp int64
		if err := rows.Scan(&id, &c.Name, &exp); err != nil {
			return nil, classify("store.certifications", err)
		}
		c.Expires = timeOf(exp)
		out[id] = append(out[id], c)
	}
	return out, classify("store.certifications", rows.Err())
}

// InsertVendorReview records a review.
func (tx *vendorRows) InsertVendorReview(ctx context.Context, r VendorReviewRow) error {
	_, err := tx.exec(ctx, "INSERT INTO vendor_reviews (id, vendor_id, reviewed_at, reviewer, outcome, notes, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		r.ID, r.VendorID, r.ReviewedAt.UnixMicro(), r.Reviewer, r.Outcome, r.Notes, r.CreatedBy, r.CreatedAt.UnixMicro())
	return classify("store.InsertVendorReview", err)
}

// VendorReviews returns a vendor's reviews, newest first.
func (tx *vendorRows) VendorReviews(ctx context.Context, vendorID string) ([]VendorReviewRow, error) {
	rows, err := tx.query(ctx, "SELECT id, vendor_id, reviewed_at, reviewer, outcome, notes, created_by, created_at FROM vendor_reviews WHERE vendor_id = ? ORDER BY reviewed_at DESC, id DESC", vendorID)
	if err != nil {
		return nil, classify("store.VendorReviews", err)
	}
	defer rows.Close()
	var out []VendorReviewRow
	for rows.Next() {
		var r VendorReviewRow
		var at, created int64
		if err := rows.Scan(&r.ID, &r.VendorID, &at, &r.Reviewer, &r.Outcome, &r.Notes, &r.CreatedBy, &created); err != nil {
			return nil, classify("store.VendorReviews", err)
		}
		r.ReviewedAt, r.CreatedAt = fromMicro(at), fromMicro(created)
		out = append(out, r)
	}
	return out, classify("store.VendorReviews", rows.Err())
}

const findingColumns = "id, vendor_id, review_id, text, severity, owner, due_at, fixed_at, fix, created_by, created_at"

// InsertVendorFinding records a finding.
func (tx *vendorRows) InsertVendorFinding(ctx context.Context, f VendorFindingRow) error {
	_, err := tx.exec(ctx, "INSERT INTO vendor_findings ("+findingColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		f.ID, f.VendorID, f.ReviewID, f.Text, f.Severity, f.Owner, micro(f.Due), micro(f.FixedAt), f.Fix, f.CreatedBy, f.CreatedAt.UnixMicro())
	return classify("store.InsertVendorFinding", err)
}

// FixVendorFinding closes an open finding with what fixed it; one already
// fixed is NotExist.
func (tx *vendorRows) FixVendorFinding(ctx context.Context, id, fix string, at time.Time) error {
	return tx.updateOne(ctx, "store.FixVendorFinding", "UPDATE vendor_findings SET fixed_at = ?, fix = ? WHERE id = ? AND fixed_at = 0", at.UnixMicro(), fix, id)
}

// VendorFindings returns a vendor's findings, open ones first, then by due date.
func (tx *vendorRows) VendorFindings(ctx context.Context, vendorID string) ([]VendorFindingRow, error) {
	rows, err := tx.query(ctx, "SELECT "+findingColumns+" FROM vendor_findings WHERE vendor_id = ? ORDER BY CASE WHEN fixed_at = 0 THEN 0 ELSE 1 END, due_at, created_at, id", vendorID)
	if err != nil {
		return nil, classify("store.VendorFindings", err)
	}
	defer rows.Close()
	var out []VendorFindingRow
	for rows.Next() {
		var f VendorFindingRow
		var due, fixed, created int64
		if err := rows.Scan(&f.ID, &f.VendorID, &f.ReviewID, &f.Text, &f.Severity, &f.Owner, &due, &fixed, &f.Fix, &f.CreatedBy, &created); err != nil {
			return nil, classify("store.VendorFindings", err)
		}
		f.Due, f.FixedAt, f.CreatedAt = timeOf(due), timeOf(fixed), fromMicro(created)
		out = append(out, f)
	}
	return out, classify("store.VendorFindings", rows.Err())
}

// OpenFindingCounts returns how many findings stand open, by vendor.
func (tx *vendorRows) OpenFindingCounts(ctx context.Context) (map[string]int, error) {
	rows, err := tx.query(ctx, "SELECT vendor_id, count(*) FROM vendor_findings WHERE fixed_at = 0 GROUP BY vendor_id")
	if err != nil {
		return nil, classify("store.OpenFindingCounts", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, classify("store.OpenFindingCounts", err)
		}
		out[id] = n
	}
	return out, classify("store.OpenFindingCounts", rows.Err())
}

// VendorCounts counts what the compliance report checks of the register at
// now: active vendors, active vendors whose review is past due (or never
// planned), and active vendors holding a certification that has expired.
func (tx *vendorRows) VendorCounts(ctx context.Context, now time.Time) (active, reviewOverdue, certExpired int, err error) {
	var a, r, c sql.NullInt64
	err = tx.queryRow(ctx, `SELECT
		(SELECT count(*) FROM vendors WHERE status = 'active'),
		(SELECT count(*) FROM vendors WHERE status = 'active' AND next_review < ?),
		(SELECT count(*) FROM vendors v WHERE v.status = 'active' AND EXISTS
			(SELECT 1 FROM vendor_certifications c WHERE c.vendor_id = v.id AND c.expires_at > 0 AND c.expires_at < ?))`, now.UnixMicro(), now.UnixMicro()).Scan(&a, &r, &c)
	return int(a.Int64), int(r.Int64), int(c.Int64), classify("store.VendorCounts", err)
}
