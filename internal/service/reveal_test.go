package service_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/governance"
	"strongroom.dev/strongroom/internal/service/records"
	"strongroom.dev/strongroom/internal/testkit"
)

func TestRevealCustomerField(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		c, err := f.Service.Customers.CreateCustomer(ctx, f.sales1, input("name", "Liu Yang", "email", "liu@example.com"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Service.Customers.UpdateCustomer(ctx, f.admin, c.ID, input("national_id", "110101199003071234")); err != nil {
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
				v, err := f.Service.Customers.RevealCustomerField(ctx, tt.actor, c.ID, tt.field, tt.reason)
				if !errs.Is(err, tt.kind) || v != "" {
					t.Fatalf("got %q, %v; want nothing and %v", v, err, tt.kind)
				}
			})
		}
		v, err := f.Service.Customers.RevealCustomerField(ctx, f.sales1, c.ID, "national_id", reason)
		if err != nil || v != "110101199003071234" {
			t.Fatalf("reveal: %q %v", v, err)
		}
		page, err := f.Service.AuditLog.Events(ctx, f.auditor, governance.AuditQuery{ObjectID: c.ID})
		if err != nil {
			t.Fatal(err)
		}
		var reveals []int64
		for _, e := range page.Events {
			if e.Action == "customer.reveal" && e.Outcome == "success" {
				reveals = append(reveals, e.Seq)
				if e.Reason != records.SealedReason || len(e.Fields) != 1 || e.Fields[0] != "national_id" || e.ActorID != f.sales1.UserID {
					t.Errorf("reveal event: %+v", e)
				}
			}
		}
		if len(reveals) != 1 {
			t.Fatalf("%d reveal events, want 1", len(reveals))
		}
		seq := reveals[0]

		// Who may open the reason: those who read the audit log.
		for _, tt := range []struct {
			name  string
			actor authz.Actor
			seq   int64
			kind  errs.Kind
		}{
			{"the revealer", f.sales1, seq, errs.Permission},
			{"another sales user", f.sales2, seq, errs.Permission},
			{"an event without a sealed reason", f.auditor, seq - 1, errs.NotExist},
			{"no such event", f.auditor, seq + 1000, errs.NotExist},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if r, err := f.Service.Customers.AuditReason(ctx, tt.actor, tt.seq); !errs.Is(err, tt.kind) || r.Reason != "" {
					t.Fatalf("got %q, %v; want nothing and %v", r.Reason, err, tt.kind)
				}
			})
		}
		for _, who := range []authz.Actor{f.auditor, f.admin} {
			r, err := f.Service.Customers.AuditReason(ctx, who, seq)
			if err != nil || r.Reason != reason || r.Event.Seq != seq || r.Event.ObjectID != c.ID {
				t.Fatalf("opening the reason: %+v %v", r, err)
			}
		}
		page, err = f.Service.AuditLog.Events(ctx, f.auditor, governance.AuditQuery{ObjectID: c.ID})
		if err != nil {
			t.Fatal(err)
		}
		opened := 0
		for _, e := range page.Events {
			if e.Action == "audit.reason_read" && e.Reason == fmt.Sprintf("event %d", seq) && slices.Equal(e.Fields, []string{"reason"}) {
				opened++
			}
		}
		if opened != 2 {
			t.Errorf("%d recorded openings of the reason, want 2", opened)
		}

		// Erasing the customer shreds the reason with their key; the log
		// still verifies.
		if err := f.Service.Customers.DeleteCustomer(ctx, f.admin, c.ID); err != nil {
			t.Fatal(err)
		}
		if r, err := f.Service.Customers.AuditReason(ctx, f.auditor, seq); !errs.Is(err, errs.NotExist) || r.Reason != "" {
			t.Fatalf("the reason of an erased customer: %q %v", r.Reason, err)
		}
		if _, problem, err := f.Service.AuditLog.Verify(ctx); err != nil || problem != nil {
			t.Fatalf("verify after erasure: %v %v", problem, err)
		}
	})
}
