package store_test

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/store"
	"strongroom.dev/strongroom/internal/testkit"
)

var update = flag.Bool("update", false, "rewrite testdata/schema.*.golden from the migrated databases")

// TestMigratedSchema migrates a fresh database of each engine and compares
// its schema and the rows the migrations write with a golden dump. The
// goldens were first written from the per-engine copies the migrations used
// to be, so a database migrated by either form has the same schema; a new
// migration updates them with -update, and the diff shows what it does.
func TestMigratedSchema(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		db.Open(t).Close()
		got := dumpSchema(t, db)
		golden := filepath.Join("testdata", "schema."+string(db.Engine)+".golden")
		if *update {
			if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (write it with go test ./internal/store -run TestMigratedSchema -update)", err)
		}
		if got != string(want) {
			t.Errorf("the migrated %s schema differs from %s (if the change is meant, rerun with -update and review the diff):\n%s",
				db.Engine, golden, lineDiff(string(want), got))
		}
	})
}

// dumpSchema lists, one fact a line, what the migrations made: every
// object's definition and every row they wrote (schema_migrations by
// version only). PostgreSQL's test schema name is replaced by <schema>.
func dumpSchema(t *testing.T, db testkit.DB) string {
	t.Helper()
	raw := db.Raw(t)
	var b strings.Builder
	var queries []string
	if db.Engine == store.SQLite {
		queries = []string{
			"SELECT 'object', type, name, tbl_name, COALESCE(sql, '') FROM sqlite_master ORDER BY type, name",
		}
	} else {
		queries = []string{
			`SELECT 'relation', c.relname, c.relkind FROM pg_class c
			  WHERE c.relnamespace = current_schema()::regnamespace ORDER BY c.relname`,
			`SELECT 'column', table_name, ordinal_position, column_name, data_type, is_nullable, COALESCE(column_default, '')
			   FROM information_schema.columns WHERE table_schema = current_schema()
			  ORDER BY table_name, ordinal_position`,
			`SELECT 'constraint', conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid) FROM pg_constraint
			  WHERE connamespace = current_schema()::regnamespace ORDER BY 2, 3`,
			`SELECT 'index', tablename, indexname, indexdef FROM pg_indexes
			  WHERE schemaname = current_schema() ORDER BY tablename, indexname`,
			`SELECT 'trigger', tgrelid::regclass::text, tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t
			   JOIN pg_class c ON c.oid = t.tgrelid
			  WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal ORDER BY 2, 3`,
			`SELECT 'function', proname, pg_get_functiondef(oid) FROM pg_proc
			  WHERE pronamespace = current_schema()::regnamespace ORDER BY proname`,
		}
	}
	for _, q := range queries {
		for _, row := range queryRows(t, raw, q) {
			b.WriteString(row + "\n")
		}
	}
	var tables []string
	q := "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
	if db.Engine == store.Postgres {
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name"
	}
	for _, row := range queryRows(t, raw, q) {
		tables = append(tables, row)
	}
	for _, table := range tables {
		cols := "*"
		if table == "schema_migrations" {
			cols = "version"
		}
		rows := queryRows(t, raw, "SELECT '"+table+"', "+cols+" FROM "+table)
		sort.Strings(rows)
		for _, row := range rows {
			b.WriteString("row | " + row + "\n")
		}
	}
	out := b.String()
	if db.Schema != "" {
		out = strings.ReplaceAll(out, db.Schema, "<schema>")
	}
	return out
}

// queryRows runs q and returns each row's values joined by " | ".
func queryRows(t *testing.T, raw *sql.DB, q string) []string {
	t.Helper()
	rows, err := raw.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		fields := make([]string, len(vals))
		for i, v := range vals {
			switch v := v.(type) {
			case nil:
				fields[i] = "NULL"
			case []byte:
				fields[i] = fmt.Sprintf("x'%x'", v)
			default:
				fields[i] = fmt.Sprint(v)
			}
		}
		out = append(out, strings.Join(fields, " | "))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// lineDiff lists the lines only in want (-) and only in got (+).
func lineDiff(want, got string) string {
	count := map[string]int{}
	for _, l := range strings.Split(want, "\n") {
		count[l]++
	}
	for _, l := range strings.Split(got, "\n") {
		count[l]--
	}
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if count[l] > 0 {
			b.WriteString("- " + l + "\n")
			count[l]--
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if count[l] < 0 {
			b.WriteString("+ " + l + "\n")
			count[l]++
		}
	}
	return b.String()
}
