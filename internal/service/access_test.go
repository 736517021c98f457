package service_test

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/mail"
	"strongroom.dev/strongroom/internal/mail/mailtest"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/service/governance"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/service/records"
	"strongroom.dev/strongroom/internal/testkit"
)

// accessFixture: a case worker who may reveal a client's assessment only
// with approval, a manager and a privacy officer who approve in turn, and
// the client.
type accessFixture struct {
	svc                         *service.Service
	env                         *testkit.Env
	clk                         *clock
	smtp                        *mailtest.Server
	admin, worker, mgr, privacy authz.Actor
	client                      string
}

func newAccessFixture(t *testing.T, db testkit.DB) *accessFixture {
	ctx := context.Background()
	clk := &clock{now: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
	smtp := mailtest.New(t)
	q := mail.NewQueue(smtp.Config(), slog.New(slog.DiscardHandler), 100)
	t.Cleanup(q.Close)
	env := testkit.NewEnv(t, db, service.Options{Now: clk.Now, IdleTimeout: time.Hour, Mail: q, PublicURL: "https://crm.example.com"})
	svc := env.Service
	sys := authz.System()
	roles := []authz.RoleDef{
		{Name: "case_worker", Summary: "their own clients; assessments masked, revealed with approval", Grants: map[authz.Object]authz.Grant{
			authz.ObjectCustomer: {Actions: map[authz.Action]authz.Scope{authz.ActionRead: authz.ScopeOwn, authz.ActionReveal: authz.ScopeOwn},
				Classes: map[crm.FieldClass]authz.Level{crm.ClassIdentity: authz.Read, crm.ClassSpecial: authz.Masked}, Reveal: map[string]bool{crm.FieldAssessment: true}},
		}},
	}
	for _, r := range roles {
		if _, err := svc.Roles.SaveRole(ctx, sys, r); err != nil {
			t.Fatal(err)
		}
	}
	f := &accessFixture{svc: svc, env: env, clk: clk, smtp: smtp}
	login := func(email, role string) authz.Actor {
		if _, err := svc.Users.CreateUser(ctx, sys, identity.NewUser{Email: email, Role: role, Password: pw}); err != nil {
			t.Fatal(err)
		}
		s, err := svc.Sessions.Login(ctx, email, pw, identity.Client{IP: "192.0.2.7"})
		if err != nil {
			t.Fatal(err)
		}
		a, err := svc.Sessions.Authenticate(ctx, s.Token, identity.Client{IP: "192.0.2.7"})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	f.admin, f.worker = login("admin@example.com", "admin"), login("worker@example.com", "case_worker")
	f.mgr, f.privacy = login("mgr@example.com", "manager"), login("privacy@example.com", "privacy_officer")
	in := input("name", "Client Zero", "assessment", "moderate anxiety; weekly sessions")
	in.OwnerID = &f.worker.UserID
	c, err := svc.Customers.CreateCustomer(ctx, f.admin, in)
	if err != nil {
		t.Fatal(err)
	}
	f.client = c.ID
	if err := svc.Approvals.SetApprovalRule(ctx, sys, core.KindRevealSpecial, [][]string{{"manager"}, {"privacy_officer"}}); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestApprovals: revealing a special-category field needs a request that
// passes every level; the requester never approves their own; the grant is
// single-use and expires; rejected and expired requests grant nothing.
func TestApprovals(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		f := newAccessFixture(t, db)
		svc := f.svc
		const why = "client asked for a copy of their assessment"
		reveal := func() (string, error) {
			return svc.Customers.RevealCustomerField(ctx, f.worker, f.client, crm.FieldAssessment, why)
		}
		if _, err := reveal(); !errs.Is(err, errs.ApprovalNeeded) {
			t.Fatalf("reveal without approval: %v", err)
		}
		if _, err := svc.Approvals.RequestReveal(ctx, f.worker, f.client, crm.FieldName, why); !errs.Is(err, errs.Invalid) {
			t.Fatalf("approval for a field that is not special: %v", err)
		}
		if _, err := svc.Approvals.RequestReveal(ctx, f.worker, f.client, crm.FieldAssessment, "why"); !errs.Is(err, errs.Invalid) {
			t.Fatalf("a request without a real reason: %v", err)
		}
		req, err := svc.Approvals.RequestReveal(ctx, f.worker, f.client, crm.FieldAssessment, why)
		if err != nil || req.Status != "pending" || req.Reason != why {
			t.Fatalf("request: %+v, %v", req, err)
		}
		if m := f.smtp.Next(t); m.To != "mgr@example.com" || !strings.Contains(m.Body, "https://crm.example.com/approvals") || strings.Contains(m.Body, why) {
			t.Fatalf("the first level's email (to %s; the reason stays out of email):\n%s", m.To, m.Body)
		}
		if _, err := svc.Approvals.DecideAccessRequest(ctx, f.worker, req.ID, true); !errs.Is(err, errs.Permission) {
			t.Fatalf("the requester approved their own request: %v", err)
		}
		if _, err := svc.Approvals.DecideAccessRequest(ctx, f.privacy, req.ID, true); !errs.Is(err, errs.Permission) {
			t.Fatalf("the second level decided before the first: %v", err)
		}
		req, err = svc.Approvals.DecideAccessRequest(ctx, f.mgr, req.ID, true)
		if err != nil || req.Status != "pending" || req.Level != 1 {
			t.Fatalf("first approval: %+v, %v", req, err)
		}
		if _, err := reveal(); !errs.Is(err, errs.ApprovalNeeded) {
			t.Fatalf("revealed after one of two levels: %v", err)
		}
		inbox, _ := svc.Approvals.AccessRequests(ctx, f.privacy)
		if len(inbox) != 1 || !inbox[0].CanDecide || inbox[0].Reason != why {
			t.Fatalf("the privacy officer's inbox: %+v", inbox)
		}
		if req, err = svc.Approvals.DecideAccessRequest(ctx, f.privacy, req.ID, true); err != nil || req.Status != "approved" {
			t.Fatalf("second approval: %+v, %v", req, err)
		}
		if v, err := reveal(); err != nil || v != "moderate anxiety; weekly sessions" {
			t.Fatalf("reveal with approval: %q, %v", v, err)
		}
		if _, err := reveal(); !errs.Is(err, errs.ApprovalNeeded) {
			t.Fatalf("an approval used twice: %v", err)
		}
		mine, _ := svc.Approvals.AccessRequests(ctx, f.worker)
		if len(mine) != 1 || mine[0].Status != "used" || len(mine[0].Steps) != 2 {
			t.Fatalf("the worker's history: %+v", mine)
		}

		// A rejection grants nothing; an approval unused for an hour expires.
		rej, _ := svc.Approvals.RequestReveal(ctx, f.worker, f.client, crm.FieldAssessment, why)
		if rej, err = svc.Approvals.DecideAccessRequest(ctx, f.mgr, rej.ID, false); err != nil || rej.Status != "rejected" {
			t.Fatalf("reject: %+v, %v", rej, err)
		}
		late, _ := svc.Approvals.RequestReveal(ctx, f.worker, f.client, crm.FieldAssessment, why)
		svc.Approvals.DecideAccessRequest(ctx, f.mgr, late.ID, true)
		svc.Approvals.DecideAccessRequest(ctx, f.privacy, late.ID, true)
		f.clk.Advance(governance.GrantFor)
		f.worker.VerifiedAt, f.mgr.VerifiedAt = f.clk.Now(), f.clk.Now() // as if they had just stepped up
		if _, err := reveal(); !errs.Is(err, errs.ApprovalNeeded) {
			t.Fatalf("an approval an hour old: %v", err)
		}
		stale, _ := svc.Approvals.RequestReveal(ctx, f.worker, f.client, crm.FieldAssessment, why)
		f.clk.Advance(governance.RequestTTL)
		f.worker.VerifiedAt, f.mgr.VerifiedAt = f.clk.Now(), f.clk.Now()
		if _, err := svc.Approvals.DecideAccessRequest(ctx, f.mgr, stale.ID, true); !errs.Is(err, errs.Permission) {
			t.Fatalf("a request past its day was approved: %v", err)
		}
		statuses := map[string]int{}
		mine, _ = svc.Approvals.AccessRequests(ctx, f.worker)
		for _, r := range mine {
			statuses[r.Status]++
		}
		if statuses["used"] != 1 || statuses["rejected"] != 1 || statuses["expired"] != 2 {
			t.Fatalf("history statuses: %v", statuses)
		}
		var steps int
		for _, e := range auditEvents(t, f.env) {
			if strings.HasPrefix(e.Action, "access.") {
				steps++
			}
		}
		if steps != 4+5 { // four requests, five decisions
			t.Fatalf("%d access events in the audit log, want 9", steps)
		}
		rows, err := f.env.DB.Raw(t).Query("SELECT reason_ct FROM access_requests")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var ct []byte
			rows.Scan(&ct)
			if strings.Contains(string(ct), "assessment") {
				t.Fatal("a request's reason is stored in plaintext")
			}
		}
	})
}

