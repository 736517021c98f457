package service_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"strongroom.dev/strongroom/internal/authn"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/mail"
	"strongroom.dev/strongroom/internal/mail/mailtest"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/testkit"
)

// TestPasswordRecheckLocks: ten wrong current passwords behind a session
// lock the account like ten failed logins — audited, mailed — and the
// right password then opens nothing, at login or behind the session.
func TestPasswordRecheckLocks(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		smtp := mailtest.New(t)
		q := mail.NewQueue(smtp.Config(), slog.New(slog.DiscardHandler), 10)
		t.Cleanup(q.Close)
		clk := &clock{now: time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)}
		env := testkit.NewEnv(t, db, service.Options{Now: clk.Now, Throttle: authn.NewThrottle(6000, 1000), Mail: q, PublicURL: "https://crm.example.com/"})
		svc := env.Service
		if _, err := svc.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: "li.lei@example.com", Role: "sales", Password: pw}); err != nil {
			t.Fatal(err)
		}
		c := identity.Client{IP: "198.51.100.9"}
		sess, err := svc.Sessions.Login(ctx, "li.lei@example.com", pw, c)
		if err != nil {
			t.Fatal(err)
		}
		a, err := svc.Sessions.Authenticate(ctx, sess.Token, c)
		if err != nil {
			t.Fatal(err)
		}
		for i := range authn.LockAfter {
			var err error
			if i%2 == 0 {
				err = svc.Users.ChangeMyPassword(ctx, a, "a wrong guess at it", "the attacker's own passphrase")
			} else {
				_, err = svc.Sessions.StepUp(ctx, a, "", "a wrong guess at it")
			}
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("guess %d: %v", i+1, err)
			}
			clk.Advance(time.Hour) // past every growing delay (the lock lasts 30 minutes)
			if i == authn.LockAfter-1 {
				clk.Advance(-time.Hour + time.Minute)
			}
		}
		if err := svc.Users.ChangeMyPassword(ctx, a, pw, "the attacker's own passphrase"); !errs.Is(err, errs.TooMany) {
			t.Fatalf("the right password behind the session while locked: %v", err)
		}
		if _, err := svc.Sessions.Login(ctx, "li.lei@example.com", pw, c); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("a login while the re-checks locked the account: %v", err)
		}
		got := smtp.Next(t)
		if got.To != "li.lei@example.com" || !strings.Contains(got.Subject, "locked") {
			t.Fatalf("lock email: to %s, %q", got.To, got.Subject)
		}
		locks := 0
		for _, e := range auditEvents(t, env) {
			if e.Action == "user.lock" {
				locks++
			}
		}
		if locks != 1 {
			t.Fatalf("%d user.lock events, want 1", locks)
		}
	})
}

