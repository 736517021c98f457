package service_test

import (
	"context"
	"testing"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/testkit"
)

func TestTransactions(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		finance := login(t, svc, "fin@example.com", "finance", "")
		marketing := login(t, svc, "mkt@example.com", "marketing", "")
		c, err := svc.Customers.CreateCustomer(ctx, f.sales1, input("name", "Collector Qian"))
		if err != nil {
			t.Fatal(err)
		}
		lot := crm.Transaction{Kind: "lot", Currency: "cny", OccurredOn: "2026-11-20", Reference: "Lot 128", Description: "Qianlong famille-rose vase", Amount: 3_200_000_00, Premium: 640_000_00}
		for _, tt := range []struct {
			name  string
			actor authz.Actor
			tx    crm.Transaction
			kind  errs.Kind
		}{
			{"sales may not record", f.sales1, lot, errs.Permission},
			{"marketing may not record", marketing, lot, errs.Permission},
			{"other sales: not found", f.sales2, lot, errs.NotExist},
			{"premium on an order", finance, crm.Transaction{Kind: "order", Currency: "CNY", OccurredOn: "2026-11-20", Amount: 1, Premium: 1}, errs.Invalid},
			{"bad date", finance, crm.Transaction{Kind: "order", Currency: "CNY", OccurredOn: "yesterday"}, errs.Invalid},
			{"bad kind", finance, crm.Transaction{Kind: "gift", Currency: "CNY", OccurredOn: "2026-11-20"}, errs.Invalid},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := svc.Customers.RecordTransaction(ctx, tt.actor, c.ID, tt.tx); !errs.Is(err, tt.kind) {
					t.Fatalf("err = %v, want %v", err, tt.kind)
				}
			})
		}
		if _, err := svc.Customers.RecordTransaction(ctx, finance, c.ID, lot); err != nil {
			t.Fatal(err)
		}
		refund, err := svc.Customers.RecordTransaction(ctx, finance, c.ID, crm.Transaction{Kind: "refund", Currency: "CNY", OccurredOn: "2026-11-22", Description: "Damaged frame", Amount: 40_000_00})
		if err != nil {
			t.Fatal(err)
		}
		h, err := svc.Customers.CustomerTransactions(ctx, f.sales1, c.ID)
		if err != nil || h == nil || len(h.Transactions) != 2 || h.Totals["CNY"] != 3_800_000_00 {
			t.Fatalf("owner's purchase history: %+v %v", h, err)
		}
		if h.Transactions[1].Reference != "Lot 128" || h.Transactions[1].Premium != 640_000_00 {
			t.Fatalf("lot: %+v", h.Transactions[1])
		}
		if h, err := svc.Customers.CustomerTransactions(ctx, marketing, c.ID); err != nil || h != nil {
			t.Fatalf("marketing sees purchase history: %+v %v", h, err)
		}
		if _, err := svc.Customers.CustomerTransactions(ctx, f.sales2, c.ID); !errs.Is(err, errs.NotExist) {
			t.Fatalf("other sales: %v", err)
		}
		if err := svc.Customers.SetTransactionStatus(ctx, f.sales1, refund.ID, "cancelled"); !errs.Is(err, errs.Permission) {
			t.Fatalf("sales changing status: %v", err)
		}
		if err := svc.Customers.SetTransactionStatus(ctx, finance, refund.ID, "void"); !errs.Is(err, errs.Invalid) {
			t.Fatalf("bad status: %v", err)
		}
		if err := svc.Customers.SetTransactionStatus(ctx, finance, refund.ID, "cancelled"); err != nil {
			t.Fatal(err)
		}
		if h, _ := svc.Customers.CustomerTransactions(ctx, finance, c.ID); h.Totals["CNY"] != 3_840_000_00 {
			t.Fatalf("totals after cancelling the refund: %v", h.Totals)
		}
	})
}
