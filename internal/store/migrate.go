package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Migrations live in one directory, written once for both engines
// (docs/ARCHITECTURE.md, "Writing a migration"):
//
//	NNNN_description.sql           what both engines run, with the column
//	                               types that differ written as placeholders
//	NNNN_description.sqlite.sql    what only SQLite runs after it, and
//	NNNN_description.postgres.sql  what only PostgreSQL runs after it
//	                               (triggers, functions, table rebuilds);
//	                               always both or neither
//
// The version is NNNN; schema_migrations records versions only.
//
//go:embed migrations
var embedded embed.FS

// migrationFiles is the embedded migrations directory.
var migrationFiles = func() fs.FS {
	sub, err := fs.Sub(embedded, "migrations")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}()

// columnTypes are the placeholders a migration may use, one per column type
// the engines spell differently. Every other type is written as it is.
var columnTypes = []struct{ placeholder, sqlite, postgres string }{
	{"{{blob}}", "BLOB", "BYTEA"},      // bytes: ciphertext, blind indexes, hashes
	{"{{int64}}", "INTEGER", "BIGINT"}, // Unix microseconds, sizes, sequence numbers
}

// expanders replace the placeholders with each engine's types.
var expanders = func() map[Engine]*strings.Replacer {
	var sqlite, postgres []string
	for _, t := range columnTypes {
		sqlite = append(sqlite, t.placeholder, t.sqlite)
		postgres = append(postgres, t.placeholder, t.postgres)
	}
	return map[Engine]*strings.Replacer{
		SQLite:   strings.NewReplacer(sqlite...),
		Postgres: strings.NewReplacer(postgres...),
	}
}()

// engines are the engines every migration is written for.
var engines = []Engine{SQLite, Postgres}

// migration is one version as an engine runs it: its files' SQL, expanded,
// in order (the shared file, then the engine's own).
type migration struct {
	version int
	name    string // NNNN_description
	steps   []migrationStep
}

type migrationStep struct {
	file string
	sql  string
}

// loadMigrations reads the migrations in fsys and returns engine's, in
// version order. It checks every file for both engines, so a misnamed file,
// a version with two names, an engine file without its counterpart or an
// unknown placeholder fails every start, not only the one that would run it.
func loadMigrations(fsys fs.FS, engine Engine) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	type files struct {
		name   string            // NNNN_description
		shared string            // file name, or ""
		own    map[Engine]string // engine -> file name
	}
	byVersion := map[int]*files{}
	for _, e := range entries {
		file := e.Name()
		if e.IsDir() {
			return nil, fmt.Errorf("store: migrations: %s/ is a directory; a migration is a file NNNN_description.sql beside the others (docs/ARCHITECTURE.md, Writing a migration)", file)
		}
		version, name, eng, err := parseMigrationName(file)
		if err != nil {
			return nil, fmt.Errorf("store: migration %s: %w", file, err)
		}
		f := byVersion[version]
		if f == nil {
			f = &files{name: name, own: map[Engine]string{}}
			byVersion[version] = f
		}
		if f.name != name {
			return nil, fmt.Errorf("store: migrations %s and %s have the same version %04d", f.name, name, version)
		}
		if eng == "" {
			f.shared = file
		} else {
			f.own[eng] = file
		}
	}

	versions := make([]int, 0, len(byVersion))
	for v := range byVersion {
		versions = append(versions, v)
	}
	sort.Ints(versions)
	var out []migration
	for _, version := range versions {
		f := byVersion[version]
		for _, eng := range engines {
			if len(f.own) > 0 && f.own[eng] == "" {
				return nil, fmt.Errorf("store: migration %s: %s.%s.sql is missing (once one engine has its own file, each needs one; a comment will do)", f.name, f.name, eng)
			}
		}
		for _, eng := range engines {
			m := migration{version: version, name: f.name}
			for _, file := range []string{f.shared, f.own[eng]} {
				if file == "" {
					continue
				}
				body, err := fs.ReadFile(fsys, file)
				if err != nil {
					return nil, fmt.Errorf("store: migration %s: %w", file, err)
				}
				text := expanders[eng].Replace(string(body))
				if i := strings.Index(text, "{{"); i >= 0 {
					unknown := text[i:]
					if j := strings.Index(unknown, "}}"); j >= 0 {
						unknown = unknown[:j+2]
					}
					return nil, fmt.Errorf("store: migration %s: unknown placeholder %.40q (known: %s)", file, unknown, knownPlaceholders())
				}
				m.steps = append(m.steps, migrationStep{file: file, sql: text})
			}
			if eng == engine {
				out = append(out, m)
			}
		}
	}
	return out, nil
}

