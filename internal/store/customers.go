package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// CustomerColumns maps a customer's personal field names to their sealed
// columns. The store knows column names, never values.
var CustomerColumns = map[string]string{
	"name":        "name_ct",
	"email":       "email_ct",
	"phone":       "phone_ct",
	"national_id": "national_id_ct",
	"notes":       "notes_ct",
	"assessment":  "assessment_ct",
	"tags":        "tags_ct",
}

// customerFieldOrder fixes the column order used in SQL.
var customerFieldOrder = []string{"name", "email", "phone", "national_id", "notes", "assessment", "tags"}

// CustomerRow is a stored customer: sealed fields, blind indexes and the
// wrapped data key of the customer (joined in on reads).
type CustomerRow struct {
	ID         string
	OwnerID    string
	OwnerTeam  string // the owner's team, joined in on reads
	CompanyID  string
	NameTokens [][]byte          // blind indexes of the name's tokens; written, never read back
	Tags       [][]byte          // blind indexes of the tags; likewise
	Sealed     map[string][]byte // field name -> ciphertext
	Index      CustomerIndex
	CreatedAt  time.Time
	UpdatedAt  time.Time
	WrappedKey []byte
	// RestrictedSince is when processing was restricted (GDPR Art. 18);
	// zero when it is not.
	RestrictedSince time.Time
}

// CustomerIndex holds a customer's blind indexes.
type CustomerIndex struct {
	Email, Phone, NationalID []byte
}

// customerSelectColumns and customerFrom select a customer with its
// owner's team and wrapped data key; customerDest scans them.
var customerSelectColumns = func() string {
	cols := []string{"c.id", "c.owner_id", "COALESCE(ou.team, '')", "c.company_id"}
	for _, f := range customerFieldOrder {
		cols = append(cols, "c."+CustomerColumns[f])
	}
	cols = append(cols, "c.email_bidx", "c.phone_bidx", "c.national_id_bidx", "c.created_at", "c.updated_at", "k.wrapped", "c.restricted")
	return strings.Join(cols, ", ")
}()

const customerFrom = " FROM customers c JOIN subject_keys k ON k.subject_id = c.id LEFT JOIN users ou ON ou.id = c.owner_id"

var customerSelect = "SELECT " + customerSelectColumns + customerFrom

// customerDest returns scan destinations for customerSelectColumns into c,
// and a function that completes c after the scan. What the scan reads
// before it completes c lives in one customerScan: a row's scan allocates
// that one struct rather than each variable on its own.
func customerDest(c *CustomerRow) ([]any, func()) {
	c.Sealed = make(map[string][]byte, len(customerFieldOrder))
	s := &customerScan{c: c, sealed: make([][]byte, len(customerFieldOrder))}
	dest := make([]any, 0, len(customerFieldOrder)+11)
	dest = append(dest, &c.ID, &s.owner, &c.OwnerTeam, &s.company)
	for i := range s.sealed {
		dest = append(dest, &s.sealed[i])
	}
	dest = append(dest, &c.Index.Email, &c.Index.Phone, &c.Index.NationalID, &s.created, &s.updated, &c.WrappedKey, &s.restricted)
	return dest, s.finish
}

// customerScan is what customerDest scans besides c's own fields.
type customerScan struct {
	c                            *CustomerRow
	owner, company               *string
	sealed                       [][]byte
	created, updated, restricted int64
}

func (s *customerScan) finish() {
	c := s.c
	if s.owner != nil {
		c.OwnerID = *s.owner
	}
	if s.company != nil {
		c.CompanyID = *s.company
	}
	for i, f := range customerFieldOrder {
		if s.sealed[i] != nil {
			c.Sealed[f] = s.sealed[i]
		}
	}
	c.CreatedAt, c.UpdatedAt = fromMicro(s.created), fromMicro(s.updated)
	if s.restricted != 0 {
		c.RestrictedSince = fromMicro(s.restricted)
	}
}

// SetRestricted restricts the processing of a customer's data from at,
// or lifts the restriction (at zero).
func (tx *customerRows) SetRestricted(ctx context.Context, id string, at time.Time) error {
	v := int64(0)
	if !at.IsZero() {
		v = at.UnixMicro()
	}
	return tx.updateOne(ctx, "store.SetRestricted", "UPDATE customers SET restricted = ? WHERE id = ?", v, id)
}

func scanCustomer(row interface{ Scan(...any) error }) (CustomerRow, error) {
	var c CustomerRow
	dest, finish := customerDest(&c)
	if err := row.Scan(dest...); err != nil {
		return c, err
	}
	finish()
	return c, nil
}

