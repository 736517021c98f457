package crm

import (
	"strings"
	"time"

	"strongroom.dev/strongroom/internal/errs"
)

// Transaction kinds and statuses.
const (
	TxOrder   = "order"
	TxPayment = "payment"
	TxLot     = "lot" // an auction lot won: hammer price in Amount, buyer's premium in Premium
	TxRefund  = "refund"
)

// TransactionKinds and TransactionStatuses list the valid values.
var (
	TransactionKinds    = []string{TxOrder, TxPayment, TxLot, TxRefund}
	TransactionStatuses = []string{"pending", "completed", "cancelled"}
)

// TransactionFields are a transaction's sealed fields, all financial.
var TransactionFields = []struct {
	Name  string
	Class FieldClass
}{
	{"reference", ClassFinancial},
	{"description", ClassFinancial},
	{"amount", ClassFinancial},
	{"premium", ClassFinancial},
}

// Transaction is a purchase-history entry of a customer. Amounts are in
// minor units of Currency.
type Transaction struct {
	ID          string
	CustomerID  string
	Kind        string
	Status      string
	Currency    string
	OccurredOn  string // YYYY-MM-DD
	Reference   string // order number, lot number
	Description string
	Amount      int64
	Premium     int64 // auction lots: the buyer's premium
	CreatedBy   string
	CreatedAt   time.Time
}

// Total is what the customer paid or is owed: amount plus premium, negative
// for a refund.
func (t Transaction) Total() int64 {
	if t.Kind == TxRefund {
		return -(t.Amount + t.Premium)
	}
	return t.Amount + t.Premium
}

// Normalise validates a new transaction.
func (t *Transaction) Normalise() error {
	if !oneOf(t.Kind, TransactionKinds) {
		return errs.InvalidField("kind", "kind must be one of: order, payment, lot, refund")
	}
	if t.Status == "" {
		t.Status = "completed"
	}
	if err := CheckTransactionStatus(t.Status); err != nil {
		return err
	}
	t.Currency = strings.ToUpper(strings.TrimSpace(t.Currency))
	if len(t.Currency) != 3 || strings.Trim(t.Currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		return errs.InvalidField("currency", "currency must be a three-letter ISO 4217 code, like CNY")
	}
	if _, err := time.Parse(time.DateOnly, t.OccurredOn); err != nil {
		return errs.InvalidField("occurred_on", "occurred_on must be a date, like 2026-11-24")
	}
	if t.Amount < 0 || t.Amount > 1e15 || t.Premium < 0 || t.Premium > 1e15 {
		return errs.InvalidField("amount", "amounts must be between 0 and 10^15 minor units")
	}
	if t.Premium != 0 && t.Kind != TxLot {
		return errs.InvalidField("premium", "only auction lots have a buyer's premium")
	}
	var err error
	if t.Reference, err = Label("reference", t.Reference, 100); err != nil {
		return err
	}
	t.Description, err = FreeText("description", t.Description, 1000)
	return err
}

// CheckTransactionStatus validates a status.
func CheckTransactionStatus(status string) error {
	if !oneOf(status, TransactionStatuses) {
		return errs.InvalidField("status", "status must be one of: pending, completed, cancelled")
	}
	return nil
}

func oneOf(v string, set []string) bool {
	for _, s := range set {
		if v == s {
			return true
		}
	}
	return false
}
