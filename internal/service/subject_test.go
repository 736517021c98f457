package service_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/records"
	"strongroom.dev/strongroom/internal/testkit"
)

// An access request's export holds the person's whole record, their
// consents and change history, and the staff who read their data; an
// erasure request shreds them, keeping what a legal hold covers apart.
func TestSubjectRequests(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		c, err := svc.Customers.CreateCustomer(ctx, f.sales1, input("name", "Zhou Ming", "email", "zhou@example.cn", "phone", "+86 139 0000 1111"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Customers.UpdateCustomer(ctx, f.sales1, c.ID, input("phone", "+86 139 0000 2222")); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Customers.Customer(ctx, f.sales2, c.ID); err == nil {
			t.Fatal("another team's sales read the customer")
		}
		req, err := svc.Requests.TakeRequest(ctx, f.sales1, c.ID, crm.RequestInput{Kind: "access", Law: "pipl", Details: "copy of my data"})
		if err != nil || req.DueAt.Sub(req.ReceivedAt).Hours() != 15*24 {
			t.Fatalf("take: %+v %v", req, err)
		}
		if _, err := svc.Customers.SubjectExport(ctx, f.sales1, req.ID); !errs.Is(err, errs.Permission) {
			t.Fatalf("sales exporting: %v", err)
		}
		d, err := svc.Customers.SubjectExport(ctx, f.admin, req.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Customer.Fields["email"] != "zhou@example.cn" || d.Customer.Fields["phone"] != "+8613900002222" || len(d.Changes) == 0 {
			t.Fatalf("the export's record: %+v, %d changes", d.Customer.Fields, len(d.Changes))
		}
		actors := map[string]bool{}
		for _, a := range d.Accesses {
			actors[a.ActorID+" "+a.Action+" "+a.Outcome] = true
		}
		for _, want := range []string{f.sales1.UserID + " customer.create success", f.sales1.UserID + " customer.update success", f.sales2.UserID + " customer.read denied"} {
			if !actors[want] {
				t.Errorf("the staff accesses lack %q: %v", want, actors)
			}
		}
		// Erasure: partial under a hold (see held_test.go), whole without one.
		erase, err := svc.Requests.TakeRequest(ctx, f.sales1, c.ID, crm.RequestInput{Kind: "erasure"})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Requests.PlaceHold(ctx, f.admin, c.ID, "transactions", "tax records", time.Now().AddDate(0, 0, 1)); err != nil {
			t.Fatal(err)
		}
		// An erasure takes a second handler's approval (the rule by default).
		dpo := loginAs(t, svc, "dpo@example.com", "privacy_officer")
		approve := func(id string) {
			t.Helper()
			if _, err := svc.Customers.EraseForRequest(ctx, f.admin, id); !errs.Is(err, errs.Permission) && !errs.Is(err, errs.Conflict) {
				t.Fatalf("an erasure without approval: %v", err)
			}
			if _, err := svc.Requests.AskApproval(ctx, f.admin, id); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Requests.Approve(ctx, dpo, id); err != nil {
				t.Fatal(err)
			}
		}
		approve(erase.ID)
		if out, err := svc.Customers.EraseForRequest(ctx, f.admin, erase.ID); err != nil || !strings.Contains(out, "kept under legal hold") || !strings.Contains(out, "transactions (0) until") {
			t.Fatalf("erasure under a hold: %q %v", out, err)
		}
		other, _ := svc.Customers.CreateCustomer(ctx, f.sales1, input("name", "Gone Soon"))
		r2, _ := svc.Requests.TakeRequest(ctx, f.sales1, other.ID, crm.RequestInput{Kind: "erasure", Law: "gdpr"})
		approve(r2.ID)
		if _, err := svc.Customers.EraseForRequest(ctx, f.admin, r2.ID); err != nil {
			t.Fatal(err)
		}
		var keys, rows, ledger int
		raw := db.Raw(t)
		raw.QueryRow(q(db, "SELECT count(*) FROM subject_keys WHERE subject_id = ?"), other.ID).Scan(&keys)
		raw.QueryRow(q(db, "SELECT count(*) FROM customers WHERE id = ?"), other.ID).Scan(&rows)
		raw.QueryRow(q(db, "SELECT count(*) FROM erasure_ledger WHERE subject_id = ?"), other.ID).Scan(&ledger)
		if keys != 0 || rows != 0 || ledger != 1 {
			t.Fatalf("after erasure: %d keys, %d rows, %d ledger entries", keys, rows, ledger)
		}
		done, err := svc.Requests.Request(ctx, f.admin, r2.ID)
		if err != nil || done.Status != "completed" || done.CustomerID != "" {
			t.Fatalf("the erasure request: %+v %v", done, err)
		}
		open, err := svc.Requests.Requests(ctx, f.admin, true)
		if err != nil || slices.ContainsFunc(open, func(r crm.Request) bool { return r.ID == erase.ID || r.ID == r2.ID }) {
			t.Fatalf("open requests: %+v %v", open, err)
		}
	})
}

// The organisation may answer sooner than the law's limit: --request-days
// sets the clock of requests taken in after it.
func TestRequestDeadlineSetting(t *testing.T) {
	env := testkit.NewEnv(t, testkit.NewSQLite(t), service.Options{RequestDays: map[string]int{"pipl": 10}})
	ctx := context.Background()
	c, err := env.Service.Customers.CreateCustomer(ctx, authz.System(), input("name", "Lu Wen"))
	if err != nil {
		t.Fatal(err)
	}
	for law, days := range map[string]float64{"pipl": 10, "gdpr": 30, "ccpa": 45} {
		r, err := env.Service.Requests.TakeRequest(ctx, authz.System(), c.ID, crm.RequestInput{Kind: "access", Law: law})
		if err != nil || r.DueAt.Sub(r.ReceivedAt).Hours() != days*24 {
			t.Errorf("%s: due %v after receipt (%v), want %v days", law, r.DueAt.Sub(r.ReceivedAt), err, days)
		}
	}
}

// A restriction freezes the person: out of lists and exports, reads and
// changes refused, their requests still go on; lifting ends it.
func TestRestrictionFreezesProcessing(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		c, err := svc.Customers.CreateCustomer(ctx, f.sales1, input("name", "Ma Rui", "email", "ma.rui@example.cn"))
		if err != nil {
			t.Fatal(err)
		}
		title, amount, currency := "Jade bracelet", int64(5000), "CNY"
		deal, err := svc.Deals.CreateDeal(ctx, f.sales1, c.ID, crm.DealInput{Title: &title, Amount: &amount, Currency: &currency})
		if err != nil {
			t.Fatal(err)
		}
		onBoard := func() bool {
			t.Helper()
			cols, err := svc.Deals.Pipeline(ctx, f.sales1, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, col := range cols {
				for _, d := range col.Deals {
					if d.ID == deal.ID {
						return true
					}
				}
			}
			return false
		}
		if !onBoard() {
			t.Fatal("the deal is not on the pipeline before the restriction")
		}
		r, err := svc.Requests.TakeRequest(ctx, f.sales1, c.ID, crm.RequestInput{Kind: "restriction", Law: "gdpr"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Requests.Restrict(ctx, f.sales1, r.ID); !errs.Is(err, errs.Permission) {
			t.Fatalf("sales restricting: %v", err)
		}
		if _, err := svc.Requests.Restrict(ctx, f.admin, r.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Customers.Customer(ctx, f.sales1, c.ID); !errs.Is(err, errs.Conflict) {
			t.Fatalf("a read while restricted: %v", err)
		}
		if _, err := svc.Customers.UpdateCustomer(ctx, f.sales1, c.ID, input("notes", "called")); !errs.Is(err, errs.Conflict) {
			t.Fatalf("a change while restricted: %v", err)
		}
		page, err := svc.Customers.ListCustomers(ctx, f.sales1, records.CustomerQuery{Email: "ma.rui@example.cn"})
		if err != nil || len(page.Customers) != 0 {
			t.Fatalf("a search while restricted found %d (%v)", len(page.Customers), err)
		}
		if onBoard() {
			t.Fatal("a restricted customer's deal is on the pipeline")
		}
		if _, err := svc.Requests.TakeRequest(ctx, f.sales1, c.ID, crm.RequestInput{Kind: "access"}); err != nil {
			t.Fatalf("a request while restricted: %v", err)
		}
		if _, err := svc.Requests.Update(ctx, f.admin, r.ID, "completed", "done"); !errs.Is(err, errs.Conflict) {
			t.Fatalf("completing a restriction that stands: %v", err)
		}
		if _, err := svc.Requests.Lift(ctx, f.admin, r.ID); err != nil {
			t.Fatal(err)
		}
		if got, err := svc.Customers.Customer(ctx, f.sales1, c.ID); err != nil || got.Fields["email"] != "ma.rui@example.cn" {
			t.Fatalf("a read after the restriction is lifted: %v", err)
		}
	})
}