// parseMigrationName splits NNNN_description.sql or
// NNNN_description.ENGINE.sql into its version, NNNN_description and engine.
func parseMigrationName(file string) (version int, name string, engine Engine, err error) {
	bad := fmt.Errorf("name must be NNNN_description.sql, NNNN_description.sqlite.sql or NNNN_description.postgres.sql")
	base, ok := strings.CutSuffix(file, ".sql")
	if !ok {
		return 0, "", "", bad
	}
	if i := strings.IndexByte(base, '.'); i >= 0 {
		base, engine = base[:i], Engine(base[i+1:])
		if engine != SQLite && engine != Postgres {
			return 0, "", "", fmt.Errorf("unknown engine %q: %w", engine, bad)
		}
	}
	digits, desc, ok := strings.Cut(base, "_")
	if !ok || desc == "" || digits == "" || strings.Trim(digits, "0123456789") != "" {
		return 0, "", "", bad
	}
	version, err = strconv.Atoi(digits)
	if err != nil {
		return 0, "", "", bad
	}
	return version, base, engine, nil
}

func knownPlaceholders() string {
	var names []string
	for _, t := range columnTypes {
		names = append(names, t.placeholder)
	}
	return strings.Join(names, ", ")
}

// migrate applies, in order and each in its own transaction, every
// migration in fsys that is not yet recorded in schema_migrations. The whole
// set is checked before anything runs. On PostgreSQL an advisory lock keeps
// several starting servers from racing.
func (db *DB) migrate(ctx context.Context, fsys fs.FS) error { return db.migrateTo(ctx, fsys, 0) }

// migrateTo is migrate up to version upTo only (0: all).
func (db *DB) migrateTo(ctx context.Context, fsys fs.FS, upTo int) error {
	plan, err := loadMigrations(fsys, db.engine)
	if err != nil {
		return err
	}

	conn, err := db.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	defer conn.Close()
	if db.engine == Postgres {
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(7412001)"); err != nil {
			return fmt.Errorf("store: migrate lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(7412001)")
	}
	// Read what is applied first, so that a database already up to date is
	// opened without any DDL: on PostgreSQL the serving role need not be
	// allowed to create anything (docs/SECURITY.md, least privilege).
	applied, err := appliedMigrations(ctx, conn)
	if err != nil {
		if _, err := conn.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)"); err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
		if applied, err = appliedMigrations(ctx, conn); err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
	}
	var restore func() error // sets the writer's page cache back (boundSorts)
	for _, m := range plan {
		if upTo > 0 && m.version > upTo {
			break
		}
		if applied[m.version] {
			continue
		}
		if restore == nil && db.engine == SQLite {
			// A migration that builds an index on a large table sorts it
			// in the server's process: bound the sort as a load does.
			if restore, err = boundSorts(ctx, conn); err != nil {
				return fmt.Errorf("store: migration %s: %w", m.name, err)
			}
		}
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
		for _, step := range m.steps {
			if _, err := tx.ExecContext(ctx, step.sql); err != nil {
				tx.Rollback()
				if db.engine == Postgres {
					return fmt.Errorf("store: migration %s: %w (migrations run as the schema's owner: strongroom migrate)", step.file, err)
				}
				return fmt.Errorf("store: migration %s: %w", step.file, err)
			}
		}
		if _, err := tx.ExecContext(ctx, db.q("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)"), m.version, time.Now().UnixMicro()); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
	}
	if restore != nil {
		if err := restore(); err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
	}
	return nil
}

// appliedMigrations lists the versions recorded in schema_migrations; it
// fails when the table does not exist yet.
func appliedMigrations(ctx context.Context, conn *sql.Conn) (map[int]bool, error) {
	rows, err := conn.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out[v] = true
	}
	return out, rows.Err()
}
