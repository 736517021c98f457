package service_test

import (
	"context"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/governance"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/service/records"
	"strongroom.dev/strongroom/internal/testkit"
)

// TestDefinedRoles: an administrator defines a role, a user holding it
// gets exactly its grants, and an edit applies to the user's open session
// from the next request; every change is audited with before and after.
func TestDefinedRoles(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		if _, err := svc.Customers.CreateCustomer(ctx, f.sales1, input("name", "Gao Yan", "email", "gao@example.com", "phone", "+86 139 0000 1111")); err != nil {
			t.Fatal(err)
		}
		clerk := authz.RoleDef{Name: "claims_clerk", Summary: "looks up customers to handle claims", Grants: map[authz.Object]authz.Grant{
			authz.ObjectCustomer: {Actions: map[authz.Action]authz.Scope{authz.ActionRead: authz.ScopeAll},
				Classes: map[crm.FieldClass]authz.Level{crm.ClassIdentity: authz.Read, crm.ClassContact: authz.Masked}},
		}}
		if _, err := svc.Roles.SaveRole(ctx, f.sales1, clerk); !errs.Is(err, errs.Permission) {
			t.Fatalf("a salesperson defined a role: %v", err)
		}
		bad := clerk
		bad.Name = "Claims!"
		if _, err := svc.Roles.SaveRole(ctx, f.admin, bad); !errs.Is(err, errs.Invalid) {
			t.Fatalf("a bad name: %v", err)
		}
		if _, err := svc.Roles.SaveRole(ctx, f.admin, clerk); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Users.CreateUser(ctx, f.admin, identity.NewUser{Email: "clerk@example.com", Role: "claims_clerk", Password: pw}); err != nil {
			t.Fatal(err)
		}
		sess, err := svc.Sessions.Login(ctx, "clerk@example.com", pw, identity.Client{})
		if err != nil {
			t.Fatal(err)
		}
		read := func() crm.Customer {
			t.Helper()
			a, err := svc.Sessions.Authenticate(ctx, sess.Token, identity.Client{})
			if err != nil {
				t.Fatal(err)
			}
			page, err := svc.Customers.ListCustomers(ctx, a, records.CustomerQuery{})
			if err != nil || len(page.Customers) != 1 {
				t.Fatalf("clerk's list: %+v, %v", page, err)
			}
			return page.Customers[0]
		}
		c := read()
		if c.Fields["name"] != "Gao Yan" || c.Fields["email"] == "gao@example.com" || c.Fields["email"] == "" {
			t.Fatalf("the clerk sees %v; want the name in full and the email masked", c.Fields)
		}

		clerk.Grants[authz.ObjectCustomer].Classes[crm.ClassContact] = authz.Hidden
		if _, err := svc.Roles.SaveRole(ctx, f.admin, clerk); err != nil {
			t.Fatal(err)
		}
		if c := read(); c.Fields["email"] != "" || c.Fields["phone"] != "" {
			t.Fatalf("after the edit the open session still sees contact fields: %v", c.Fields)
		}

		clerkID, _ := svc.Users.UserIDByEmail(ctx, f.admin, "clerk@example.com")
		access, err := svc.Roles.EffectiveAccess(ctx, f.admin, clerkID)
		if err != nil || len(access) != 1 || access[0].Object != authz.ObjectCustomer || access[0].Actions[0].Roles[0] != "claims_clerk" {
			t.Fatalf("effective access: %+v, %v", access, err)
		}
		if _, err := svc.Roles.EffectiveAccess(ctx, f.sales1, clerkID); !errs.Is(err, errs.Permission) {
			t.Fatalf("a salesperson read another's access: %v", err)
		}

		if err := svc.Roles.RetireRole(ctx, f.admin, "claims_clerk"); !errs.Is(err, errs.Conflict) {
			t.Fatalf("retired a role somebody holds: %v", err)
		}
		if _, err := svc.Users.SetUserRole(ctx, f.admin, clerkID, "support"); err != nil {
			t.Fatal(err)
		}
		if err := svc.Roles.RetireRole(ctx, f.admin, "claims_clerk"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Users.SetUserRole(ctx, f.admin, clerkID, "claims_clerk"); !errs.Is(err, errs.Invalid) {
			t.Fatalf("a retired role was assigned: %v", err)
		}
		if err := svc.Roles.RetireRole(ctx, f.admin, "sales"); !errs.Is(err, errs.Conflict) {
			t.Fatalf("a built-in role retired: %v", err)
		}
		cp, err := svc.Roles.CopyRole(ctx, f.admin, "sales", "senior_sales", "")
		if err != nil || cp.Grants[authz.ObjectCustomer].Reveal[crm.FieldNationalID] != true {
			t.Fatalf("copy of sales: %+v, %v", cp, err)
		}

		var created, updated, retired int
		for _, e := range auditEvents(t, f.Env) {
			switch {
			case e.Action == "role.create" && strings.HasPrefix(e.Reason, "after: "):
				created++
			case e.Action == "role.update" && strings.Contains(e.Reason, "before: ") && strings.Contains(e.Reason, `"contact":"masked"`) && strings.Contains(e.Reason, `"contact":"hidden"`):
				updated++
			case e.Action == "role.retire":
				retired++
			}
		}
		if created != 2 || updated != 1 || retired != 1 {
			t.Fatalf("audit: %d created, %d updated with before/after, %d retired", created, updated, retired)
		}
	})
}

