package service_test

import (
	"context"
	"log/slog"
	"net/url"
	"regexp"
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

var linkRE = regexp.MustCompile(`https://crm\.example\.com(/[a-z/]+)\?token=(\S+)`)

// linkIn finds the emailed link's path and token.
func linkIn(t *testing.T, body string) (path, token string) {
	t.Helper()
	m := linkRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no link in the email:\n%s", body)
	}
	tok, err := url.QueryUnescape(m[2])
	if err != nil {
		t.Fatal(err)
	}
	return m[1], tok
}

func mailEnv(t *testing.T, db testkit.DB, clk *clock) (*testkit.Env, *mailtest.Server) {
	smtp := mailtest.New(t)
	q := mail.NewQueue(smtp.Config(), slog.New(slog.DiscardHandler), 10)
	t.Cleanup(q.Close)
	env := testkit.NewEnv(t, db, service.Options{Now: clk.Now, Throttle: authn.NewThrottle(6000, 1000), Mail: q, PublicURL: "https://crm.example.com"})
	return env, smtp
}

func TestPasswordReset(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		clk := &clock{now: time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)}
		env, smtp := mailEnv(t, db, clk)
		svc := env.Service
		if _, err := svc.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: "han.mei@example.com", Role: "sales", Password: pw}); err != nil {
			t.Fatal(err)
		}
		c := identity.Client{IP: "192.0.2.44"}
		old, err := svc.Sessions.Login(ctx, "han.mei@example.com", pw, c)
		if err != nil {
			t.Fatal(err)
		}

		// Known and unknown emails get the same answer; only the known one gets mail.
		for _, email := range []string{"nobody@example.com", "Han.Mei@Example.com"} {
			if err := svc.Users.RequestPasswordReset(ctx, email, c); err != nil {
				t.Fatalf("%s: %v", email, err)
			}
		}
		got := smtp.Next(t)
		smtp.None(t, 200*time.Millisecond)
		if got.To != "han.mei@example.com" {
			t.Fatalf("reset mail went to %s", got.To)
		}
		path, token := linkIn(t, got.Body)
		if path != identity.ResetPath {
			t.Fatalf("link path %s", path)
		}
		if err := svc.Users.RequestPasswordReset(ctx, "not an email", c); !errs.Is(err, errs.Invalid) {
			t.Fatalf("bad email: %v", err)
		}

		const next = "a brand new passphrase 2026"
		if err := svc.Users.ResetPassword(ctx, token, "short", c); !errs.Is(err, errs.Invalid) {
			t.Fatalf("weak password accepted: %v", err)
		}
		if err := svc.Users.ResetPassword(ctx, token, next, c); err != nil {
			t.Fatal(err)
		}
		if err := svc.Users.ResetPassword(ctx, token, "yet another passphrase 99", c); !errs.Is(err, errs.Invalid) {
			t.Fatalf("a used link worked again: %v", err)
		}
		if _, err := svc.Sessions.Authenticate(ctx, old.Token, c); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("a session from before the reset survived: %v", err)
		}
		if _, err := svc.Sessions.Login(ctx, "han.mei@example.com", pw, c); !errs.Is(err, errs.Unauthenticated) {
			t.Fatal("the old password still works")
		}
		if _, err := svc.Sessions.Login(ctx, "han.mei@example.com", next, c); err != nil {
			t.Fatalf("the new password: %v", err)
		}

		// A link expires after 30 minutes, and a newer link voids an older one.
		svc.Users.RequestPasswordReset(ctx, "han.mei@example.com", c)
		_, first := linkIn(t, smtp.Next(t).Body)
		svc.Users.RequestPasswordReset(ctx, "han.mei@example.com", c)
		_, second := linkIn(t, smtp.Next(t).Body)
		if err := svc.Users.ResetPassword(ctx, first, "replaced link passphrase", c); !errs.Is(err, errs.Invalid) {
			t.Fatalf("a replaced link worked: %v", err)
		}
		clk.Advance(identity.ResetLinkFor)
		if err := svc.Users.CheckLink(ctx, second, "reset"); !errs.Is(err, errs.Invalid) {
			t.Fatalf("a 30-minute-old link is still valid: %v", err)
		}
		for _, bad := range []string{"", "srl_x", "srs_" + second[4:], second + "A"} {
			if err := svc.Users.ResetPassword(ctx, bad, next, c); !errs.Is(err, errs.Invalid) {
				t.Errorf("token %q: %v", bad, err)
			}
		}
	})
}

