package service_test

import (
	"context"
	"testing"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/testkit"
)

// TestSessionLimitsByRole: a role's limit on sessions at once ends the
// least recently used beyond it; a user with several roles gets the
// smallest; other roles keep the default.
func TestSessionLimitsByRole(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		env := testkit.NewEnv(t, db, service.Options{SessionLimits: map[string]int{"field_rep": 1, "manager": 3}})
		svc := env.Service
		tests := []struct {
			email, roles string
			logins, want int
		}{
			{"rep@example.com", "field_rep", 3, 1},
			{"manager@example.com", "manager", 5, 3},
			{"both@example.com", "field_rep,manager", 3, 1},
			{"sales@example.com", "sales", 12, identity.MaxSessions},
		}
		for _, tt := range tests {
			u, err := svc.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: tt.email, Role: tt.roles, Password: pw})
			if err != nil {
				t.Fatal(err)
			}
			var last identity.Session
			for range tt.logins {
				if last, err = svc.Sessions.Login(ctx, tt.email, pw, identity.Client{IP: "192.0.2.7"}); err != nil {
					t.Fatal(err)
				}
			}
			list, err := svc.Sessions.Sessions(ctx, authz.System(), u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != tt.want {
				t.Errorf("%s (%s): %d sessions after %d logins, want %d", tt.email, tt.roles, len(list), tt.logins, tt.want)
			}
			if _, err := svc.Sessions.Authenticate(ctx, last.Token, identity.Client{IP: "192.0.2.7"}); err != nil {
				t.Errorf("%s: the newest session was ended: %v", tt.email, err)
			}
		}
	})
}
