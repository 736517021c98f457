package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// SealedValue is one value sealed under a subject's data key (a
// customer's or a company's), where it is stored and the place
// (associated data) it was sealed for.
type SealedValue struct {
	Table, Column string    // where it is stored
	Place         [2]string // the place's column and row, as the service sealed it
	CT            []byte
	key           []any // the row's key values
	spec          *sealedSpec
}

// sealedSpec is a table holding values sealed under a customer's key:
// which rows are the customer's, what identifies a row, which columns
// are sealed, and the place each value was sealed for.
type sealedSpec struct {
	table string
	where string   // the condition naming the subject, with one ?
	keys  []string // the row's key columns
	cols  []string
	place func(col string, key []any) [2]string
}

func byID(col string, key []any) [2]string { return [2]string{col, fmt.Sprint(key[0])} }

// customerSealed lists every table whose sealed values are under a
// customer's key. TestSealedColumnsAreClassified fails on a sealed column
// (…_ct) that is neither here nor in notCustomerSealed.
var customerSealed = []sealedSpec{
	{table: "customers", where: "id = ?", keys: []string{"id"}, cols: func() []string {
		var out []string
		for _, f := range customerFieldOrder {
			out = append(out, CustomerColumns[f])
		}
		return out
	}(), place: byID},
	{table: "activities", where: "customer_id = ?", keys: []string{"id"}, cols: []string{"subject_ct", "body_ct"}, place: byID},
	{table: "deals", where: "customer_id = ?", keys: []string{"id"}, cols: []string{"title_ct", "amount_ct"}, place: byID},
	{table: "transactions", where: "customer_id = ?", keys: []string{"id"}, cols: []string{"reference_ct", "description_ct", "amount_ct", "premium_ct"}, place: byID},
	{table: "preferences", where: "customer_id = ?", keys: []string{"customer_id"}, cols: []string{"data_ct"}, place: byID},
	{table: "feedback", where: "customer_id = ?", keys: []string{"id"}, cols: []string{"rating_ct", "comment_ct"}, place: byID},
	{table: "consents", where: "subject_id = ?", keys: []string{"id"}, cols: []string{"details_ct"}, place: byID},
	{table: "privacy_requests", where: "customer_id = ?", keys: []string{"id"}, cols: []string{"details_ct"}, place: byID},
	{table: "request_links", where: "customer_id = ?", keys: []string{"token_hash", "customer_id"}, cols: []string{"details_ct"},
		place: func(col string, key []any) [2]string { return [2]string{col, fmt.Sprint(key[1])} }},
}

// companySealed lists every table whose sealed values are under a
// company's (or store's) key: a company keeps no change history, so all
// of them are re-sealed.
var companySealed = []sealedSpec{
	{table: "companies", where: "id = ?", keys: []string{"id"}, cols: func() []string {
		var out []string
		for _, f := range companyFieldOrder {
			out = append(out, CompanyColumns[f])
		}
		return out
	}(), place: byID},
	{table: "activities", where: "company_id = ?", keys: []string{"id"}, cols: []string{"subject_ct", "body_ct"}, place: byID},
	{table: "visits", where: "company_id = ?", keys: []string{"id"}, cols: []string{"notes_ct"}, place: byID},
	{table: "attachments", where: "visit_id IN (SELECT id FROM visits WHERE company_id = ?)", keys: []string{"id"}, cols: []string{"data_ct"}, place: byID},
}

// notCustomerSealed are the sealed columns under other keys, and why.
// audit_reasons and field_history are append-only: their values stay
// under the key they were sealed with, which a per-subject rotation keeps
// (subject_key_history).
var notCustomerSealed = map[string]string{
	"access_requests.reason_ct": "the requester's (a user's) key",
	"audit_reasons.reason_ct":   "append-only: kept under the key it was sealed with",
	"field_history.after_ct":    "append-only: kept under the key it was sealed with",
	"field_history.before_ct":   "append-only: kept under the key it was sealed with",
	"devices.last_place_ct":     "the device user's key",
	"devices.lease_ct":          "the device user's key",
	"devices.name_ct":           "the device user's key",
	"held_records.data_ct":      "the held record's own key",
	"passkeys.credential_ct":    "the user's key",
	"seal_keys.private_ct":      "sealed notes: a key only its owner's browser opens",
	"seal_key_prf.private_ct":   "sealed notes: a key only its owner's passkey (PRF) opens",
	"sessions.agent_ct":         "the user's key",
	"sessions.ip_ct":            "the user's key",
	"sessions.totp_offer_ct":    "the user's key",
	"users.email_ct":            "the user's key",
	"users.totp_ct":             "the user's key",
	"visits.checkin_loc_ct":     "the rep's key",
	"visits.checkout_loc_ct":    "the rep's key",
	"webhooks.secret_ct":        "the subscription's own key",
}

// CustomerSealed reads every value sealed under customer id's data key
// that can be re-sealed (not the append-only history and audit reasons).
func (tx *keyRows) CustomerSealed(ctx context.Context, id string) ([]SealedValue, error) {
	return tx.sealedOf(ctx, customerSealed, id)
}

// CompanySealed reads every value sealed under company id's data key.
func (tx *keyRows) CompanySealed(ctx context.Context, id string) ([]SealedValue, error) {
	return tx.sealedOf(ctx, companySealed, id)
}

