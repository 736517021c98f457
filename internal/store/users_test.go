package store_test

import (
	"context"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/store"
	"strongroom.dev/strongroom/internal/testkit"
)

// TestUserLocale runs the store's SQL for a user's UI language on each
// engine (only the web UI's login form sets it, and the web tests run on
// SQLite): the language is kept and read back, and an unknown user is
// not found rather than silently unchanged.
func TestUserLocale(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		env := testkit.NewEnv(t, db, service.Options{})
		u, err := env.Service.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: "ming@example.com", Role: "sales", Password: "a long enough passphrase for tests"})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			id, locale string
			notFound   bool
		}{
			{u.ID, "zh-CN", false},
			{u.ID, "en", false},
			{"usr_00000000000000000000000000000000", "zh-CN", true},
		} {
			err := env.Store.WithTx(ctx, func(tx *store.Tx) error { return tx.UpdateUserLocale(ctx, c.id, c.locale, time.Now()) })
			if c.notFound {
				if !errs.Is(err, errs.NotExist) {
					t.Errorf("%s -> %s: %v, want not found", c.id, c.locale, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s -> %s: %v", c.id, c.locale, err)
			}
			var row store.UserRow
			if err := env.Store.ReadTx(ctx, func(tx *store.Tx) error { row, err = tx.UserByID(ctx, c.id); return err }); err != nil {
				t.Fatal(err)
			}
			if row.Locale != c.locale {
				t.Errorf("locale %q, want %q", row.Locale, c.locale)
			}
		}
	})
}
