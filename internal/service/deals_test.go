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

func dealInput(title string, amount int64, currency string) crm.DealInput {
	return crm.DealInput{Title: &title, Amount: &amount, Currency: &currency}
}

func TestDealsAndPipeline(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		if _, err := svc.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: "fin@example.com", Role: "finance", Password: pw}); err != nil {
			t.Fatal(err)
		}
		sess, _ := svc.Sessions.Login(ctx, "fin@example.com", pw, identity.Client{})
		finance, _ := svc.Sessions.Authenticate(ctx, sess.Token, identity.Client{})

		c, err := svc.Customers.CreateCustomer(ctx, f.sales1, input("name", "Auction Client"))
		if err != nil {
			t.Fatal(err)
		}
		big, err := svc.Deals.CreateDeal(ctx, f.sales1, c.ID, dealInput("Song vase consignment", 1_250_000_00, "cny"))
		if err != nil || big.Stage != "lead" || big.Probability != 10 || big.Currency != "CNY" {
			t.Fatalf("create: %+v %v", big, err)
		}
		small, err := svc.Deals.CreateDeal(ctx, f.sales1, c.ID, dealInput("Catalogue subscription", 500_00, "CNY"))
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name  string
			actor authz.Actor
			in    crm.DealInput
			kind  errs.Kind
		}{
			{"no currency", f.sales1, crm.DealInput{Title: ptr("x"), Amount: new(int64)}, errs.Invalid},
			{"bad currency", f.sales1, dealInput("x", 1, "yuan"), errs.Invalid},
			{"negative amount", f.sales1, dealInput("x", -1, "CNY"), errs.Invalid},
			{"unknown stage", f.sales1, func() crm.DealInput { d := dealInput("x", 1, "CNY"); d.Stage = ptr("dreaming"); return d }(), errs.Invalid},
			{"another's customer", f.sales2, dealInput("x", 1, "CNY"), errs.NotExist},
			{"finance may not open deals", finance, dealInput("x", 1, "CNY"), errs.Permission},
			{"auditor", f.auditor, dealInput("x", 1, "CNY"), errs.Permission},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := svc.Deals.CreateDeal(ctx, tt.actor, c.ID, tt.in); !errs.Is(err, tt.kind) {
					t.Fatalf("err = %v, want %v", err, tt.kind)
				}
			})
		}
		// Move the big deal through the pipeline.
		moved, err := svc.Deals.UpdateDeal(ctx, f.sales1, big.ID, crm.DealInput{Stage: ptr("negotiation")})
		if err != nil || moved.Stage != "negotiation" || moved.Probability != 75 {
			t.Fatalf("move: %+v %v", moved, err)
		}
		if _, err := svc.Deals.UpdateDeal(ctx, f.sales2, big.ID, crm.DealInput{Stage: ptr("won")}); !errs.Is(err, errs.NotExist) {
			t.Fatalf("another sales moving it: %v", err)
		}
		if _, err := svc.Deals.UpdateDeal(ctx, finance, big.ID, crm.DealInput{Stage: ptr("won")}); !errs.Is(err, errs.Permission) {
			t.Fatalf("finance moving it: %v", err)
		}
		cols, err := svc.Deals.Pipeline(ctx, f.sales1, "")
		if err != nil {
			t.Fatal(err)
		}
		byStage := map[string]records.StageColumn{}
		for _, col := range cols {
			byStage[col.Stage.ID] = col
		}
		if len(byStage["negotiation"].Deals) != 1 || byStage["negotiation"].Totals["CNY"] != 1_250_000_00 || byStage["negotiation"].Weighted["CNY"] != 937_500_00 {
			t.Fatalf("negotiation column: %+v", byStage["negotiation"])
		}
		if len(byStage["lead"].Deals) != 1 || byStage["lead"].Deals[0].ID != small.ID {
			t.Fatalf("lead column: %+v", byStage["lead"])
		}
		if cols, _ := svc.Deals.Pipeline(ctx, f.sales2, ""); len(cols) != 6 || len(cols[0].Deals)+len(cols[3].Deals) != 0 {
			t.Fatalf("another sales sees deals: %+v", cols)
		}
		if cols, err := svc.Deals.Pipeline(ctx, finance, ""); err != nil || len(cols[3].Deals) != 1 || cols[3].Deals[0].Amount == nil {
			t.Fatalf("finance pipeline: %+v %v", cols, err)
		}
		if _, err := svc.Deals.Pipeline(ctx, f.auditor, ""); !errs.Is(err, errs.Permission) {
			t.Fatalf("auditor pipeline: %v", err)
		}
		// The pipeline is configurable by an admin; a stage with deals cannot go.
		stages := []crm.Stage{{ID: "lead", Probability: 5, Outcome: "open"}, {ID: "won", Probability: 100, Outcome: "won"}, {ID: "lost", Outcome: "lost"}}
		if err := svc.Deals.SetStages(ctx, f.admin, stages); !errs.Is(err, errs.Invalid) {
			t.Fatalf("removing a stage in use: %v", err)
		}
		stages = append(stages[:1], append([]crm.Stage{{ID: "negotiation", Probability: 80, Outcome: "open"}, {ID: "viewing", Probability: 60, Outcome: "open"}}, stages[1:]...)...)
		if err := svc.Deals.SetStages(ctx, f.sales1, stages); !errs.Is(err, errs.Permission) {
			t.Fatalf("sales changing the pipeline: %v", err)
		}
		if err := svc.Deals.SetStages(ctx, f.admin, stages); err != nil {
			t.Fatal(err)
		}
		got, _ := svc.Deals.Stages(ctx)
		if len(got) != 5 || got[2].ID != "viewing" || got[0].Probability != 5 {
			t.Fatalf("stages: %+v", got)
		}
		if err := svc.Deals.DeleteDeal(ctx, f.sales2, small.ID); !errs.Is(err, errs.NotExist) {
			t.Fatalf("another sales deleting: %v", err)
		}
		if err := svc.Deals.DeleteDeal(ctx, f.sales1, small.ID); err != nil {
			t.Fatal(err)
		}
	})
}

func TestDealActivities(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		c, err := svc.Customers.CreateCustomer(ctx, f.sales1, input("name", "Client Ma"))
		if err != nil {
			t.Fatal(err)
		}
		d, err := svc.Deals.CreateDeal(ctx, f.sales1, c.ID, dealInput("Ink painting", 90_000_00, "CNY"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Deals.LogDealActivity(ctx, f.sales2, d.ID, crm.ActivityInput{Kind: "call", Subject: "x"}); !errs.Is(err, errs.NotExist) {
			t.Fatalf("another sales logging on the deal: %v", err)
		}
		if _, err := svc.Deals.LogDealActivity(ctx, f.sales1, d.ID, crm.ActivityInput{Kind: "meeting", Subject: "Viewing at the gallery"}); err != nil {
			t.Fatal(err)
		}
		v, err := svc.Deals.Deal(ctx, f.sales1, d.ID)
		if err != nil || v.Deal.Title != "Ink painting" || len(v.Activities) != 1 || !v.CanLog {
			t.Fatalf("deal view: %+v %v", v, err)
		}
		acts, err := svc.Activities.CustomerActivities(ctx, f.sales1, c.ID)
		if err != nil || len(acts) != 1 || acts[0].DealID != d.ID {
			t.Fatalf("the deal's activity is not on the customer's timeline: %+v %v", acts, err)
		}
		if _, err := svc.Deals.Deal(ctx, f.sales2, d.ID); !errs.Is(err, errs.NotExist) {
			t.Fatalf("another sales reading the deal: %v", err)
		}
	})
}
