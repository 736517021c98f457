package service_test

import (
	"context"
	"errors"
	"testing"

	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/testkit"
)

func TestMySessions(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		phone := service.Client{IP: "198.51.100.20", UserAgent: "Mozilla/5.0 (iPhone) Safari"}
		s2, err := svc.Login(ctx, "sales1@example.com", pw, phone)
		if err != nil {
			t.Fatal(err)
		}
		list, err := svc.Sessions(ctx, f.sales1, "")
		if err != nil || len(list) != 2 {
			t.Fatalf("sessions: %+v %v", list, err)
		}
		var current, other *service.SessionInfo
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
		if _, err := svc.Sessions(ctx, f.sales2, f.sales1.UserID); !errs.Is(err, errs.Permission) {
			t.Fatalf("another user listing: %v", err)
		}
		if err := svc.EndSession(ctx, f.sales2, s2.ID); !errs.Is(err, errs.NotExist) {
			t.Fatalf("another user ending it: %v", err)
		}
		if admin, err := svc.Sessions(ctx, f.admin, f.sales1.UserID); err != nil || len(admin) != 2 {
			t.Fatalf("admin listing: %d %v", len(admin), err)
		}
		if err := svc.EndSession(ctx, f.admin, s2.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Authenticate(ctx, s2.Token, phone); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("ended session still works: %v", err)
		}
		// End all others; then the cap: at most MaxSessions at once.
		for range service.MaxSessions + 2 {
			if _, err := svc.Login(ctx, "sales1@example.com", pw, phone); err != nil {
				t.Fatal(err)
			}
		}
		if all, _ := svc.Sessions(ctx, f.admin, f.sales1.UserID); len(all) != service.MaxSessions {
			t.Fatalf("%d sessions, want the cap %d", len(all), service.MaxSessions)
		}
		latest, err := svc.Login(ctx, "sales1@example.com", pw, phone)
		if err != nil {
			t.Fatal(err)
		}
		me, err := svc.Authenticate(ctx, latest.Token, phone)
		if err != nil {
			t.Fatal(err)
		}
		n, err := svc.EndOtherSessions(ctx, me)
		if err != nil || n != service.MaxSessions-1 {
			t.Fatalf("ended %d: %v", n, err)
		}
		if left, _ := svc.Sessions(ctx, me, ""); len(left) != 1 || !left[0].Current {
			t.Fatalf("left: %+v", left)
		}
	})
}

func TestDisableAndChangePassword(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		c := service.Client{IP: "192.0.2.1"}
		other, err := svc.Login(ctx, "sales1@example.com", pw, c)
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
			err := svc.ChangeMyPassword(ctx, f.sales1, tt.current, tt.next)
			var e *errs.Error
			if !errors.As(err, &e) || e.Kind != errs.Invalid || e.Field != tt.field {
				t.Fatalf("change %q -> %q: %v, want invalid %s", tt.current, tt.next, err, tt.field)
			}
		}
		if err := svc.ChangeMyPassword(ctx, f.sales1, pw, "a brand new passphrase"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Authenticate(ctx, other.Token, c); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("other session after a password change: %v", err)
		}
		if _, err := svc.Sessions(ctx, f.sales1, ""); err != nil {
			t.Fatalf("the current session should survive: %v", err)
		}
		if _, err := svc.Login(ctx, "sales1@example.com", "a brand new passphrase", c); err != nil {
			t.Fatalf("login with the new password: %v", err)
		}
		// Disabling ends sessions and refuses login with the same answer as a wrong password.
		s2, _ := svc.Login(ctx, "sales2@example.com", pw, c)
		if err := svc.SetUserDisabled(ctx, f.sales1, f.sales2.UserID, true); !errs.Is(err, errs.Permission) {
			t.Fatalf("sales disabling: %v", err)
		}
		if err := svc.SetUserDisabled(ctx, f.admin, f.admin.UserID, true); !errs.Is(err, errs.Permission) {
			t.Fatalf("disabling oneself: %v", err)
		}
		if err := svc.SetUserDisabled(ctx, f.admin, f.sales2.UserID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Authenticate(ctx, s2.Token, c); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("disabled user's session: %v", err)
		}
		if _, err := svc.Login(ctx, "sales2@example.com", pw, c); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("disabled user's login: %v", err)
		}
		if err := svc.SetUserDisabled(ctx, f.admin, f.sales2.UserID, false); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Login(ctx, "sales2@example.com", pw, c); err != nil {
			t.Fatalf("re-enabled user's login: %v", err)
		}
	})
}
