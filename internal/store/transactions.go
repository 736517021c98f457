package store

import (
	"context"
	"strings"
	"time"
)

// TransactionRow is a stored transaction; reference, description and
// amounts are sealed under the customer's data key.
type TransactionRow struct {
	ID            string
	CustomerID    string
	Kind          string
	Status        string
	Currency      string
	OccurredOn    string
	ReferenceCT   []byte
	DescriptionCT []byte
	AmountCT      []byte
	PremiumCT     []byte
	CreatedBy     string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

const transactionColumns = "id, customer_id, kind, status, currency, occurred_on, reference_ct, description_ct, amount_ct, premium_ct, created_by, created_at, updated_at"

func scanTransaction(row interface{ Scan(...any) error }) (TransactionRow, error) {
	var t TransactionRow
	var created, updated int64
	err := row.Scan(&t.ID, &t.CustomerID, &t.Kind, &t.Status, &t.Currency, &t.OccurredOn, &t.ReferenceCT, &t.DescriptionCT, &t.AmountCT, &t.PremiumCT, &t.CreatedBy, &created, &updated)
	t.CreatedAt, t.UpdatedAt = fromMicro(created), fromMicro(updated)
	return t, err
}

// InsertTransaction stores a transaction.
func (tx *transactionRows) InsertTransaction(ctx context.Context, t TransactionRow) error {
	_, err := tx.exec(ctx, "INSERT INTO transactions ("+transactionColumns+") VALUES ("+placeholders(13)+")",
		t.ID, t.CustomerID, t.Kind, t.Status, t.Currency, t.OccurredOn, t.ReferenceCT, t.DescriptionCT, t.AmountCT, t.PremiumCT, t.CreatedBy, t.CreatedAt.UnixMicro(), t.UpdatedAt.UnixMicro())
	return classify("store.InsertTransaction", err)
}

// TransactionByID returns one transaction.
func (tx *transactionRows) TransactionByID(ctx context.Context, id string) (TransactionRow, error) {
	t, err := scanTransaction(tx.queryRow(ctx, "SELECT "+transactionColumns+" FROM transactions WHERE id = ?", id))
	return t, classify("store.TransactionByID", err)
}

// SetTransactionStatus changes a transaction's status.
func (tx *transactionRows) SetTransactionStatus(ctx context.Context, id, status string, now time.Time) error {
	return tx.updateOne(ctx, "store.SetTransactionStatus", "UPDATE transactions SET status = ?, updated_at = ? WHERE id = ?", status, now.UnixMicro(), id)
}

// CustomerTransactions returns a customer's transactions, newest first.
func (tx *transactionRows) CustomerTransactions(ctx context.Context, customerID string, limit int) ([]TransactionRow, error) {
	rows, err := tx.query(ctx, "SELECT "+transactionColumns+" FROM transactions WHERE customer_id = ? ORDER BY occurred_on DESC, created_at DESC LIMIT ?", customerID, limit)
	if err != nil {
		return nil, classify("store.CustomerTransactions", err)
	}
	defer rows.Close()
	var out []TransactionRow
	for rows.Next() {
		t, err := scanTransaction(rows)
		if err != nil {
			return nil, classify("store.CustomerTransactions", err)
		}
		out = append(out, t)
	}
	return out, classify("store.CustomerTransactions", rows.Err())
}

// transactionRows are the rows of purchase history, one part of a Tx.
type transactionRows struct{ *conn }

// PurchaseCounts counts the purchases (transactions) of each of ids.
func (tx *transactionRows) PurchaseCounts(ctx context.Context, ids []string) (map[string]int, error) {
	out := make(map[string]int, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := tx.query(ctx, "SELECT customer_id, count(*) FROM transactions WHERE customer_id IN (?"+strings.Repeat(", ?", len(ids)-1)+") GROUP BY customer_id", args...)
	if err != nil {
		return nil, classify("store.PurchaseCounts", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, classify("store.PurchaseCounts", err)
		}
		out[id] = n
	}
	return out, classify("store.PurchaseCounts", rows.Err())
}
