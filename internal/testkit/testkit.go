// Package testkit gives tests real databases: a temporary SQLite file
// always, and a fresh PostgreSQL schema when STRONGROOM_TEST_POSTGRES holds
// a DSN. Tests run the same cases on each with ForEachDB.
//
// testkit is test-only code and, besides the store, the one place that
// opens database/sql: tests read the raw database to prove what is (not)
// in it, and tamper with it to prove that tampering is caught.
package testkit

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"strongroom.dev/strongroom/internal/authn"
	"strongroom.dev/strongroom/internal/keyring"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/store"
)

// PostgresEnv names the variable holding the PostgreSQL DSN for tests.
const PostgresEnv = "STRONGROOM_TEST_POSTGRES"

// DB is one database a test runs against.
type DB struct {
	Engine store.Engine
	DSN    string // what store.Open takes
	Path   string // SQLite file path, empty for PostgreSQL
	Schema string // PostgreSQL schema, empty for SQLite
}

// ForEachDB runs fn as a subtest on a fresh SQLite database and, when
// STRONGROOM_TEST_POSTGRES is set, on a fresh PostgreSQL schema.
func ForEachDB(t *testing.T, fn func(t *testing.T, db DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, NewSQLite(t)) })
	if base := os.Getenv(PostgresEnv); base != "" {
		t.Run("postgres", func(t *testing.T) { fn(t, NewPostgres(t, base)) })
	}
}

// NewSQLite returns a database file in a temporary directory.
func NewSQLite(t testing.TB) DB {
	p := filepath.Join(t.TempDir(), "strongroom.db")
	return DB{Engine: store.SQLite, DSN: p, Path: p}
}

// NewPostgres creates a schema of its own in the database at base and
// drops it when the test ends.
func NewPostgres(t testing.TB, base string) DB {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("testkit: cannot create a schema in %s: %v", PostgresEnv, err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return DB{Engine: store.Postgres, DSN: u.String(), Schema: schema}
}

// Open opens db through the store (migrating it) and closes it at the end.
func (db DB) Open(t testing.TB) *store.DB {
	t.Helper()
	s, err := store.Open(context.Background(), db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Raw opens db with database/sql directly, bypassing the store, for
// inspection and tampering.
func (db DB) Raw(t testing.TB) *sql.DB {
	t.Helper()
	driver, dsn := "sqlite", "file:"+db.Path+"?_pragma=busy_timeout(10000)"
	if db.Engine == store.Postgres {
		driver, dsn = "pgx", db.DSN
	}
	raw, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	raw.SetMaxOpenConns(1)
	t.Cleanup(func() { raw.Close() })
	return raw
}

// FastHasher hashes with argon2id at a tiny cost, so that tests which log in
// many times stay quick. Production parameters are tested on their own.
func FastHasher() *authn.Hasher {
	return authn.NewHasher(authn.Params{Time: 1, MemoryKiB: 1024, Threads: 1}, 4)
}

// Env is a service over a test database.
type Env struct {
	DB      DB
	Store   *store.DB
	Keys    *keyring.Keyring
	Service *service.Service
}

// NewEnv opens db with a fresh master key (in the custody CustodyEnv
// chooses) and builds a service over it.
func NewEnv(t testing.TB, db DB, opt service.Options) *Env {
	t.Helper()
	kr := NewKeyring(t)
	st := db.Open(t)
	if opt.Hasher == nil {
		opt.Hasher = FastHasher()
	}
	svc, err := service.New(context.Background(), st, kr, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	return &Env{DB: db, Store: st, Keys: kr, Service: svc}
}

// ForEachDBBench is ForEachDB for benchmarks.
func ForEachDBBench(b *testing.B, fn func(b *testing.B, db DB)) {
	b.Helper()
	b.Run("sqlite", func(b *testing.B) { fn(b, NewSQLite(b)) })
	if base := os.Getenv(PostgresEnv); base != "" {
		b.Run("postgres", func(b *testing.B) { fn(b, NewPostgres(b, base)) })
	}
}

// NewLike returns a fresh, empty database of the same engine as db.
func NewLike(t testing.TB, db DB) DB {
	if db.Engine == store.Postgres {
		return NewPostgres(t, os.Getenv(PostgresEnv))
	}
	return NewSQLite(t)
}