// InsertCustomer stores a new customer. Its data key must already exist.
func (tx *customerRows) InsertCustomer(ctx context.Context, c CustomerRow) error {
	cols := []string{"id", "owner_id", "company_id", "email_bidx", "phone_bidx", "national_id_bidx", "created_at", "updated_at"}
	args := []any{c.ID, nullString(c.OwnerID), nullString(c.CompanyID), c.Index.Email, c.Index.Phone, c.Index.NationalID, c.CreatedAt.UnixMicro(), c.UpdatedAt.UnixMicro()}
	for _, f := range customerFieldOrder {
		cols = append(cols, CustomerColumns[f])
		args = append(args, c.Sealed[f])
	}
	if _, err := tx.exec(ctx, "INSERT INTO customers ("+strings.Join(cols, ", ")+") VALUES ("+placeholders(len(cols))+")", args...); err != nil {
		return classify("store.InsertCustomer", err)
	}
	// A new subject has no tokens or tags to replace.
	if err := tx.insertNameTokens(ctx, "customer", map[string][][]byte{c.ID: c.NameTokens}); err != nil {
		return err
	}
	return tx.insertIndex(ctx, "tag_index", "tag", "customer", map[string][][]byte{c.ID: c.Tags})
}

// InsertCustomers stores many new customers with their wrapped data keys,
// in multi-row statements (a bulk import's path).
func (tx *customerRows) InsertCustomers(ctx context.Context, rows []CustomerRow, kekTerm uint32) error {
	const batch = 1000 // rows a statement: 19 values each, within both engines' limits (SQLite 32,766; PostgreSQL 65,535)
	cols := []string{"id", "owner_id", "company_id", "email_bidx", "phone_bidx", "national_id_bidx", "created_at", "updated_at"}
	for _, f := range customerFieldOrder {
		cols = append(cols, CustomerColumns[f])
	}
	if tx.raw != nil {
		return tx.copyCustomers(ctx, rows, cols, kekTerm)
	}
	row := "(" + placeholders(len(cols)) + ")"
	for start := 0; start < len(rows); start += batch {
		part := rows[start:min(start+batch, len(rows))]
		keyArgs := make([]any, 0, 4*len(part))
		args := make([]any, 0, len(cols)*len(part))
		for _, c := range part {
			keyArgs = append(keyArgs, c.ID, c.WrappedKey, int64(kekTerm), c.CreatedAt.UnixMicro())
			args = append(args, c.ID, nullString(c.OwnerID), nullString(c.CompanyID), c.Index.Email, c.Index.Phone, c.Index.NationalID, c.CreatedAt.UnixMicro(), c.UpdatedAt.UnixMicro())
			for _, f := range customerFieldOrder {
				args = append(args, c.Sealed[f])
			}
		}
		keyRow := "(?, ?, ?, ?)"
		if _, err := tx.exec(ctx, tx.bulkInsert()+" subject_keys (subject_id, wrapped, kek_term, created_at) VALUES "+strings.TrimSuffix(strings.Repeat(keyRow+", ", len(part)), ", "), keyArgs...); err != nil {
			return classify("store.InsertCustomers", err)
		}
		if _, err := tx.exec(ctx, tx.bulkInsert()+" customers ("+strings.Join(cols, ", ")+") VALUES "+strings.TrimSuffix(strings.Repeat(row+", ", len(part)), ", "), args...); err != nil {
			return classify("store.InsertCustomers", err)
		}
		tokens := make(map[string][][]byte, len(part))
		tags := make(map[string][][]byte, len(part))
		for _, c := range part {
			tokens[c.ID], tags[c.ID] = c.NameTokens, c.Tags
		}
		if err := tx.insertNameTokens(ctx, "customer", tokens); err != nil {
			return err
		}
		if err := tx.insertIndex(ctx, "tag_index", "tag", "customer", tags); err != nil {
			return err
		}
	}
	return nil
}

// copyCustomers is InsertCustomers on PostgreSQL: the keys, customers and
// their name and tag indexes each go in one COPY.
func (tx *customerRows) copyCustomers(ctx context.Context, rows []CustomerRow, cols []string, kekTerm uint32) error {
	keys := make([][]any, 0, len(rows))
	customers := make([][]any, 0, len(rows))
	tokens := make(map[string][][]byte, len(rows))
	tags := make(map[string][][]byte, len(rows))
	for _, c := range rows {
		keys = append(keys, []any{c.ID, c.WrappedKey, int64(kekTerm), c.CreatedAt.UnixMicro()})
		row := []any{c.ID, nullString(c.OwnerID), nullString(c.CompanyID), c.Index.Email, c.Index.Phone, c.Index.NationalID, c.CreatedAt.UnixMicro(), c.UpdatedAt.UnixMicro()}
		for _, f := range customerFieldOrder {
			row = append(row, c.Sealed[f])
		}
		customers = append(customers, row)
		tokens[c.ID], tags[c.ID] = c.NameTokens, c.Tags
	}
	if err := tx.copyRows(ctx, "subject_keys", []string{"subject_id", "wrapped", "kek_term", "created_at"}, keys); err != nil {
		return classify("store.InsertCustomers", err)
	}
	if err := tx.copyRows(ctx, "customers", cols, customers); err != nil {
		return classify("store.InsertCustomers", err)
	}
	if err := tx.insertNameTokens(ctx, "customer", tokens); err != nil {
		return err
	}
	return tx.insertIndex(ctx, "tag_index", "tag", "customer", tags)
}

