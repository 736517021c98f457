package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"strongroom.dev/strongroom/internal/config"
	"strongroom.dev/strongroom/internal/keyring"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/store"
)

// app is an opened database with its keyring and service.
type app struct {
	db   *store.DB
	keys *keyring.Keyring
	svc  *service.Service
}

func (a *app) Close() {
	a.svc.Close()
	a.db.Close()
	a.keys.Close()
}

// open prepares the data directory, loads (or, for a new database, creates)
// the master key, opens the database and checks that the key fits it.
func open(ctx context.Context, c config.Config) (*app, error) {
	if err := c.Validate(); err != nil {
		return nil, usageError(err.Error())
	}
	if err := c.EnsureDataDir(); err != nil {
		return nil, fmt.Errorf("cannot create the data directory: %w", err)
	}
	kr, created, err := keyring.LoadOrCreateFile(c.MasterKeyFile())
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, c.DatabaseDSN())
	if err != nil {
		kr.Close()
		if created {
			os.Remove(c.MasterKeyFile())
		}
		return nil, err
	}
	svc, err := service.New(ctx, db, kr, service.Options{})
	if err != nil {
		db.Close()
		kr.Close()
		if created { // the key we just made does not fit an existing database: leave no stray key behind
			os.Remove(c.MasterKeyFile())
		}
		return nil, err
	}
	return &app{db: db, keys: kr, svc: svc}, nil
}

// openStoreOnly opens the database without the master key, for work that
// needs none (verifying the audit chain).
func openStoreOnly(ctx context.Context, c config.Config) (*store.DB, error) {
	if c.DSN == "" {
		if _, err := os.Stat(c.DatabaseDSN()); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no database at %s; give --data or --db", c.DatabaseDSN())
		}
	}
	return store.Open(ctx, c.DatabaseDSN())
}
