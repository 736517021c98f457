package records

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/fieldcrypt"
	"strongroom.dev/strongroom/internal/keyring"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// transactionRes is the authz resource of a customer's transactions: they
// are in scope where the customer is.
func transactionRes(c store.CustomerRow) authz.Resource {
	return authz.Resource{Object: authz.ObjectTransaction, OwnerID: c.OwnerID, OwnerTeam: c.OwnerTeam}
}

func transactionPlace(id, column string) fieldcrypt.Place {
	return fieldcrypt.Place{Table: "transactions", Column: column, Row: id}
}

// RecordTransaction adds an order, payment, auction lot or refund to a
// customer's purchase history.
func (s *Customers) RecordTransaction(ctx context.Context, a authz.Actor, customerID string, t crm.Transaction) (crm.Transaction, error) {
	if !crm.ValidID(customerID) {
		return crm.Transaction{}, core.ErrCustomerNotFound
	}
	if err := t.Normalise(); err != nil {
		return crm.Transaction{}, err
	}
	now := s.c.Now()
	t.ID, t.CustomerID, t.CreatedBy, t.CreatedAt = crm.NewID("trn"), customerID, a.UserID, now
	err := core.Change(ctx, s.c, transactionStoreOf, func(tx transactionStore) error {
		row, err := tx.CustomerByID(ctx, customerID)
		if err != nil {
			return core.NotFound(err, "customer")
		}
		res := transactionRes(row)
		if !authz.Decide(a, authz.ActionRead, res).Allowed && !authz.Decide(a, authz.ActionRead, core.CustomerRes(row)).Allowed {
			return s.c.Refuse(ctx, tx, a, "transaction.create", "customer", customerID, core.ErrCustomerNotFound)
		}
		if d := authz.Decide(a, authz.ActionCreate, res); !d.Allowed || d.Field("amount") < authz.Write {
			return errs.E(errs.Permission, "you may not record transactions")
		}
		key, err := s.openKey(row)
		if err != nil {
			return err
		}
		r, err := sealTransaction(key, t, now)
		if err != nil {
			return err
		}
		if err := tx.InsertTransaction(ctx, r); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "transaction.create", "customer", customerID, []string{"transaction." + t.Kind}, audit.Success, t.ID)
	})
	if err != nil {
		return crm.Transaction{}, err
	}
	return t, nil
}

// PurchaseHistory is a customer's transactions with totals per currency.
type PurchaseHistory struct {
	Transactions []crm.Transaction
	Totals       map[string]int64 // completed only; refunds subtract
}

