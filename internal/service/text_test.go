package service_test

import (
	"context"
	"testing"

	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/testkit"
)

// TestUnstorableIdentifiers: an identifier holding a NUL or bytes that are
// not UTF-8, which PostgreSQL refuses to compare as text, is answered as
// bad input or not found on both engines, never as an internal error.
func TestUnstorableIdentifiers(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		for _, id := range []string{"usr_\x00", "usr_\xff"} {
			for name, call := range map[string]func() error{
				"effective access": func() error { _, err := f.Service.Roles.EffectiveAccess(ctx, f.admin, id); return err },
				"sessions":         func() error { _, err := f.Service.Sessions.Sessions(ctx, f.admin, id); return err },
				"set role":         func() error { _, err := f.Service.Users.SetUserRole(ctx, f.admin, id, "sales"); return err },
				"set team":         func() error { _, err := f.Service.Users.SetUserTeam(ctx, f.admin, id, "north"); return err },
				"disable":          func() error { return f.Service.Users.SetUserDisabled(ctx, f.admin, id, true) },
				"role":             func() error { _, err := f.Service.Roles.Role(ctx, f.admin, id); return err },
				"role networks":    func() error { _, err := f.Service.Roles.RoleNetworks(ctx, f.admin, id); return err },
				"user by email":    func() error { _, err := f.Service.Users.UserIDByEmail(ctx, f.admin, id+"@example.com"); return err },
			} {
				if err := call(); err == nil || errs.Is(err, errs.Internal) || errs.Is(err, errs.Unavailable) {
					t.Errorf("%s %q: %v (%v)", name, id, err, errs.KindOf(err))
				}
			}
		}
	})
}
