package service_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/testkit"
)

// A user's time zone, on both engines: the browser's zone at the first
// login becomes the user's (a name outside the tz database is ignored);
// the user's own choice replaces it, is audited, reaches the next request
// at once (the session cache sees the change), and a later browser does
// not override it; zones and formats outside the lists are refused; the
// emails to the user write times in their zone and format, offset said.
func TestUserTimeZone(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		clk := &clock{now: time.Date(2026, 11, 24, 14, 5, 0, 0, time.UTC)}
		box := &outbox{}
		env := testkit.NewEnv(t, db, service.Options{Now: clk.Now, Mail: box, PublicURL: "https://crm.example.com"})
		svc := env.Service
		for _, email := range []string{"wang@example.com", "nobody@example.com"} {
			if _, err := svc.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: email, Role: "sales", Password: pw}); err != nil {
				t.Fatal(err)
			}
		}
		actor := func(email, browserZone string) authz.Actor {
			t.Helper()
			c := identity.Client{IP: "192.0.2.1", TimeZone: browserZone}
			a, err := svc.Sessions.Authenticate(ctx, mustLogin(t, svc, email, c), c)
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		if a := actor("nobody@example.com", "Mars/Olympus_Mons"); a.TimeZone != "" {
			t.Fatalf("a browser's non-zone was kept: %q", a.TimeZone)
		}
		a := actor("wang@example.com", "Asia/Shanghai")
		if a.TimeZone != "Asia/Shanghai" || a.TimeFormat != "" {
			t.Fatalf("the browser's zone at login: %q %q", a.TimeZone, a.TimeFormat)
		}

		for _, bad := range []struct{ zone, format string }{{"Asia/Atlantis", ""}, {"Local", ""}, {"../../etc/localtime", ""}, {"Asia/Shanghai", "us"}} {
			if err := svc.Users.SetMyTime(ctx, a, bad.zone, bad.format); !errs.Is(err, errs.Invalid) {
				t.Errorf("SetMyTime(%q, %q) = %v, want Invalid", bad.zone, bad.format, err)
			}
		}
		if err := svc.Users.SetMyTime(ctx, a, "America/New_York", "iso"); err != nil {
			t.Fatal(err)
		}
		tok := mustLogin(t, svc, "wang@example.com", identity.Client{IP: "192.0.2.1", TimeZone: "Europe/Paris"})
		again, err := svc.Sessions.Authenticate(ctx, tok, identity.Client{IP: "192.0.2.1"})
		if err != nil || again.TimeZone != "America/New_York" || again.TimeFormat != "iso" {
			t.Fatalf("after choosing, and a login from a Paris browser: %q %q %v", again.TimeZone, again.TimeFormat, err)
		}
		if acts := auditActions(t, &fixture{Env: env}); !slices.Contains(acts, "user.time_change") {
			t.Fatalf("no user.time_change in %v", acts)
		}

		if err := svc.Users.RequestPasswordReset(ctx, "wang@example.com", identity.Client{IP: "192.0.2.7"}); err != nil {
			t.Fatal(err)
		}
		sent := box.to("wang@example.com")
		if len(sent) != 1 || !strings.Contains(sent[0].Body, "2026-11-24 09:05 UTC−5") {
			t.Fatalf("the reset email is not in the user's zone: %+v", sent)
		}
	})
}
