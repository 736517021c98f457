package service_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/service/privacy"
	"strongroom.dev/strongroom/internal/store"
	"strongroom.dev/strongroom/internal/testkit"
)

// Retention rules: set by the privacy officer, switched on only after a
// dry run of the rule as it stands, applied by the daily job as the
// system; what a legal hold or an open request keeps stays, and an
// inactive customer is erased by crypto-shredding.
func TestRetentionRules(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		clk := &clock{now: time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)}
		env := testkit.NewEnv(t, db, service.Options{Now: clk.Now, IdleTimeout: 1000 * 24 * time.Hour})
		svc := env.Service
		login := func(email, role string) authz.Actor {
			if _, err := svc.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: email, Role: role, Password: pw}); err != nil {
				t.Fatal(err)
			}
			s, err := svc.Sessions.Login(ctx, email, pw, identity.Client{IP: "192.0.2.1"})
			if err != nil {
				t.Fatal(err)
			}
			a, err := svc.Sessions.Authenticate(ctx, s.Token, identity.Client{IP: "192.0.2.1"})
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		admin, sales, dpo, auditor := login("admin@example.com", "admin"), login("sales@example.com", "sales"),
			login("dpo@example.com", "privacy_officer"), login("auditor@example.com", "auditor")
		create := func(name string) string {
			c, err := svc.Customers.CreateCustomer(ctx, sales, input("name", name, "email", name+"@example.com"))
			if err != nil {
				t.Fatal(err)
			}
			return c.ID
		}
		note := func(id, text string) string {
			act, err := svc.Activities.LogActivity(ctx, sales, id, crm.ActivityInput{Kind: "note", Subject: text})
			if err != nil {
				t.Fatal(err)
			}
			return act.ID
		}
		gone, held, asked, active := create("gone"), create("held"), create("asked"), create("active")
		oldNote, heldNote := note(active, "old note"), note(held, "held note")
		if err := svc.Requests.PlaceHold(ctx, admin, held, "transactions", "payment records kept 5 years (AML)", clk.Now().AddDate(5, 0, 0)); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Requests.TakeRequest(ctx, sales, asked, crm.RequestInput{Kind: "access", Law: "gdpr"}); err != nil {
			t.Fatal(err)
		}
		clk.Advance(400 * 24 * time.Hour)
		newNote := note(active, "new note")
		// Switching a rule on takes a fresh proof (step-up): a new login gives one.
		stale := dpo
		fresh, err := svc.Sessions.Login(ctx, "dpo@example.com", pw, identity.Client{IP: "192.0.2.1"})
		if err != nil {
			t.Fatal(err)
		}
		if dpo, err = svc.Sessions.Authenticate(ctx, fresh.Token, identity.Client{IP: "192.0.2.1"}); err != nil {
			t.Fatal(err)
		}

		// Who may do what.
		if _, err := svc.Retention.SetRule(ctx, sales, privacy.RetentionRuleInput{Target: "inactive_customers", AfterDays: 365}); !errs.Is(err, errs.Permission) {
			t.Fatalf("sales set a rule: %v", err)
		}
		if _, err := svc.Retention.SetRule(ctx, auditor, privacy.RetentionRuleInput{Target: "inactive_customers", AfterDays: 365}); !errs.Is(err, errs.Permission) {
			t.Fatalf("an auditor set a rule: %v", err)
		}
		if _, _, err := svc.Retention.Rules(ctx, auditor); err != nil {
			t.Fatalf("an auditor reading the rules: %v", err)
		}
		for _, in := range []privacy.RetentionRuleInput{
			{Target: "inactive_customers", AfterDays: 30}, {Target: "everything", AfterDays: 365}, {Target: "visit_photos", AfterDays: 0},
		} {
			if _, err := svc.Retention.SetRule(ctx, dpo, in); !errs.Is(err, errs.Invalid) {
				t.Errorf("rule %+v: %v", in, err)
			}
		}
		if _, err := svc.Retention.SetRule(ctx, dpo, privacy.RetentionRuleInput{Target: "inactive_customers", AfterDays: 365, Enabled: true}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("a rule switched on without a dry run: %v", err)
		}
		if _, err := svc.Retention.SetRule(ctx, dpo, privacy.RetentionRuleInput{Target: "inactive_customers", AfterDays: 365, Note: "3-year policy, first year"}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Retention.Apply(ctx, dpo, "inactive_customers"); !errs.Is(err, errs.Conflict) {
			t.Fatalf("a rule that is off applied: %v", err)
		}

		// The dry run removes nothing and says what stays and why.
		dry, err := svc.Retention.DryRun(ctx, dpo, "inactive_customers")
		if err != nil {
			t.Fatal(err)
		}
		if dry.Matched != 3 || dry.Kept != 2 || dry.KeptBy["legal_hold"] != 1 || dry.KeptBy["open_request"] != 1 || len(dry.Sample) != 3 {
			t.Fatalf("dry run: %+v", dry)
		}
		if _, err := svc.Customers.Customer(ctx, admin, gone); err != nil {
			t.Fatalf("the dry run removed a customer: %v", err)
		}
		if _, err := svc.Retention.SetRule(ctx, dpo, privacy.RetentionRuleInput{Target: "inactive_customers", AfterDays: 300, Enabled: true}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("a changed period switched on with the old dry run: %v", err)
		}
		if _, err := svc.Retention.DryRun(ctx, dpo, "inactive_customers"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Retention.SetRule(ctx, stale, privacy.RetentionRuleInput{Target: "inactive_customers", AfterDays: 365, Enabled: true}); !errs.Is(err, errs.StepUp) {
			t.Fatalf("switched on without a fresh proof: %v", err)
		}
		if _, err := svc.Retention.SetRule(ctx, dpo, privacy.RetentionRuleInput{Target: "inactive_customers", AfterDays: 365, Enabled: true}); err != nil {
			t.Fatalf("switching on after a dry run: %v", err)
		}
		if _, err := svc.Retention.SetRule(ctx, dpo, privacy.RetentionRuleInput{Target: "activities", AfterDays: 365}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Retention.DryRun(ctx, dpo, "activities"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Retention.SetRule(ctx, dpo, privacy.RetentionRuleInput{Target: "activities", AfterDays: 365, Enabled: true}); err != nil {
			t.Fatal(err)
		}

		// The daily job.
		runs, err := svc.Retention.RunDue(ctx)
		if err != nil || len(runs) != 2 {
			t.Fatalf("runs: %+v %v", runs, err)
		}
		for _, r := range runs {
			if r.Removed != 1 || r.Kept != map[string]int{"inactive_customers": 2, "activities": 1}[r.Target] || r.ActorID != authz.SystemUserID {
				t.Errorf("run %s: %+v", r.Target, r)
			}
		}
		if _, err := svc.Customers.Customer(ctx, admin, gone); !errs.Is(err, errs.NotExist) {
			t.Fatalf("the inactive customer is still there: %v", err)
		}
		for _, id := range []string{held, asked, active} {
			if _, err := svc.Customers.Customer(ctx, admin, id); err != nil {
				t.Errorf("customer %s: %v", id, err)
			}
		}
		acts, err := svc.Activities.CustomerActivities(ctx, admin, active)
		if err != nil || len(acts) != 1 || acts[0].ID != newNote {
			t.Fatalf("activities left: %+v %v (old %s)", acts, err, oldNote)
		}
		if acts, err := svc.Activities.CustomerActivities(ctx, admin, held); err != nil || len(acts) != 1 || acts[0].ID != heldNote {
			t.Fatalf("a held customer's note: %+v %v", acts, err)
		}
		raw := db.Raw(t)
		var keys, ledger int
		if err := raw.QueryRow(q(db, "SELECT count(*) FROM subject_keys WHERE subject_id = ?"), gone).Scan(&keys); err != nil {
			t.Fatal(err)
		}
		if err := raw.QueryRow(q(db, "SELECT count(*) FROM erasure_ledger WHERE subject_id = ?"), gone).Scan(&ledger); err != nil {
			t.Fatal(err)
		}
		if keys != 0 || ledger != 1 {
			t.Fatalf("the erased customer: %d keys, %d ledger entries", keys, ledger)
		}
		var events []audit.Event
		if err := env.Store.ReadTx(ctx, func(tx *store.Tx) error {
			var err error
			events, err = tx.ListAudit(ctx, store.AuditFilter{ObjectType: "customer", ObjectID: gone, Limit: 1000})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if e := events[len(events)-1]; e.Action != "customer.erase" || e.ActorID != authz.SystemUserID {
			t.Fatalf("the last event of the erased customer: %+v", e)
		}

		// Once a day: a second call the same day does nothing.
		if again, err := svc.Retention.RunDue(ctx); err != nil || len(again) != 0 {
			t.Fatalf("second run the same day: %+v %v", again, err)
		}
		_, reports, err := svc.Retention.Rules(ctx, dpo)
		if err != nil || len(reports) != 5 || reports[0].DryRun {
			t.Fatalf("run reports: %d %v", len(reports), err)
		}
	})
}

// A run goes on past the records it keeps: with a held customer among the
// oldest, every one of the others past the period is erased, not just the
// first batch's.
func TestRetentionRunGoesPastKeptRecords(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		clk := &clock{now: time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)}
		env := testkit.NewEnv(t, db, service.Options{Now: clk.Now, IdleTimeout: 1000 * 24 * time.Hour})
		svc, sys := env.Service, authz.System()
		held, err := svc.Customers.CreateCustomer(ctx, sys, input("name", "Held First"))
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Requests.PlaceHold(ctx, sys, held.ID, "transactions", "AML", clk.Now().AddDate(5, 0, 0)); err != nil {
			t.Fatal(err)
		}
		const others = 230 // more than one batch of 200
		for i := range others {
			clk.Advance(time.Second)
			if _, err := svc.Customers.CreateCustomer(ctx, sys, input("name", fmt.Sprintf("Lapsed %d", i))); err != nil {
				t.Fatal(err)
			}
		}
		clk.Advance(400 * 24 * time.Hour)
		for _, in := range []privacy.RetentionRuleInput{{Target: "inactive_customers", AfterDays: 365}, {Target: "inactive_customers", AfterDays: 365, Enabled: true}} {
			if _, err := svc.Retention.SetRule(ctx, sys, in); err != nil {
				t.Fatal(err)
			}
			if !in.Enabled {
				if _, err := svc.Retention.DryRun(ctx, sys, in.Target); err != nil {
					t.Fatal(err)
				}
			}
		}
		run, err := svc.Retention.Apply(ctx, sys, "inactive_customers")
		if err != nil || run.Removed != others || run.Kept != 1 {
			t.Fatalf("run: removed %d, kept %d (%v)", run.Removed, run.Kept, err)
		}
		if _, err := svc.Customers.Customer(ctx, sys, held.ID); err != nil {
			t.Fatalf("the held customer: %v", err)
		}
	})
}
