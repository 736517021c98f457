package service_test

import (
	"context"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/testkit"
)

// An account over its request rate is refused with TooMany; another
// account is not, and the first is let in again once its allowance refills.
func TestRatePerAccount(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		env := testkit.NewEnv(t, db, service.Options{RatePerAccount: 2, Now: func() time.Time { return now }})
		ctx := context.Background()
		token := func(email string) string {
			if _, err := env.Service.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: email, Role: "sales", Password: pw}); err != nil {
				t.Fatal(err)
			}
			s, err := env.Service.Sessions.Login(ctx, email, pw, identity.Client{IP: "192.0.2.1"})
			if err != nil {
				t.Fatal(err)
			}
			return s.Token
		}
		a, b := token("a@example.com"), token("b@example.com")
		auth := func(tok string) error {
			_, err := env.Service.Sessions.Authenticate(ctx, tok, identity.Client{IP: "192.0.2.1"})
			return err
		}
		for i := range 4 { // the burst is twice the rate
			if err := auth(a); err != nil {
				t.Fatalf("request %d within the burst: %v", i+1, err)
			}
		}
		if err := auth(a); !errs.Is(err, errs.TooMany) {
			t.Fatalf("request over the burst: err = %v, want too many", err)
		}
		if err := auth(b); err != nil {
			t.Fatalf("another account: %v", err)
		}
		now = now.Add(time.Second)
		if err := auth(a); err != nil {
			t.Fatalf("after a second: %v", err)
		}
	})
}
