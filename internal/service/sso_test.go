package service_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"strongroom.dev/strongroom/internal/authn"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/sso"
	"strongroom.dev/strongroom/internal/testkit"
	"strongroom.dev/strongroom/internal/testkit/oidctest"
)

// ssoFlow runs one single sign-on against a real provider: the
// authorisation request (state, nonce, PKCE S256), the provider's login
// of u, the code's exchange and the ID token's verification, then
// LoginSSO. verifierOf, when set, picks the verifier sent to the token
// endpoint from another state (a code carried into someone else's flow).
func ssoFlow(t *testing.T, f *fixture, rp *sso.Provider, idp *oidctest.Provider, u oidctest.User, verifierOf string) (identity.Session, error) {
	t.Helper()
	id, err := ssoIdentity(t, f, rp, idp, u, verifierOf, false)
	if err != nil {
		return identity.Session{}, err
	}
	return f.Service.Sessions.LoginSSO(context.Background(), id, identity.Client{IP: "198.51.100.20", UserAgent: "test"})
}

// ssoIdentity runs the flow up to the verified identity; again asks the
// provider to sign the user in again (a step-up).
func ssoIdentity(t *testing.T, f *fixture, rp *sso.Provider, idp *oidctest.Provider, u oidctest.User, verifierOf string, again bool) (identity.SSOIdentity, error) {
	t.Helper()
	ctx := context.Background()
	state := rand.Text()
	nonce, verifier := f.Service.Sessions.SSOSecrets(state)
	authURL, err := rp.AuthURL(ctx, state, nonce, verifier, again)
	if err != nil {
		t.Fatal(err)
	}
	idp.LoginAs(u)
	back := idp.Authorize(t, authURL)
	if got := back.Query().Get("state"); got != state {
		t.Fatalf("state came back as %q, want %q", got, state)
	}
	if verifierOf != "" {
		_, verifier = f.Service.Sessions.SSOSecrets(verifierOf)
	}
	return rp.Exchange(ctx, back.Query().Get("code"), verifier, nonce)
}

// lastEvent returns action, outcome and reason of the latest event.
func lastEvent(t *testing.T, f *fixture, action string) (string, string) {
	t.Helper()
	var outcome, reason string
	err := f.DB.Raw(t).QueryRow("SELECT outcome, reason FROM audit_events WHERE action = '"+action+"' ORDER BY seq DESC LIMIT 1").Scan(&outcome, &reason)
	if err != nil {
		t.Fatalf("no %s event: %v", action, err)
	}
	return outcome, reason
}

