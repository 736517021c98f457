package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func files(m map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, body := range m {
		fsys[name] = &fstest.MapFile{Data: []byte(body)}
	}
	return fsys
}

// TestLoadMigrations: a migration is written once, its column-type
// placeholders expanded per engine, an engine's own file runs after the
// shared one; anything the runner cannot read the same way for both
// engines fails with an error naming the file.
func TestLoadMigrations(t *testing.T) {
	for _, tc := range []struct {
		name    string
		files   map[string]string
		want    map[Engine][]string // engine -> each migration's steps, joined by "|"
		wantErr string
	}{
		{
			name: "shared file, types expanded",
			files: map[string]string{
				"0001_init.sql": "CREATE TABLE t (b {{blob}}, n {{int64}}, i INTEGER);",
			},
			want: map[Engine][]string{
				SQLite:   {"CREATE TABLE t (b BLOB, n INTEGER, i INTEGER);"},
				Postgres: {"CREATE TABLE t (b BYTEA, n BIGINT, i INTEGER);"},
			},
		},
		{
			name: "engine files run after the shared one, in version order",
			files: map[string]string{
				"0010_b.sql":          "B;",
				"0002_a.sql":          "A {{int64}};",
				"0002_a.sqlite.sql":   "A-sqlite {{blob}};",
				"0002_a.postgres.sql": "A-postgres {{blob}};",
			},
			want: map[Engine][]string{
				SQLite:   {"A INTEGER;|A-sqlite BLOB;", "B;"},
				Postgres: {"A BIGINT;|A-postgres BYTEA;", "B;"},
			},
		},
		{
			name: "engine files only",
			files: map[string]string{
				"0003_c.sqlite.sql":   "C-sqlite;",
				"0003_c.postgres.sql": "-- nothing to do on PostgreSQL",
			},
			want: map[Engine][]string{
				SQLite:   {"C-sqlite;"},
				Postgres: {"-- nothing to do on PostgreSQL"},
			},
		},
		{
			name:    "missing postgres variant",
			files:   map[string]string{"0001_init.sql": "A;", "0001_init.sqlite.sql": "B;"},
			wantErr: "migration 0001_init: 0001_init.postgres.sql is missing",
		},
		{
			name:    "missing sqlite variant",
			files:   map[string]string{"0001_init.postgres.sql": "B;"},
			wantErr: "migration 0001_init: 0001_init.sqlite.sql is missing",
		},
		{
			name:    "unknown placeholder in the shared file",
			files:   map[string]string{"0001_init.sql": "CREATE TABLE t (b {{bytes}});"},
			wantErr: `0001_init.sql: unknown placeholder "{{bytes}}" (known: {{blob}}, {{int64}})`,
		},
		{
			name: "unknown placeholder in the other engine's file",
			files: map[string]string{
				"0001_init.sqlite.sql":   "A;",
				"0001_init.postgres.sql": "CREATE TABLE t (b {{bigint}});",
			},
			wantErr: `0001_init.postgres.sql: unknown placeholder "{{bigint}}"`,
		},
		{
			name:    "unclosed placeholder",
			files:   map[string]string{"0001_init.sql": "CREATE TABLE t (b {{blob);"},
			wantErr: `0001_init.sql: unknown placeholder "{{blob);"`,
		},
		{
			name:    "unknown engine",
			files:   map[string]string{"0001_init.sql": "A;", "0001_init.mysql.sql": "B;"},
			wantErr: `0001_init.mysql.sql: unknown engine "mysql"`,
		},
		{
			name:    "two names for one version",
			files:   map[string]string{"0004_a.sql": "A;", "0004_b.sql": "B;"},
			wantErr: "0004_a and 0004_b have the same version 0004",
		},
		{
			name:    "no version",
			files:   map[string]string{"init.sql": "A;"},
			wantErr: "migration init.sql: name must be NNNN_description.sql",
		},
		{
			name:    "not SQL",
			files:   map[string]string{"0001_init.txt": "A;"},
			wantErr: "migration 0001_init.txt: name must be",
		},
		{
			name:    "a directory of per-engine copies",
			files:   map[string]string{"sqlite/0001_init.sql": "A;"},
			wantErr: "migrations: sqlite/ is a directory",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, engine := range engines {
				plan, err := loadMigrations(files(tc.files), engine)
				if tc.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
						t.Fatalf("%s: error %v, want one containing %q", engine, err, tc.wantErr)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", engine, err)
				}
				var got []string
				for _, m := range plan {
					var steps []string
					for _, s := range m.steps {
						steps = append(steps, s.sql)
					}
					got = append(got, strings.Join(steps, "|"))
				}
				if strings.Join(got, "\n") != strings.Join(tc.want[engine], "\n") {
					t.Errorf("%s: got %q, want %q", engine, got, tc.want[engine])
				}
			}
		})
	}
}

// TestEmbeddedMigrationsLoad: the migrations built into the binary read
// for both engines (PostgreSQL's included when its suite does not run),
// with versions 1, 2, 3 … and no gap.
func TestEmbeddedMigrationsLoad(t *testing.T) {
	for _, engine := range engines {
		plan, err := loadMigrations(migrationFiles, engine)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range plan {
			if m.version != i+1 {
				t.Fatalf("%s: migration %s has version %d, want %d", engine, m.name, m.version, i+1)
			}
		}
	}
}

// TestMigrateChecksEverythingFirst: a broken migration stops the start
// before any pending migration runs, even one numbered before it.
func TestMigrateChecksEverythingFirst(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "strongroom.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	next := files(map[string]string{
		"0901_fine.sql":   "CREATE TABLE fine (b {{blob}});",
		"0902_broken.sql": "CREATE TABLE broken (b {{bytes}});",
	})
	err = db.migrate(ctx, next)
	if err == nil || !strings.Contains(err.Error(), `0902_broken.sql: unknown placeholder "{{bytes}}"`) {
		t.Fatalf("migrate: %v, want the unknown placeholder named", err)
	}
	var n int
	if err := db.write.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations WHERE version = 901").Scan(&n); err != nil || n != 0 {
		t.Fatalf("migration 0901 recorded %d times (%v), want none", n, err)
	}
	if err := db.write.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'fine'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("table fine exists (%d, %v), want none", n, err)
	}

	delete(next, "0902_broken.sql")
	if err := db.migrate(ctx, next); err != nil {
		t.Fatal(err)
	}
	if err := db.write.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations WHERE version = 901").Scan(&n); err != nil || n != 1 {
		t.Fatalf("migration 0901 recorded %d times (%v), want once", n, err)
	}
}