// TestBreakGlass: a designated role opens a record outside its scope with
// a reason, for 30 minutes: an alert goes out at once, the record reads
// (special fields masked, nothing else opens), and a reviewer who is not
// the opener closes the review item.
func TestBreakGlass(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		f := newAccessFixture(t, db)
		svc := f.svc
		const why = "client in crisis called the night line; need their contact"
		if _, err := svc.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: "night@example.com", Role: "support", Team: "south", Password: pw}); err != nil {
			t.Fatal(err)
		}
		session := func() authz.Actor {
			a, err := svc.Sessions.Authenticate(ctx, mustLogin(t, svc, "night@example.com", identity.Client{IP: "192.0.2.99"}), identity.Client{IP: "192.0.2.99"})
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		night := session()
		if _, err := svc.Customers.Customer(ctx, night, f.client); !errs.Is(err, errs.NotExist) {
			t.Fatalf("support outside the client's team: %v", err)
		}
		if _, err := svc.Approvals.BreakGlass(ctx, night, f.client, why); !errs.Is(err, errs.Permission) {
			t.Fatalf("break-glass by a role not designated: %v", err)
		}
		if err := svc.Approvals.SetBreakGlassRoles(ctx, authz.System(), []string{"support"}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Approvals.BreakGlass(ctx, night, f.client, "urgent"); !errs.Is(err, errs.Invalid) {
			t.Fatalf("break-glass without a real reason: %v", err)
		}
		item, err := svc.Approvals.BreakGlass(ctx, night, f.client, why)
		if err != nil || item.Status != "open" {
			t.Fatalf("break-glass: %+v, %v", item, err)
		}
		for {
			m := f.smtp.Next(t)
			if strings.Contains(m.Subject, "ALERT") {
				if m.To != "admin@example.com" || !strings.Contains(m.Body, "192.0.2.99") {
					t.Fatalf("alert email to %s:\n%s", m.To, m.Body)
				}
				break
			}
		}
		night = session()
		c, err := svc.Customers.Customer(ctx, night, f.client)
		if err != nil || c.Fields["name"] != "Client Zero" || c.Fields["assessment"] == "moderate anxiety; weekly sessions" {
			t.Fatalf("the opened record: %v, %v", c.Fields, err)
		}
		if _, err := svc.Customers.UpdateCustomer(ctx, night, f.client, input("name", "Changed")); err == nil {
			t.Fatal("break-glass allowed a change")
		}
		if page, _ := svc.Customers.ListCustomers(ctx, night, records.CustomerQuery{}); len(page.Customers) != 0 {
			t.Fatal("break-glass put the record in lists")
		}
		if _, err := svc.Approvals.DecideAccessRequest(ctx, night, item.ID, true); !errs.Is(err, errs.Permission) {
			t.Fatalf("the opener closed their own review: %v", err)
		}
		f.clk.Advance(governance.BreakGlassFor)
		night = session()
		if _, err := svc.Customers.Customer(ctx, night, f.client); !errs.Is(err, errs.NotExist) {
			t.Fatalf("the record is still open after 30 minutes: %v", err)
		}
		f.admin.VerifiedAt = f.clk.Now()
		if item, err = svc.Approvals.DecideAccessRequest(ctx, f.admin, item.ID, false); err != nil || item.Status != "unjustified" {
			t.Fatalf("review: %+v, %v", item, err)
		}
		// Judged unjustified while its window runs, an opening ends at once.
		again, err := svc.Approvals.BreakGlass(ctx, session(), f.client, why)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Customers.Customer(ctx, session(), f.client); err != nil {
			t.Fatalf("the second opening: %v", err)
		}
		if _, err := svc.Approvals.DecideAccessRequest(ctx, f.admin, again.ID, false); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Customers.Customer(ctx, session(), f.client); !errs.Is(err, errs.NotExist) {
			t.Fatalf("an opening judged unjustified still reads the record: %v", err)
		}
		var opened, refused, reviewed int
		for _, e := range auditEvents(t, f.env) {
			switch e.Action {
			case "breakglass.open":
				if e.Outcome == "success" {
					opened++
				} else {
					refused++
				}
			case "access.reject":
				reviewed++
			}
		}
		if opened != 2 || refused != 1 || reviewed != 2 {
			t.Fatalf("audit: %d openings, %d refused, %d reviews", opened, refused, reviewed)
		}
	})
}