// TestSingleSignOn logs in through a real OpenID Connect provider
// (zitadel/oidc's op, oidctest) on both engines: accounts found by their
// link or, the first time, by a verified email; just-in-time accounts on
// and off; groups mapped to roles at each login and audited as a role
// change; disabled and locked accounts refused; two-step login left to the provider
// only when it asserted it; and forged or misrouted answers (a wrong
// nonce, another issuer, a code redeemed with another login's verifier)
// refused before any account is looked at.
func TestSingleSignOn(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		idp := oidctest.Start(t)
		const callback = "https://crm.example.com/login/sso/callback"
		idp.AllowRedirect(callback)
		rp, err := sso.New(sso.Config{Issuer: idp.Issuer, ClientID: idp.ClientID, ClientSecret: idp.ClientSecret, RedirectURL: callback, CAFile: idp.CAFile})
		if err != nil {
			t.Fatal(err)
		}
		policy := identity.SSOPolicy{Issuer: idp.Issuer, RoleMap: map[string]string{"crm-sales": "sales", "crm-audit": "auditor", "crm-admins": "admin"}, MFAByProvider: true}
		if err := svc.Sessions.UseSSO(ctx, policy); err != nil {
			t.Fatal(err)
		}
		if err := svc.Sessions.UseSSO(ctx, identity.SSOPolicy{Issuer: idp.Issuer, RoleMap: map[string]string{"g": "no-such-role"}}); err == nil {
			t.Error("a role map naming an unknown role was accepted")
		}
		if err := svc.Sessions.SetMFARequiredRoles(ctx, f.admin, []string{"admin"}); err != nil {
			t.Fatal(err)
		}
		// The relying party asked for PKCE with S256 and a nonce.
		if _, err := ssoFlow(t, f, rp, idp, oidctest.User{Subject: "warm-up"}, ""); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("unknown identity without email: %v", err)
		}
		for _, r := range idp.Requests() {
			if r.CodeChallengeMethod != "S256" || r.CodeChallenge == "" || r.Nonce == "" || r.State == "" {
				t.Errorf("authorisation request without PKCE S256, nonce or state: %+v", r)
			}
		}

		sales1 := oidctest.User{Subject: "idp-sales1", Email: "sales1@example.com", EmailVerified: true, Groups: []string{"crm-audit", "staff"}}
		cases := []struct {
			name    string
			user    oidctest.User
			jit     bool
			ownMFA  bool      // the administrator did not leave two-step login to the provider
			wantErr errs.Kind // 0: logged in
			reason  string    // in the session.create event
			cause   error     // what the relying party found wrong
			check   func(t *testing.T, s identity.Session)
		}{
			{name: "unknown, no just-in-time", user: oidctest.User{Subject: "idp-new", Email: "new.hire@example.com", EmailVerified: true, Groups: []string{"crm-sales"}},
				wantErr: errs.Unauthenticated, reason: "sso: no account linked or with this verified email, and just-in-time accounts are off"},
			{name: "unverified email does not link", user: oidctest.User{Subject: "idp-x", Email: "sales2@example.com", Groups: []string{"crm-sales"}},
				wantErr: errs.Unauthenticated, reason: "sso: no account linked"},
			{name: "first login links by verified email; groups set the role", user: sales1, reason: "sso",
				check: func(t *testing.T, s identity.Session) {
					a, err := svc.Sessions.Authenticate(ctx, s.Token, identity.Client{IP: "198.51.100.20"})
					if err != nil || a.UserID != f.sales1.UserID || len(a.Roles) != 1 || a.Roles[0] != authz.RoleAuditor || a.Owes(authz.GateFull) != "" {
						t.Fatalf("actor %+v, %v", a, err)
					}
					if outcome, reason := lastEvent(t, f, "user.role_change"); outcome != "success" || reason != "role sales -> auditor (single sign-on group mapping)" {
						t.Errorf("role change event: %s %q", outcome, reason)
					}
				}},
			{name: "the link, not the email, finds the account later", user: oidctest.User{Subject: "idp-sales1", Email: "renamed@example.com", EmailVerified: true, Groups: []string{"crm-audit"}}, reason: "sso",
				check: func(t *testing.T, s identity.Session) {
					if s.UserID != f.sales1.UserID {
						t.Errorf("logged in as %s, want sales1", s.UserID)
					}
				}},
			{name: "another identity with a linked account's email", user: oidctest.User{Subject: "idp-impostor", Email: "sales1@example.com", EmailVerified: true, Groups: []string{"crm-audit"}},
				wantErr: errs.Unauthenticated, reason: "sso: account already linked to another identity at this provider"},
			{name: "groups that map to no role", user: oidctest.User{Subject: "idp-sales2", Email: "sales2@example.com", EmailVerified: true, Groups: []string{"staff"}},
				wantErr: errs.Unauthenticated, reason: "sso: no group maps to a role"},
			{name: "just-in-time account", jit: true, user: oidctest.User{Subject: "idp-new", Email: "New.Hire@example.com", EmailVerified: true, Groups: []string{"crm-sales", "crm-audit"}}, reason: "sso",
				check: func(t *testing.T, s identity.Session) {
					a, err := svc.Sessions.Authenticate(ctx, s.Token, identity.Client{IP: "198.51.100.20"})
					if err != nil || authz.JoinRoles(a.Roles) != "auditor,sales" {
						t.Fatalf("new account: %+v, %v", a, err)
					}
					if outcome, reason := lastEvent(t, f, "user.create"); outcome != "success" || !strings.Contains(reason, "just-in-time") {
						t.Errorf("user.create event: %s %q", outcome, reason)
					}
					// No password: the password form cannot open it.
					if _, err := svc.Sessions.Login(ctx, "new.hire@example.com", "", identity.Client{IP: "198.51.100.20"}); !errs.Is(err, errs.Unauthenticated) {
						t.Errorf("password login to a just-in-time account: %v", err)
					}
				}},
			{name: "just-in-time needs a verified email", jit: true, user: oidctest.User{Subject: "idp-unverified", Email: "who@example.com", Groups: []string{"crm-sales"}},
				wantErr: errs.Unauthenticated, reason: "sso: just-in-time account needs an email the provider verified"},
			{name: "admin without two-step login at the provider owes Strongroom's", user: oidctest.User{Subject: "idp-admin", Email: "admin@example.com", EmailVerified: true, Groups: []string{"crm-admins"}, AMR: []string{"pwd"}}, reason: "sso",
				check: func(t *testing.T, s identity.Session) {
					a, err := svc.Sessions.Authenticate(ctx, s.Token, identity.Client{IP: "198.51.100.20"})
					if err != nil || a.Owes(authz.GateFull) != "enrol" {
						t.Fatalf("owes %q, %v; want enrol", a.Owes(authz.GateFull), err)
					}
				}},
			{name: "two-step login at the provider, not delegated", ownMFA: true, user: oidctest.User{Subject: "idp-admin", Email: "admin@example.com", EmailVerified: true, Groups: []string{"crm-admins"}, AMR: []string{"pwd", "otp", "mfa"}}, reason: "sso",
				check: func(t *testing.T, s identity.Session) {
					a, err := svc.Sessions.Authenticate(ctx, s.Token, identity.Client{IP: "198.51.100.20"})
					if err != nil || a.Owes(authz.GateFull) != "enrol" {
						t.Fatalf("owes %q, %v; want enrol", a.Owes(authz.GateFull), err)
					}
				}},
			{name: "admin with two-step login at the provider", user: oidctest.User{Subject: "idp-admin", Email: "admin@example.com", EmailVerified: true, Groups: []string{"crm-admins"}, AMR: []string{"pwd", "otp", "mfa"}},
				reason: "sso; two-step login by the provider",
				check: func(t *testing.T, s identity.Session) {
					a, err := svc.Sessions.Authenticate(ctx, s.Token, identity.Client{IP: "198.51.100.20"})
					if err != nil || a.Owes(authz.GateFull) != "" || s.MFAPending {
						t.Fatalf("owes %q, %v", a.Owes(authz.GateFull), err)
					}
				}},
			{name: "wrong nonce", user: oidctest.User{Subject: "idp-sales1", Email: "sales1@example.com", EmailVerified: true, Groups: []string{"crm-audit"}, Claims: map[string]any{"nonce": "replayed"}},
				wantErr: errs.Unauthenticated, cause: oidc.ErrNonceInvalid},
			{name: "token from another issuer", user: oidctest.User{Subject: "idp-sales1", Email: "sales1@example.com", EmailVerified: true, Groups: []string{"crm-audit"}, Claims: map[string]any{"iss": "https://idp.attacker.example"}},
				wantErr: errs.Unauthenticated, cause: oidc.ErrIssuerInvalid},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				p := policy
				p.JIT = tc.jit
				p.MFAByProvider = !tc.ownMFA
				if err := svc.Sessions.UseSSO(ctx, p); err != nil {
					t.Fatal(err)
				}
				before := countEvents(t, f, "session.create")
				s, err := ssoFlow(t, f, rp, idp, tc.user, "")
				if tc.wantErr != 0 {
					if !errs.Is(err, tc.wantErr) {
						t.Fatalf("err = %v, want %v", err, tc.wantErr)
					}
					if tc.cause != nil && !errors.Is(err, tc.cause) {
						t.Fatalf("err = %v, want it caused by %v", err, tc.cause)
					}
				} else if err != nil {
					t.Fatal(err)
				}
				if tc.reason != "" {
					outcome, reason := lastEvent(t, f, "session.create")
					want := "success"
					if tc.wantErr != 0 {
						want = "failure"
					}
					if outcome != want || !strings.HasPrefix(reason, tc.reason) {
						t.Errorf("session.create event: %s %q, want %s %q", outcome, reason, want, tc.reason)
					}
				} else if n := countEvents(t, f, "session.create"); n != before {
					t.Errorf("a refused token reached the accounts: %d login events, had %d", n, before)
				}
				if tc.check != nil {
					tc.check(t, s)
				}
			})
		}

		t.Run("a code redeemed with another login's verifier", func(t *testing.T) {
			if _, err := ssoFlow(t, f, rp, idp, sales1, "another state"); !errs.Is(err, errs.Unauthenticated) {
				t.Fatalf("err = %v, want unauthenticated", err)
			}
		})
		t.Run("locked account", func(t *testing.T) {
			sales2 := oidctest.User{Subject: "idp-sales2", Email: "sales2@example.com", EmailVerified: true, Groups: []string{"crm-sales"}}
			if _, err := svc.Sessions.Login(ctx, "sales2@example.com", "not the password at all", identity.Client{IP: "203.0.113.9"}); !errs.Is(err, errs.Unauthenticated) {
				t.Fatalf("wrong password: %v", err)
			}
			// The run as ten failures spread over the growing delays leave
			// it (this fixture's clock is the real one): locked for 30 minutes.
			if _, err := f.DB.Raw(t).Exec(fmt.Sprintf("UPDATE login_failures SET failures = %d, until_at = %d WHERE last_at = (SELECT max(last_at) FROM login_failures)", authn.LockAfter, time.Now().Add(authn.LockFor).UnixMicro())); err != nil {
				t.Fatal(err)
			}
			if _, err := ssoFlow(t, f, rp, idp, sales2, ""); !errs.Is(err, errs.Unauthenticated) {
				t.Fatalf("err = %v, want unauthenticated", err)
			}
			if outcome, reason := lastEvent(t, f, "session.create"); outcome != "failure" || reason != "sso: account locked" {
				t.Errorf("event: %s %q", outcome, reason)
			}
		})
		t.Run("disabled account", func(t *testing.T) {
			if err := svc.Users.SetUserDisabled(ctx, f.admin, f.sales1.UserID, true); err != nil {
				t.Fatal(err)
			}
			if _, err := ssoFlow(t, f, rp, idp, sales1, ""); !errs.Is(err, errs.Unauthenticated) {
				t.Fatalf("err = %v, want unauthenticated", err)
			}
			if outcome, reason := lastEvent(t, f, "session.create"); outcome != "failure" || reason != "sso: account disabled" {
				t.Errorf("event: %s %q", outcome, reason)
			}
		})
		t.Run("step-up by signing in again at the provider", func(t *testing.T) {
			newHire := oidctest.User{Subject: "idp-new", Email: "new.hire@example.com", EmailVerified: true, Groups: []string{"crm-sales", "crm-audit"}}
			s, err := ssoFlow(t, f, rp, idp, newHire, "")
			if err != nil {
				t.Fatal(err)
			}
			c := identity.Client{IP: "198.51.100.77"} // an address of its own: the refusals above used up the test address's throttle
			a, err := svc.Sessions.Authenticate(ctx, s.Token, c)
			if err != nil {
				t.Fatal(err)
			}
			id, err := ssoIdentity(t, f, rp, idp, newHire, "", true)
			if err != nil {
				t.Fatal(err)
			}
			if r := idp.Requests(); r[len(r)-1].Prompt.String() != "login" || r[len(r)-1].MaxAge == nil || *r[len(r)-1].MaxAge != 0 {
				t.Errorf("a step-up did not ask the provider to sign in again: prompt %q", r[len(r)-1].Prompt)
			}
			other, err := ssoIdentity(t, f, rp, idp, sales1, "", true)
			if err != nil {
				t.Fatal(err)
			}
			stale := id
			stale.AuthTime = time.Now().Add(-2 * authz.StepUpWindow)
			for _, tc := range []struct {
				name   string
				id     identity.SSOIdentity
				reason string
			}{
				{"another account's identity", other, "sso: not this account's identity at the provider"},
				{"a sign-in from before the window", stale, "sso: the provider did not sign the user in again"},
			} {
				if _, err := svc.Sessions.StepUpSSO(ctx, a, tc.id); !errs.Is(err, errs.Invalid) {
					t.Errorf("%s: err = %v, want invalid", tc.name, err)
				}
				if outcome, reason := lastEvent(t, f, "session.step_up"); outcome != "failure" || reason != tc.reason {
					t.Errorf("%s: event %s %q", tc.name, outcome, reason)
				}
			}
			fresh, err := svc.Sessions.StepUpSSO(ctx, a, id)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Sessions.Authenticate(ctx, s.Token, c); !errs.Is(err, errs.Unauthenticated) {
				t.Errorf("the token from before the step-up still works: %v", err)
			}
			if _, err := svc.Sessions.Authenticate(ctx, fresh.Token, c); err != nil {
				t.Errorf("the rotated token: %v", err)
			}
			if outcome, reason := lastEvent(t, f, "session.step_up"); outcome != "success" || reason != "sso; token rotated" {
				t.Errorf("step-up event: %s %q", outcome, reason)
			}
		})
		if _, problem, err := f.Service.AuditLog.Verify(ctx); err != nil || problem != nil {
			t.Errorf("audit chain: %v %v", problem, err)
		}
	})
}

// countEvents counts the events of an action.
func countEvents(t *testing.T, f *fixture, action string) int {
	t.Helper()
	var n int
	if err := f.DB.Raw(t).QueryRow("SELECT count(*) FROM audit_events WHERE action = '" + action + "'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
