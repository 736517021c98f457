package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/testkit"
)

// TestRequireFreshProof: a user with an authenticator must give a code
// again in their open session, which then goes on with a new token; a user
// with only a password has their sessions ended.
func TestRequireFreshProof(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		clk := &clock{now: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
		env := testkit.NewEnv(t, db, service.Options{Now: clk.Now})
		svc := env.Service
		c := identity.Client{IP: "192.0.2.3"}
		secret := enrolTOTP(t, svc, clk, "two@example.com", c)
		if _, err := svc.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: "one@example.com", Role: "sales", Password: pw}); err != nil {
			t.Fatal(err)
		}
		login := func(email string) (identity.Session, authz.Actor) {
			s, err := svc.Sessions.Login(ctx, email, pw, c)
			if err != nil {
				t.Fatal(err)
			}
			if s.MFAPending {
				code, _ := totp.GenerateCode(secret, clk.Now())
				if s, err = svc.Sessions.VerifyMFA(ctx, mustAuth(t, svc, s.Token, c), code); err != nil {
					t.Fatal(err)
				}
				clk.Advance(30 * time.Second)
			}
			return s, mustAuth(t, svc, s.Token, c)
		}
		two, twoActor := login("two@example.com")
		one, oneActor := login("one@example.com")

		// Two sessions: the enrolment's and this one.
		if n, err := svc.Sessions.RequireFreshProof(ctx, authz.System(), twoActor.UserID); err != nil || n != 2 {
			t.Fatalf("with an authenticator: %d %v", n, err)
		}
		a, err := svc.Sessions.Authenticate(ctx, two.Token, c)
		if err != nil || !a.MFAPending {
			t.Fatalf("the session should owe its second factor: %+v %v", a.MFAPending, err)
		}
		code, _ := totp.GenerateCode(secret, clk.Now())
		again, err := svc.Sessions.VerifyMFA(ctx, a, code)
		if err != nil || again.Token == two.Token {
			t.Fatalf("giving the code again: %v", err)
		}
		if a, err := svc.Sessions.Authenticate(ctx, again.Token, c); err != nil || a.MFAPending {
			t.Fatalf("after the code: %+v %v", a.MFAPending, err)
		}

		if n, err := svc.Sessions.RequireFreshProof(ctx, authz.System(), oneActor.UserID); err != nil || n != 1 {
			t.Fatalf("with only a password: %d %v", n, err)
		}
		if _, err := svc.Sessions.Authenticate(ctx, one.Token, c); err == nil {
			t.Error("a password-only session goes on")
		}
		if _, err := svc.Sessions.RequireFreshProof(ctx, oneActor, twoActor.UserID); err == nil {
			t.Error("a sales user made another prove themselves again")
		}
	})
}

func mustAuth(t *testing.T, svc *service.Service, token string, c identity.Client) authz.Actor {
	t.Helper()
	a, err := svc.Sessions.Authenticate(context.Background(), token, c)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
