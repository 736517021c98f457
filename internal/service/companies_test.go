package service_test

import (
	"context"
	"testing"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/service/records"
	"strongroom.dev/strongroom/internal/testkit"
)

func companyInput(store bool, kv ...string) crm.CompanyInput {
	in := crm.CompanyInput{Fields: map[string]*string{}, IsStore: &store}
	for i := 0; i < len(kv); i += 2 {
		v := kv[i+1]
		in.Fields[kv[i]] = &v
	}
	return in
}

func TestCompanies(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		if _, err := svc.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: "rep@example.com", Role: "field_rep", Password: pw}); err != nil {
			t.Fatal(err)
		}
		sess, _ := svc.Sessions.Login(ctx, "rep@example.com", pw, identity.Client{IP: "192.0.2.1"})
		rep, _ := svc.Sessions.Authenticate(ctx, sess.Token, identity.Client{IP: "192.0.2.1"})

		acme, err := svc.Companies.CreateCompany(ctx, f.sales1, companyInput(false, "name", "Acme Coatings 涂料", "phone", "+86 21 5555 0101"))
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name  string
			actor authz.Actor
			in    crm.CompanyInput
			kind  errs.Kind
		}{
			{"store without address", f.admin, companyInput(true, "name", "Store 1"), errs.Invalid},
			{"no name", f.admin, companyInput(false, "phone", "123456"), errs.Invalid},
			{"bad phone", f.admin, companyInput(false, "name", "X", "phone", "call us"), errs.Invalid},
			{"field rep may not create", rep, companyInput(false, "name", "X"), errs.Permission},
			{"auditor may not create", f.auditor, companyInput(false, "name", "X"), errs.Permission},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := svc.Companies.CreateCompany(ctx, tt.actor, tt.in); !errs.Is(err, tt.kind) {
					t.Fatalf("err = %v, want %v", err, tt.kind)
				}
			})
		}
		// A store assigned to the field rep: they read it and write its notes only.
		storeIn := companyInput(true, "name", "Jing'an Store", "address", "1 Nanjing West Road, Shanghai")
		storeIn.OwnerID = &rep.UserID
		shop, err := svc.Companies.CreateCompany(ctx, f.admin, storeIn)
		if err != nil {
			t.Fatal(err)
		}
		if v, err := svc.Companies.Company(ctx, rep, shop.ID); err != nil || v.Company.Fields["address"] != "1 Nanjing West Road, Shanghai" || !v.Company.IsStore {
			t.Fatalf("field rep reading their store: %+v %v", v, err)
		}
		if _, err := svc.Companies.UpdateCompany(ctx, rep, shop.ID, companyInput(true, "notes", "Manager prefers mornings")); err != nil {
			t.Fatalf("field rep writing notes: %v", err)
		}
		if _, err := svc.Companies.UpdateCompany(ctx, rep, shop.ID, crm.CompanyInput{Fields: map[string]*string{"name": ptr("Renamed")}}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("field rep renaming: %v", err)
		}
		if _, err := svc.Companies.Company(ctx, rep, acme.ID); !errs.Is(err, errs.NotExist) {
			t.Fatalf("field rep reading another's company: %v", err)
		}
		if _, err := svc.Companies.Company(ctx, f.sales2, acme.ID); !errs.Is(err, errs.NotExist) {
			t.Fatalf("other sales reading: %v", err)
		}
		// Customers link to a company the actor can see.
		cin := input("name", "Wei Chen")
		cin.CompanyID = &acme.ID
		c, err := svc.Customers.CreateCustomer(ctx, f.sales1, cin)
		if err != nil || c.CompanyID != acme.ID {
			t.Fatalf("linking: %+v %v", c, err)
		}
		other := input("name", "Sneaky")
		other.CompanyID = &acme.ID
		if _, err := svc.Customers.CreateCustomer(ctx, f.sales2, other); !errs.Is(err, errs.Invalid) {
			t.Fatalf("linking to a company one cannot see: %v", err)
		}
		v, err := svc.Companies.Company(ctx, f.sales1, acme.ID)
		if err != nil || len(v.Customers) != 1 || v.Customers[0].Fields["name"] != "Wei Chen" {
			t.Fatalf("company page: %+v %v", v, err)
		}
		page, err := svc.Companies.ListCompanies(ctx, rep, records.CompanyQuery{})
		if err != nil || len(page.Companies) != 1 || page.Companies[0].ID != shop.ID {
			t.Fatalf("field rep's list: %+v %v", page, err)
		}
		if page, _ := svc.Companies.ListCompanies(ctx, f.admin, records.CompanyQuery{StoresOnly: true}); len(page.Companies) != 1 {
			t.Fatalf("stores only: %+v", page)
		}
		if _, err := svc.Companies.ListCompanies(ctx, f.auditor, records.CompanyQuery{}); !errs.Is(err, errs.Permission) {
			t.Fatalf("auditor list: %v", err)
		}
		if err := svc.Companies.DeleteCompany(ctx, f.sales1, acme.ID); !errs.Is(err, errs.Permission) {
			t.Fatalf("sales delete: %v", err)
		}
		if err := svc.Companies.DeleteCompany(ctx, f.admin, acme.ID); err != nil {
			t.Fatal(err)
		}
		if got, err := svc.Customers.Customer(ctx, f.sales1, c.ID); err != nil || got.CompanyID != "" {
			t.Fatalf("customer after its company was deleted: %+v %v", got, err)
		}
	})
}

func ptr(s string) *string { return &s }