// TestRoleNetworks: a role limited to address ranges works only from them;
// from elsewhere an open session is refused and audited, and a login gets
// the wrong-password answer even with the right password.
func TestRoleNetworks(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db) // the fixture's sessions come from 192.0.2.1
		ctx := context.Background()
		svc := f.Service
		if _, err := svc.Roles.SetRoleNetworks(ctx, f.admin, "admin", []string{"10.0.0.0/8"}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("an admin locked out their own address: %v", err)
		}
		if _, err := svc.Roles.SetRoleNetworks(ctx, f.admin, "sales", []string{"not a network"}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("a bad range: %v", err)
		}
		if _, err := svc.Roles.SetRoleNetworks(ctx, f.sales1, "sales", nil); !errs.Is(err, errs.Permission) {
			t.Fatalf("a salesperson changed network rules: %v", err)
		}
		nets, err := svc.Roles.SetRoleNetworks(ctx, f.admin, "sales", []string{"10.20.0.0/16", "198.51.100.7"})
		if err != nil || len(nets) != 2 {
			t.Fatalf("set: %v, %v", nets, err)
		}
		office, home := identity.Client{IP: "10.20.3.4"}, identity.Client{IP: "203.0.113.50"}
		sess, err := svc.Sessions.Login(ctx, "sales1@example.com", pw, office)
		if err != nil {
			t.Fatalf("login from the office: %v", err)
		}
		if _, err := svc.Sessions.Authenticate(ctx, sess.Token, office); err != nil {
			t.Fatalf("a request from the office: %v", err)
		}
		if _, err := svc.Sessions.Authenticate(ctx, sess.Token, home); !errs.Is(err, errs.Permission) {
			t.Fatalf("the same session from home: %v", err)
		}
		_, err = svc.Sessions.Login(ctx, "sales1@example.com", pw, home)
		if !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("login from home with the right password: %v", err)
		}
		if _, err := svc.Sessions.Authenticate(ctx, mustLogin(t, svc, "admin@example.com", home), home); err != nil {
			t.Fatalf("another role from home: %v", err)
		}
		var denied, refused int
		for _, e := range auditEvents(t, f.Env) {
			switch {
			case e.Action == "session.network" && e.Outcome == "denied" && e.IP == home.IP:
				denied++
			case e.Action == "session.create" && e.Reason == "address outside the role's ranges":
				refused++
			case e.Action == "role.networks" && !strings.Contains(e.Reason, "after: [10.20.0.0/16 198.51.100.7/32]"):
				t.Errorf("network change audited as %q", e.Reason)
			}
		}
		if denied != 1 || refused != 1 {
			t.Fatalf("audit: %d refused requests, %d refused logins", denied, refused)
		}
		if _, err := svc.Roles.SetRoleNetworks(ctx, f.admin, "sales", nil); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Sessions.Authenticate(ctx, sess.Token, home); err != nil {
			t.Fatalf("after lifting the limit: %v", err)
		}
	})
}

