package service_test

import (
	"context"
	"testing"

	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/testkit"
)

func TestPreferencesAndFeedback(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		marketing := login(t, svc, "mkt@example.com", "marketing", "")
		finance := login(t, svc, "fin@example.com", "finance", "")
		c, err := svc.Customers.CreateCustomer(ctx, f.sales1, input("name", "Ms Lin", "email", "lin@example.com"))
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Customers.SetPreferences(ctx, marketing, c.ID, crm.Preferences{OptIn: []string{"fax"}}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("unknown channel: %v", err)
		}
		if err := svc.Customers.SetPreferences(ctx, f.sales1, c.ID, crm.Preferences{OptIn: []string{"email"}}); !errs.Is(err, errs.Permission) {
			t.Fatalf("sales setting preferences: %v", err)
		}
		if err := svc.Customers.SetPreferences(ctx, marketing, c.ID, crm.Preferences{OptIn: []string{"WeChat", "email", "email"}, Interests: []string{"Ceramics", " ceramics ", "Ink painting"}}); err != nil {
			t.Fatal(err)
		}
		for _, rating := range []int{5, 4} {
			if _, err := svc.Customers.AddFeedback(ctx, marketing, c.ID, crm.Feedback{Channel: "survey", Rating: rating, Comment: "Lovely preview"}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := svc.Customers.AddFeedback(ctx, marketing, c.ID, crm.Feedback{Rating: 6}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("rating 6: %v", err)
		}
		m, err := svc.Customers.CustomerMarketing(ctx, marketing, c.ID)
		if err != nil || m == nil || !m.CanWrite || len(m.Preferences.OptIn) != 2 || m.Preferences.OptIn[0] != "email" || len(m.Preferences.Interests) != 2 || m.Average != 4.5 {
			t.Fatalf("marketing's view: %+v %v", m, err)
		}
		if m, err := svc.Customers.CustomerMarketing(ctx, f.sales1, c.ID); err != nil || m == nil || m.CanWrite || len(m.Feedback) != 2 {
			t.Fatalf("owner's read-only view: %+v %v", m, err)
		}
		if m, err := svc.Customers.CustomerMarketing(ctx, finance, c.ID); err != nil || m != nil {
			t.Fatalf("finance sees preferences: %+v %v", m, err)
		}
		if _, err := svc.Customers.CustomerMarketing(ctx, f.sales2, c.ID); !errs.Is(err, errs.NotExist) {
			t.Fatalf("other sales: %v", err)
		}
		// Marketing's update grant reaches the preference class only.
		if _, err := svc.Customers.UpdateCustomer(ctx, marketing, c.ID, input("name", "Renamed")); !errs.Is(err, errs.Invalid) {
			t.Fatalf("marketing renaming a customer: %v", err)
		}
	})
}
