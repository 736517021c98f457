package service_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/service/records"
	"strongroom.dev/strongroom/internal/testkit"
)

const pw = "correct horse battery staple"

type fixture struct {
	*testkit.Env
	admin, sales1, sales2, auditor authz.Actor
}

func newFixture(t *testing.T, db testkit.DB) *fixture { return newFixtureTB(t, db) }

func newFixtureTB(t testing.TB, db testkit.DB) *fixture {
	t.Helper()
	env := testkit.NewEnv(t, db, service.Options{})
	f := &fixture{Env: env}
	ctx := context.Background()
	login := func(email, role string) authz.Actor {
		if _, err := env.Service.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: email, Role: role, Password: pw}); err != nil {
			t.Fatalf("create %s: %v", email, err)
		}
		sess, err := env.Service.Sessions.Login(ctx, email, pw, identity.Client{IP: "192.0.2.1"})
		if err != nil {
			t.Fatalf("login %s: %v", email, err)
		}
		a, err := env.Service.Sessions.Authenticate(ctx, sess.Token, identity.Client{IP: "192.0.2.1"})
		if err != nil {
			t.Fatalf("authenticate %s: %v", email, err)
		}
		return a
	}
	f.admin = login("admin@example.com", "admin")
	f.sales1 = login("sales1@example.com", "sales")
	f.sales2 = login("sales2@example.com", "sales")
	f.auditor = login("auditor@example.com", "auditor")
	return f
}

func input(kv ...string) crm.CustomerInput {
	in := crm.CustomerInput{Fields: map[string]*string{}}
	for i := 0; i < len(kv); i += 2 {
		v := kv[i+1]
		in.Fields[kv[i]] = &v
	}
	if in.SetsSpecial() { // the person's separate consent, given in person under the current notice
		in.SensitiveConsent = &crm.ConsentInput{Channel: "in_person"}
	}
	return in
}

func TestCustomerAccessByRole(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		c, err := svc.Customers.CreateCustomer(ctx, f.sales1, input("name", "王小明", "email", "Wang@Example.com", "phone", "+86 138-0013-8000", "notes", "likes porcelain"))
		if err != nil {
			t.Fatal(err)
		}
		if c.OwnerID != f.sales1.UserID {
			t.Fatalf("owner = %q, want the creating sales user", c.OwnerID)
		}
		// Admin sets the national id (sales may not: it is masked for them).
		if _, err := svc.Customers.UpdateCustomer(ctx, f.sales1, c.ID, input("national_id", "110101199003071234")); !errs.Is(err, errs.Invalid) {
			t.Fatalf("sales setting national_id: err = %v, want invalid", err)
		}
		if _, err := svc.Customers.UpdateCustomer(ctx, f.admin, c.ID, input("national_id", "110101199003071234")); err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			name       string
			actor      authz.Actor
			wantKind   errs.Kind // 0 (Internal) means success expected
			wantFields map[string]string
		}{
			{"owner sees masked national id", f.sales1, 0, map[string]string{
				"name": "王小明", "email": "wang@example.com", "phone": "+8613800138000", "national_id": "1****************4", "notes": "likes porcelain"}},
			{"admin sees all", f.admin, 0, map[string]string{
				"name": "王小明", "email": "wang@example.com", "phone": "+8613800138000", "national_id": "110101199003071234", "notes": "likes porcelain"}},
			{"other sales gets not found", f.sales2, errs.NotExist, nil},
			{"auditor gets not found", f.auditor, errs.NotExist, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := svc.Customers.Customer(ctx, tt.actor, c.ID)
				if tt.wantFields == nil {
					if !errs.Is(err, tt.wantKind) {
						t.Fatalf("err = %v, want kind %v", err, tt.wantKind)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if len(got.Fields) != len(tt.wantFields) {
					t.Errorf("fields = %v, want %v", got.Fields, tt.wantFields)
				}
				for k, v := range tt.wantFields {
					if got.Fields[k] != v {
						t.Errorf("%s = %q, want %q", k, got.Fields[k], v)
					}
				}
			})
		}

		// Lists follow the same scope.
		c2, err := svc.Customers.CreateCustomer(ctx, f.sales2, input("name", "Alice Smith", "email", "alice@example.com"))
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			actor authz.Actor
			q     records.CustomerQuery
			want  []string
		}{
			{f.sales1, records.CustomerQuery{}, []string{c.ID}},
			{f.sales2, records.CustomerQuery{}, []string{c2.ID}},
			{f.admin, records.CustomerQuery{}, []string{c.ID, c2.ID}},
			{f.admin, records.CustomerQuery{Email: " ALICE@example.com"}, []string{c2.ID}},
			{f.admin, records.CustomerQuery{Phone: "+86 13800138000"}, []string{c.ID}},
			{f.admin, records.CustomerQuery{NationalID: "110101199003071234"}, []string{c.ID}},
			{f.sales2, records.CustomerQuery{Email: "wang@example.com"}, nil},
		} {
			page, err := svc.Customers.ListCustomers(ctx, tt.actor, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, c := range page.Customers {
				ids = append(ids, c.ID)
			}
			if strings.Join(ids, ",") != strings.Join(tt.want, ",") {
				t.Errorf("list %+v as %s = %v, want %v", tt.q, tt.actor.UserID, ids, tt.want)
			}
		}
		if _, err := svc.Customers.ListCustomers(ctx, f.sales1, records.CustomerQuery{NationalID: "110101199003071234"}); !errs.Is(err, errs.Invalid) {
			t.Errorf("sales searching by masked national_id: err = %v, want invalid", err)
		}
		if _, err := svc.Customers.ListCustomers(ctx, f.auditor, records.CustomerQuery{}); !errs.Is(err, errs.Permission) {
			t.Errorf("auditor listing customers: err = %v, want permission", err)
		}

		// Only admin deletes; afterwards the customer is gone for everyone.
		if err := svc.Customers.DeleteCustomer(ctx, f.sales1, c.ID); !errs.Is(err, errs.Permission) {
			t.Errorf("sales delete: err = %v, want permission", err)
		}
		if err := svc.Customers.DeleteCustomer(ctx, f.admin, c.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Customers.Customer(ctx, f.admin, c.ID); !errs.Is(err, errs.NotExist) {
			t.Errorf("read after delete: err = %v, want not found", err)
		}
	})
}

