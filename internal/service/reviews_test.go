package service_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/governance"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/testkit"
)

// TestAccessReview: a campaign gives each user a reviewer (their team's
// manager, else an admin), flags dormant accounts, unused rights and roles
// outside the built-in and template ones; a revoke disables the user; the
// signed-off report keeps every decision under a hash the audit log holds.
func TestAccessReview(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		clk := &clock{now: time.Date(2026, 8, 1, 9, 0, 0, 0, time.UTC)}
		env := testkit.NewEnv(t, db, service.Options{Now: clk.Now, IdleTimeout: time.Hour})
		svc := env.Service
		sys := authz.System()
		mk := func(email, role, team string) {
			if _, err := svc.Users.CreateUser(ctx, sys, identity.NewUser{Email: email, Role: role, Team: team, Password: pw}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := svc.Roles.SaveRole(ctx, sys, authz.RoleDef{Name: "night_desk", Summary: "reads names at night", Grants: map[authz.Object]authz.Grant{
			authz.ObjectCustomer: {Actions: map[authz.Action]authz.Scope{authz.ActionRead: authz.ScopeAll}},
		}}); err != nil {
			t.Fatal(err)
		}
		mk("admin@example.com", "admin", "")
		mk("boss@example.com", "manager", "north")
		mk("rep@example.com", "sales", "north")
		mk("loner@example.com", "support", "")
		mk("night@example.com", "night_desk", "")
		if due, err := svc.Approvals.ReviewIfDue(ctx, 90*24*time.Hour); err != nil || due {
			t.Fatalf("a review is due on day one: %v, %v", due, err)
		}
		clk.Advance(91 * 24 * time.Hour)
		login := func(email string) authz.Actor {
			a, err := svc.Sessions.Authenticate(ctx, mustLogin(t, svc, email, identity.Client{}), identity.Client{})
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		admin, boss, rep := login("admin@example.com"), login("boss@example.com"), login("rep@example.com")
		if _, err := svc.Customers.CreateCustomer(ctx, rep, input("name", "Used Right")); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Approvals.StartReview(ctx, rep); !errs.Is(err, errs.Permission) {
			t.Fatalf("a salesperson started a review: %v", err)
		}
		if due, err := svc.Approvals.ReviewIfDue(ctx, 90*24*time.Hour); err != nil || !due {
			t.Fatalf("the quarterly review did not start: %v, %v", due, err)
		}
		if _, err := svc.Approvals.StartReview(ctx, admin); !errs.Is(err, errs.Conflict) {
			t.Fatalf("a second open review: %v", err)
		}
		list, _ := svc.Approvals.Reviews(ctx, admin)
		rev, err := svc.Approvals.Review(ctx, admin, list[0].ID)
		if err != nil || len(rev.Items) != 5 {
			t.Fatalf("review: %+v, %v", rev, err)
		}
		items := map[string]governance.ReviewItem{}
		for _, it := range rev.Items {
			items[it.Email] = it
		}
		if items["rep@example.com"].ReviewerID != boss.UserID {
			t.Errorf("the rep's reviewer is %s, not their team's manager", items["rep@example.com"].ReviewerID)
		}
		if f := items["loner@example.com"].Flags; !slices.Contains(f, "dormant") || !slices.Contains(f, "unused:customer") {
			t.Errorf("loner flags %v; want dormant and unused:customer", f)
		}
		if f := items["rep@example.com"].Flags; slices.Contains(f, "unused:customer") || slices.Contains(f, "dormant") {
			t.Errorf("rep flags %v: they logged in and used customers", f)
		}
		if f := items["night@example.com"].Flags; !slices.Contains(f, "custom_role") {
			t.Errorf("night flags %v; want custom_role", f)
		}

		// The manager sees only their reports; nobody reviews themselves.
		mine, _ := svc.Approvals.Review(ctx, boss, rev.ID)
		if len(mine.Items) != 1 || mine.Items[0].Email != "rep@example.com" || !mine.Items[0].CanDecide {
			t.Fatalf("the manager's view: %+v", mine.Items)
		}
		if err := svc.Approvals.DecideReviewItem(ctx, boss, rev.ID, items["loner@example.com"].UserID, true); !errs.Is(err, errs.Permission) {
			t.Fatalf("a manager decided someone else's report: %v", err)
		}
		if err := svc.Approvals.DecideReviewItem(ctx, admin, rev.ID, admin.UserID, true); !errs.Is(err, errs.Permission) {
			t.Fatalf("an admin confirmed their own access: %v", err)
		}
		if err := svc.Approvals.DecideReviewItem(ctx, boss, rev.ID, rep.UserID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Approvals.SignOffReview(ctx, admin, rev.ID); !errs.Is(err, errs.Conflict) {
			t.Fatalf("signed off with decisions pending: %v", err)
		}
		if err := svc.Approvals.DecideReviewItem(ctx, admin, rev.ID, items["loner@example.com"].UserID, false); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Sessions.Login(ctx, "loner@example.com", pw, identity.Client{}); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("a revoked user still logs in: %v", err)
		}
		for _, email := range []string{"boss@example.com", "night@example.com"} {
			if err := svc.Approvals.DecideReviewItem(ctx, admin, rev.ID, items[email].UserID, true); err != nil {
				t.Fatal(err)
			}
		}
		// The admin's own item: another admin, or here the system, decides it.
		if err := svc.Approvals.DecideReviewItem(ctx, sys, rev.ID, admin.UserID, true); err != nil {
			t.Fatal(err)
		}
		done, err := svc.Approvals.SignOffReview(ctx, admin, rev.ID)
		if err != nil || done.Status != "signed_off" || done.ReportHash == "" {
			t.Fatalf("sign off: %+v, %v", done, err)
		}
		report, hash, err := svc.Approvals.ReviewReport(ctx, admin, rev.ID)
		if err != nil || hash != done.ReportHash || !strings.Contains(string(report), `"decision":"revoke"`) {
			t.Fatalf("report: %s %s %v", report, hash, err)
		}
		if sum := sha256.Sum256(report); hex.EncodeToString(sum[:]) != hash {
			t.Fatal("the kept report does not match its hash")
		}
		found := false
		for _, e := range auditEvents(t, env) {
			found = found || e.Action == "review.signoff" && strings.HasSuffix(e.Reason, hash)
		}
		if !found {
			t.Fatal("the report's hash is not in the audit log")
		}
	})
}
