package service_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authn"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/mail"
	"strongroom.dev/strongroom/internal/mail/mailtest"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/governance"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/testkit"
)

// TestLockout: ten consecutive failures lock an account for 30 minutes on
// every server of the database; while locked even the right password gets
// the wrong-password answer; the lock is audited and mailed to the user.
func TestLockout(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		smtp := mailtest.New(t)
		q := mail.NewQueue(smtp.Config(), slog.New(slog.DiscardHandler), 10)
		t.Cleanup(q.Close)
		clk := &clock{now: time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)}
		opt := service.Options{Now: clk.Now, Throttle: authn.NewThrottle(6000, 1000), Mail: q, PublicURL: "https://crm.example.com/"}
		env := testkit.NewEnv(t, db, opt)
		// A second server on the same database.
		opt.Hasher = testkit.FastHasher()
		other, err := service.New(ctx, env.Store, env.Keys, opt)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(other.Close)
		servers := []*service.Service{env.Service, other}
		if _, err := env.Service.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: "li.lei@example.com", Role: "sales", Password: pw}); err != nil {
			t.Fatal(err)
		}
		c := identity.Client{IP: "198.51.100.7"}
		for _, email := range []string{"li.lei@example.com", "nobody@example.com"} {
			for i := range authn.LockAfter {
				_, err := servers[i%2].Sessions.Login(ctx, email, "not the password at all", c)
				if !errs.Is(err, errs.Unauthenticated) {
					t.Fatalf("%s failure %d: %v", email, i+1, err)
				}
				clk.Advance(time.Minute) // past every growing delay
			}
		}
		wrongAnswer := func() string {
			_, err := env.Service.Sessions.Login(ctx, "li.lei@example.com", "not the password at all", c)
			msg, _ := errs.Public(err)
			return msg
		}()
		for i, s := range servers {
			for _, email := range []string{"li.lei@example.com", "nobody@example.com"} {
				_, err := s.Sessions.Login(ctx, email, pw, c)
				msg, _ := errs.Public(err)
				if !errs.Is(err, errs.Unauthenticated) || msg != wrongAnswer {
					t.Fatalf("server %d, %s locked, right password: %v; want exactly the wrong-password answer %q", i, email, err, wrongAnswer)
				}
			}
		}

		got := smtp.Next(t)
		if got.To != "li.lei@example.com" || !strings.Contains(got.Subject, "locked") ||
			!strings.Contains(got.Body, "198.51.100.7") || !strings.Contains(got.Body, "https://crm.example.com/password/forgot") {
			t.Fatalf("lock email: to %s, %q\n%s", got.To, got.Subject, got.Body)
		}
		smtp.None(t, 200*time.Millisecond) // nothing for the unknown account, and only one lock email

		clk.Advance(authn.LockFor)
		if _, err := other.Sessions.Login(ctx, "li.lei@example.com", pw, c); err != nil {
			t.Fatalf("after 30 minutes the right password must work: %v", err)
		}
		// The success cleared the run: one more failure does not lock again.
		if _, err := env.Service.Sessions.Login(ctx, "li.lei@example.com", "wrong again, once", c); !errs.Is(err, errs.Unauthenticated) {
			t.Fatal(err)
		}
		if _, err := env.Service.Sessions.Login(ctx, "li.lei@example.com", pw, c); err != nil {
			t.Fatalf("one failure after a success locked the account: %v", err)
		}

		var locks, lockedFailures int
		for _, e := range auditEvents(t, env) {
			switch {
			case e.Action == "user.lock":
				locks++
			case e.Action == "session.create" && e.Reason == "account locked":
				lockedFailures++
			}
		}
		if locks != 2 || lockedFailures < 4 {
			t.Fatalf("audit: %d locks (want 2: the user and the unknown account), %d attempts while locked (want ≥ 4)", locks, lockedFailures)
		}
	})
}

// auditEvents reads the whole audit log as the system.
func auditEvents(t *testing.T, env *testkit.Env) []audit.Event {
	t.Helper()
	var out []audit.Event
	q := governance.AuditQuery{Limit: 1000}
	for {
		page, err := env.Service.AuditLog.Events(context.Background(), authz.System(), q)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Events...)
		if page.NextAfter == 0 {
			return out
		}
		q.AfterSeq = page.NextAfter
	}
}
