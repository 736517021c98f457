package service_test

import (
	"context"
	"testing"

	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/privacy"
	"strongroom.dev/strongroom/internal/testkit"
)

// The minimisation report on both engines: a field filled but never read
// is flagged, and is not once it is read; unfilled fields are not flagged;
// templates and roles come from the authorisation rules; only those who
// read the privacy centre get it.
func TestMinimisationReport(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		c, err := svc.Customers.CreateCustomer(ctx, f.sales1, input("name", "Chen Jing", "email", "chen@example.cn", "notes", "prefers mornings"))
		if err != nil {
			t.Fatal(err)
		}
		field := func(r privacy.MinimisationReport, name string) privacy.FieldUse {
			for _, u := range r.Fields {
				if u.Field == name {
					return u
				}
			}
			t.Fatalf("no field %s in %+v", name, r.Fields)
			return privacy.FieldUse{}
		}
		if _, err := svc.Minimisation.Report(ctx, f.sales1, 0); !errs.Is(err, errs.Permission) {
			t.Fatalf("sales reading the report: %v", err)
		}
		if _, err := svc.Minimisation.Report(ctx, f.auditor, 5000); !errs.Is(err, errs.Invalid) {
			t.Fatalf("5000 days: %v", err)
		}
		r, err := svc.Minimisation.Report(ctx, f.auditor, 0)
		if err != nil {
			t.Fatal(err)
		}
		// Written, never read: flagged. Never filled: not flagged.
		if u := field(r, "notes"); u.Filled != 1 || u.Shown != 0 || !u.NeverShown {
			t.Fatalf("notes before a read: %+v", u)
		}
		if u := field(r, "phone"); u.Filled != 0 || u.NeverShown {
			t.Fatalf("phone: %+v", u)
		}
		if _, err := svc.Customers.Customer(ctx, f.sales1, c.ID); err != nil {
			t.Fatal(err)
		}
		r, err = svc.Minimisation.Report(ctx, f.auditor, 0)
		if err != nil {
			t.Fatal(err)
		}
		if u := field(r, "notes"); u.Filled != 1 || u.Shown != 1 || u.NeverShown {
			t.Fatalf("notes after a read: %+v", u)
		}
		if u := field(r, "national_id"); u.Filled != 0 || u.NeverShown || u.CollectedBy == 0 {
			t.Fatalf("national id: %+v", u)
		}
		if r.Days != 90 || len(r.Templates) == 0 || len(r.Roles) < 10 {
			t.Fatalf("report: %d days, %d templates, %d roles", r.Days, len(r.Templates), len(r.Roles))
		}
		for _, role := range r.Roles {
			if role.Role != "auditor" {
				continue
			}
			for _, l := range role.Fields {
				if l.Level != "hidden" {
					t.Errorf("the auditor sees %s as %s", l.Field, l.Level)
				}
			}
		}
		for _, tpl := range r.Templates {
			if tpl.Name == "counselling_agency" {
				for _, l := range tpl.Fields {
					if l.Field == "assessment" && l.Level != "read" {
						t.Errorf("counselling template, assessment: %s", l.Level)
					}
				}
			}
		}
	})
}
