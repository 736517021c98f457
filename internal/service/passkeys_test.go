package service_test

import (
	"bytes"
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

func TestPasskeys(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		clk := &clock{now: time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)}
		env := testkit.NewEnv(t, db, service.Options{Now: clk.Now, PublicURL: "https://localhost:8443"})
		svc := env.Service
		c := identity.Client{IP: "192.0.2.80"}
		if _, err := svc.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: "pk@example.com", Role: "sales", Password: pw}); err != nil {
			t.Fatal(err)
		}
		login := func() (authz.Actor, string) {
			t.Helper()
			sess, err := svc.Sessions.Login(ctx, "pk@example.com", pw, c)
			if err != nil {
				t.Fatal(err)
			}
			a, err := svc.Sessions.Authenticate(ctx, sess.Token, c)
			if err != nil {
				t.Fatal(err)
			}
			return a, sess.Token
		}
		a, _ := login()
		key := testkit.NewAuthenticator("https://localhost:8443")
		opts, err := svc.Sessions.BeginPasskeyRegistration(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := key.Create(opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"laptop\x00", "laptop \u202egpj.exe", "lap\ntop", "lap\xfftop"} { // the text rules
			var e *errs.Error
			if _, err := svc.Sessions.FinishPasskeyRegistration(ctx, a, bad, resp); !errors.As(err, &e) || e.Kind != errs.Invalid || e.Field != "name" {
				t.Fatalf("passkey name %q: %v", bad, err)
			}
		}
		if _, err := svc.Sessions.FinishPasskeyRegistration(ctx, a, "Work laptop 工作电脑", resp); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Sessions.FinishPasskeyRegistration(ctx, a, "again", resp); !errs.Is(err, errs.Conflict) {
			t.Fatalf("a registration answered twice: %v", err)
		}
		list, err := svc.Sessions.MyPasskeys(ctx, a)
		if err != nil || len(list) != 1 || list[0].Name != "Work laptop 工作电脑" {
			t.Fatalf("my passkeys: %+v, %v", list, err)
		}
		raw := env.DB.Raw(t)
		var sealed []byte
		if err := raw.QueryRow("SELECT credential_ct FROM passkeys").Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(sealed, []byte("Work laptop")) || bytes.Contains(sealed, []byte("工作电脑")) {
			t.Fatal("the passkey's label is stored in plaintext")
		}

		// From now on login asks for the second factor, and the passkey gives it.
		pending, oldToken := login()
		if !pending.MFAPending {
			t.Fatal("a user with a passkey logged in with the password alone")
		}
		stranger := testkit.NewAuthenticator("https://localhost:8443")
		opts, err = svc.Sessions.BeginPasskeyProof(ctx, pending)
		if err != nil {
			t.Fatal(err)
		}
		strangerResp, _ := stranger.Get(opts)
		if _, err := svc.Sessions.FinishPasskeyProof(ctx, pending, strangerResp); !errs.Is(err, errs.Invalid) {
			t.Fatalf("an unregistered passkey: %v", err)
		}
		opts, _ = svc.Sessions.BeginPasskeyProof(ctx, pending)
		resp, _ = key.Get(opts)
		rotated, err := svc.Sessions.FinishPasskeyProof(ctx, pending, resp)
		token := rotated.Token
		if err != nil {
			t.Fatalf("passkey as second factor: %v", err)
		}
		if _, err := svc.Sessions.Authenticate(ctx, oldToken, c); !errs.Is(err, errs.Unauthenticated) {
			t.Fatal("the pre-verification token still works")
		}
		full, err := svc.Sessions.Authenticate(ctx, token, c)
		if err != nil || full.MFAPending || !full.SteppedUp(clk.Now()) {
			t.Fatalf("after the passkey: %+v, %v", full, err)
		}
		if _, err := svc.Sessions.FinishPasskeyProof(ctx, full, resp); !errs.Is(err, errs.Conflict) && !errs.Is(err, errs.Invalid) {
			t.Fatalf("a replayed answer: %v", err)
		}

		// Step-up with the passkey; the password alone is not enough.
		clk.Advance(authz.StepUpWindow)
		if _, err := svc.Sessions.StepUp(ctx, full, "", pw); !errs.Is(err, errs.Invalid) {
			t.Fatalf("step-up by password for a passkey user: %v", err)
		}
		opts, _ = svc.Sessions.BeginPasskeyProof(ctx, full)
		resp, _ = key.Get(opts)
		if _, err := svc.Sessions.FinishPasskeyProof(ctx, full, resp); err != nil {
			t.Fatalf("step-up with the passkey: %v", err)
		}

		// A page on another origin cannot use the answer.
		_, tok2 := login()
		p2, _ := svc.Sessions.Authenticate(ctx, tok2, c)
		opts, _ = svc.Sessions.BeginPasskeyProof(ctx, p2)
		key.Origin = "https://strongroom.example.net"
		resp, _ = key.Get(opts)
		if _, err := svc.Sessions.FinishPasskeyProof(ctx, p2, resp); !errs.Is(err, errs.Invalid) {
			t.Fatalf("an answer for another origin: %v", err)
		}

		if err := svc.Sessions.ResetMFA(ctx, authz.System(), a.UserID); err != nil {
			t.Fatal(err)
		}
		if again, _ := login(); again.MFAPending {
			t.Fatal("the admin reset left the passkey in place")
		}

		byIP := testkit.NewEnv(t, testkit.NewLike(t, db), service.Options{PublicURL: "https://127.0.0.1:8443"})
		if byIP.Service.Sessions.PasskeysAvailable() {
			t.Fatal("passkeys offered on an address browsers refuse as a relying party")
		}
	})
}
