package service_test

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/service/privacy"
	"strongroom.dev/strongroom/internal/service/records"
	"strongroom.dev/strongroom/internal/service/vendors"
	"strongroom.dev/strongroom/internal/testkit"
)

// The consent ledger on both engines: what needs consent is refused
// without it, a guardian's name is sealed, withdrawal counts at once, and
// a marketing export holds only those whose consent to the channel stands.
func TestConsentLedgerGovernsProcessing(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		child, err := svc.Customers.CreateCustomer(ctx, f.admin, input("name", "Li Xiaoyu", "email", "xiaoyu@example.cn"))
		if err != nil {
			t.Fatal(err)
		}
		adult, err := svc.Customers.CreateCustomer(ctx, f.admin, input("name", "Chen Jing", "email", "chen.jing@example.cn"))
		if err != nil {
			t.Fatal(err)
		}

		// An assessment needs the separate consent first.
		noConsent := input("name", "Li Xiaoyu")
		assessment := "anxiety at school"
		noConsent.Fields[crm.FieldAssessment] = &assessment
		noConsent.SensitiveConsent = nil
		if _, err := svc.Customers.UpdateCustomer(ctx, f.admin, child.ID, noConsent); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "sensitive") {
			t.Fatalf("an assessment without consent: %v", err)
		}
		// A child's consent is their guardian's.
		if _, err := svc.Consents.GiveConsent(ctx, f.admin, child.ID, crm.ConsentInput{Purpose: crm.PurposeSensitive, Channel: "paper", Minor: true}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("a minor's consent without a guardian: %v", err)
		}
		given, err := svc.Consents.GiveConsent(ctx, f.admin, child.ID, crm.ConsentInput{Purpose: crm.PurposeSensitive, Channel: "paper", Minor: true, GuardianName: "Li Guardianname"})
		if err != nil || !given.Guardian || given.NoticeVersion != 1 {
			t.Fatalf("a guardian's consent: %+v %v", given, err)
		}
		if _, err := svc.Customers.UpdateCustomer(ctx, f.admin, child.ID, noConsent); err != nil {
			t.Fatalf("an assessment with consent: %v", err)
		}
		// The guardian's name is sealed under the child's key.
		var ct []byte
		db.Raw(t).QueryRow(q(db, "SELECT details_ct FROM consents WHERE id = ?"), given.ID).Scan(&ct)
		if len(ct) == 0 || bytes.Contains(ct, []byte("Guardianname")) {
			t.Fatal("the guardian's name is not sealed in the database")
		}
		ledger, err := svc.Consents.ConsentsOf(ctx, f.admin, child.ID)
		if err != nil || len(ledger) != 1 || ledger[0].GuardianName != "Li Guardianname" {
			t.Fatalf("the ledger: %+v %v", ledger, err)
		}
		// Withdrawn, the next assessment is refused again.
		if err := svc.Consents.WithdrawConsent(ctx, f.admin, child.ID, crm.PurposeSensitive); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Customers.UpdateCustomer(ctx, f.admin, child.ID, noConsent); !errs.Is(err, errs.Invalid) {
			t.Fatalf("an assessment after the consent was withdrawn: %v", err)
		}

		// Marketing: the adult opts into email; a new notice is published;
		// SMS consent is recorded under it.
		if err := svc.Customers.SetPreferences(ctx, f.admin, adult.ID, crm.Preferences{OptIn: []string{"email"}}); err != nil {
			t.Fatal(err)
		}
		n, err := svc.Consents.PublishNotice(ctx, f.admin, crm.NoticeInput{TextEN: "Version two.", TextZH: "第二版。"})
		if err != nil || n.Version != 2 {
			t.Fatalf("publish: %+v %v", n, err)
		}
		if _, err := svc.Consents.PublishNotice(ctx, f.sales1, crm.NoticeInput{TextEN: "x", TextZH: "x"}); !errs.Is(err, errs.Permission) {
			t.Fatalf("sales publishing a notice: %v", err)
		}
		sms, err := svc.Consents.GiveConsent(ctx, f.admin, adult.ID, crm.ConsentInput{Purpose: crm.MarketingPurpose("sms"), Channel: "phone"})
		if err != nil || sms.NoticeVersion != 2 {
			t.Fatalf("sms consent: %+v %v", sms, err)
		}
		export := func(channel string) string {
			var b bytes.Buffer
			if _, err := svc.Customers.ExportCustomers(ctx, f.admin, records.CustomerQuery{Consented: channel}, &b); err != nil {
				t.Fatal(err)
			}
			return b.String()
		}
		if out := export("email"); !strings.Contains(out, "chen.jing@example.cn") || strings.Contains(out, "xiaoyu@example.cn") {
			t.Fatalf("the email export:\n%s", out)
		}
		// Opting out (the preferences list every channel opted into) withdraws
		// the consents: the next export leaves them out.
		if err := svc.Customers.SetPreferences(ctx, f.admin, adult.ID, crm.Preferences{}); err != nil {
			t.Fatal(err)
		}
		if out := export("email"); strings.Contains(out, "chen.jing@example.cn") {
			t.Fatalf("an export after opting out still holds the person:\n%s", out)
		}
		ledger, err = svc.Consents.ConsentsOf(ctx, f.admin, adult.ID)
		if err != nil || len(ledger) != 2 {
			t.Fatalf("the adult's ledger: %d entries, %v", len(ledger), err)
		}
		active := 0
		for _, c := range ledger {
			if c.Active() {
				active++
			}
		}
		if active != 0 { // the preferences name every channel: opting into none withdraws SMS too
			t.Fatalf("%d standing consents, want none", active)
		}
		// Deleting the person deletes their ledger with them.
		if err := svc.Customers.DeleteCustomer(ctx, f.admin, adult.ID); err != nil {
			t.Fatal(err)
		}
		var left int
		db.Raw(t).QueryRow(q(db, "SELECT count(*) FROM consents WHERE subject_id = ?"), adult.ID).Scan(&left)
		if left != 0 {
			t.Fatalf("%d consents left after the person was deleted", left)
		}
	})
}

