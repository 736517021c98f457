package store

import (
	"context"
	"strings"
	"time"
)

// CompanyColumns maps a company's sealed field names to their columns.
var CompanyColumns = map[string]string{
	"name":    "name_ct",
	"address": "address_ct",
	"phone":   "phone_ct",
	"notes":   "notes_ct",
	"tags":    "tags_ct",
}

var companyFieldOrder = []string{"name", "address", "phone", "notes", "tags"}

// CompanyRow is a stored company with its wrapped data key.
type CompanyRow struct {
	ID         string
	NameTokens [][]byte // blind indexes of the name's tokens; written, never read back
	Tags       [][]byte // blind indexes of the tags; likewise
	OwnerID    string
	OwnerTeam  string
	IsStore    bool
	Sealed     map[string][]byte
	CreatedAt  time.Time
	UpdatedAt  time.Time
	WrappedKey []byte
}

var companySelect = func() string {
	cols := []string{"co.id", "co.owner_id", "COALESCE(ou.team, '')", "co.is_store"}
	for _, f := range companyFieldOrder {
		cols = append(cols, "co."+CompanyColumns[f])
	}
	cols = append(cols, "co.created_at", "co.updated_at", "k.wrapped")
	return "SELECT " + strings.Join(cols, ", ") + " FROM companies co JOIN subject_keys k ON k.subject_id = co.id LEFT JOIN users ou ON ou.id = co.owner_id"
}()

// companyDest returns scan destinations for companySelect's columns into
// c, and a function that completes c after the scan.
func companyDest(c *CompanyRow) ([]any, func()) {
	c.Sealed = map[string][]byte{}
	var owner *string
	var store int
	sealed := make([][]byte, len(companyFieldOrder))
	dest := []any{&c.ID, &owner, &c.OwnerTeam, &store}
	for i := range sealed {
		dest = append(dest, &sealed[i])
	}
	var created, updated int64
	dest = append(dest, &created, &updated, &c.WrappedKey)
	return dest, func() {
		if owner != nil {
			c.OwnerID = *owner
		}
		c.IsStore = store != 0
		for i, f := range companyFieldOrder {
			if sealed[i] != nil {
				c.Sealed[f] = sealed[i]
			}
		}
		c.CreatedAt, c.UpdatedAt = fromMicro(created), fromMicro(updated)
	}
}

func scanCompany(row interface{ Scan(...any) error }) (CompanyRow, error) {
	var c CompanyRow
	dest, finish := companyDest(&c)
	if err := row.Scan(dest...); err != nil {
		return c, err
	}
	finish()
	return c, nil
}

// InsertCompany stores a new company. Its data key must already exist.
func (tx *companyRows) InsertCompany(ctx context.Context, c CompanyRow) error {
	cols := []string{"id", "owner_id", "is_store", "created_at", "updated_at"}
	args := []any{c.ID, nullString(c.OwnerID), boolInt(c.IsStore), c.CreatedAt.UnixMicro(), c.UpdatedAt.UnixMicro()}
	for _, f := range companyFieldOrder {
		cols = append(cols, CompanyColumns[f])
		args = append(args, c.Sealed[f])
	}
	if _, err := tx.exec(ctx, "INSERT INTO companies ("+strings.Join(cols, ", ")+") VALUES ("+placeholders(len(cols))+")", args...); err != nil {
		return classify("store.InsertCompany", err)
	}
	// A new subject has no tokens or tags to replace.
	if err := tx.insertNameTokens(ctx, "company", map[string][][]byte{c.ID: c.NameTokens}); err != nil {
		return err
	}
	return tx.insertIndex(ctx, "tag_index", "tag", "company", map[string][][]byte{c.ID: c.Tags})
}

