package service_test

import (
	"context"
	"slices"
	"testing"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/governance"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/service/records"
	"strongroom.dev/strongroom/internal/testkit"
)

// actorAs adds a user with role to f's service, logs them in and returns
// the actor the service authenticates.
func actorAs(t *testing.T, f *fixture, email, role, team string) authz.Actor {
	t.Helper()
	ctx := context.Background()
	if _, err := f.Service.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: email, Role: role, Team: team, Password: pw}); err != nil {
		t.Fatalf("create %s: %v", email, err)
	}
	sess, err := f.Service.Sessions.Login(ctx, email, pw, identity.Client{IP: "192.0.2.1"})
	if err != nil {
		t.Fatalf("login %s: %v", email, err)
	}
	a, err := f.Service.Sessions.Authenticate(ctx, sess.Token, identity.Client{IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// auditCount is how many events the audit log holds, leaving out the
// reads of the log itself (which counting makes).
func auditCount(t *testing.T, f *fixture) int {
	t.Helper()
	n := 0
	q := governance.AuditQuery{Limit: 1000}
	for {
		page, err := f.Service.AuditLog.Events(context.Background(), authz.System(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Events {
			if e.Action != "audit.read" {
				n++
			}
		}
		if page.NextAfter == 0 || len(page.Events) == 0 {
			return n
		}
		q.AfterSeq = page.NextAfter
	}
}

// TestAbilities: what each role may open and start, as the navigation and
// the lists' buttons show it; asking reads no personal data and records
// nothing.
func TestAbilities(t *testing.T) {
	f := newFixture(t, testkit.NewSQLite(t))
	all := records.Abilities{Audit: true, Customers: true, Companies: true, Deals: true, Visits: true, Admin: true, Privacy: true, HandleRequests: true,
		CreateCustomer: true, ExportCustomers: true, CreateCompany: true, PlanVisit: true}
	cases := []struct {
		role authz.Role
		want records.Abilities
	}{
		{authz.RoleAdmin, all},
		{authz.RoleAuditor, records.Abilities{Audit: true, Privacy: true}},
		{authz.RolePrivacy, records.Abilities{Audit: true, Privacy: true, HandleRequests: true}},
		{authz.RoleSales, records.Abilities{Customers: true, Companies: true, Deals: true, CreateCustomer: true, ExportCustomers: true, CreateCompany: true}},
		{authz.RoleManager, records.Abilities{Customers: true, Companies: true, Deals: true, Visits: true, CreateCustomer: true, ExportCustomers: true, CreateCompany: true, PlanVisit: true}},
		{authz.RoleFinance, records.Abilities{Customers: true, Companies: true, Deals: true, ExportCustomers: true}},
		{authz.RoleSupport, records.Abilities{Customers: true, Companies: true}},
		{authz.RoleFieldRep, records.Abilities{Companies: true, Visits: true, PlanVisit: true}},
	}
	before := auditCount(t, f)
	for _, c := range cases {
		t.Run(string(c.role), func(t *testing.T) {
			a := authz.Actor{UserID: "someone", Roles: []authz.Role{c.role}, Team: "north"}
			if got := f.Service.Abilities(a); got != c.want {
				t.Errorf("Abilities = %+v\nwant %+v", got, c.want)
			}
			if got := f.Service.Customers.NewCustomerCan(a); got.Edit != c.want.CreateCustomer || got.Edit != (len(got.Write) > 0) {
				t.Errorf("NewCustomerCan = %+v, want Edit %v with its fields", got, c.want.CreateCustomer)
			}
			if got := f.Service.Companies.NewCompanyCan(a); got.Edit != c.want.CreateCompany || got.Edit != (len(got.Write) > 0) {
				t.Errorf("NewCompanyCan = %+v, want Edit %v with its fields", got, c.want.CreateCompany)
			}
		})
	}
	if got := f.Service.Abilities(authz.Actor{}); got != (records.Abilities{}) {
		t.Errorf("no one: %+v, want nothing", got)
	}
	// A salesperson creates a customer without the national id, which
	// they see masked; a counsellor writes the special-category field.
	if got := f.Service.Customers.NewCustomerCan(f.sales1).Write; slices.Contains(got, crm.FieldNationalID) || !slices.Contains(got, crm.FieldName) || slices.Contains(got, crm.FieldAssessment) {
		t.Errorf("sales may create with %v", got)
	}
	counsellor := authz.Actor{UserID: "c", Roles: []authz.Role{authz.RoleCounsellor}}
	if got := f.Service.Customers.NewCustomerCan(counsellor).Write; !slices.Contains(got, crm.FieldAssessment) {
		t.Errorf("counsellor may create with %v", got)
	}
	if after := auditCount(t, f); after != before {
		t.Errorf("asking what one may do recorded %d audit events", after-before)
	}
}

// TestCustomerOverview: the customer page's one call returns the record
// as the role may see it with what the role may do on it, audits the read
// as Customer does, and refuses a record out of scope as not found.
func TestCustomerOverview(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		finance := actorAs(t, f, "finance@example.com", "finance", "")
		c, err := f.Service.Customers.CreateCustomer(ctx, f.sales1, input("name", "Zhao Lei", "email", "zhao@example.com", "notes", "prefers calls"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Service.Customers.UpdateCustomer(ctx, f.admin, c.ID, input("national_id", "110101199003071234")); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name  string
			actor authz.Actor
			kind  errs.Kind // of the error, 0 for none
			want  records.Can
		}{
			{"owner in sales", f.sales1, 0, records.Can{Edit: true, Write: []string{"name", "email", "phone", "notes", "tags"},
				Masked: []string{"national_id"}, Reveal: []string{"national_id"}, LogActivity: true, CreateDeal: true}},
			{"finance", finance, 0, records.Can{Masked: []string{"name", "email", "phone", "national_id"}, Reveal: []string{"name"}, RecordTransaction: true}},
			{"admin", f.admin, 0, records.Can{Edit: true, Delete: true, Write: []string{"name", "email", "phone", "national_id", "notes", "tags", "assessment"},
				LogActivity: true, CreateDeal: true, RecordTransaction: true}},
			{"another salesperson", f.sales2, errs.NotExist, records.Can{}},
			{"auditor", f.auditor, errs.NotExist, records.Can{}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before := auditCount(t, f)
				o, err := f.Service.Customers.CustomerOverview(ctx, tc.actor, c.ID)
				if tc.kind != 0 {
					if !errs.Is(err, tc.kind) || o.Customer.ID != "" {
						t.Fatalf("got %+v, %v; want nothing and %v", o.Customer, err, tc.kind)
					}
				} else if err != nil {
					t.Fatal(err)
				}
				if !equalCan(o.Can, tc.want) {
					t.Errorf("Can = %+v\nwant %+v", o.Can, tc.want)
				}
				page, err := f.Service.AuditLog.Events(ctx, authz.System(), governance.AuditQuery{ObjectID: c.ID, ActorID: tc.actor.UserID, Limit: 1000})
				if err != nil {
					t.Fatal(err)
				}
				read := false
				for _, e := range page.Events {
					read = read || e.Action == "customer.read" && (e.Outcome == "success") == (tc.kind == 0)
				}
				if !read || auditCount(t, f) == before {
					t.Errorf("the read is not in the audit log: %+v", page.Events)
				}
				if tc.kind != 0 {
					return
				}
				if (o.Stages != nil) != f.Service.Abilities(tc.actor).Deals {
					t.Errorf("stages %v for a role that may read deals: %v", o.Stages, f.Service.Abilities(tc.actor).Deals)
				}
				if tc.actor.UserID == finance.UserID && o.Marketing != nil {
					t.Errorf("finance sees preferences: %+v", o.Marketing)
				}
				if tc.actor.UserID == finance.UserID && o.History == nil {
					t.Errorf("finance does not see the purchase history")
				}
			})
		}
		// The edit form asks the same question: sales may change their
		// customer's fields but the national id; finance may change none.
		if _, can, err := f.Service.Customers.CustomerToEdit(ctx, f.sales1, c.ID); err != nil || !can.Edit || can.Writes(crm.FieldNationalID) || !can.Writes(crm.FieldEmail) {
			t.Errorf("sales edit: %+v %v", can, err)
		}
		if _, can, err := f.Service.Customers.CustomerToEdit(ctx, finance, c.ID); err != nil || can.Edit || len(can.Write) > 0 {
			t.Errorf("finance edit: %+v %v", can, err)
		}
		if _, _, err := f.Service.Customers.CustomerToEdit(ctx, f.sales2, c.ID); !errs.Is(err, errs.NotExist) {
			t.Errorf("another's customer to edit: %v", err)
		}
		// Support reaches its team's customers: the edit form opens for a
		// teammate's customer, with the contact fields.
		seller := actorAs(t, f, "seller@example.com", "sales", "north")
		support := actorAs(t, f, "support@example.com", "support", "north")
		tc, err := f.Service.Customers.CreateCustomer(ctx, seller, input("name", "Qian Hui", "phone", "+86 138 0000 1111"))
		if err != nil {
			t.Fatal(err)
		}
		if _, can, err := f.Service.Customers.CustomerToEdit(ctx, support, tc.ID); err != nil || !can.Edit || !slices.Equal(can.Write, []string{"email", "phone"}) {
			t.Errorf("support edit of a teammate's customer: %+v %v", can, err)
		}
	})
}

// TestCompanyOverview: likewise for a company page and its edit form.
func TestCompanyOverview(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		name, notes := "Blue Kiln Ltd", "key account"
		co, err := f.Service.Companies.CreateCompany(ctx, f.sales1, crm.CompanyInput{Fields: map[string]*string{"name": &name, "notes": &notes}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Service.Activities.LogCompanyActivity(ctx, f.sales1, co.ID, crm.ActivityInput{Kind: "note", Subject: "Visited the showroom"}); err != nil {
			t.Fatal(err)
		}
		o, err := f.Service.Companies.CompanyOverview(ctx, f.sales1, co.ID)
		if err != nil {
			t.Fatal(err)
		}
		if o.Company.Fields["name"] != name || len(o.Activities) != 1 {
			t.Errorf("overview: %+v", o)
		}
		if want := (records.Can{Edit: true, Write: []string{"name", "address", "phone", "notes", "tags"}, LogActivity: true}); !equalCan(o.Can, want) {
			t.Errorf("sales Can = %+v, want %+v", o.Can, want)
		}
		if o, err := f.Service.Companies.CompanyOverview(ctx, f.admin, co.ID); err != nil || !o.Can.Delete {
			t.Errorf("admin: %+v %v", o.Can, err)
		}
		if _, err := f.Service.Companies.CompanyOverview(ctx, f.sales2, co.ID); !errs.Is(err, errs.NotExist) {
			t.Errorf("another's company: %v", err)
		}
		if _, can, err := f.Service.Companies.CompanyToEdit(ctx, f.sales1, co.ID); err != nil || !can.Edit || !can.Writes("address") {
			t.Errorf("sales edit: %+v %v", can, err)
		}
	})
}

func equalCan(a, b records.Can) bool {
	return a.Edit == b.Edit && a.Delete == b.Delete && slices.Equal(a.Write, b.Write) && slices.Equal(a.Masked, b.Masked) &&
		slices.Equal(a.Reveal, b.Reveal) && a.LogActivity == b.LogActivity && a.CreateDeal == b.CreateDeal && a.RecordTransaction == b.RecordTransaction
}