// TestSecondFactorChangesNeedAFreshProof: five minutes after the last
// proof, a session cannot begin or confirm an authenticator nor end
// sessions; a password does not prove a user who has a second factor; a
// code from that factor does.
func TestSecondFactorChangesNeedAFreshProof(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		clk := &clock{now: time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)}
		env := testkit.NewEnv(t, db, service.Options{Now: clk.Now, Throttle: authn.NewThrottle(6000, 1000)})
		svc := env.Service
		c := identity.Client{IP: "198.51.100.10"}
		secret := enrolTOTP(t, svc, clk, "wang.fang@example.com", c)
		sess, err := svc.Sessions.Login(ctx, "wang.fang@example.com", pw, c)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := svc.Sessions.Authenticate(ctx, sess.Token, c)
		code, _ := totp.GenerateCode(secret, clk.Now())
		if sess, err = svc.Sessions.VerifyMFA(ctx, a, code); err != nil {
			t.Fatal(err)
		}
		clk.Advance(authz.StepUpWindow + time.Second)
		a, err = svc.Sessions.Authenticate(ctx, sess.Token, c)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Sessions.BeginTOTP(ctx, a); !errs.Is(err, errs.StepUp) {
			t.Fatalf("begin a new authenticator on a stale session: %v", err)
		}
		if _, err := svc.Sessions.ConfirmTOTP(ctx, a, "", "123456"); !errs.Is(err, errs.StepUp) {
			t.Fatalf("confirm on a stale session: %v", err)
		}
		if _, err := svc.Sessions.EndOtherSessions(ctx, a); !errs.Is(err, errs.StepUp) {
			t.Fatalf("end other sessions on a stale session: %v", err)
		}
		if _, err := svc.Sessions.StepUp(ctx, a, "", pw); !errs.Is(err, errs.Invalid) {
			t.Fatalf("a password stepped up a user with an authenticator: %v", err)
		}
		clk.Advance(30 * time.Second)
		code, _ = totp.GenerateCode(secret, clk.Now())
		if sess, err = svc.Sessions.StepUp(ctx, a, code, ""); err != nil {
			t.Fatal(err)
		}
		a, _ = svc.Sessions.Authenticate(ctx, sess.Token, c)
		if _, err := svc.Sessions.BeginTOTP(ctx, a); err != nil {
			t.Fatalf("begin after a step-up with the code: %v", err)
		}
		// The offer expires after 10 minutes.
		clk.Advance(11 * time.Minute)
		if _, err := svc.Sessions.PendingTOTP(ctx, a); !errs.Is(err, errs.Conflict) {
			t.Fatalf("an offer older than 10 minutes: %v", err)
		}
	})
}

// TestOldRecoveryCodesRefused: a recovery code of the earlier 80-bit form
// (16 characters) no longer logs in, even if its hash is stored.
func TestOldRecoveryCodesRefused(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		clk := &clock{now: time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)}
		env := testkit.NewEnv(t, db, service.Options{Now: clk.Now, Throttle: authn.NewThrottle(6000, 1000)})
		c := identity.Client{IP: "198.51.100.12"}
		enrolTOTP(t, env.Service, clk, "qian.li@example.com", c)
		const old = "abcd-efgh-ijkl-mnop"
		sum := sha256.Sum256([]byte("strongroom/recovery/v1|" + old))
		// A hex digest is safe to write into the statement as it is.
		if _, err := db.Raw(t).Exec("UPDATE users SET recovery_hashes = '" + hex.EncodeToString(sum[:]) + "' WHERE recovery_hashes <> ''"); err != nil {
			t.Fatal(err)
		}
		sess, err := env.Service.Sessions.Login(ctx, "qian.li@example.com", pw, c)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := env.Service.Sessions.Authenticate(ctx, sess.Token, c)
		if _, err := env.Service.Sessions.VerifyMFA(ctx, a, old); !errs.Is(err, errs.Invalid) {
			t.Fatalf("an 80-bit recovery code logged in: %v", err)
		}
	})
}

// TestTOTPWindow: the current and the previous step are accepted, never a
// step ahead.
func TestTOTPWindow(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		clk := &clock{now: time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)}
		env := testkit.NewEnv(t, db, service.Options{Now: clk.Now, Throttle: authn.NewThrottle(6000, 1000)})
		svc := env.Service
		c := identity.Client{IP: "198.51.100.11"}
		secret := enrolTOTP(t, svc, clk, "zhao.lei@example.com", c)
		for _, tt := range []struct {
			offset time.Duration
			ok     bool
		}{{30 * time.Second, false}, {-90 * time.Second, false}, {-30 * time.Second, true}, {0, true}} {
			clk.Advance(2 * time.Minute) // a fresh step each time, so no code is a replay
			sess, err := svc.Sessions.Login(ctx, "zhao.lei@example.com", pw, c)
			if err != nil {
				t.Fatal(err)
			}
			a, _ := svc.Sessions.Authenticate(ctx, sess.Token, c)
			code, _ := totp.GenerateCode(secret, clk.Now().Add(tt.offset))
			if _, err := svc.Sessions.VerifyMFA(ctx, a, code); (err == nil) != tt.ok {
				t.Errorf("a code %v from now: %v, want ok=%v", tt.offset, err, tt.ok)
			}
		}
	})
}
