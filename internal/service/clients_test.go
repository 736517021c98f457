package service_test

import (
	"context"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/clients"
	"strongroom.dev/strongroom/internal/service/governance"
	"strongroom.dev/strongroom/internal/testkit"
)

// The authorisation server's state on both engines, at a fixed clock: a
// client's secret admits it and a wrong one is refused and audited with
// its reason; a token it holds authenticates as the client (ClientID set,
// the role's grants), a token sealed under another key or for an unknown
// id does not; the rate counts per minute across calls and resets in the
// next minute; an address outside the client's networks and a suspended
// client are refused; revocation and expiry end a token; an assertion id
// is spent once.
func TestOAuthClientState(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		now := time.Date(2026, 3, 1, 10, 0, 5, 0, time.UTC)
		env := testkit.NewEnv(t, db, service.Options{Now: func() time.Time { return now }})
		ctx := context.Background()
		svc, sys := env.Service.Clients, authz.System()

		c, err := svc.Register(ctx, sys, clients.Input{Name: "PayCo", Role: "auditor", RatePerMinute: 3, TokenSeconds: 600, Networks: []string{"192.0.2.0/24"}})
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name, secret, ip string
			want             errs.Kind
		}{
			{"wrong secret", "src_nope", "192.0.2.7", errs.Unauthenticated},
			{"outside the networks", c.Secret, "198.51.100.1", errs.Permission},
		}
		for _, tc := range cases {
			if _, err := svc.Admit(ctx, c.ID, tc.secret, false, tc.ip); !errs.Is(err, tc.want) {
				t.Fatalf("%s: %v", tc.name, err)
			}
		}
		page, err := env.Service.AuditLog.Events(ctx, sys, governance.AuditQuery{ActorID: c.ID, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		reasons := map[string]bool{}
		for _, e := range page.Events {
			if e.Action == "oauth.token.refuse" && e.ClientID == c.ID {
				reasons[e.Reason] = true
			}
		}
		if !reasons["wrong client secret"] || !reasons["address outside the client's networks"] {
			t.Fatalf("refusals not audited with their reasons: %v", reasons)
		}

		// Admitted (1 of 3 this minute), a token; two calls fill the minute.
		if _, err := svc.Admit(ctx, c.ID, c.Secret, false, "192.0.2.7"); err != nil {
			t.Fatal(err)
		}
		id, exp, err := svc.IssueToken(ctx, c.ID, "", []string{"api"}, "192.0.2.7")
		if err != nil || !exp.Equal(now.Add(10*time.Minute)) {
			t.Fatalf("issue: %v %v", exp, err)
		}
		token, err := svc.Crypto().Encrypt(id + ":" + c.ID)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			a, err := svc.Authenticate(ctx, token, "192.0.2.7")
			if err != nil || a.ClientID != c.ID || len(a.Roles) != 1 || a.Roles[0] != authz.RoleAuditor {
				t.Fatalf("call %d: %+v %v", i, a, err)
			}
		}
		if _, err := svc.Authenticate(ctx, token, "192.0.2.7"); !errs.Is(err, errs.TooMany) {
			t.Fatalf("the 4th request of the minute: %v", err)
		}
		now = now.Add(time.Minute)
		if _, err := svc.Authenticate(ctx, token, "192.0.2.7"); err != nil {
			t.Fatalf("the next minute: %v", err)
		}
		forged, _ := svc.Crypto().Encrypt("made-up-id:" + c.ID)
		for name, tok := range map[string]string{"unknown id": forged, "garbage": "eyJ.not.a.token", "empty": ""} {
			if _, err := svc.Authenticate(ctx, tok, "192.0.2.7"); !errs.Is(err, errs.Unauthenticated) {
				t.Fatalf("%s: %v", name, err)
			}
		}
		if info, err := svc.Introspect(ctx, c.ID, id); err != nil || !info.Active {
			t.Fatalf("introspect: %+v %v", info, err)
		}
		if info, _ := svc.Introspect(ctx, "cli_other", id); info.Active {
			t.Fatal("another client sees the token active")
		}

		// Suspended, then resumed; revoked; expired.
		if err := svc.Suspend(ctx, sys, c.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Authenticate(ctx, token, "192.0.2.7"); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("suspended: %v", err)
		}
		if err := svc.Resume(ctx, sys, c.ID); err != nil {
			t.Fatal(err)
		}
		if err := svc.Revoke(ctx, "cli_other", id, "192.0.2.7"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Authenticate(ctx, token, "192.0.2.7"); err != nil {
			t.Fatalf("another client's revocation changed the token: %v", err)
		}
		if err := svc.Revoke(ctx, c.ID, id, "192.0.2.7"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Authenticate(ctx, token, "192.0.2.7"); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("revoked: %v", err)
		}
		id2, _, _ := svc.IssueToken(ctx, c.ID, "", []string{"api"}, "192.0.2.7")
		token2, _ := svc.Crypto().Encrypt(id2 + ":" + c.ID)
		now = now.Add(11 * time.Minute)
		if _, err := svc.Authenticate(ctx, token2, "192.0.2.7"); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("expired: %v", err)
		}

		// An assertion id is spent once.
		if err := svc.UseAssertion(ctx, c.ID, "jti-1", now.Add(time.Minute), "192.0.2.7"); err != nil {
			t.Fatal(err)
		}
		if err := svc.UseAssertion(ctx, c.ID, "jti-1", now.Add(time.Minute), "192.0.2.7"); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("a replayed assertion: %v", err)
		}
		if err := svc.Purge(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