// ExistingCustomerIndexes reports which of the given blind-index values
// already belong to a customer in column (email_bidx, phone_bidx or
// national_id_bidx); with ownerID, only among that owner's customers.
func (tx *customerRows) ExistingCustomerIndexes(ctx context.Context, column, ownerID string, values [][]byte) (map[string]bool, error) {
	if column != "email_bidx" && column != "phone_bidx" && column != "national_id_bidx" {
		return nil, classify("store.ExistingCustomerIndexes", fmt.Errorf("no index column %q", column))
	}
	found := map[string]bool{}
	// SQLite takes the values as a list of parameters, 500 at a time;
	// PostgreSQL as one bytea array, 10,000 at a time (a statement with
	// fewer parameters to bind and plan).
	chunk := 500
	if tx.db.engine == Postgres {
		chunk = 10_000
	}
	for start := 0; start < len(values); start += chunk {
		part := values[start:min(start+chunk, len(values))]
		// The owner is compared here, not in SQL: given both, an engine may
		// walk the owner's index (every customer they own) instead of the
		// blind index's few rows.
		cond, args := column+" = ANY(?)", []any{part}
		if tx.db.engine != Postgres {
			cond, args = column+" IN ("+placeholders(len(part))+")", make([]any, 0, len(part))
			for _, v := range part {
				args = append(args, v)
			}
		}
		q := "SELECT " + column + ", COALESCE(owner_id, '') FROM customers WHERE " + cond
		rows, err := tx.query(ctx, q, args...)
		if err != nil {
			return nil, classify("store.ExistingCustomerIndexes", err)
		}
		for rows.Next() {
			var v []byte
			var owner string
			if err := rows.Scan(&v, &owner); err != nil {
				rows.Close()
				return nil, classify("store.ExistingCustomerIndexes", err)
			}
			if ownerID == "" || owner == ownerID {
				found[string(v)] = true
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, classify("store.ExistingCustomerIndexes", err)
		}
	}
	return found, nil
}

// CustomerByID returns one customer with its wrapped data key.
func (tx *customerRows) CustomerByID(ctx context.Context, id string) (CustomerRow, error) {
	c, err := scanCustomer(tx.queryRow(ctx, customerSelect+" WHERE c.id = ?", id))
	return c, classify("store.CustomerByID", err)
}

// UpdateCustomer rewrites a customer's owner, sealed fields and indexes.
func (tx *customerRows) UpdateCustomer(ctx context.Context, c CustomerRow) error {
	sets := []string{"owner_id = ?", "company_id = ?", "email_bidx = ?", "phone_bidx = ?", "national_id_bidx = ?", "updated_at = ?"}
	args := []any{nullString(c.OwnerID), nullString(c.CompanyID), c.Index.Email, c.Index.Phone, c.Index.NationalID, c.UpdatedAt.UnixMicro()}
	for _, f := range customerFieldOrder {
		sets = append(sets, CustomerColumns[f]+" = ?")
		args = append(args, c.Sealed[f])
	}
	args = append(args, c.ID)
	if err := tx.updateOne(ctx, "store.UpdateCustomer", "UPDATE customers SET "+strings.Join(sets, ", ")+" WHERE id = ?", args...); err != nil {
		return err
	}
	if err := tx.SetNameTokens(ctx, "customer", c.ID, c.NameTokens); err != nil {
		return err
	}
	return tx.SetTags(ctx, "customer", c.ID, c.Tags)
}

// DeleteCustomer removes a customer row.
func (tx *customerRows) DeleteCustomer(ctx context.Context, id string) error {
	if err := tx.updateOne(ctx, "store.DeleteCustomer", "DELETE FROM customers WHERE id = ?", id); err != nil {
		return err
	}
	if err := tx.DeleteNameTokens(ctx, "customer", id); err != nil {
		return err
	}
	return tx.SetTags(ctx, "customer", id, nil)
}

// CustomerFilter selects customers for a list. Zero fields do not filter.
type CustomerFilter struct {
	OwnerID    string   // only customers of this owner
	Teams      []string // only customers whose owner is in this team
	Email      []byte   // blind index equality
	Phone      []byte
	NationalID []byte
	NameTokens [][]byte // blind indexes of name tokens: all must match
	Tag        []byte   // blind index of one tag
	Consent    string   // only customers with a standing consent for this purpose
	// WithRestricted includes customers whose processing is restricted
	// (their own requests need them); lists and exports leave them out.
	WithRestricted bool
	After          *Cursor // keyset paging: customers after this one in the order
	Newest         bool    // newest first (default: oldest first)
	Limit          int
}

// Cursor is a position in the (created_at, id) order.
type Cursor struct {
	CreatedAt time.Time
	ID        string
}

// ListCustomers returns customers matching f, oldest first.
func (tx *customerRows) ListCustomers(ctx context.Context, f CustomerFilter) ([]CustomerRow, error) {
	q, args := listCustomersQuery(f)
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, classify("store.ListCustomers", err)
	}
	defer rows.Close()
	var out []CustomerRow
	for rows.Next() {
		c, err := scanCustomer(rows)
		if err != nil {
			return nil, classify("store.ListCustomers", err)
		}
		out = append(out, c)
	}
	return out, classify("store.ListCustomers", rows.Err())
}

