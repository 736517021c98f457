package store

import (
	"context"
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
}

// customerFieldOrder fixes the column order used in SQL.
var customerFieldOrder = []string{"name", "email", "phone", "national_id", "notes"}

// CustomerRow is a stored customer: sealed fields, blind indexes and the
// wrapped data key of the customer (joined in on reads).
type CustomerRow struct {
	ID         string
	OwnerID    string
	Sealed     map[string][]byte // field name -> ciphertext
	Index      CustomerIndex
	CreatedAt  time.Time
	UpdatedAt  time.Time
	WrappedKey []byte
}

// CustomerIndex holds a customer's blind indexes.
type CustomerIndex struct {
	Email, Phone, NationalID []byte
}

var customerSelect = func() string {
	cols := []string{"c.id", "c.owner_id"}
	for _, f := range customerFieldOrder {
		cols = append(cols, "c."+CustomerColumns[f])
	}
	cols = append(cols, "c.email_bidx", "c.phone_bidx", "c.national_id_bidx", "c.created_at", "c.updated_at", "k.wrapped")
	return "SELECT " + strings.Join(cols, ", ") + " FROM customers c JOIN subject_keys k ON k.subject_id = c.id"
}()

func scanCustomer(row interface{ Scan(...any) error }) (CustomerRow, error) {
	c := CustomerRow{Sealed: make(map[string][]byte, len(customerFieldOrder))}
	var owner *string
	sealed := make([][]byte, len(customerFieldOrder))
	dest := []any{&c.ID, &owner}
	for i := range sealed {
		dest = append(dest, &sealed[i])
	}
	var created, updated int64
	dest = append(dest, &c.Index.Email, &c.Index.Phone, &c.Index.NationalID, &created, &updated, &c.WrappedKey)
	if err := row.Scan(dest...); err != nil {
		return c, err
	}
	if owner != nil {
		c.OwnerID = *owner
	}
	for i, f := range customerFieldOrder {
		if sealed[i] != nil {
			c.Sealed[f] = sealed[i]
		}
	}
	c.CreatedAt, c.UpdatedAt = fromMicro(created), fromMicro(updated)
	return c, nil
}

// InsertCustomer stores a new customer. Its data key must already exist.
func (tx *Tx) InsertCustomer(ctx context.Context, c CustomerRow) error {
	cols := []string{"id", "owner_id", "email_bidx", "phone_bidx", "national_id_bidx", "created_at", "updated_at"}
	args := []any{c.ID, nullString(c.OwnerID), c.Index.Email, c.Index.Phone, c.Index.NationalID, c.CreatedAt.UnixMicro(), c.UpdatedAt.UnixMicro()}
	for _, f := range customerFieldOrder {
		cols = append(cols, CustomerColumns[f])
		args = append(args, c.Sealed[f])
	}
	_, err := tx.exec(ctx, "INSERT INTO customers ("+strings.Join(cols, ", ")+") VALUES ("+placeholders(len(cols))+")", args...)
	return classify("store.InsertCustomer", err)
}

// CustomerByID returns one customer with its wrapped data key.
func (tx *Tx) CustomerByID(ctx context.Context, id string) (CustomerRow, error) {
	c, err := scanCustomer(tx.queryRow(ctx, customerSelect+" WHERE c.id = ?", id))
	return c, classify("store.CustomerByID", err)
}

// UpdateCustomer rewrites a customer's owner, sealed fields and indexes.
func (tx *Tx) UpdateCustomer(ctx context.Context, c CustomerRow) error {
	sets := []string{"owner_id = ?", "email_bidx = ?", "phone_bidx = ?", "national_id_bidx = ?", "updated_at = ?"}
	args := []any{nullString(c.OwnerID), c.Index.Email, c.Index.Phone, c.Index.NationalID, c.UpdatedAt.UnixMicro()}
	for _, f := range customerFieldOrder {
		sets = append(sets, CustomerColumns[f]+" = ?")
		args = append(args, c.Sealed[f])
	}
	args = append(args, c.ID)
	return tx.updateOne(ctx, "store.UpdateCustomer", "UPDATE customers SET "+strings.Join(sets, ", ")+" WHERE id = ?", args...)
}

// DeleteCustomer removes a customer row.
func (tx *Tx) DeleteCustomer(ctx context.Context, id string) error {
	return tx.updateOne(ctx, "store.DeleteCustomer", "DELETE FROM customers WHERE id = ?", id)
}

// CustomerFilter selects customers for a list. Zero fields do not filter.
type CustomerFilter struct {
	OwnerID    string // only customers of this owner
	Email      []byte // blind index equality
	Phone      []byte
	NationalID []byte
	After      *Cursor // keyset paging: customers created after this one
	Limit      int
}

// Cursor is a position in the (created_at, id) order.
type Cursor struct {
	CreatedAt time.Time
	ID        string
}

// ListCustomers returns customers matching f, oldest first.
func (tx *Tx) ListCustomers(ctx context.Context, f CustomerFilter) ([]CustomerRow, error) {
	var where []string
	var args []any
	if f.OwnerID != "" {
		where, args = append(where, "c.owner_id = ?"), append(args, f.OwnerID)
	}
	for _, ix := range []struct {
		col string
		v   []byte
	}{{"c.email_bidx", f.Email}, {"c.phone_bidx", f.Phone}, {"c.national_id_bidx", f.NationalID}} {
		if ix.v != nil {
			where, args = append(where, ix.col+" = ?"), append(args, ix.v)
		}
	}
	if f.After != nil {
		us := f.After.CreatedAt.UnixMicro()
		where = append(where, "(c.created_at > ? OR (c.created_at = ? AND c.id > ?))")
		args = append(args, us, us, f.After.ID)
	}
	q := customerSelect
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY c.created_at, c.id LIMIT ?"
	args = append(args, f.Limit)
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

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