// TestDeleteNeedsApproval: once deletion is marked as needing approval,
// even an administrator deletes a customer only with an approved request.
func TestDeleteNeedsApproval(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		f := newAccessFixture(t, db)
		svc := f.svc
		if _, err := svc.Approvals.RequestApproval(ctx, f.admin, core.KindDelete, f.client, "", "duplicate record of another client"); !errs.Is(err, errs.Conflict) {
			t.Fatalf("a request while deletion needs no approval: %v", err)
		}
		if err := svc.Approvals.SetApprovalRule(ctx, authz.System(), core.KindDelete, [][]string{{"manager"}}); err != nil {
			t.Fatal(err)
		}
		if err := svc.Customers.DeleteCustomer(ctx, f.admin, f.client); !errs.Is(err, errs.ApprovalNeeded) {
			t.Fatalf("delete without approval: %v", err)
		}
		if _, err := svc.Approvals.RequestApproval(ctx, f.worker, core.KindDelete, f.client, "", "the client asked to be forgotten"); !errs.Is(err, errs.Permission) {
			t.Fatalf("a request for an action the role does not have: %v", err)
		}
		req, err := svc.Approvals.RequestApproval(ctx, f.admin, core.KindDelete, f.client, "", "duplicate record of another client")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Approvals.DecideAccessRequest(ctx, f.mgr, req.ID, true); err != nil {
			t.Fatal(err)
		}
		if err := svc.Customers.DeleteCustomer(ctx, f.admin, f.client); err != nil {
			t.Fatalf("delete with approval: %v", err)
		}
		if _, err := svc.Customers.Customer(ctx, f.admin, f.client); !errs.Is(err, errs.NotExist) {
			t.Fatalf("the customer is still there: %v", err)
		}
	})
}