func TestListPaging(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		want := map[string]bool{}
		for i := range 7 {
			c, err := f.Service.Customers.CreateCustomer(ctx, f.admin, input("name", "Customer "+string(rune('A'+i))))
			if err != nil {
				t.Fatal(err)
			}
			want[c.ID] = true
		}
		seen := map[string]bool{}
		q := records.CustomerQuery{Limit: 3}
		pages := 0
		for {
			page, err := f.Service.Customers.ListCustomers(ctx, f.admin, q)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, c := range page.Customers {
				if seen[c.ID] {
					t.Fatalf("customer %s on two pages", c.ID)
				}
				seen[c.ID] = true
			}
			if page.Next == "" {
				break
			}
			q.Cursor = page.Next
		}
		if pages != 3 || len(seen) != len(want) {
			t.Errorf("pages = %d, customers = %d; want 3 pages, %d customers", pages, len(seen), len(want))
		}
		// Newest first pages through the same customers in the opposite order.
		var oldest, newest []string
		for _, newestFirst := range []bool{false, true} {
			q := records.CustomerQuery{Limit: 2, Newest: newestFirst}
			for {
				page, err := f.Service.Customers.ListCustomers(ctx, f.admin, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range page.Customers {
					if newestFirst {
						newest = append(newest, c.ID)
					} else {
						oldest = append(oldest, c.ID)
					}
				}
				if page.Next == "" {
					break
				}
				q.Cursor = page.Next
			}
		}
		slices.Reverse(newest)
		if len(oldest) != 7 || !slices.Equal(oldest, newest) {
			t.Errorf("newest first is not the reverse of oldest first:\n%v\n%v", oldest, newest)
		}
		for _, bad := range []records.CustomerQuery{{Cursor: "not-a-cursor"}, {Limit: 201}, {Limit: -1}, {Email: "not an email"}} {
			if _, err := f.Service.Customers.ListCustomers(ctx, f.admin, bad); !errs.Is(err, errs.Invalid) {
				t.Errorf("query %+v: err = %v, want invalid", bad, err)
			}
		}
	})
}

