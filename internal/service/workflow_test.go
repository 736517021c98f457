package service_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/mail"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/service/privacy"
	"strongroom.dev/strongroom/internal/store"
	"strongroom.dev/strongroom/internal/testkit"
)

// outbox keeps the mail a test's service sends.
type outbox struct {
	mu   sync.Mutex
	sent []mail.Message
}

func (o *outbox) Enqueue(m mail.Message) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, m)
	return true
}

func (o *outbox) to(addr string) []mail.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []mail.Message
	for _, m := range o.sent {
		if m.To == addr {
			out = append(out, m)
		}
	}
	return out
}

// loginAs creates a user with role and returns them logged in.
func loginAs(t *testing.T, svc *service.Service, email, role string) authz.Actor {
	t.Helper()
	ctx := context.Background()
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

// The request workflow on both engines: a request is assigned to a
// handler (never to someone who may not handle requests), who is mailed
// without personal data; an erasure and a rejection wait for a second
// handler's approval, which the handler who asked cannot give; the
// timeline shows the steps from the audit log; a request due within three
// days raises one alert and one mail, however often the check runs.
func TestRequestWorkflow(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		clk := &clock{now: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
		box := &outbox{}
		env := testkit.NewEnv(t, db, service.Options{Now: clk.Now, IdleTimeout: 1000 * 24 * time.Hour, Mail: box, PublicURL: "https://crm.example.com"})
		svc := env.Service
		login := func(email, role string) authz.Actor { return loginAs(t, svc, email, role) }
		admin, dpo, sales, auditor := login("admin@example.com", "admin"), login("dpo@example.com", "privacy_officer"),
			login("sales@example.com", "sales"), login("auditor@example.com", "auditor")

		c, err := svc.Customers.CreateCustomer(ctx, sales, input("name", "Lin Yue", "email", "lin.yue@example.cn"))
		if err != nil {
			t.Fatal(err)
		}
		erase, err := svc.Requests.TakeRequest(ctx, sales, c.ID, crm.RequestInput{Kind: "erasure", Law: "pipl", Details: "delete everything"})
		if err != nil {
			t.Fatal(err)
		}

		// Assignment: only to a handler, only by a handler.
		handlers, err := svc.Requests.Handlers(ctx, dpo)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, h := range handlers {
			ids = append(ids, h.ID)
		}
		if !slices.Contains(ids, admin.UserID) || !slices.Contains(ids, dpo.UserID) || slices.Contains(ids, sales.UserID) || slices.Contains(ids, auditor.UserID) {
			t.Fatalf("handlers: %v", ids)
		}
		if _, err := svc.Requests.Assign(ctx, dpo, erase.ID, sales.UserID); !errs.Is(err, errs.Invalid) {
			t.Fatalf("assigning to sales: %v", err)
		}
		if _, err := svc.Requests.Assign(ctx, auditor, erase.ID, dpo.UserID); !errs.Is(err, errs.Permission) {
			t.Fatalf("an auditor assigning: %v", err)
		}
		r, err := svc.Requests.Assign(ctx, admin, erase.ID, dpo.UserID)
		if err != nil || r.Assignee != dpo.UserID {
			t.Fatalf("assign: %+v %v", r, err)
		}
		mails := box.to("dpo@example.com")
		if len(mails) != 1 || !strings.Contains(mails[0].Body, erase.ID) || !strings.Contains(mails[0].Body, "https://crm.example.com/privacy/requests/"+erase.ID) ||
			strings.Contains(mails[0].Body, "Lin") || strings.Contains(mails[0].Body, "lin.yue") || strings.Contains(mails[0].Body, "delete everything") {
			t.Fatalf("the assignment mail: %+v", mails)
		}

		// The erasure waits for a second handler's approval.
		if _, err := svc.Customers.EraseForRequest(ctx, dpo, erase.ID); !errs.Is(err, errs.Conflict) {
			t.Fatalf("erasure without approval: %v", err)
		}
		if _, err := svc.Requests.Update(ctx, dpo, erase.ID, "completed", "erased by hand"); err != nil {
			t.Fatal(err)
		}
		if r, _ := svc.Requests.Request(ctx, dpo, erase.ID); r.Status != "open" || !r.AwaitingApproval() || r.ApprovalFor != "completion" {
			t.Fatalf("completing an erasure by hand asks approval: %+v", r)
		}
		if _, err := svc.Requests.Decline(ctx, admin, erase.ID, "use the erase step"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Requests.AskApproval(ctx, dpo, erase.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Requests.Approve(ctx, dpo, erase.ID); !errs.Is(err, errs.Permission) {
			t.Fatalf("the asker approving: %v", err)
		}
		if _, err := svc.Customers.EraseForRequest(ctx, dpo, erase.ID); !errs.Is(err, errs.Conflict) {
			t.Fatalf("erasure while approval is asked: %v", err)
		}
		if _, err := svc.Requests.Approve(ctx, sales, erase.ID); !errs.Is(err, errs.Permission) {
			t.Fatalf("sales approving: %v", err)
		}
		if r, err := svc.Requests.Approve(ctx, admin, erase.ID); err != nil || r.Approval != "approved" || r.ApprovedBy != admin.UserID || r.Status != "open" {
			t.Fatalf("approve: %+v %v", r, err)
		}
		outcome, err := svc.Customers.EraseForRequest(ctx, dpo, erase.ID)
		if err != nil || !strings.Contains(outcome, "approved by "+admin.UserID) {
			t.Fatalf("erasure: %q %v", outcome, err)
		}
		done, err := svc.Requests.Request(ctx, admin, erase.ID)
		if err != nil || done.Status != "completed" || done.ClosedBy != dpo.UserID || done.RequestedBy != dpo.UserID || done.ClosedAt.IsZero() {
			t.Fatalf("the erased request: %+v %v", done, err)
		}
		var steps []string
		for _, s := range done.Timeline {
			steps = append(steps, s.Action+" "+s.Outcome)
		}
		for _, want := range []string{"request.assign success", "request.approval_ask success", "request.approve denied", "request.approval_decline success",
			"request.approve success", "request.completed success"} {
			if !slices.Contains(steps, want) {
				t.Errorf("the timeline lacks %q: %v", want, steps)
			}
		}
		if slices.ContainsFunc(steps, func(s string) bool { return strings.HasPrefix(s, "request.read") }) {
			t.Errorf("the timeline holds reads: %v", steps)
		}

		// A rejection waits for approval too, and is carried out by it.
		c2, _ := svc.Customers.CreateCustomer(ctx, sales, input("name", "Unverified"))
		acc, err := svc.Requests.TakeRequest(ctx, sales, c2.ID, crm.RequestInput{Kind: "access", Law: "gdpr"})
		if err != nil {
			t.Fatal(err)
		}
		if r, err := svc.Requests.Update(ctx, dpo, acc.ID, "rejected", "identity not verified"); err != nil || r.Status != "open" || r.ApprovalFor != "rejection" {
			t.Fatalf("rejecting: %+v %v", r, err)
		}
		if r, err := svc.Requests.Approve(ctx, admin, acc.ID); err != nil || r.Status != "rejected" || r.Outcome != "identity not verified" || r.ClosedBy != admin.UserID {
			t.Fatalf("approving the rejection: %+v %v", r, err)
		}
		// Completing an access request needs no approval by default.
		acc2, _ := svc.Requests.TakeRequest(ctx, sales, c2.ID, crm.RequestInput{Kind: "access", Law: "gdpr"})
		if r, err := svc.Requests.Update(ctx, dpo, acc2.ID, "completed", ""); !errs.Is(err, errs.Invalid) {
			t.Fatalf("completing without an outcome: %+v %v", r, err)
		}
		if r, err := svc.Requests.Update(ctx, dpo, acc2.ID, "completed", "export sent, sha256 abc"); err != nil || r.Status != "completed" || r.ClosedBy != dpo.UserID {
			t.Fatalf("completing: %+v %v", r, err)
		}
		// The rule is configurable: with no steps, an erasure needs no approval.
		if err := svc.Requests.SetApprovalSteps(ctx, dpo, []string{"nonsense"}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("an unknown step: %v", err)
		}
		if err := svc.Requests.SetApprovalSteps(ctx, auditor, nil); !errs.Is(err, errs.Permission) {
			t.Fatalf("an auditor changing the rule: %v", err)
		}
		if steps, err := svc.Requests.ApprovalSteps(ctx, auditor); err != nil || !slices.Equal(steps, []string{"erasure", "rejection"}) {
			t.Fatalf("default steps: %v %v", steps, err)
		}
		if err := svc.Requests.SetApprovalSteps(ctx, admin, []string{"rejection"}); err != nil {
			t.Fatal(err)
		}
		c3, _ := svc.Customers.CreateCustomer(ctx, sales, input("name", "Quick Erase"))
		e3, _ := svc.Requests.TakeRequest(ctx, sales, c3.ID, crm.RequestInput{Kind: "erasure", Law: "gdpr"})
		if _, err := svc.Customers.EraseForRequest(ctx, dpo, e3.ID); err != nil {
			t.Fatalf("erasure with no approval rule: %v", err)
		}

		// Deadlines: PIPL gives 15 days; 13 days on, it is due within 3.
		late, _ := svc.Customers.CreateCustomer(ctx, sales, input("name", "Due Soon"))
		due, _ := svc.Requests.TakeRequest(ctx, sales, late.ID, crm.RequestInput{Kind: "access", Law: "pipl"})
		if _, err := svc.Requests.Assign(ctx, admin, due.ID, dpo.UserID); err != nil {
			t.Fatal(err)
		}
		if n, err := svc.Requests.CheckDeadlines(ctx); err != nil || n != 0 {
			t.Fatalf("a fresh request reminded: %d %v", n, err)
		}
		clk.Advance(13 * 24 * time.Hour)
		before := len(box.to("dpo@example.com"))
		for run, want := range []int{1, 0, 0} {
			if n, err := svc.Requests.CheckDeadlines(ctx); err != nil || n != want {
				t.Fatalf("run %d raised %d (%v), want %d", run, n, err, want)
			}
		}
		alerts, err := svc.AuditLog.Alerts(ctx, admin, "open", 0)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, a := range alerts {
			if a.Rule == "request_due" && strings.Contains(a.Summary, due.ID) {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("request_due alerts: %d", n)
		}
		// The counts the compliance report reads: the request due soon is
		// assigned; a new one is not, and is not due soon.
		if _, err := svc.Requests.TakeRequest(ctx, sales, late.ID, crm.RequestInput{Kind: "objection", Law: "gdpr"}); err != nil {
			t.Fatal(err)
		}
		var counts store.RequestWorkflowCounts
		if err := env.Store.ReadTx(ctx, func(tx *store.Tx) error {
			var err error
			counts, err = tx.RequestWorkflow(ctx, clk.Now(), privacy.ReminderWindow)
			return err
		}); err != nil || counts.DueSoon != 1 || counts.AwaitingApproval != 0 || counts.Unassigned != 1 {
			t.Fatalf("workflow counts: %+v %v", counts, err)
		}
		if m := box.to("dpo@example.com"); len(m) != before+1 || !strings.Contains(m[len(m)-1].Body, due.ID) || strings.Contains(m[len(m)-1].Body, "Due Soon") {
			t.Fatalf("reminder mails: %+v", m)
		}
	})
}