// listCustomersQuery is ListCustomers' SQL for f, the same on both engines.
// A search by email, phone or national id starts from the blind index: the
// matches are found first (a materialised CTE, which neither engine folds
// back into the query) and only they are joined to customers and tested
// against the scope, so the cost does not grow with how many customers the
// actor may see. Without one, the scope's index and the order drive it.
func listCustomersQuery(f CustomerFilter) (string, []any) {
	var where, exact []string
	var args, exactArgs []any
	for _, ix := range []struct {
		col string
		v   []byte
	}{{"email_bidx", f.Email}, {"phone_bidx", f.Phone}, {"national_id_bidx", f.NationalID}} {
		if ix.v != nil {
			exact, exactArgs = append(exact, ix.col+" = ?"), append(exactArgs, ix.v)
		}
	}
	owner := "c.owner_id"
	if len(exact) > 0 {
		owner = "m.owner_id" // tested on the matches, so that no index of the owner's is walked
	}
	if f.OwnerID != "" {
		where, args = append(where, owner+" = ?"), append(args, f.OwnerID)
	}
	if len(f.Teams) > 0 {
		cond, vals := in("ou.team", f.Teams)
		where, args = append(where, cond), append(args, vals...)
	}
	if len(f.NameTokens) > 0 {
		cond, a := tokenMatch("customer", "c.id", f.NameTokens)
		where, args = append(where, cond), append(args, a...)
	}
	// Restricted customers are in no list or export.
	if !f.WithRestricted {
		where = append(where, "c.restricted = 0")
	}
	if f.Consent != "" {
		where, args = append(where, "EXISTS (SELECT 1 FROM consents k WHERE k.subject_id = c.id AND k.purpose = ? AND k.withdrawn_at = 0)"), append(args, f.Consent)
	}
	if f.Tag != nil {
		where, args = append(where, "c.id IN (SELECT subject_id FROM tag_index WHERE kind = 'customer' AND tag = ?)"), append(args, f.Tag)
	}
	cmp, order := ">", " ORDER BY c.created_at, c.id LIMIT ?"
	if f.Newest {
		cmp, order = "<", " ORDER BY c.created_at DESC, c.id DESC LIMIT ?"
	}
	if f.After != nil {
		us := f.After.CreatedAt.UnixMicro()
		where = append(where, "(c.created_at "+cmp+" ? OR (c.created_at = ? AND c.id "+cmp+" ?))")
		args = append(args, us, us, f.After.ID)
	}
	q := customerSelect
	if len(exact) > 0 {
		// CROSS JOIN keeps the matches the outer loop on SQLite.
		q = "WITH m AS MATERIALIZED (SELECT id, owner_id FROM customers WHERE " + strings.Join(exact, " AND ") + ") SELECT " + customerSelectColumns +
			strings.Replace(customerFrom, " FROM customers c", " FROM m CROSS JOIN customers c", 1)
		where = append([]string{"c.id = m.id"}, where...)
		args = append(exactArgs, args...)
	}
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return q + order, append(args, f.Limit)
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// customerRows are the rows of customers, one part of a Tx.
type customerRows struct{ *conn }

// AnalyzeCustomers refreshes PostgreSQL's statistics of the tables a bulk
// import fills, so that the planner knows their new size at once rather
// than after autovacuum's next look: until then it planned a page of 50 as
// a sort of every customer the owner has (34 ms for 10,000 against 0.2 ms
// down the owner's index; strongroom bench --postgres listed 50 a second).
// SQLite plans without statistics: nothing to do there.
func (db *DB) AnalyzeCustomers(ctx context.Context) error {
	if db.engine != Postgres {
		return nil
	}
	_, err := db.write.ExecContext(ctx, "ANALYZE customers, subject_keys, name_tokens, tag_index")
	return classify("store.AnalyzeCustomers", err)
}