func TestLoginAndSessions(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		c := identity.Client{IP: "198.51.100.7"}
		for _, tt := range []struct{ email, password string }{
			{"sales1@example.com", "wrong password here"},
			{"nobody@example.com", pw},
			{"not even an email", pw},
		} {
			_, err := svc.Sessions.Login(ctx, tt.email, tt.password, c)
			if !errs.Is(err, errs.Unauthenticated) {
				t.Errorf("login %q: err = %v, want unauthenticated", tt.email, err)
			}
			if msg, _ := errs.Public(err); msg != "email or password is incorrect" {
				t.Errorf("login %q: message %q differs from the one answer for all failures", tt.email, msg)
			}
		}
		sess, err := svc.Sessions.Login(ctx, "SALES1@example.com", pw, c)
		if err != nil {
			t.Fatal(err)
		}
		a, err := svc.Sessions.Authenticate(ctx, sess.Token, c)
		if err != nil || a.UserID != f.sales1.UserID {
			t.Fatalf("authenticate: %v, %+v", err, a)
		}
		if err := svc.Sessions.Logout(ctx, a); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Sessions.Authenticate(ctx, sess.Token, c); !errs.Is(err, errs.Unauthenticated) {
			t.Errorf("token after logout: err = %v, want unauthenticated", err)
		}
		for _, tok := range []string{"", "srs_short", "Bearer x", sess.Token + "x"} {
			if _, err := svc.Sessions.Authenticate(ctx, tok, c); !errs.Is(err, errs.Unauthenticated) {
				t.Errorf("token %q: err = %v, want unauthenticated", tok, err)
			}
		}
		// A role change applies to an open session at once.
		s2, err := svc.Sessions.Login(ctx, "sales2@example.com", pw, c)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Users.SetUserRole(ctx, f.admin, f.sales2.UserID, "auditor"); err != nil {
			t.Fatal(err)
		}
		a2, err := svc.Sessions.Authenticate(ctx, s2.Token, c)
		if err != nil || len(a2.Roles) != 1 || a2.Roles[0] != authz.RoleAuditor {
			t.Fatalf("after role change: %v, roles %v", err, a2.Roles)
		}
		if _, err := svc.Users.SetUserRole(ctx, f.sales1, f.sales2.UserID, "admin"); !errs.Is(err, errs.Permission) {
			t.Errorf("sales granting admin: err = %v, want permission", err)
		}
		// A new password ends every session of the user.
		if err := svc.Users.SetPassword(ctx, f.admin, f.sales2.UserID, "another long passphrase 2"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Sessions.Authenticate(ctx, s2.Token, c); !errs.Is(err, errs.Unauthenticated) {
			t.Errorf("token after password change: err = %v, want unauthenticated", err)
		}
	})
}

func TestUserRules(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		for _, tt := range []struct {
			name  string
			actor authz.Actor
			in    identity.NewUser
			kind  errs.Kind
		}{
			{"taken email", authz.System(), identity.NewUser{Email: "ADMIN@example.com", Role: "sales", Password: pw}, errs.Invalid},
			{"short password", authz.System(), identity.NewUser{Email: "x@example.com", Role: "sales", Password: "short"}, errs.Invalid},
			{"password holds email", authz.System(), identity.NewUser{Email: "lihua@example.com", Role: "sales", Password: "lihua-is-my-name-ok"}, errs.Invalid},
			{"unknown role", authz.System(), identity.NewUser{Email: "x@example.com", Role: "root", Password: pw}, errs.Invalid},
			{"bad email", authz.System(), identity.NewUser{Email: "x@", Role: "sales", Password: pw}, errs.Invalid},
			{"sales may not", f.sales1, identity.NewUser{Email: "x@example.com", Role: "sales", Password: pw}, errs.Permission},
			{"auditor may not", f.auditor, identity.NewUser{Email: "x@example.com", Role: "admin", Password: pw}, errs.Permission},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := f.Service.Users.CreateUser(ctx, tt.actor, tt.in); !errs.Is(err, tt.kind) {
					t.Errorf("err = %v, want %v", err, tt.kind)
				}
			})
		}
	})
}

