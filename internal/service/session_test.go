package service_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/authn"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/governance"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/testkit"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func TestSessionTimeouts(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		clk := &clock{now: time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)}
		env := testkit.NewEnv(t, db, service.Options{Now: clk.Now})
		svc := env.Service
		if _, err := svc.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: "a@example.com", Role: "sales", Password: pw}); err != nil {
			t.Fatal(err)
		}
		c := identity.Client{IP: "192.0.2.1"}

		t.Run("idle", func(t *testing.T) {
			s, err := svc.Sessions.Login(ctx, "a@example.com", pw, c)
			if err != nil {
				t.Fatal(err)
			}
			clk.Advance(14 * time.Minute)
			if _, err := svc.Sessions.Authenticate(ctx, s.Token, c); err != nil {
				t.Fatalf("after 14 idle minutes: %v", err)
			}
			clk.Advance(14 * time.Minute) // activity reset the idle clock
			if _, err := svc.Sessions.Authenticate(ctx, s.Token, c); err != nil {
				t.Fatalf("14 minutes after activity: %v", err)
			}
			clk.Advance(15 * time.Minute)
			if _, err := svc.Sessions.Authenticate(ctx, s.Token, c); !errs.Is(err, errs.Unauthenticated) {
				t.Fatalf("after 15 idle minutes: err = %v, want unauthenticated", err)
			}
		})
		t.Run("absolute", func(t *testing.T) {
			s, err := svc.Sessions.Login(ctx, "a@example.com", pw, c)
			if err != nil {
				t.Fatal(err)
			}
			for elapsed := time.Duration(0); elapsed < 12*time.Hour-10*time.Minute; elapsed += 10 * time.Minute {
				clk.Advance(10 * time.Minute)
				if _, err := svc.Sessions.Authenticate(ctx, s.Token, c); err != nil {
					t.Fatalf("active session refused after %v: %v", elapsed+10*time.Minute, err)
				}
			}
			clk.Advance(10 * time.Minute)
			if _, err := svc.Sessions.Authenticate(ctx, s.Token, c); !errs.Is(err, errs.Unauthenticated) {
				t.Fatalf("after 12 hours: err = %v, want unauthenticated", err)
			}
		})
		t.Run("purge removes ended sessions", func(t *testing.T) {
			n, err := svc.Sessions.PurgeSessions(ctx)
			if err != nil || n < 2 {
				t.Fatalf("purged %d, %v; want the two ended sessions", n, err)
			}
		})
	})
}

func TestLoginThrottledAndAudited(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		clk := &clock{now: time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)}
		env := testkit.NewEnv(t, db, service.Options{Now: clk.Now, Throttle: authn.NewThrottle(600, 1000)})
		svc := env.Service
		if _, err := svc.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: "a@example.com", Role: "sales", Password: pw}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: "aud@example.com", Role: "auditor", Password: pw}); err != nil {
			t.Fatal(err)
		}
		c := identity.Client{IP: "203.0.113.5"}
		for _, email := range []string{"a@example.com", "ghost@example.com"} {
			for i := range 5 {
				if _, err := svc.Sessions.Login(ctx, email, "wrong password number x", c); !errs.Is(err, errs.Unauthenticated) {
					t.Fatalf("%s attempt %d: %v", email, i+1, err)
				}
			}
			_, err := svc.Sessions.Login(ctx, email, pw, c)
			var e *errs.Error
			if !errs.Is(err, errs.TooMany) || !errors.As(err, &e) || e.RetryAfter <= 0 {
				t.Fatalf("%s after 5 failures: err = %v, want too many with a retry time", email, err)
			}
		}
		clk.Advance(2 * time.Second)
		if _, err := svc.Sessions.Login(ctx, "a@example.com", pw, c); err != nil {
			t.Fatalf("after the delay the right password must work: %v", err)
		}

		sess, err := svc.Sessions.Login(ctx, "aud@example.com", pw, c)
		if err != nil {
			t.Fatal(err)
		}
		aud, _ := svc.Sessions.Authenticate(ctx, sess.Token, c)
		page, err := svc.AuditLog.Events(ctx, aud, governance.AuditQuery{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for _, e := range page.Events {
			if e.Action == "session.create" {
				count[e.Outcome+"/"+e.Reason]++
				if e.IP != c.IP {
					t.Errorf("login event without the client address: %+v", e)
				}
			}
		}
		want := map[string]int{"failure/bad credentials": 10, "denied/throttled": 2, "success/": 2}
		for k, n := range want {
			if count[k] != n {
				t.Errorf("%s login events: %d, want %d (all: %v)", k, count[k], n, count)
			}
		}
	})
}
