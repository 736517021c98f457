package service_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/vendors"
	"strongroom.dev/strongroom/internal/store"
	"strongroom.dev/strongroom/internal/testkit"
)

// The vendors register on both engines: only administrators change it,
// auditors read it; a review date in the past shows as overdue and raises
// one alert however often the check runs, and a new due item raises one
// more; findings are tracked to their fix; every change is audited.
func TestVendorsRegister(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		day := func(d int) string { return time.Now().UTC().AddDate(0, 0, d).Format(time.DateOnly) }
		in := vendors.Input{Name: "PayFast Ltd", Role: "processor", Purpose: "card payments", DataCategories: []string{"name", "card token"},
			Locations: []string{"cn", "SG"}, Transfer: "pipl_contract", AgreementRef: "MSA-2025-7", AgreementSigned: "2025-03-01", DPA: true,
			Certifications: []vendors.Certification{{Name: "ISO 27001", Expires: day(200)}, {Name: "PCI DSS", Expires: day(200)}},
			Links:          []string{"webhook:payments"}, NextReview: day(-3)}

		if _, err := svc.Vendors.Create(ctx, f.sales1, in); !errs.Is(err, errs.Permission) {
			t.Fatalf("sales creating a vendor: %v", err)
		}
		if _, err := svc.Vendors.Create(ctx, f.auditor, in); !errs.Is(err, errs.Permission) {
			t.Fatalf("an auditor creating a vendor: %v", err)
		}
		if _, err := svc.Vendors.List(ctx, f.sales1); !errs.Is(err, errs.Permission) {
			t.Fatalf("sales reading the register: %v", err)
		}
		bad := in
		bad.Locations = []string{"China"}
		if _, err := svc.Vendors.Create(ctx, f.admin, bad); !errs.Is(err, errs.Invalid) {
			t.Fatalf("a country that is not a code: %v", err)
		}
		bad = in
		bad.Links = []string{"ftp:x"}
		if _, err := svc.Vendors.Create(ctx, f.admin, bad); !errs.Is(err, errs.Invalid) {
			t.Fatalf("an unknown link kind: %v", err)
		}
		v, err := svc.Vendors.Create(ctx, f.admin, in)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(v.Locations, []string{"CN", "SG"}) || len(v.Due) != 1 || v.Due[0].What != "review" || !v.Due[0].Overdue {
			t.Fatalf("created: %+v", v)
		}
		if _, err := svc.Vendors.Update(ctx, f.auditor, v.ID, in); !errs.Is(err, errs.Permission) {
			t.Fatalf("an auditor updating a vendor: %v", err)
		}
		list, err := svc.Vendors.List(ctx, f.auditor)
		if err != nil || len(list) != 1 || len(list[0].Due) != 1 || !list[0].Due[0].Overdue {
			t.Fatalf("the register for an auditor: %+v %v", list, err)
		}

		// The overdue review raises one alert, not one per run.
		openAlerts := func() int {
			alerts, err := svc.AuditLog.Alerts(ctx, f.admin, "open", 0)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, a := range alerts {
				if a.Rule == "vendor_due" {
					n++
				}
			}
			return n
		}
		for run, want := range []int{1, 0, 0} {
			if n, err := svc.Vendors.CheckReminders(ctx); err != nil || n != want {
				t.Fatalf("run %d raised %d alerts (%v), want %d", run, n, err, want)
			}
		}
		if n := openAlerts(); n != 1 {
			t.Fatalf("%d vendor alerts, want 1", n)
		}
		counts := func() (int, int, int) {
			var a, r, c int
			err := f.Store.WithTx(ctx, func(tx *store.Tx) error {
				var err error
				a, r, c, err = tx.VendorCounts(ctx, time.Now())
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return a, r, c
		}
		if a, r, c := counts(); a != 1 || r != 1 || c != 0 {
			t.Fatalf("counts: active %d, review overdue %d, cert expired %d", a, r, c)
		}

		// A review moves the next one on; a certification about to expire
		// is a new item: one more alert, once.
		if _, err := svc.Vendors.RecordReview(ctx, f.auditor, v.ID, vendors.ReviewInput{Reviewer: "Ann", Outcome: "findings"}); !errs.Is(err, errs.Permission) {
			t.Fatalf("an auditor recording a review: %v", err)
		}
		if _, err := svc.Vendors.RecordReview(ctx, f.admin, v.ID, vendors.ReviewInput{Reviewer: "Ann", Outcome: "findings", NextReview: day(-1)}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("a next review in the past: %v", err)
		}
		rev, err := svc.Vendors.RecordReview(ctx, f.admin, v.ID, vendors.ReviewInput{Reviewer: "Ann Lee", Outcome: "findings", Notes: "sub-processor list out of date", NextReview: day(365)})
		if err != nil {
			t.Fatal(err)
		}
		in.NextReview = day(365)
		in.Certifications[1].Expires = day(10)
		if _, err := svc.Vendors.Update(ctx, f.admin, v.ID, in); err != nil {
			t.Fatal(err)
		}
		for run, want := range []int{1, 0} {
			if n, err := svc.Vendors.CheckReminders(ctx); err != nil || n != want {
				t.Fatalf("after the review, run %d raised %d alerts (%v), want %d", run, n, err, want)
			}
		}
		if n := openAlerts(); n != 2 {
			t.Fatalf("%d vendor alerts, want 2", n)
		}

		// A finding, tracked to its fix.
		if _, err := svc.Vendors.RaiseFinding(ctx, f.sales1, v.ID, vendors.FindingInput{Text: "x", Severity: "low"}); !errs.Is(err, errs.Permission) {
			t.Fatalf("sales raising a finding: %v", err)
		}
		fd, err := svc.Vendors.RaiseFinding(ctx, f.admin, v.ID, vendors.FindingInput{ReviewID: rev.ID, Text: "Publish the sub-processor list", Severity: "medium", Owner: "PayFast DPO", Due: day(-1)})
		if err != nil || !fd.Overdue {
			t.Fatalf("finding: %+v %v", fd, err)
		}
		d, err := svc.Vendors.Vendor(ctx, f.auditor, v.ID)
		if err != nil || d.Vendor.OpenFindings != 1 || len(d.Reviews) != 1 || len(d.Findings) != 1 || d.Vendor.Due[0].What != "certification" {
			t.Fatalf("detail: %+v %v", d, err)
		}
		if err := svc.Vendors.FixFinding(ctx, f.admin, v.ID, fd.ID, "list published on their site"); err != nil {
			t.Fatal(err)
		}
		if err := svc.Vendors.FixFinding(ctx, f.admin, v.ID, fd.ID, "again"); !errs.Is(err, errs.Conflict) {
			t.Fatalf("fixing twice: %v", err)
		}
		if d, _ := svc.Vendors.Vendor(ctx, f.admin, v.ID); d.Vendor.OpenFindings != 0 || d.Findings[0].FixedAt == "" {
			t.Fatalf("after the fix: %+v", d)
		}
		if _, err := svc.Vendors.Vendor(ctx, f.admin, "vnd_0000000000000000000000000000"); !errs.Is(err, errs.NotExist) {
			t.Fatalf("a vendor that is not there: %v", err)
		}

		// The parts of the server that send data out and no vendor names.
		svc.Vendors.SetParts([]string{"mail:relay", "webhook:payments", "backup:s3://minio.example/backups/"})
		all, err := svc.Vendors.List(ctx, f.admin)
		if err != nil {
			t.Fatal(err)
		}
		if got := svc.Vendors.Unlinked(all); !slices.Equal(got, []string{"mail:relay", "backup:s3://minio.example/backups/"}) {
			t.Fatalf("unlinked parts: %v", got)
		}
		in.Status = "ended"
		if _, err := svc.Vendors.Update(ctx, f.admin, v.ID, in); err != nil {
			t.Fatal(err)
		}
		all, _ = svc.Vendors.List(ctx, f.admin)
		if got := svc.Vendors.Unlinked(all); len(got) != 3 || all[0].Due == nil || len(all[0].Due) != 0 {
			t.Fatalf("an ended vendor still links a part or owes something: %v %+v", got, all[0].Due)
		}

		events := auditActions(t, f)
		for _, want := range []string{"vendor.create", "vendor.update", "vendor.review", "vendor.finding", "vendor.finding_fixed", "vendor.read", "vendor.list", "alert.raise"} {
			if !slices.Contains(events, want) {
				t.Errorf("no %s event in the audit log", want)
			}
		}
	})
}

// auditActions lists the actions of every event in the audit log.
func auditActions(t *testing.T, f *fixture) []string {
	t.Helper()
	rows, err := f.DB.Raw(t).Query("SELECT action FROM audit_events ORDER BY seq")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}