func TestNameSearch(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		ids := map[string]string{}
		for _, n := range []string{"王小明", "王小红", "Alice Smith", "Alice Jones"} {
			c, err := f.Service.Customers.CreateCustomer(ctx, f.sales1, input("name", n))
			if err != nil {
				t.Fatal(err)
			}
			ids[n] = c.ID
		}
		if _, err := f.Service.Customers.CreateCustomer(ctx, f.sales2, input("name", "Alice Hidden")); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			actor authz.Actor
			q     string
			want  []string
		}{
			{f.sales1, "小明", []string{"王小明"}},
			{f.sales1, "王小", []string{"王小明", "王小红"}},
			{f.sales1, "alice", []string{"Alice Smith", "Alice Jones"}},
			{f.sales1, "ALICE smith", []string{"Alice Smith"}},
			{f.sales1, "Bob", nil},
			{f.sales2, "alice", []string{"Alice Hidden"}},
		} {
			page, err := f.Service.Customers.ListCustomers(ctx, tt.actor, records.CustomerQuery{Name: tt.q})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range page.Customers {
				got = append(got, c.Fields["name"])
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("%q as %s: %v, want %v", tt.q, tt.actor.UserID, got, tt.want)
			}
		}
		if _, err := f.Service.Customers.ListCustomers(ctx, f.sales1, records.CustomerQuery{Name: "王"}); !errs.Is(err, errs.Invalid) {
			t.Errorf("one character: %v", err)
		}
		// Renaming moves the tokens; deleting removes them.
		if _, err := f.Service.Customers.UpdateCustomer(ctx, f.sales1, ids["Alice Smith"], input("name", "Alicia Smith")); err != nil {
			t.Fatal(err)
		}
		if page, _ := f.Service.Customers.ListCustomers(ctx, f.sales1, records.CustomerQuery{Name: "alicia"}); len(page.Customers) != 1 {
			t.Errorf("after rename: %d", len(page.Customers))
		}
		if page, _ := f.Service.Customers.ListCustomers(ctx, f.sales1, records.CustomerQuery{Name: "alice smith"}); len(page.Customers) != 0 {
			t.Errorf("old name still found: %d", len(page.Customers))
		}
		if err := f.Service.Customers.DeleteCustomer(ctx, f.admin, ids["王小明"]); err != nil {
			t.Fatal(err)
		}
		var n int
		db.Raw(t).QueryRow("SELECT count(*) FROM name_tokens WHERE subject_id = '" + ids["王小明"] + "'").Scan(&n)
		if n != 0 {
			t.Errorf("%d tokens left after delete", n)
		}
	})
}

func TestTags(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		vip, err := f.Service.Customers.CreateCustomer(ctx, f.sales1, input("name", "Big Collector", "tags", " VIP, collector,vip ，Porcelain"))
		if err != nil || vip.Fields["tags"] != "VIP, collector, Porcelain" {
			t.Fatalf("tags: %+v %v", vip.Fields, err)
		}
		if _, err := f.Service.Customers.CreateCustomer(ctx, f.sales1, input("name", "Small Buyer", "tags", "prospect")); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Service.Customers.CreateCustomer(ctx, f.sales2, input("name", "Other VIP", "tags", "vip")); err != nil {
			t.Fatal(err)
		}
		page, err := f.Service.Customers.ListCustomers(ctx, f.sales1, records.CustomerQuery{Tag: "vip"})
		if err != nil || len(page.Customers) != 1 || page.Customers[0].ID != vip.ID {
			t.Fatalf("by tag: %+v %v", page.Customers, err)
		}
		if _, err := f.Service.Customers.UpdateCustomer(ctx, f.sales1, vip.ID, input("tags", "")); err != nil {
			t.Fatal(err)
		}
		if page, _ := f.Service.Customers.ListCustomers(ctx, f.sales1, records.CustomerQuery{Tag: "VIP"}); len(page.Customers) != 0 {
			t.Fatalf("cleared tag still matches: %d", len(page.Customers))
		}
		many := make([]string, 21)
		for i := range many {
			many[i] = fmt.Sprintf("tag%d", i)
		}
		if _, err := f.Service.Customers.CreateCustomer(ctx, f.sales1, input("name", "X", "tags", strings.Join(many, ","))); !errs.Is(err, errs.Invalid) {
			t.Fatalf("21 tags: %v", err)
		}
	})
}
