package service_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/testkit"
)

func TestMySessions(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		phone := identity.Client{IP: "198.51.100.20", UserAgent: "Mozilla/5.0 (iPhone) Safari"}
		s2, err := svc.Sessions.Login(ctx, "sales1@example.com", pw, phone)
		if err != nil {
			t.Fatal(err)
		}
		list, err := svc.Sessions.Sessions(ctx, f.sales1, "")
		if err != nil || len(list) != 2 {
			t.Fatalf("sessions: %+v %v", list, err)
		}
		var current, other *identity.SessionInfo
		for i := range list {
			if list[i].Current {
				current = &list[i]
			} else {
				other = &list[i]
			}
		}
		if current == nil || other == nil || other.ID != s2.ID || other.Agent != phone.UserAgent || other.IP != phone.IP {
			t.Fatalf("sessions: %+v", list)
		}
		if _, err := svc.Sessions.Sessions(ctx, f.sales2, f.sales1.UserID); !errs.Is(err, errs.Permission) {
			t.Fatalf("another user listing: %v", err)
		}
		if err := svc.Sessions.EndSession(ctx, f.sales2, s2.ID); !errs.Is(err, errs.NotExist) {
			t.Fatalf("another user ending it: %v", err)
		}
		if admin, err := svc.Sessions.Sessions(ctx, f.admin, f.sales1.UserID); err != nil || len(admin) != 2 {
			t.Fatalf("admin listing: %d %v", len(admin), err)
		}
		if err := svc.Sessions.EndSession(ctx, f.admin, s2.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Sessions.Authenticate(ctx, s2.Token, phone); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("ended session still works: %v", err)
		}
		// End all others; then the cap: at most MaxSessions at once.
		for range identity.MaxSessions + 2 {
			if _, err := svc.Sessions.Login(ctx, "sales1@example.com", pw, phone); err != nil {
				t.Fatal(err)
			}
		}
		if all, _ := svc.Sessions.Sessions(ctx, f.admin, f.sales1.UserID); len(all) != identity.MaxSessions {
			t.Fatalf("%d sessions, want the cap %d", len(all), identity.MaxSessions)
		}
		latest, err := svc.Sessions.Login(ctx, "sales1@example.com", pw, phone)
		if err != nil {
			t.Fatal(err)
		}
		me, err := svc.Sessions.Authenticate(ctx, latest.Token, phone)
		if err != nil {
			t.Fatal(err)
		}
		n, err := svc.Sessions.EndOtherSessions(ctx, me)
		if err != nil || n != identity.MaxSessions-1 {
			t.Fatalf("ended %d: %v", n, err)
		}
		if left, _ := svc.Sessions.Sessions(ctx, me, ""); len(left) != 1 || !left[0].Current {
			t.Fatalf("left: %+v", left)
		}
	})
}

func TestDisableAndChangePassword(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		c := identity.Client{IP: "192.0.2.1"}
		other, err := svc.Sessions.Login(ctx, "sales1@example.com", pw, c)
		if err != nil {
			t.Fatal(err)
		}
		// Changing one's password: the current session stays, the others end.
		for _, tt := range []struct {
			current, next string
			field         string
		}{
			{"wrong password here", "a brand new passphrase", "current_password"},
			{pw, "short", "new_password"},
			{pw, "password12345", "new_password"},
		} {
			err := svc.Users.ChangeMyPassword(ctx, f.sales1, tt.current, tt.next)
			var e *errs.Error
			if !errors.As(err, &e) || e.Kind != errs.Invalid || e.Field != tt.field {
				t.Fatalf("change %q -> %q: %v, want invalid %s", tt.current, tt.next, err, tt.field)
			}
		}
		if err := svc.Users.ChangeMyPassword(ctx, f.sales1, pw, "a brand new passphrase"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Sessions.Authenticate(ctx, other.Token, c); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("other session after a password change: %v", err)
		}
		if _, err := svc.Sessions.Sessions(ctx, f.sales1, ""); err != nil {
			t.Fatalf("the current session should survive: %v", err)
		}
		if _, err := svc.Sessions.Login(ctx, "sales1@example.com", "a brand new passphrase", c); err != nil {
			t.Fatalf("login with the new password: %v", err)
		}
		// Disabling ends sessions and refuses login with the same answer as a wrong password.
		s2, _ := svc.Sessions.Login(ctx, "sales2@example.com", pw, c)
		if err := svc.Users.SetUserDisabled(ctx, f.sales1, f.sales2.UserID, true); !errs.Is(err, errs.Permission) {
			t.Fatalf("sales disabling: %v", err)
		}
		if err := svc.Users.SetUserDisabled(ctx, f.admin, f.admin.UserID, true); !errs.Is(err, errs.Permission) {
			t.Fatalf("disabling oneself: %v", err)
		}
		if err := svc.Users.SetUserDisabled(ctx, f.admin, f.sales2.UserID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Sessions.Authenticate(ctx, s2.Token, c); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("disabled user's session: %v", err)
		}
		if _, err := svc.Sessions.Login(ctx, "sales2@example.com", pw, c); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("disabled user's login: %v", err)
		}
		if err := svc.Users.SetUserDisabled(ctx, f.admin, f.sales2.UserID, false); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Sessions.Login(ctx, "sales2@example.com", pw, c); err != nil {
			t.Fatalf("re-enabled user's login: %v", err)
		}
	})
}

func TestDisableDormant(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		clk := &clock{now: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)}
		env := testkit.NewEnv(t, db, service.Options{Now: clk.Now})
		svc := env.Service
		for _, u := range []struct{ email, role string }{{"boss@example.com", "admin"}, {"active@example.com", "sales"}, {"idle@example.com", "sales"}, {"never@example.com", "sales"}} {
			if _, err := svc.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: u.email, Role: u.role, Password: pw}); err != nil {
				t.Fatal(err)
			}
		}
		c := identity.Client{}
		for _, e := range []string{"boss@example.com", "active@example.com", "idle@example.com"} {
			if _, err := svc.Sessions.Login(ctx, e, pw, c); err != nil {
				t.Fatal(err)
			}
		}
		clk.Advance(60 * 24 * time.Hour)
		if _, err := svc.Sessions.Login(ctx, "active@example.com", pw, c); err != nil {
			t.Fatal(err)
		}
		clk.Advance(40 * 24 * time.Hour) // idle and the admin: 100 days; active: 40; never: created 100 days ago
		ids, err := svc.Users.DisableDormant(ctx, 90*24*time.Hour)
		if err != nil || len(ids) != 2 {
			t.Fatalf("disabled %v, %v; want idle and never (the only admin is kept)", ids, err)
		}
		for e, want := range map[string]bool{"idle@example.com": false, "never@example.com": false, "active@example.com": true, "boss@example.com": true} {
			_, err := svc.Sessions.Login(ctx, e, pw, c)
			if (err == nil) != want {
				t.Errorf("%s: login err = %v, want success %v", e, err, want)
			}
		}
	})
}