func mustLogin(t *testing.T, svc *service.Service, email string, c identity.Client) string {
	t.Helper()
	s, err := svc.Sessions.Login(context.Background(), email, pw, c)
	if err != nil {
		t.Fatal(err)
	}
	return s.Token
}

// TestApplyTemplate: a template defines its roles in one step; a holder
// gets what the template says; applying again restores an edited role.
func TestApplyTemplate(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		if _, err := svc.Roles.ApplyTemplate(ctx, f.admin, "bakery"); !errs.Is(err, errs.NotExist) {
			t.Fatalf("an unknown template: %v", err)
		}
		if _, err := svc.Roles.ApplyTemplate(ctx, f.sales1, "payment_services"); !errs.Is(err, errs.Permission) {
			t.Fatalf("a salesperson applied a template: %v", err)
		}
		roles, err := svc.Roles.ApplyTemplate(ctx, f.admin, "payment_services")
		if err != nil || len(roles) != 3 {
			t.Fatalf("apply: %v, %v", roles, err)
		}
		c, err := svc.Customers.CreateCustomer(ctx, f.sales1, input("name", "Sun Wei", "email", "sun@example.com"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Customers.UpdateCustomer(ctx, f.admin, c.ID, input("national_id", "110101199003071234")); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Users.CreateUser(ctx, f.admin, identity.NewUser{Email: "kyc@example.com", Role: "kyc_analyst", Password: pw}); err != nil {
			t.Fatal(err)
		}
		kyc, _ := svc.Sessions.Authenticate(ctx, mustLogin(t, svc, "kyc@example.com", identity.Client{}), identity.Client{})
		got, err := svc.Customers.Customer(ctx, kyc, c.ID)
		if err != nil || got.Fields["national_id"] == "110101199003071234" || got.Fields["national_id"] == "" || got.Fields["name"] != "Sun Wei" {
			t.Fatalf("the KYC analyst sees %v, %v; want the name and a masked national id", got.Fields, err)
		}
		if v, err := svc.Customers.RevealCustomerField(ctx, kyc, c.ID, "national_id", "identity check for a payout"); err != nil || v != "110101199003071234" {
			t.Fatalf("reveal: %q, %v", v, err)
		}
		edited, _ := svc.Roles.Role(ctx, f.admin, "kyc_analyst")
		edited.Grants[authz.ObjectCustomer].Classes[crm.ClassContact] = authz.Read
		if _, err := svc.Roles.SaveRole(ctx, f.admin, edited); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Roles.ApplyTemplate(ctx, f.admin, "payment_services"); err != nil {
			t.Fatal(err)
		}
		restored, _ := svc.Roles.Role(ctx, f.admin, "kyc_analyst")
		if restored.Grants[authz.ObjectCustomer].Classes[crm.ClassContact] != authz.Masked {
			t.Fatal("applying again did not restore the template's definition")
		}
		n := 0
		for _, e := range auditEvents(t, f.Env) {
			if strings.HasPrefix(e.Reason, "template payment_services; ") {
				n++
			}
		}
		if n != 4 { // three created, one restored
			t.Fatalf("%d template events in the audit log, want 4", n)
		}
	})
}