// q writes a query with one parameter in db's placeholder form.
// q rebinds query's ? placeholders to $1, $2, … on PostgreSQL.
func q(db testkit.DB, query string) string {
	if db.Engine != "postgres" {
		return query
	}
	for n := 1; strings.Contains(query, "?"); n++ {
		query = strings.Replace(query, "?", "$"+strconv.Itoa(n), 1)
	}
	return query
}

// The compliance report reads the live records: a withdrawn sensitive
// consent under a kept assessment fails its check; publishing the
// organisation's notice passes another.
func TestComplianceReport(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		check := func(law, key string) bool {
			t.Helper()
			rep, err := svc.Requests.ComplianceReport(ctx, f.auditor, law)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range rep.Checks {
				if c.Key == key {
					if len(c.Articles) == 0 || c.Evidence == "" {
						t.Fatalf("%s: no articles or evidence: %+v", key, c)
					}
					return c.Pass
				}
			}
			t.Fatalf("no check %s", key)
			return false
		}
		c, err := svc.Customers.CreateCustomer(ctx, f.admin, input("name", "Client Nine", "assessment", "panic attacks"))
		if err != nil {
			t.Fatal(err)
		}
		if !check("pipl", "sensitive_consent") {
			t.Fatal("the sensitive consent check fails with the consent standing")
		}
		if err := svc.Consents.WithdrawConsent(ctx, f.admin, c.ID, crm.PurposeSensitive); err != nil {
			t.Fatal(err)
		}
		if check("gdpr", "sensitive_consent") {
			t.Fatal("the sensitive consent check passes with an assessment kept after the consent was withdrawn")
		}
		if check("ccpa", "notice") {
			t.Fatal("the notice check passes with only the built-in notice")
		}
		if _, err := svc.Consents.PublishNotice(ctx, f.admin, crm.NoticeInput{TextEN: "Ours.", TextZH: "我们的。"}); err != nil {
			t.Fatal(err)
		}
		if !check("ccpa", "notice") {
			t.Fatal("the notice check fails after the organisation published its own")
		}
		if _, err := svc.Requests.ComplianceReport(ctx, f.sales1, "gdpr"); !errs.Is(err, errs.Permission) {
			t.Fatalf("sales reading the report: %v", err)
		}

		// The privacy programme: an officer appointed, retention on.
		if check("gdpr", "privacy_officer") || check("pipl", "retention") {
			t.Fatal("the officer or retention check passes with neither")
		}
		if _, err := svc.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: "dpo@example.com", Role: "privacy_officer", Password: pw}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Retention.SetRule(ctx, f.admin, privacy.RetentionRuleInput{Target: "visit_photos", AfterDays: 365}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Retention.DryRun(ctx, f.admin, "visit_photos"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Retention.SetRule(ctx, f.admin, privacy.RetentionRuleInput{Target: "visit_photos", AfterDays: 365, Enabled: true}); err != nil {
			t.Fatal(err)
		}
		if !check("gdpr", "privacy_officer") || !check("pipl", "retention") {
			t.Fatal("the officer or retention check fails with both")
		}
		// No breach drill yet: the incidents check fails until one is run.
		if check("gdpr", "incidents") {
			t.Fatal("the incidents check passes without a drill")
		}

		// The record of processing names the vendors and retention.
		if _, err := svc.Vendors.Create(ctx, f.admin, vendors.Input{Name: "Harbour Payments", Role: "processor", Purpose: "card payments",
			DataCategories: []string{"name"}, Locations: []string{"HK"}, Transfer: "pipl_contract", DPA: true}); err != nil {
			t.Fatal(err)
		}
		rec, err := svc.Requests.ProcessingRecord(ctx, f.auditor)
		if err != nil {
			t.Fatal(err)
		}
		if len(rec.Recipients) != 1 || len(rec.Transfers) != 1 || rec.Officers != 1 || rec.Subjects[0].Count != 1 || !rec.Retention[2].Enabled || rec.Consents[crm.PurposeSensitive] != 0 {
			t.Fatalf("record of processing: %+v", rec)
		}
		if _, err := svc.Requests.ProcessingRecord(ctx, f.sales1); !errs.Is(err, errs.Permission) {
			t.Fatalf("sales reading the record of processing: %v", err)
		}
	})
}