// TestRoleChangeNeedsApproval: with a rule for role changes, an admin's
// change waits for another admin's approval of exactly those roles; the
// command line on the host is not held up.
func TestRoleChangeNeedsApproval(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		f := newAccessFixture(t, db)
		svc := f.svc
		if _, err := svc.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: "admin2@example.com", Role: "admin", Password: pw}); err != nil {
			t.Fatal(err)
		}
		admin2, _ := svc.Sessions.Authenticate(ctx, mustLogin(t, svc, "admin2@example.com", identity.Client{}), identity.Client{})
		if err := svc.Approvals.SetApprovalRule(ctx, authz.System(), core.KindRoleChange, [][]string{{"admin"}}); err != nil {
			t.Fatal(err)
		}
		target := f.mgr.UserID
		if _, err := svc.Users.SetUserRole(ctx, f.admin, target, "finance"); !errs.Is(err, errs.ApprovalNeeded) {
			t.Fatalf("a role change without approval: %v", err)
		}
		req, err := svc.Approvals.RequestApproval(ctx, f.admin, core.KindRoleChange, target, "finance", "moved to the finance team this month")
		if err != nil || req.Field != "finance" || req.ObjectType != "user" {
			t.Fatalf("request: %+v, %v", req, err)
		}
		if _, err := svc.Approvals.DecideAccessRequest(ctx, f.admin, req.ID, true); !errs.Is(err, errs.Permission) {
			t.Fatalf("an admin approved their own role change: %v", err)
		}
		if _, err := svc.Approvals.DecideAccessRequest(ctx, admin2, req.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Users.SetUserRole(ctx, f.admin, target, "finance,sales"); !errs.Is(err, errs.ApprovalNeeded) {
			t.Fatalf("roles other than those approved: %v", err)
		}
		if u, err := svc.Users.SetUserRole(ctx, f.admin, target, "finance"); err != nil || u.Role != "finance" {
			t.Fatalf("the approved change: %+v, %v", u, err)
		}
		if _, err := svc.Users.SetUserRole(ctx, authz.System(), target, "manager"); err != nil {
			t.Fatalf("the command line was held up: %v", err)
		}
	})
}