// TestCustomerAudience: who can see a record is exactly who Decide lets
// read it: the owner, their team's manager, all-scope roles; not another
// salesperson, not the auditor.
func TestCustomerAudience(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		c, err := f.Service.Customers.CreateCustomer(ctx, f.sales1, input("name", "Audience Test"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Service.Roles.CustomerAudience(ctx, f.sales1, c.ID); !errs.Is(err, errs.Permission) {
			t.Fatalf("a salesperson asked who sees a record: %v", err)
		}
		viewers, err := f.Service.Roles.CustomerAudience(ctx, f.admin, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]governance.Viewer{}
		for _, v := range viewers {
			got[v.Email] = v
		}
		if _, ok := got["sales1@example.com"]; !ok {
			t.Error("the owner is not listed")
		}
		if _, ok := got["admin@example.com"]; !ok {
			t.Error("the admin is not listed")
		}
		for _, no := range []string{"sales2@example.com", "auditor@example.com"} {
			if _, ok := got[no]; ok {
				t.Errorf("%s is listed but cannot read the record", no)
			}
		}
		if v := got["sales1@example.com"]; v.Fields["national_id"] != authz.Masked || len(v.Reveal) != 1 || v.Reveal[0] != "national_id" {
			t.Errorf("the owner's view: %+v", v)
		}
	})
}