func (tx *keyRows) sealedOf(ctx context.Context, specs []sealedSpec, id string) ([]SealedValue, error) {
	var out []SealedValue
	for i := range specs {
		sp := &specs[i]
		q := "SELECT " + strings.Join(append(append([]string{}, sp.keys...), sp.cols...), ", ") + " FROM " + sp.table + " WHERE " + sp.where
		if tx.db.engine == Postgres {
			// A change to one of these rows waits until the rotation has
			// committed, then writes over the re-sealed value, instead of the
			// rotation writing an older value over the change. (SQLite's one
			// writer already runs them one after the other.)
			q += " FOR UPDATE"
		}
		rows, err := tx.query(ctx, q, id)
		if err != nil {
			return nil, classify("store.CustomerSealed", err)
		}
		for rows.Next() {
			key := make([]any, len(sp.keys))
			cts := make([][]byte, len(sp.cols))
			dest := make([]any, 0, len(key)+len(cts))
			for k := range key {
				dest = append(dest, &key[k])
			}
			for c := range cts {
				dest = append(dest, &cts[c])
			}
			if err := rows.Scan(dest...); err != nil {
				rows.Close()
				return nil, classify("store.CustomerSealed", err)
			}
			for c, col := range sp.cols {
				if len(cts[c]) == 0 {
					continue
				}
				out = append(out, SealedValue{Table: sp.table, Column: col, Place: sp.place(col, key), CT: cts[c], key: key, spec: sp})
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, classify("store.CustomerSealed", err)
		}
	}
	return out, nil
}

// UpdateSealed stores v.CT back where CustomerSealed found it.
func (tx *keyRows) UpdateSealed(ctx context.Context, v SealedValue) error {
	where := make([]string, len(v.spec.keys))
	for i, k := range v.spec.keys {
		where[i] = k + " = ?"
	}
	args := append([]any{v.CT}, v.key...)
	res, err := tx.exec(ctx, "UPDATE "+v.spec.table+" SET "+v.Column+" = ? WHERE "+strings.Join(where, " AND "), args...)
	if err != nil {
		return classify("store.UpdateSealed", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return classify("store.UpdateSealed", fmt.Errorf("%s.%s: %d rows updated", v.Table, v.Column, n))
	}
	return nil
}

// KeepOldSubjectKey keeps a subject's replaced wrapped key for the values
// that cannot be re-sealed (audit reasons); shredding the subject
// destroys it too.
func (tx *keyRows) KeepOldSubjectKey(ctx context.Context, subject string, wrapped []byte, at time.Time) error {
	_, err := tx.exec(ctx, "INSERT INTO subject_key_history (subject_id, wrapped, kek_term, retired_at) VALUES (?, ?, ?, ?)",
		subject, wrapped, int64(wrappedTerm(wrapped)), at.UnixMicro())
	return classify("store.KeepOldSubjectKey", err)
}

// OldSubjectKeys lists a subject's replaced wrapped keys, newest first.
func (tx *keyRows) OldSubjectKeys(ctx context.Context, subject string) ([][]byte, error) {
	rows, err := tx.query(ctx, "SELECT wrapped FROM subject_key_history WHERE subject_id = ? ORDER BY retired_at DESC", subject)
	if err != nil {
		return nil, classify("store.OldSubjectKeys", err)
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var w []byte
		if err := rows.Scan(&w); err != nil {
			return nil, classify("store.OldSubjectKeys", err)
		}
		out = append(out, w)
	}
	return out, classify("store.OldSubjectKeys", rows.Err())
}

// AllOldSubjectKeys lists every kept replaced key (Subject, Wrapped), for
// re-wrapping after a master-key rotation.
func (tx *keyRows) AllOldSubjectKeys(ctx context.Context) ([]WrappedKeyRow, error) {
	rows, err := tx.query(ctx, "SELECT subject_id, wrapped, kek_term FROM subject_key_history ORDER BY subject_id")
	if err != nil {
		return nil, classify("store.AllOldSubjectKeys", err)
	}
	return scanWrappedKeys(rows, "store.AllOldSubjectKeys")
}

// ReplaceOldSubjectKey re-wraps a kept key if it is unchanged.
func (tx *keyRows) ReplaceOldSubjectKey(ctx context.Context, subject string, old, wrapped []byte, term uint32) (bool, error) {
	return tx.swap(ctx, "store.ReplaceOldSubjectKey", "UPDATE subject_key_history SET wrapped = ?, kek_term = ? WHERE subject_id = ? AND wrapped = ?", wrapped, int64(term), subject, old)
}

// wrappedTerm reads the term from a wrapped key's header (version | term),
// as keyring.WrappedTerm does; the store keeps the column in step.
func wrappedTerm(w []byte) uint32 {
	if len(w) < 5 {
		return 0
	}
	return uint32(w[1])<<24 | uint32(w[2])<<16 | uint32(w[3])<<8 | uint32(w[4])
}

// SealedColumns says of every sealed column ("table.column") whose key
// seals it: "customer" or "company" for those a customer's or a company's
// key rotation re-seals, or why it is neither.
func SealedColumns() map[string]string {
	out := map[string]string{}
	for k, v := range notCustomerSealed {
		out[k] = v
	}
	for _, sp := range customerSealed {
		for _, c := range sp.cols {
			out[sp.table+"."+c] = "customer"
		}
	}
	for _, sp := range companySealed {
		for _, c := range sp.cols {
			if out[sp.table+"."+c] == "customer" { // activities: either
				out[sp.table+"."+c] = "customer or company"
				continue
			}
			out[sp.table+"."+c] = "company"
		}
	}
	return out
}
