package service_test

import (
	"context"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/governance"
	"strongroom.dev/strongroom/internal/testkit"
)

func TestActivities(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		c, err := svc.Customers.CreateCustomer(ctx, f.sales1, input("name", "Zhou Min"))
		if err != nil {
			t.Fatal(err)
		}
		due := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		call, err := svc.Activities.LogActivity(ctx, f.sales1, c.ID, crm.ActivityInput{Kind: "call", Subject: "Discussed the spring catalogue", Body: "Wants porcelain lots"})
		if err != nil {
			t.Fatal(err)
		}
		task, err := svc.Activities.LogActivity(ctx, f.sales1, c.ID, crm.ActivityInput{Kind: "task", Subject: "Send catalogue", DueAt: &due})
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name  string
			actor authz.Actor
			in    crm.ActivityInput
			kind  errs.Kind
		}{
			{"other sales", f.sales2, crm.ActivityInput{Kind: "call", Subject: "x"}, errs.NotExist},
			{"auditor", f.auditor, crm.ActivityInput{Kind: "call", Subject: "x"}, errs.NotExist},
			{"unknown kind", f.sales1, crm.ActivityInput{Kind: "fax", Subject: "x"}, errs.Invalid},
			{"no subject", f.sales1, crm.ActivityInput{Kind: "note", Subject: " "}, errs.Invalid},
			{"due date on a call", f.sales1, crm.ActivityInput{Kind: "call", Subject: "x", DueAt: &due}, errs.Invalid},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := svc.Activities.LogActivity(ctx, tt.actor, c.ID, tt.in); !errs.Is(err, tt.kind) {
					t.Fatalf("err = %v, want %v", err, tt.kind)
				}
			})
		}
		acts, err := svc.Activities.CustomerActivities(ctx, f.sales1, c.ID)
		if err != nil || len(acts) != 2 || acts[0].ID != task.ID || acts[1].Body != "Wants porcelain lots" {
			t.Fatalf("activities: %+v %v", acts, err)
		}
		if _, err := svc.Activities.CustomerActivities(ctx, f.sales2, c.ID); !errs.Is(err, errs.NotExist) {
			t.Fatalf("other sales reading activities: %v", err)
		}
		tasks, err := svc.Activities.MyTasks(ctx, f.sales1)
		if err != nil || len(tasks) != 1 || tasks[0].CustomerName != "Zhou Min" || tasks[0].Activity.Subject != "Send catalogue" {
			t.Fatalf("my tasks: %+v %v", tasks, err)
		}
		if err := svc.Activities.CompleteTask(ctx, f.sales1, call.ID, true); !errs.Is(err, errs.Invalid) {
			t.Fatalf("completing a call: %v", err)
		}
		if err := svc.Activities.CompleteTask(ctx, f.sales2, task.ID, true); !errs.Is(err, errs.NotExist) {
			t.Fatalf("other sales completing the task: %v", err)
		}
		if err := svc.Activities.CompleteTask(ctx, f.sales1, task.ID, true); err != nil {
			t.Fatal(err)
		}
		if tasks, _ := svc.Activities.MyTasks(ctx, f.sales1); len(tasks) != 0 {
			t.Fatalf("done task still open: %+v", tasks)
		}
		// Deleting the customer deletes their activities with their key.
		if err := svc.Customers.DeleteCustomer(ctx, f.admin, c.ID); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.Raw(t).QueryRow("SELECT count(*) FROM activities").Scan(&n); err != nil || n != 0 {
			t.Fatalf("activities after delete: %d %v", n, err)
		}
		page, _ := svc.AuditLog.Events(ctx, f.auditor, governance.AuditQuery{ObjectID: c.ID, Limit: 100})
		seen := map[string]bool{}
		for _, e := range page.Events {
			seen[e.Action+"/"+e.Outcome] = true
		}
		for _, want := range []string{"activity.create/success", "activity.read/success", "activity.update/success", "activity.create/denied"} {
			if !seen[want] {
				t.Errorf("no %s event (have %v)", want, seen)
			}
		}
	})
}

func TestCompanyActivities(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		rep := login(t, svc, "rep@example.com", "field_rep", "east")
		storeIn := companyInput(true, "name", "Jade Store", "address", "9 Huaihai Road")
		storeIn.OwnerID = &rep.UserID
		shop, err := svc.Companies.CreateCompany(ctx, f.admin, storeIn)
		if err != nil {
			t.Fatal(err)
		}
		due := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
		task, err := svc.Activities.LogCompanyActivity(ctx, rep, shop.ID, crm.ActivityInput{Kind: "task", Subject: "Bring new colour cards", DueAt: &due})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Activities.LogCompanyActivity(ctx, f.sales1, shop.ID, crm.ActivityInput{Kind: "note", Subject: "x"}); !errs.Is(err, errs.NotExist) {
			t.Fatalf("sales logging on another's store: %v", err)
		}
		acts, err := svc.Activities.CompanyActivities(ctx, rep, shop.ID)
		if err != nil || len(acts) != 1 || acts[0].CompanyID != shop.ID {
			t.Fatalf("company activities: %+v %v", acts, err)
		}
		tasks, err := svc.Activities.MyTasks(ctx, rep)
		if err != nil || len(tasks) != 1 || tasks[0].CustomerName != "Jade Store" {
			t.Fatalf("rep's tasks: %+v %v", tasks, err)
		}
		if err := svc.Activities.CompleteTask(ctx, f.sales1, task.ID, true); !errs.Is(err, errs.NotExist) {
			t.Fatalf("sales completing the store's task: %v", err)
		}
		if err := svc.Activities.CompleteTask(ctx, rep, task.ID, true); err != nil {
			t.Fatal(err)
		}
		if tasks, _ := svc.Activities.MyTasks(ctx, rep); len(tasks) != 0 {
			t.Fatalf("done task still open: %+v", tasks)
		}
		if err := svc.Companies.DeleteCompany(ctx, f.admin, shop.ID); err != nil {
			t.Fatal(err)
		}
		var n int
		db.Raw(t).QueryRow("SELECT count(*) FROM activities").Scan(&n)
		if n != 0 {
			t.Fatalf("%d activities left after the company was deleted", n)
		}
	})
}
