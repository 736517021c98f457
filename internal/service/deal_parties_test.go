package service_test

import (
	"context"
	"slices"
	"testing"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/testkit"
)

// The pipeline's cards and the deal page name who a deal is with: the
// customer and their company, as the viewer may see them, each name read
// audited; a customer out of the viewer's reach stays unnamed.
func TestDealParties(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		co, err := svc.Companies.CreateCompany(ctx, f.sales1, companyInput(false, "name", "Acme Coatings 涂料"))
		if err != nil {
			t.Fatal(err)
		}
		in := input("name", "陈静", "email", "chen.jing@example.cn")
		in.CompanyID = &co.ID
		c, err := svc.Customers.CreateCustomer(ctx, f.sales1, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Deals.CreateDeal(ctx, f.sales1, c.ID, dealInput("Song vase consignment", 1_250_000_00, "CNY")); err != nil {
			t.Fatal(err)
		}
		before := len(auditActions(t, f))
		for _, tt := range []struct {
			name          string
			actor         authz.Actor
			customer, org string
		}{
			{"owner", f.sales1, "陈静", "Acme Coatings 涂料"},
			{"administrator", f.admin, "陈静", "Acme Coatings 涂料"},
			{"another seller", f.sales2, "", ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				got, err := svc.Deals.Parties(ctx, tt.actor, []string{c.ID, c.ID, "cus_nonesuch", "not an id"})
				if err != nil {
					t.Fatal(err)
				}
				p := got[c.ID]
				if p.CustomerName != tt.customer || p.CompanyName != tt.org {
					t.Fatalf("party %+v, want %q of %q", p, tt.customer, tt.org)
				}
				if tt.org != "" && p.CompanyID != co.ID {
					t.Fatalf("company id %q", p.CompanyID)
				}
				if len(got) > 1 {
					t.Fatalf("named ids that are no customer: %+v", got)
				}
			})
		}
		// Each named read is in the audit log: two viewers, a customer and a company each.
		after := auditActions(t, f)[before:]
		reads := func(action string) int {
			return len(slices.DeleteFunc(slices.Clone(after), func(a string) bool { return a != action }))
		}
		if reads("customer.read") != 2 || reads("company.read") != 2 {
			t.Fatalf("audit after naming the parties: %v", after)
		}
	})
}