func TestPasswordResetKeepsSecondFactor(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		clk := &clock{now: time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)}
		env, smtp := mailEnv(t, db, clk)
		svc := env.Service
		c := identity.Client{IP: "192.0.2.45"}
		enrolTOTP(t, svc, clk, "mfa.user@example.com", c)
		svc.Users.RequestPasswordReset(ctx, "mfa.user@example.com", c)
		_, token := linkIn(t, smtp.Next(t).Body)
		const next = "reset but still two steps"
		if err := svc.Users.ResetPassword(ctx, token, next, c); err != nil {
			t.Fatal(err)
		}
		sess, err := svc.Sessions.Login(ctx, "mfa.user@example.com", next, c)
		if err != nil {
			t.Fatal(err)
		}
		if !sess.MFAPending {
			t.Fatal("a password reset skipped the second factor")
		}
	})
}

func TestInvitation(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		clk := &clock{now: time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)}
		env, smtp := mailEnv(t, db, clk)
		svc := env.Service
		c := identity.Client{IP: "192.0.2.46"}
		inv, err := svc.Users.InviteUser(ctx, authz.System(), identity.NewUser{Email: "new.hire@example.com", Role: "support", Team: "north"})
		if err != nil {
			t.Fatal(err)
		}
		if !inv.Mailed || inv.Link != "" {
			t.Fatalf("with a relay the link must be mailed, not returned: %+v", inv)
		}
		got := smtp.Next(t)
		path, token := linkIn(t, got.Body)
		if got.To != "new.hire@example.com" || path != identity.InvitePath {
			t.Fatalf("invite to %s, path %s", got.To, path)
		}
		users, _ := svc.Users.ListUsers(ctx, authz.System())
		pending := false
		for _, u := range users {
			pending = pending || u.Email == "new.hire@example.com" && u.Invited
		}
		if !pending {
			t.Fatal("the invited user is not listed as invited")
		}
		for _, p := range []string{"", pw} {
			if _, err := svc.Sessions.Login(ctx, "new.hire@example.com", p, c); !errs.Is(err, errs.Unauthenticated) {
				t.Fatalf("an invited user logged in before choosing a password (%q): %v", p, err)
			}
		}
		if err := svc.Users.ResetPassword(ctx, token, pw, c); !errs.Is(err, errs.Invalid) {
			t.Fatalf("an invitation link used as a reset link: %v", err)
		}
		if err := svc.Users.AcceptInvitation(ctx, token, pw, c); err != nil {
			t.Fatal(err)
		}
		if err := svc.Users.AcceptInvitation(ctx, token, "second acceptance phrase", c); !errs.Is(err, errs.Invalid) {
			t.Fatalf("an invitation accepted twice: %v", err)
		}
		if _, err := svc.Sessions.Login(ctx, "new.hire@example.com", pw, c); err != nil {
			t.Fatalf("login after accepting: %v", err)
		}
		if _, err := svc.Users.InviteUser(ctx, authz.Actor{UserID: "usr_x", Roles: []authz.Role{"sales"}}, identity.NewUser{Email: "x@example.com", Role: "admin"}); !errs.Is(err, errs.Permission) {
			t.Fatalf("a salesperson invited an admin: %v", err)
		}

		// Without a relay the administrator gets the link to pass on.
		bare := testkit.NewEnv(t, testkit.NewLike(t, db), service.Options{PublicURL: "https://crm.example.com"})
		inv, err = bare.Service.Users.InviteUser(ctx, authz.System(), identity.NewUser{Email: "x@example.com", Role: "sales"})
		if err != nil || inv.Mailed || inv.Link == "" {
			t.Fatalf("no relay: %+v, %v", inv, err)
		}
		if _, tok := linkIn(t, inv.Link); bare.Service.Users.CheckLink(ctx, tok, "invite") != nil {
			t.Fatal("the returned link does not work")
		}
	})
}

// enrolTOTP creates a sales user with email, logs in and enrols an
// authenticator; it returns the secret, for making codes.
func enrolTOTP(t *testing.T, svc *service.Service, clk *clock, email string, c identity.Client) string {
	t.Helper()
	ctx := context.Background()
	if _, err := svc.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: email, Role: "sales", Password: pw}); err != nil {
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
	en, err := svc.Sessions.BeginTOTP(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(en.Secret, clk.Now())
	if _, err := svc.Sessions.ConfirmTOTP(ctx, a, en.Secret, code); err != nil {
		t.Fatal(err)
	}
	clk.Advance(30 * time.Second) // the enrolment code is spent
	return en.Secret
}
