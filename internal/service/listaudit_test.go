package service_test

import (
	"context"
	"slices"
	"testing"

	"strongroom.dev/strongroom/internal/service/governance"
	"strongroom.dev/strongroom/internal/service/records"
	"strongroom.dev/strongroom/internal/testkit"
)

// A page of customers is recorded in few events, yet each customer shown
// is found in the log by its own id, with the fields shown of it, and the
// chain (which hashes the subjects) verifies.
func TestListAuditCoversEveryCustomer(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		var ids []string
		for _, in := range [][]string{
			{"name", "Ada Lovelace", "email", "ada@example.com"},
			{"name", "Alan Turing", "email", "alan@example.com"},
			{"name", "Grace Hopper"},
		} {
			c, err := svc.Customers.CreateCustomer(ctx, f.sales1, input(in...))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		before, err := svc.AuditLog.Events(ctx, f.auditor, governance.AuditQuery{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		after := before.Events[len(before.Events)-1].Seq
		page, err := svc.Customers.ListCustomers(ctx, f.sales1, records.CustomerQuery{Limit: 50})
		if err != nil || len(page.Customers) != 3 {
			t.Fatalf("list: %d customers, %v", len(page.Customers), err)
		}
		all, err := svc.AuditLog.Events(ctx, f.auditor, governance.AuditQuery{AfterSeq: after, ObjectType: "customer", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(all.Events) != 2 {
			t.Errorf("the page is recorded in %d events, want 2 (one per set of fields shown)", len(all.Events))
		}
		for i, id := range ids {
			got, err := svc.AuditLog.Events(ctx, f.auditor, governance.AuditQuery{AfterSeq: after, ObjectID: id, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Events) != 1 {
				t.Fatalf("customer %d: %d read events found by its id, want 1", i, len(got.Events))
			}
			e := got.Events[0]
			if e.Action != "customer.read" || e.ActorID != f.sales1.UserID || (e.ObjectID != id && !slices.Contains(e.Subjects, id)) {
				t.Errorf("customer %d: event %+v does not record its read", i, e)
			}
			wantEmail := i < 2
			if slices.Contains(e.Fields, "email") != wantEmail {
				t.Errorf("customer %d: fields %v, email shown = %v", i, e.Fields, wantEmail)
			}
		}
		if n, problem, err := svc.AuditLog.Verify(ctx); err != nil || problem != nil {
			t.Fatalf("verify after %d events: %v %v", n, problem, err)
		}
	})
}
