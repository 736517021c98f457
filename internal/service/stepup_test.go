package service_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/service/records"
	"strongroom.dev/strongroom/internal/testkit"
)

// TestStepUp: sensitive actions need a proof of the user within the last
// five minutes; the proof is the second factor (the password for a user
// without one) and rotates the session's token.
func TestStepUp(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		clk := &clock{now: time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)}
		env := testkit.NewEnv(t, db, service.Options{Now: clk.Now})
		svc := env.Service
		c := identity.Client{IP: "192.0.2.9"}
		session := func(email, role string) (authz.Actor, string) {
			if _, err := svc.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: email, Role: role, Password: pw}); err != nil {
				t.Fatal(err)
			}
			sess, err := svc.Sessions.Login(ctx, email, pw, c)
			if err != nil {
				t.Fatal(err)
			}
			a, err := svc.Sessions.Authenticate(ctx, sess.Token, c)
			if err != nil {
				t.Fatal(err)
			}
			return a, sess.Token
		}
		sales, salesToken := session("sales@example.com", "sales")
		admin, _ := session("admin@example.com", "admin")
		target, _ := session("target@example.com", "support")
		cust, err := svc.Customers.CreateCustomer(ctx, sales, input("name", "Zhou Li"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Customers.UpdateCustomer(ctx, admin, cust.ID, input("national_id", "110101199003071234")); err != nil {
			t.Fatal(err)
		}
		const why = "customer asked at the counter"
		round := 0 // role and team changes must change something each time
		sensitive := []struct {
			name  string
			actor *authz.Actor
			do    func(a authz.Actor) error
		}{
			{"reveal", &sales, func(a authz.Actor) error {
				_, err := svc.Customers.RevealCustomerField(ctx, a, cust.ID, "national_id", why)
				return err
			}},
			{"export", &sales, func(a authz.Actor) error {
				_, err := svc.Customers.ExportCustomers(ctx, a, records.CustomerQuery{}, &bytes.Buffer{})
				return err
			}},
			{"role change", &admin, func(a authz.Actor) error {
				_, err := svc.Users.SetUserRole(ctx, a, target.UserID, []string{"manager", "finance"}[round])
				return err
			}},
			{"team change", &admin, func(a authz.Actor) error {
				_, err := svc.Users.SetUserTeam(ctx, a, target.UserID, []string{"east", "west"}[round])
				return err
			}},
			{"create a user", &admin, func(a authz.Actor) error {
				_, err := svc.Users.CreateUser(ctx, a, identity.NewUser{Email: "n" + a.SessionID + "@example.com", Role: "sales", Password: pw})
				return err
			}},
			{"disable", &admin, func(a authz.Actor) error { return svc.Users.SetUserDisabled(ctx, a, target.UserID, false) }},
			{"reset MFA", &admin, func(a authz.Actor) error { return svc.Sessions.ResetMFA(ctx, a, target.UserID) }},
			{"two-step rules", &admin, func(a authz.Actor) error { return svc.Sessions.SetMFARequiredRoles(ctx, a, nil) }},
		}
		// Fresh from a password login (the only factor these users have).
		for _, s := range sensitive {
			if err := s.do(*s.actor); err != nil {
				t.Errorf("%s right after login: %v", s.name, err)
			}
		}
		clk.Advance(authz.StepUpWindow)
		round++
		for _, s := range sensitive {
			if err := s.do(*s.actor); !errs.Is(err, errs.StepUp) {
				t.Errorf("%s 5 minutes after login: %v, want a step-up", s.name, err)
			}
		}
		if _, err := svc.Customers.ListCustomers(ctx, sales, records.CustomerQuery{}); err != nil {
			t.Fatalf("an ordinary read needs no step-up: %v", err)
		}

		if _, err := svc.Sessions.StepUp(ctx, sales, "", "not my password at all"); !errs.Is(err, errs.Invalid) {
			t.Fatalf("step-up with a wrong password: %v", err)
		}
		rotated, err := svc.Sessions.StepUp(ctx, sales, "", pw)
		newToken := rotated.Token
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Sessions.Authenticate(ctx, salesToken, c); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("the token from before the step-up still works: %v", err)
		}
		stepped, err := svc.Sessions.Authenticate(ctx, newToken, c)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Customers.RevealCustomerField(ctx, stepped, cust.ID, "national_id", why); err != nil {
			t.Fatalf("reveal after stepping up: %v", err)
		}

		// A user with an authenticator steps up with a code, not the password.
		secret := enrolTOTP(t, svc, clk, "mfa@example.com", c)
		sess, err := svc.Sessions.Login(ctx, "mfa@example.com", pw, c)
		if err != nil {
			t.Fatal(err)
		}
		pending, _ := svc.Sessions.Authenticate(ctx, sess.Token, c)
		code, _ := totp.GenerateCode(secret, clk.Now())
		verified, err := svc.Sessions.VerifyMFA(ctx, pending, code)
		tok := verified.Token
		if err != nil {
			t.Fatal(err)
		}
		mfaUser, _ := svc.Sessions.Authenticate(ctx, tok, c)
		if !mfaUser.SteppedUp(clk.Now()) {
			t.Fatal("the second factor at login does not count as fresh")
		}
		clk.Advance(authz.StepUpWindow + time.Second)
		if _, err := svc.Sessions.StepUp(ctx, mfaUser, "", pw); !errs.Is(err, errs.Invalid) {
			t.Fatalf("a user with an authenticator stepped up with the password alone: %v", err)
		}
		code, _ = totp.GenerateCode(secret, clk.Now())
		if _, err := svc.Sessions.StepUp(ctx, mfaUser, code, ""); err != nil {
			t.Fatalf("step-up with a code: %v", err)
		}
		if _, err := svc.Sessions.StepUp(ctx, mfaUser, code, ""); !errs.Is(err, errs.Invalid) && !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("the same code twice: %v", err)
		}
	})
}
