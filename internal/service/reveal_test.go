package service_test

import (
	"context"
	"testing"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/testkit"
)

func TestRevealCustomerField(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		c, err := f.Service.CreateCustomer(ctx, f.sales1, input("name", "Liu Yang", "email", "liu@example.com"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Service.UpdateCustomer(ctx, f.admin, c.ID, input("national_id", "110101199003071234")); err != nil {
			t.Fatal(err)
		}
		const reason = "Customer asked to verify identity at the counter"
		for _, tt := range []struct {
			name          string
			actor         authz.Actor
			field, reason string
			kind          errs.Kind
		}{
			{"no reason", f.sales1, "national_id", "  ", errs.Invalid},
			{"short reason", f.sales1, "national_id", "why", errs.Invalid},
			{"a field sales may not reveal", f.sales1, "email", reason, errs.Permission},
			{"unknown field", f.sales1, "salary", reason, errs.Invalid},
			{"another's customer", f.sales2, "national_id", reason, errs.NotExist},
			{"auditor", f.auditor, "national_id", reason, errs.NotExist},
			{"admin has nothing masked to reveal", f.admin, "national_id", reason, errs.Permission},
		} {
			t.Run(tt.name, func(t *testing.T) {
				v, err := f.Service.RevealCustomerField(ctx, tt.actor, c.ID, tt.field, tt.reason)
				if !errs.Is(err, tt.kind) || v != "" {
					t.Fatalf("got %q, %v; want nothing and %v", v, err, tt.kind)
				}
			})
		}
		v, err := f.Service.RevealCustomerField(ctx, f.sales1, c.ID, "national_id", reason)
		if err != nil || v != "110101199003071234" {
			t.Fatalf("reveal: %q %v", v, err)
		}
		page, err := f.Service.Audit(ctx, f.auditor, service.AuditQuery{ObjectID: c.ID})
		if err != nil {
			t.Fatal(err)
		}
		var reveals int
		for _, e := range page.Events {
			if e.Action == "customer.reveal" && e.Outcome == "success" {
				reveals++
				if e.Reason != reason || len(e.Fields) != 1 || e.Fields[0] != "national_id" || e.ActorID != f.sales1.UserID {
					t.Errorf("reveal event: %+v", e)
				}
			}
		}
		if reveals != 1 {
			t.Errorf("%d reveal events, want 1", reveals)
		}
	})
}