// UpdateCompany rewrites a company's owner, store flag and sealed fields.
func (tx *companyRows) UpdateCompany(ctx context.Context, c CompanyRow) error {
	sets := []string{"owner_id = ?", "is_store = ?", "updated_at = ?"}
	args := []any{nullString(c.OwnerID), boolInt(c.IsStore), c.UpdatedAt.UnixMicro()}
	for _, f := range companyFieldOrder {
		sets = append(sets, CompanyColumns[f]+" = ?")
		args = append(args, c.Sealed[f])
	}
	if err := tx.updateOne(ctx, "store.UpdateCompany", "UPDATE companies SET "+strings.Join(sets, ", ")+" WHERE id = ?", append(args, c.ID)...); err != nil {
		return err
	}
	if err := tx.SetNameTokens(ctx, "company", c.ID, c.NameTokens); err != nil {
		return err
	}
	return tx.SetTags(ctx, "company", c.ID, c.Tags)
}

// DeleteCompany removes a company; its customers keep existing, unlinked.
func (tx *companyRows) DeleteCompany(ctx context.Context, id string) error {
	if err := tx.updateOne(ctx, "store.DeleteCompany", "DELETE FROM companies WHERE id = ?", id); err != nil {
		return err
	}
	if err := tx.DeleteNameTokens(ctx, "company", id); err != nil {
		return err
	}
	return tx.SetTags(ctx, "company", id, nil)
}

// CompanyByID returns one company.
func (tx *companyRows) CompanyByID(ctx context.Context, id string) (CompanyRow, error) {
	c, err := scanCompany(tx.queryRow(ctx, companySelect+" WHERE co.id = ?", id))
	return c, classify("store.CompanyByID", err)
}

// CompanyFilter selects companies for a list.
type CompanyFilter struct {
	NameTokens [][]byte
	Tag        []byte
	OwnerID    string
	Teams      []string
	StoreOnly  bool
	After      *Cursor
	Limit      int
}

// ListCompanies returns companies matching f, oldest first.
func (tx *companyRows) ListCompanies(ctx context.Context, f CompanyFilter) ([]CompanyRow, error) {
	var where []string
	var args []any
	if f.OwnerID != "" {
		where, args = append(where, "co.owner_id = ?"), append(args, f.OwnerID)
	}
	if len(f.Teams) > 0 {
		cond, vals := in("ou.team", f.Teams)
		where, args = append(where, cond), append(args, vals...)
	}
	if f.StoreOnly {
		where = append(where, "co.is_store = 1")
	}
	if len(f.NameTokens) > 0 {
		cond, a := tokenMatch("company", "co.id", f.NameTokens)
		where, args = append(where, cond), append(args, a...)
	}
	if f.Tag != nil {
		where, args = append(where, "co.id IN (SELECT subject_id FROM tag_index WHERE kind = 'company' AND tag = ?)"), append(args, f.Tag)
	}
	if f.After != nil {
		us := f.After.CreatedAt.UnixMicro()
		where = append(where, "(co.created_at > ? OR (co.created_at = ? AND co.id > ?))")
		args = append(args, us, us, f.After.ID)
	}
	q := companySelect
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := tx.query(ctx, q+" ORDER BY co.created_at, co.id LIMIT ?", append(args, f.Limit)...)
	if err != nil {
		return nil, classify("store.ListCompanies", err)
	}
	defer rows.Close()
	var out []CompanyRow
	for rows.Next() {
		c, err := scanCompany(rows)
		if err != nil {
			return nil, classify("store.ListCompanies", err)
		}
		out = append(out, c)
	}
	return out, classify("store.ListCompanies", rows.Err())
}

// CompanyCustomers returns the customers linked to a company.
func (tx *companyRows) CompanyCustomers(ctx context.Context, companyID string, limit int) ([]CustomerRow, error) {
	// A customer whose processing is restricted is not listed.
	rows, err := tx.query(ctx, customerSelect+" WHERE c.company_id = ? AND c.restricted = 0 ORDER BY c.created_at, c.id LIMIT ?", companyID, limit)
	if err != nil {
		return nil, classify("store.CompanyCustomers", err)
	}
	defer rows.Close()
	var out []CustomerRow
	for rows.Next() {
		c, err := scanCustomer(rows)
		if err != nil {
			return nil, classify("store.CompanyCustomers", err)
		}
		out = append(out, c)
	}
	return out, classify("store.CompanyCustomers", rows.Err())
}

// companyRows are the rows of companies and stores, one part of a Tx.
type companyRows struct{ *conn }
