package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
)

// Scratch is a schema of its own in a PostgreSQL database, for work that
// must not touch anything else there (the load tool, `strongroom bench`).
type Scratch struct {
	DSN    string // base plus search_path=Schema: what Open takes
	Schema string
	base   string
}

// NewScratch creates a schema with a random name in the PostgreSQL
// database at base (a postgres:// URL) and returns it; Drop removes it.
func NewScratch(ctx context.Context, base string) (Scratch, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return Scratch{}, fmt.Errorf("store: a scratch schema needs a postgres:// URL")
	}
	if err := CheckPostgresTransport(base); err != nil {
		return Scratch{}, err
	}
	var b [6]byte
	rand.Read(b[:])
	s := Scratch{Schema: "bench_" + hex.EncodeToString(b[:]), base: base}
	db, err := sql.Open("pgx", base)
	if err != nil {
		return Scratch{}, fmt.Errorf("store: open: %w", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+s.Schema); err != nil {
		return Scratch{}, fmt.Errorf("store: cannot create a scratch schema: %w", err)
	}
	q := u.Query()
	q.Set("search_path", s.Schema)
	u.RawQuery = q.Encode()
	s.DSN = u.String()
	return s, nil
}

// Drop removes the scratch schema and everything in it.
func (s Scratch) Drop(ctx context.Context) error {
	db, err := sql.Open("pgx", s.base)
	if err != nil {
		return fmt.Errorf("store: open: %w", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "DROP SCHEMA "+s.Schema+" CASCADE"); err != nil {
		return fmt.Errorf("store: cannot drop scratch schema %s: %w", s.Schema, err)
	}
	return nil
}