// CustomerTransactions returns a customer's purchase history to those the
// role table lets read it; nil (and no error) for a role that may read the
// customer but not its transactions.
func (s *Customers) CustomerTransactions(ctx context.Context, a authz.Actor, customerID string) (*PurchaseHistory, error) {
	if !crm.ValidID(customerID) {
		return nil, core.ErrCustomerNotFound
	}
	var out *PurchaseHistory
	err := core.Change(ctx, s.c, transactionStoreOf, func(tx transactionStore) error {
		row, err := s.c.CustomerInScope(ctx, tx, a, customerID, "transaction.read")
		if err != nil {
			return err
		}
		d := authz.Decide(a, authz.ActionRead, transactionRes(row))
		if !d.Allowed || d.Field("amount") < authz.Read {
			return nil
		}
		rows, err := tx.CustomerTransactions(ctx, customerID, 500)
		if err != nil {
			return err
		}
		key, err := s.openKey(row)
		if err != nil {
			return err
		}
		out = &PurchaseHistory{Totals: map[string]int64{}}
		for _, r := range rows {
			t, err := openTransaction(key, r)
			if err != nil {
				return err
			}
			out.Transactions = append(out.Transactions, t)
			if t.Status == "completed" {
				out.Totals[t.Currency] += t.Total()
			}
		}
		return s.c.Record(ctx, tx, a, "transaction.read", "customer", customerID, []string{"reference", "description", "amount", "premium"}, audit.Success, fmt.Sprintf("%d transactions", len(rows)))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SetTransactionStatus marks a transaction pending, completed or cancelled.
func (s *Customers) SetTransactionStatus(ctx context.Context, a authz.Actor, id, status string) error {
	if !crm.ValidID(id) {
		return errs.E(errs.NotExist, "transaction not found")
	}
	if err := crm.CheckTransactionStatus(status); err != nil {
		return err
	}
	err := core.Change(ctx, s.c, transactionStoreOf, func(tx transactionStore) error {
		r, err := tx.TransactionByID(ctx, id)
		if err != nil {
			return core.NotFound(err, "transaction")
		}
		row, err := tx.CustomerByID(ctx, r.CustomerID)
		if err != nil {
			return err
		}
		if !authz.Decide(a, authz.ActionRead, transactionRes(row)).Allowed {
			return s.c.Refuse(ctx, tx, a, "transaction.update", "customer", r.CustomerID, errs.E(errs.NotExist, "transaction not found"))
		}
		if !authz.Decide(a, authz.ActionUpdate, transactionRes(row)).Allowed {
			return errs.E(errs.Permission, "you may not change transactions")
		}
		if err := tx.SetTransactionStatus(ctx, id, status, s.c.Now()); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "transaction.update", "customer", r.CustomerID, []string{"status"}, audit.Success, id+": "+r.Status+" -> "+status)
	})
	return err
}

func sealTransaction(key keyring.DataKey, t crm.Transaction, now time.Time) (store.TransactionRow, error) {
	r := store.TransactionRow{ID: t.ID, CustomerID: t.CustomerID, Kind: t.Kind, Status: t.Status, Currency: t.Currency, OccurredOn: t.OccurredOn, CreatedBy: t.CreatedBy, CreatedAt: now, UpdatedAt: now}
	for _, f := range []struct {
		col string
		v   string
		dst *[]byte
	}{
		{"reference_ct", t.Reference, &r.ReferenceCT},
		{"description_ct", t.Description, &r.DescriptionCT},
		{"amount_ct", strconv.FormatInt(t.Amount, 10), &r.AmountCT},
		{"premium_ct", strconv.FormatInt(t.Premium, 10), &r.PremiumCT},
	} {
		ct, err := fieldcrypt.Seal(key, transactionPlace(t.ID, f.col), f.v)
		if err != nil {
			return r, err
		}
		*f.dst = ct
	}
	return r, nil
}

func openTransaction(key keyring.DataKey, r store.TransactionRow) (crm.Transaction, error) {
	t := crm.Transaction{ID: r.ID, CustomerID: r.CustomerID, Kind: r.Kind, Status: r.Status, Currency: r.Currency, OccurredOn: r.OccurredOn, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt}
	open := func(col string, ct []byte) (string, error) {
		v, err := fieldcrypt.Open(key, transactionPlace(r.ID, col), ct)
		if err != nil {
			return "", errs.Wrap(errs.Internal, "service.openTransaction", "", err)
		}
		return v, nil
	}
	var err error
	if t.Reference, err = open("reference_ct", r.ReferenceCT); err != nil {
		return t, err
	}
	if t.Description, err = open("description_ct", r.DescriptionCT); err != nil {
		return t, err
	}
	for _, x := range []struct {
		col string
		ct  []byte
		dst *int64
	}{{"amount_ct", r.AmountCT, &t.Amount}, {"premium_ct", r.PremiumCT, &t.Premium}} {
		v, err := open(x.col, x.ct)
		if err != nil {
			return t, err
		}
		if v != "" {
			if *x.dst, err = strconv.ParseInt(v, 10, 64); err != nil {
				return t, errs.Wrap(errs.Internal, "service.openTransaction", "", err)
			}
		}
	}
	return t, nil
}

// transactionStore is what the methods in transactions.go read and write.
type transactionStore interface {
	core.CustomerStore
	CustomerTransactions(ctx context.Context, customerID string, limit int) ([]store.TransactionRow, error)
	InsertTransaction(ctx context.Context, t store.TransactionRow) error
	SetTransactionStatus(ctx context.Context, id, status string, now time.Time) error
	TransactionByID(ctx context.Context, id string) (store.TransactionRow, error)
}

// transactionStoreOf is the compiler's check that the store has every method of transactionStore.
func transactionStoreOf(tx *store.Tx) transactionStore { return tx }
