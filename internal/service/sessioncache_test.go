package service_test

import (
	"context"
	"testing"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/testkit"
)

// Servers keep the sessions they have looked up; a change made through
// another server (or the command line) on the same database still takes
// effect at the very next request to the first.
func TestSessionChangesReachEveryServer(t *testing.T) {
	cases := []struct {
		name   string
		change func(ctx context.Context, other *service.Service, userID string) error
		check  func(t *testing.T, a authz.Actor, err error)
	}{
		{"disabled", func(ctx context.Context, o *service.Service, id string) error {
			return o.Users.SetUserDisabled(ctx, authz.System(), id, true)
		}, func(t *testing.T, _ authz.Actor, err error) {
			if !errs.Is(err, errs.Unauthenticated) {
				t.Fatalf("a disabled user's session: err = %v, want unauthenticated", err)
			}
		}},
		{"roles changed", func(ctx context.Context, o *service.Service, id string) error {
			_, err := o.Users.SetUserRole(ctx, authz.System(), id, "auditor")
			return err
		}, func(t *testing.T, a authz.Actor, err error) {
			if err != nil || !authz.HasRole(joinRoles(a.Roles), authz.RoleAuditor) || authz.HasRole(joinRoles(a.Roles), authz.RoleSales) {
				t.Fatalf("after the role change: roles %v, err %v", a.Roles, err)
			}
		}},
		{"team changed", func(ctx context.Context, o *service.Service, id string) error {
			_, err := o.Users.SetUserTeam(ctx, authz.System(), id, "north")
			return err
		}, func(t *testing.T, a authz.Actor, err error) {
			if err != nil || a.Team != "north" {
				t.Fatalf("after the team change: team %q, err %v", a.Team, err)
			}
		}},
		{"password reset", func(ctx context.Context, o *service.Service, id string) error {
			return o.Users.SetPassword(ctx, authz.System(), id, "an entirely new passphrase 42")
		}, func(t *testing.T, _ authz.Actor, err error) {
			if !errs.Is(err, errs.Unauthenticated) {
				t.Fatalf("a session after the password was reset: err = %v, want unauthenticated", err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
				env := testkit.NewEnv(t, db, service.Options{})
				other, err := service.New(context.Background(), db.Open(t), env.Keys, service.Options{Hasher: testkit.FastHasher()})
				if err != nil {
					t.Fatal(err)
				}
				defer other.Close()
				ctx := context.Background()
				u, err := env.Service.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: "rep@example.com", Role: "sales", Team: "south", Password: pw})
				if err != nil {
					t.Fatal(err)
				}
				sess, err := env.Service.Sessions.Login(ctx, "rep@example.com", pw, identity.Client{IP: "192.0.2.1"})
				if err != nil {
					t.Fatal(err)
				}
				for range 2 { // looked up, then from the cache
					if _, err := env.Service.Sessions.Authenticate(ctx, sess.Token, identity.Client{IP: "192.0.2.1"}); err != nil {
						t.Fatal(err)
					}
				}
				if err := tc.change(ctx, other, u.ID); err != nil {
					t.Fatal(err)
				}
				a, err := env.Service.Sessions.Authenticate(ctx, sess.Token, identity.Client{IP: "192.0.2.1"})
				tc.check(t, a, err)
			})
		})
	}
}

func joinRoles(rs []authz.Role) string {
	out := ""
	for i, r := range rs {
		if i > 0 {
			out += ","
		}
		out += string(r)
	}
	return out
}