// TestSeveralRoles: a user holding several roles gets the union, per
// record; roles are stored normalised; every holder counts when a role
// would be retired; network limits of any held role apply.
func TestSeveralRoles(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		own, err := svc.Customers.CreateCustomer(ctx, f.sales1, input("name", "Own Customer", "email", "own@example.com"))
		if err != nil {
			t.Fatal(err)
		}
		other, err := svc.Customers.CreateCustomer(ctx, f.sales2, input("name", "Other Customer", "email", "other@example.com"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Users.SetUserRole(ctx, f.admin, f.sales1.UserID, "marketing, sales ,sales"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Users.SetUserRole(ctx, f.admin, f.sales1.UserID, "sales,nobody"); !errs.Is(err, errs.Invalid) {
			t.Fatalf("an unknown role in a list: %v", err)
		}
		users, _ := svc.Users.ListUsers(ctx, f.admin)
		for _, u := range users {
			if u.ID == f.sales1.UserID && u.Role != "marketing,sales" {
				t.Fatalf("stored roles %q, want marketing,sales", u.Role)
			}
		}
		a, err := svc.Sessions.Authenticate(ctx, mustLogin(t, svc, "sales1@example.com", identity.Client{}), identity.Client{})
		if err != nil || len(a.Roles) != 2 {
			t.Fatalf("actor: %+v, %v", a.Roles, err)
		}
		mine, err := svc.Customers.Customer(ctx, a, own.ID)
		if err != nil || mine.Fields["email"] != "own@example.com" {
			t.Fatalf("own customer (sales: contact in full): %v, %v", mine.Fields, err)
		}
		theirs, err := svc.Customers.Customer(ctx, a, other.ID)
		if err != nil || theirs.Fields["email"] == "other@example.com" || theirs.Fields["email"] == "" {
			t.Fatalf("another's customer (marketing only: contact masked): %v, %v", theirs.Fields, err)
		}
		if _, err := svc.Roles.SaveRole(ctx, f.admin, authz.RoleDef{Name: "extra_desk", Summary: "x", Grants: map[authz.Object]authz.Grant{}}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Users.SetUserRole(ctx, f.admin, f.sales2.UserID, "sales,extra_desk"); err != nil {
			t.Fatal(err)
		}
		if err := svc.Roles.RetireRole(ctx, f.admin, "extra_desk"); !errs.Is(err, errs.Conflict) {
			t.Fatalf("retired a role held beside another: %v", err)
		}
		if _, err := svc.Roles.SetRoleNetworks(ctx, f.admin, "marketing", []string{"10.0.0.0/8"}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Sessions.Authenticate(ctx, mustLogin(t, svc, "sales2@example.com", identity.Client{IP: "203.0.113.1"}), identity.Client{IP: "203.0.113.1"}); err != nil {
			t.Fatalf("a user without the limited role: %v", err)
		}
		if _, err := svc.Sessions.Login(ctx, "sales1@example.com", pw, identity.Client{IP: "203.0.113.1"}); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("a holder of a limited role among others logged in from outside: %v", err)
		}
	})
}

// TestNestedTeams: once a team is nested under the manager's, team scope
// reaches its customers (list and record), at any depth; cycles refused.
func TestNestedTeams(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		sys := authz.System()
		for _, u := range []struct{ email, role, team string }{{"boss@example.com", "manager", "north"}, {"ne@example.com", "sales", "north-east"}, {"ne1@example.com", "sales", "ne-1"}} {
			if _, err := svc.Users.CreateUser(ctx, sys, identity.NewUser{Email: u.email, Role: u.role, Team: u.team, Password: pw}); err != nil {
				t.Fatal(err)
			}
		}
		session := func(email string) authz.Actor {
			a, err := svc.Sessions.Authenticate(ctx, mustLogin(t, svc, email, identity.Client{}), identity.Client{})
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		c1, _ := svc.Customers.CreateCustomer(ctx, session("ne@example.com"), input("name", "North East Client"))
		c2, _ := svc.Customers.CreateCustomer(ctx, session("ne1@example.com"), input("name", "Deep Client"))
		count := func() int {
			page, err := svc.Customers.ListCustomers(ctx, session("boss@example.com"), records.CustomerQuery{})
			if err != nil {
				t.Fatal(err)
			}
			return len(page.Customers)
		}
		if n := count(); n != 0 {
			t.Fatalf("before nesting the manager sees %d customers of other teams", n)
		}
		if err := svc.Roles.SetTeamParent(ctx, f.admin, "north-east", "north"); err != nil {
			t.Fatal(err)
		}
		if err := svc.Roles.SetTeamParent(ctx, f.admin, "ne-1", "north-east"); err != nil {
			t.Fatal(err)
		}
		if err := svc.Roles.SetTeamParent(ctx, f.admin, "north", "ne-1"); !errs.Is(err, errs.Invalid) {
			t.Fatalf("a cycle: %v", err)
		}
		if n := count(); n != 2 {
			t.Fatalf("after nesting the manager sees %d customers, want 2", n)
		}
		for _, id := range []string{c1.ID, c2.ID} {
			if _, err := svc.Customers.Customer(ctx, session("boss@example.com"), id); err != nil {
				t.Fatalf("the manager opens %s: %v", id, err)
			}
		}
		if _, err := svc.Customers.Customer(ctx, session("ne1@example.com"), c1.ID); !errs.Is(err, errs.NotExist) {
			t.Fatalf("a sales rep below reaches upward: %v", err)
		}
	})
}

// TestLastAdminStays: no path disables the last enabled administrator —
// not an administrator's action, not an access review's revoke.
func TestLastAdminStays(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		if err := svc.Users.SetUserDisabled(ctx, authz.System(), f.admin.UserID, true); !errs.Is(err, errs.Conflict) {
			t.Fatalf("the last admin was disabled: %v", err)
		}
		rev, err := svc.Approvals.StartReview(ctx, authz.System())
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Approvals.DecideReviewItem(ctx, authz.System(), rev.ID, f.admin.UserID, false); !errs.Is(err, errs.Conflict) {
			t.Fatalf("a review revoked the last admin: %v", err)
		}
		if _, err := svc.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: "admin2@example.com", Role: "admin", Password: pw}); err != nil {
			t.Fatal(err)
		}
		if err := svc.Users.SetUserDisabled(ctx, authz.System(), f.admin.UserID, true); err != nil {
			t.Fatalf("with a second admin: %v", err)
		}
	})
}