// TestBulkExportNeedsApproval: with a rule for bulk exports, an export of
// more rows than the threshold waits for approval; smaller ones do not.
func TestBulkExportNeedsApproval(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		env := testkit.NewEnv(t, db, service.Options{BulkExportRows: 2})
		svc := env.Service
		sys := authz.System()
		for _, u := range []struct{ email, role string }{{"admin@example.com", "admin"}, {"sales@example.com", "sales"}} {
			if _, err := svc.Users.CreateUser(ctx, sys, identity.NewUser{Email: u.email, Role: u.role, Password: pw}); err != nil {
				t.Fatal(err)
			}
		}
		session := func(email string) authz.Actor {
			a, _ := svc.Sessions.Authenticate(ctx, mustLogin(t, svc, email, identity.Client{}), identity.Client{})
			return a
		}
		sales, admin := session("sales@example.com"), session("admin@example.com")
		for _, n := range []string{"One", "Two", "Three"} {
			if _, err := svc.Customers.CreateCustomer(ctx, sales, input("name", "Client "+n, "email", strings.ToLower(n)+"@example.com")); err != nil {
				t.Fatal(err)
			}
		}
		export := func(q records.CustomerQuery) (int, error) {
			var b bytes.Buffer
			return svc.Customers.ExportCustomers(ctx, sales, q, &b)
		}
		if n, err := export(records.CustomerQuery{}); err != nil || n != 3 {
			t.Fatalf("without a rule: %d, %v", n, err)
		}
		if err := svc.Approvals.SetApprovalRule(ctx, sys, core.KindBulkExport, [][]string{{"admin"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := export(records.CustomerQuery{}); !errs.Is(err, errs.ApprovalNeeded) {
			t.Fatalf("a bulk export without approval: %v", err)
		}
		if n, err := export(records.CustomerQuery{Email: "one@example.com"}); err != nil || n != 1 {
			t.Fatalf("a small export: %d, %v", n, err)
		}
		req, err := svc.Approvals.RequestApproval(ctx, sales, core.KindBulkExport, "", "", "quarterly mailing to all my clients")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Approvals.DecideAccessRequest(ctx, admin, req.ID, true); err != nil {
			t.Fatal(err)
		}
		if n, err := export(records.CustomerQuery{}); err != nil || n != 3 {
			t.Fatalf("the approved export: %d, %v", n, err)
		}
		if _, err := export(records.CustomerQuery{}); !errs.Is(err, errs.ApprovalNeeded) {
			t.Fatalf("an approval used twice: %v", err)
		}
	})
}

// TestRoleEditNeedsApproval: with a rule for permission changes, editing
// a role, retiring it or applying a template waits for another admin; the
// access review then flags a template role that no longer matches its
// template.
func TestRoleEditNeedsApproval(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		f := newAccessFixture(t, db)
		svc := f.svc
		sys := authz.System()
		if _, err := svc.Users.CreateUser(ctx, sys, identity.NewUser{Email: "admin2@example.com", Role: "admin", Password: pw}); err != nil {
			t.Fatal(err)
		}
		admin2, _ := svc.Sessions.Authenticate(ctx, mustLogin(t, svc, "admin2@example.com", identity.Client{}), identity.Client{})
		if _, err := svc.Roles.ApplyTemplate(ctx, sys, "payment_services"); err != nil {
			t.Fatal(err)
		}
		if err := svc.Approvals.SetApprovalRule(ctx, sys, core.KindRoleEdit, [][]string{{"admin"}}); err != nil {
			t.Fatal(err)
		}
		kyc, _ := svc.Roles.Role(ctx, f.admin, "kyc_analyst")
		kyc.Grants[authz.ObjectCustomer].Classes[crm.ClassContact] = authz.Read
		if _, err := svc.Roles.SaveRole(ctx, f.admin, kyc); !errs.Is(err, errs.ApprovalNeeded) {
			t.Fatalf("a permission change without approval: %v", err)
		}
		if _, err := svc.Roles.ApplyTemplate(ctx, f.admin, "field_sales"); !errs.Is(err, errs.ApprovalNeeded) {
			t.Fatalf("a template applied without approval: %v", err)
		}
		req, err := svc.Approvals.RequestApproval(ctx, f.admin, core.KindRoleEdit, "kyc_analyst", "", "KYC needs to call customers back")
		if err != nil || req.ObjectType != "role" {
			t.Fatalf("request: %+v, %v", req, err)
		}
		if _, err := svc.Approvals.DecideAccessRequest(ctx, admin2, req.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Roles.SaveRole(ctx, f.admin, kyc); err != nil {
			t.Fatalf("the approved change: %v", err)
		}
		if _, err := svc.Users.CreateUser(ctx, sys, identity.NewUser{Email: "kyc@example.com", Role: "kyc_analyst", Password: pw}); err != nil {
			t.Fatal(err)
		}
		rev, err := svc.Approvals.StartReview(ctx, sys)
		if err != nil {
			t.Fatal(err)
		}
		flagged := false
		for _, it := range rev.Items {
			flagged = flagged || it.Email == "kyc@example.com" && slices.Contains(it.Flags, "beyond_template:kyc_analyst")
		}
		if !flagged {
			t.Fatalf("the edited template role is not flagged: %+v", rev.Items)
		}
	})
}
