package cli

import (
	"context"
	"fmt"

	"strongroom.dev/strongroom/internal/store"
)

// migrate applies the database's pending migrations and stops: on
// PostgreSQL, run it as the schema's owner so that serve can run as a role
// that may not change the schema (docs/SECURITY.md, least privilege).
// It needs no master key.
func migrate(ctx context.Context, args []string, env Env) error {
	c := loadConfig(env)
	fs := newFlags("migrate", env)
	c.StorageFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return usageError(err.Error())
	}
	if c.DSN == "" {
		if err := c.EnsureDataDir(); err != nil {
			return fmt.Errorf("cannot create the data directory: %w", err)
		}
	}
	db, err := store.Open(ctx, c.DatabaseDSN())
	if err != nil {
		return err
	}
	db.Close()
	fmt.Fprintln(env.Stdout, "database schema is up to date")
	return nil
}
