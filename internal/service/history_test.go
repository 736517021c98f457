package service_test

import (
	"context"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/testkit"
)

// TestFieldHistory: each change keeps its fields' before and after values,
// sealed; readers see them as they see the fields (in full, masked, or not
// at all); the stored values are not plaintext; erasure ends them.
func TestFieldHistory(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		in := input("name", "陈大文", "email", "old.address@example.com", "national_id", "110101198001011234", "notes", "met at the spring fair")
		in.OwnerID = &f.sales1.UserID
		c, err := svc.Customers.CreateCustomer(ctx, f.admin, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Customers.UpdateCustomer(ctx, f.admin, c.ID, input("email", "new.address@example.com", "national_id", "110101198001015678")); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Customers.UpdateCustomer(ctx, f.sales1, c.ID, input("notes", "")); err != nil {
			t.Fatal(err)
		}

		byField := func(a string) map[string]string {
			t.Helper()
			var hist = map[string]string{}
			var actor = f.admin
			if a == "sales" {
				actor = f.sales1
			}
			changes, err := svc.Customers.CustomerHistory(ctx, actor, c.ID)
			if err != nil {
				t.Fatalf("%s history: %v", a, err)
			}
			for _, ch := range changes {
				hist[ch.Field] = ch.Before + " -> " + ch.After
				if ch.ActorID == "" || ch.At.IsZero() || ch.Seq == 0 {
					t.Errorf("a change without its event: %+v", ch)
				}
			}
			return hist
		}
		admin := byField("admin")
		if admin["email"] != "old.address@example.com -> new.address@example.com" || admin["national_id"] != "110101198001011234 -> 110101198001015678" || admin["notes"] != "met at the spring fair -> " {
			t.Errorf("admin's history: %q", admin)
		}
		sales := byField("sales")
		if sales["email"] != admin["email"] {
			t.Errorf("sales reads email in full: %q", sales["email"])
		}
		if strings.Contains(sales["national_id"], "1234") || strings.Contains(sales["national_id"], "5678") || sales["national_id"] == "" {
			t.Errorf("sales sees national ids masked, not %q", sales["national_id"])
		}
		if _, err := svc.Customers.CustomerHistory(ctx, f.sales2, c.ID); !errs.Is(err, errs.NotExist) {
			t.Errorf("another sales user's customer: %v, want not found", err)
		}
		if _, err := svc.Customers.CustomerHistory(ctx, f.auditor, c.ID); err == nil {
			t.Error("the auditor read a customer's history")
		}

		raw := db.Raw(t)
		var n int
		if err := raw.QueryRow("SELECT count(*) FROM field_history").Scan(&n); err != nil || n != 3 {
			t.Fatalf("field_history rows: %d %v, want 3", n, err)
		}
		rows, err := raw.Query("SELECT before_ct, after_ct FROM field_history")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var b, a []byte
			rows.Scan(&b, &a)
			for _, plain := range []string{"old.address", "new.address", "1101011980", "spring fair"} {
				if strings.Contains(string(b)+string(a), plain) {
					t.Errorf("field_history holds %q in plaintext", plain)
				}
			}
		}
		rows.Close()

		if err := svc.Customers.DeleteCustomer(ctx, f.admin, c.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Customers.CustomerHistory(ctx, f.admin, c.ID); !errs.Is(err, errs.NotExist) {
			t.Errorf("history after erasure: %v, want not found", err)
		}
		if _, problem, err := svc.AuditLog.Verify(ctx); err != nil || problem != nil {
			t.Errorf("the log after erasure: %v %v", problem, err)
		}
	})
}
