package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"

	"strongroom.dev/strongroom/internal/errs"
)

// A snapshot is every table of the database read in one consistent
// transaction, in a form neither engine owns: each column is an integer,
// text or bytes, which is all the schema uses. It is what a backup holds
// (internal/backup), and Load writes it back into either engine.

// Column kinds.
const (
	KindInt   byte = 'i'
	KindText  byte = 't'
	KindBytes byte = 'b'
)

// Column is one column of a table in a snapshot.
type Column struct {
	Name string
	Kind byte // KindInt, KindText or KindBytes
}

// Table is a table's name and columns.
type Table struct {
	Name    string
	Columns []Column
}

// unsnapshotted are the tables a snapshot leaves out: the migrations
// applied are its schema version, which a restore migrates to.
var unsnapshotted = map[string]bool{"schema_migrations": true}

// loadAfter lists ordering that triggers need besides foreign keys: the
// audit anchor may only name a checkpoint that exists.
var loadAfter = map[string][]string{"audit_anchor": {"audit_checkpoints"}}

// Snapshot is a consistent read of the whole database.
type Snapshot struct {
	tx      *sql.Tx
	c       *conn
	version int
	tables  []Table
}

// Snapshot runs fn over a consistent view of every table: a read-only
// transaction (on PostgreSQL, REPEATABLE READ), so that writes go on while
// a backup reads and none of them shows half-way.
func (db *DB) Snapshot(ctx context.Context, fn func(s *Snapshot) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if db.engine == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	sqlTx, err := db.read.BeginTx(ctx, opts)
	if err != nil {
		return errs.Wrap(errs.Unavailable, "store.Snapshot", "the database is unavailable", err)
	}
	defer sqlTx.Rollback()
	c := &conn{db: db, tx: sqlTx, readOnly: true}
	s := &Snapshot{tx: sqlTx, c: c}
	if s.version, err = schemaVersion(ctx, c); err != nil {
		return err
	}
	if s.tables, err = tablesInLoadOrder(ctx, c); err != nil {
		return err
	}
	return fn(s)
}

// Version is the schema version (the latest migration applied).
func (s *Snapshot) Version() int { return s.version }

// Tables lists the tables in an order that Load can write them in: every
// table after those its foreign keys name.
func (s *Snapshot) Tables() []Table { return slices.Clone(s.tables) }

// Tx is the snapshot's transaction, for reading the rest of the same view
// (the audit head, the latest checkpoint) through the usual methods.
func (s *Snapshot) Tx() *Tx { return newTx(s.c) }

// Rows calls fn with each row of t, its values in t's column order as
// int64, string, []byte or nil. fn must not keep vals: it is reused.
func (s *Snapshot) Rows(ctx context.Context, t Table, fn func(vals []any) error) error {
	names := make([]string, len(t.Columns))
	for i, col := range t.Columns {
		names[i] = quoteIdent(col.Name)
	}
	rows, err := s.tx.QueryContext(ctx, "SELECT "+strings.Join(names, ", ")+" FROM "+quoteIdent(t.Name))
	if err != nil {
		return classify("store.Snapshot", err)
	}
	defer rows.Close()
	raw := make([]any, len(t.Columns))
	ptrs := make([]any, len(t.Columns))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	vals := make([]any, len(t.Columns))
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return classify("store.Snapshot", err)
		}
		for i, col := range t.Columns {
			v, err := asKind(raw[i], col.Kind)
			if err != nil {
				return fmt.Errorf("store: snapshot of %s.%s: %w", t.Name, col.Name, err)
			}
			vals[i] = v
		}
		if err := fn(vals); err != nil {
			return err
		}
	}
	return classify("store.Snapshot", rows.Err())
}

// asKind converts a value the driver returned to the column's kind.
func asKind(v any, kind byte) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case int64:
		if kind == KindInt {
			return x, nil
		}
	case int32:
		if kind == KindInt {
			return int64(x), nil
		}
	case string:
		switch kind {
		case KindText:
			return x, nil
		case KindBytes:
			return []byte(x), nil
		}
	case []byte:
		switch kind {
		case KindBytes:
			return x, nil
		case KindText:
			return string(x), nil
		}
	}
	return nil, fmt.Errorf("a %T in a column of kind %q", v, kind)
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// schemaVersion is the latest migration applied.
func schemaVersion(ctx context.Context, c *conn) (int, error) {
	var v sql.NullInt64
	err := c.tx.QueryRowContext(ctx, "SELECT MAX(version) FROM schema_migrations").Scan(&v)
	return int(v.Int64), classify("store.SchemaVersion", err)
}

// tablesInLoadOrder lists the database's tables with their columns, each
// after the tables its foreign keys (and loadAfter) name, by name otherwise.
func tablesInLoadOrder(ctx context.Context, c *conn) ([]Table, error) {
	var names []string
	listQ := "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
	if c.db.engine == Postgres {
		listQ = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
	}
	if err := scanStrings(ctx, c, listQ, &names); err != nil {
		return nil, err
	}
	slices.Sort(names)
	deps := map[string][]string{}
	byName := map[string]Table{}
	for _, n := range names {
		if unsnapshotted[n] {
			continue
		}
		t, refs, err := describeTable(ctx, c, n)
		if err != nil {
			return nil, err
		}
		byName[n] = t
		deps[n] = append(refs, loadAfter[n]...)
	}
	var order []Table
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(n string) error
	visit = func(n string) error {
		switch state[n] {
		case 1:
			return fmt.Errorf("store: the foreign keys of %s form a cycle", n)
		case 2:
			return nil
		}
		state[n] = 1
		for _, d := range deps[n] {
			if _, ok := byName[d]; ok && d != n {
				if err := visit(d); err != nil {
					return err
				}
			}
		}
		state[n] = 2
		order = append(order, byName[n])
		return nil
	}
	for _, n := range names {
		if _, ok := byName[n]; ok {
			if err := visit(n); err != nil {
				return nil, err
			}
		}
	}
	return order, nil
}

// describeTable reads a table's columns (in order) and the tables its
// foreign keys reference.
func describeTable(ctx context.Context, c *conn, name string) (Table, []string, error) {
	t := Table{Name: name}
	var refs []string
	colQ, fkQ := "SELECT name, type FROM pragma_table_info(?) ORDER BY cid", `SELECT "table" FROM pragma_foreign_key_list(?)`
	if c.db.engine == Postgres {
		colQ = "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position"
		fkQ = `SELECT rf.relname FROM pg_constraint k JOIN pg_class cl ON cl.oid = k.conrelid
			JOIN pg_class rf ON rf.oid = k.confrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
			WHERE k.contype = 'f' AND n.nspname = current_schema() AND cl.relname = $1`
	}
	rows, err := c.tx.QueryContext(ctx, colQ, name)
	if err != nil {
		return t, nil, classify("store.describeTable", err)
	}
	for rows.Next() {
		var col, typ string
		if err := rows.Scan(&col, &typ); err != nil {
			rows.Close()
			return t, nil, classify("store.describeTable", err)
		}
		t.Columns = append(t.Columns, Column{Name: col, Kind: kindOf(typ)})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return t, nil, classify("store.describeTable", err)
	}
	if err := scanStrings(ctx, c, fkQ, &refs, name); err != nil {
		return t, nil, err
	}
	return t, refs, nil
}

// kindOf maps a declared column type to a kind.
func kindOf(typ string) byte {
	t := strings.ToUpper(typ)
	switch {
	case strings.Contains(t, "INT"):
		return KindInt
	case strings.Contains(t, "BLOB"), strings.Contains(t, "BYTEA"):
		return KindBytes
	}
	return KindText
}

func scanStrings(ctx context.Context, c *conn, q string, out *[]string, args ...any) error {
	rows, err := c.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return classify("store.scanStrings", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return classify("store.scanStrings", err)
		}
		*out = append(*out, s)
	}
	return classify("store.scanStrings", rows.Err())
}

// CreateAt makes a new database at dsn with the schema at version (the
// migrations up to it), for a restore to load a snapshot of that version
// into; Open migrates it the rest of the way afterwards. It refuses a
// database that holds anything: a restore never writes over data.
func CreateAt(ctx context.Context, dsn string, version int) (*DB, error) {
	if !IsPostgresDSN(dsn) {
		if fi, err := os.Stat(dsn); err == nil && fi.Size() > 0 {
			return nil, errs.E(errs.Exist, fmt.Sprintf("%s already exists: restore into a new data directory or database", dsn))
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("store: %w", err)
		}
	}
	db, err := openPoolsWith(ctx, dsn, true)
	if err != nil {
		return nil, err
	}
	if db.engine == Postgres {
		var n int
		if err := db.write.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()").Scan(&n); err != nil {
			db.Close()
			return nil, fmt.Errorf("store: %w", err)
		}
		if n > 0 {
			db.Close()
			return nil, errs.E(errs.Exist, fmt.Sprintf("the database's schema already holds %d tables: restore into a new database or schema", n))
		}
	}
	plan, err := loadMigrations(migrationFiles, db.engine)
	if err != nil {
		db.Close()
		return nil, err
	}
	if len(plan) == 0 || version < 1 || version > plan[len(plan)-1].version {
		db.Close()
		return nil, errs.E(errs.Invalid, fmt.Sprintf("schema version %d is not one this strongroom knows (1–%d): use a newer strongroom", version, plan[len(plan)-1].version))
	}
	if err := db.migrateTo(ctx, migrationFiles, version); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Load writes tables into the database in one transaction: fn calls
// Loader.Table for each, in the snapshot's order. Rows that migrations
// wrote (the pipeline's stages, the audit head) are replaced by the
// snapshot's. Nothing is kept unless fn returns nil.
func (db *DB) Load(ctx context.Context, fn func(l *Loader) error) error {
	return db.WithTx(ctx, func(tx *Tx) error {
		if db.engine == SQLite {
			// The snapshot's order satisfies every foreign key already;
			// checking each at commit instead keeps the load one pass.
			if _, err := tx.tx.ExecContext(ctx, "PRAGMA defer_foreign_keys = ON"); err != nil {
				return classify("store.Load", err)
			}
		}
		have, err := tablesInLoadOrder(ctx, tx.conn)
		if err != nil {
			return err
		}
		l := &Loader{c: tx.conn, have: map[string]Table{}}
		for _, t := range have {
			l.have[t.Name] = t
		}
		// Secondary indexes are built once after the rows are in, which is
		// faster than keeping them up to date row by row; a unique index
		// that the rows break fails the load when it is built again.
		indexes, err := secondaryIndexes(ctx, tx.conn)
		if err != nil {
			return err
		}
		for _, ix := range indexes {
			if _, err := tx.tx.ExecContext(ctx, "DROP INDEX "+quoteIdent(ix.name)); err != nil {
				return classify("store.Load", err)
			}
		}
		if err := fn(l); err != nil {
			return err
		}
		if db.engine == SQLite {
			// The load's connection is closed afterwards: nothing to set
			// back.
			if _, err := boundSorts(ctx, tx.tx); err != nil {
				return classify("store.Load", err)
			}
		}
		for _, ix := range indexes {
			if _, err := tx.tx.ExecContext(ctx, ix.sql); err != nil {
				return fmt.Errorf("store: rebuilding index %s: %w", ix.name, err)
			}
		}
		return nil
	})
}

// rebuildCacheKiB is the page cache, and so the most memory each sort may
// take, while SQLite builds indexes: a load's, after its rows, and a
// migration's.
const rebuildCacheKiB = 4096

// boundSorts sets the page cache of c's connection to rebuildCacheKiB and
// returns what sets it back. SQLite sorts each index it builds in a buffer
// that doubles up to the page cache's size, and the driver's allocator
// (modernc.org/memory) keeps a freed region of each size committed for
// reuse: with the restore's 32 MiB cache, a drill left 64, 32, 16 … MiB in
// the server for good. A small cache caps the buffer (larger sorts spill
// to temporary files) and built a drill's indexes no slower
// (BenchmarkBackupAndDrill, docs/PERFORMANCE.md).
func boundSorts(ctx context.Context, c interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (restore func() error, err error) {
	var was int
	if err := c.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&was); err != nil {
		return nil, err
	}
	if _, err := c.ExecContext(ctx, "PRAGMA cache_size = -"+strconv.Itoa(rebuildCacheKiB)); err != nil {
		return nil, err
	}
	return func() error {
		_, err := c.ExecContext(ctx, "PRAGMA cache_size = "+strconv.Itoa(was))
		return err
	}, nil
}

type indexDef struct{ name, sql string }

// secondaryIndexes lists the indexes that are not a table's primary key or
// a constraint, with the statement that creates each.
func secondaryIndexes(ctx context.Context, c *conn) ([]indexDef, error) {
	q := "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name"
	if c.db.engine == Postgres {
		q = `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()
			AND indexname NOT IN (SELECT conname FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace WHERE n.nspname = current_schema())
			ORDER BY indexname`
	}
	rows, err := c.tx.QueryContext(ctx, q)
	if err != nil {
		return nil, classify("store.secondaryIndexes", err)
	}
	defer rows.Close()
	var out []indexDef
	for rows.Next() {
		var ix indexDef
		if err := rows.Scan(&ix.name, &ix.sql); err != nil {
			return nil, classify("store.secondaryIndexes", err)
		}
		out = append(out, ix)
	}
	return out, classify("store.secondaryIndexes", rows.Err())
}

// SyncFile makes a SQLite database that CreateAt loaded without syncing
// durable: the file's written pages reach the disk.
func SyncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Loader writes a snapshot's tables.
type Loader struct {
	c    *conn
	have map[string]Table
}

// Tables lists the destination's tables.
func (l *Loader) Tables() []string {
	names := make([]string, 0, len(l.have))
	for n := range l.have {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Table starts writing t: its columns must be the destination's, in any
// order.
// The rows migrations put there are removed first.
func (l *Loader) Table(ctx context.Context, t Table) (*TableLoader, error) {
	have, ok := l.have[t.Name]
	if !ok {
		return nil, errs.E(errs.Invalid, fmt.Sprintf("table %s is not in this schema", t.Name))
	}
	// The engines may order a table's columns differently (SQLite's table
	// rebuilds); the rows are written by column name.
	byName := func(a, b Column) int { return strings.Compare(a.Name, b.Name) }
	h, w := slices.Clone(have.Columns), slices.Clone(t.Columns)
	slices.SortFunc(h, byName)
	slices.SortFunc(w, byName)
	if !slices.Equal(h, w) {
		return nil, errs.E(errs.Invalid, fmt.Sprintf("table %s has other columns here than in the snapshot", t.Name))
	}
	if _, err := l.c.tx.ExecContext(ctx, "DELETE FROM "+quoteIdent(t.Name)); err != nil {
		return nil, classify("store.Load", err)
	}
	names := make([]string, len(t.Columns))
	for i, col := range t.Columns {
		names[i] = col.Name
	}
	per := max(1, min(500, 30000/len(t.Columns)))
	if l.c.db.engine == Postgres {
		per = 5000
	}
	return &TableLoader{c: l.c, t: t, names: names, per: per}, nil
}

// insertSQL is the multi-row INSERT of n rows.
func (tl *TableLoader) insertSQL(n int) string {
	quoted := make([]string, len(tl.names))
	for i, name := range tl.names {
		quoted[i] = quoteIdent(name)
	}
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(tl.names)), ",") + ")"
	return tl.c.bulkInsert() + " " + quoteIdent(tl.t.Name) + " (" + strings.Join(quoted, ", ") + ") VALUES " +
		strings.TrimSuffix(strings.Repeat(one+",", n), ",")
}

// TableLoader buffers rows and writes them in large statements (SQLite)
// or with COPY (PostgreSQL).
type TableLoader struct {
	c     *conn
	t     Table
	names []string
	per   int
	rows  [][]any
	args  []any
	full  *sql.Stmt // the INSERT of per rows (SQLite)
	n     int64
}

// Add writes a row (values in the table's column order). It copies vals.
func (tl *TableLoader) Add(ctx context.Context, vals []any) error {
	if len(vals) != len(tl.t.Columns) {
		return errs.E(errs.Invalid, fmt.Sprintf("a row of %s has %d values, not %d", tl.t.Name, len(vals), len(tl.t.Columns)))
	}
	tl.rows = append(tl.rows, slices.Clone(vals))
	tl.n++
	if len(tl.rows) >= tl.per {
		return tl.flush(ctx)
	}
	return nil
}

// Close writes what is buffered and returns how many rows were added.
func (tl *TableLoader) Close(ctx context.Context) (int64, error) {
	err := tl.flush(ctx)
	if tl.full != nil {
		tl.full.Close()
	}
	return tl.n, err
}

func (tl *TableLoader) flush(ctx context.Context) error {
	if len(tl.rows) == 0 {
		return nil
	}
	defer func() { tl.rows = tl.rows[:0] }()
	if tl.c.db.engine == Postgres {
		if err := tl.c.copyRows(ctx, tl.t.Name, tl.names, tl.rows); err != nil {
			return fmt.Errorf("store: load %s: %w", tl.t.Name, err)
		}
		return nil
	}
	args := tl.args[:0]
	for _, r := range tl.rows {
		args = append(args, r...)
	}
	tl.args = args
	var err error
	if len(tl.rows) == tl.per {
		// A full chunk: the statement is parsed once per table.
		if tl.full == nil {
			if tl.full, err = tl.c.tx.PrepareContext(ctx, tl.insertSQL(tl.per)); err != nil {
				return fmt.Errorf("store: load %s: %w", tl.t.Name, err)
			}
		}
		_, err = tl.full.ExecContext(ctx, args...)
	} else {
		_, err = tl.c.tx.ExecContext(ctx, tl.insertSQL(len(tl.rows)), args...)
	}
	if err != nil {
		return fmt.Errorf("store: load %s: %w", tl.t.Name, err)
	}
	return nil
}

// CountRows counts a table's rows (a restore's check of what it wrote).
func (l *Loader) CountRows(ctx context.Context, table string) (int64, error) {
	if _, ok := l.have[table]; !ok {
		return 0, errs.E(errs.Invalid, fmt.Sprintf("table %s is not in this schema", table))
	}
	var n int64
	err := l.c.tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+quoteIdent(table)).Scan(&n)
	return n, classify("store.CountRows", err)
}

// Tx is the load's transaction, for what a restore does after the rows
// are in (re-applying erasures, recording the restore).
func (l *Loader) Tx() *Tx { return newTx(l.c) }

// DropAll removes every table of a database CreateAt made, when a restore
// into it fails (on SQLite the caller removes the file).
func (db *DB) DropAll(ctx context.Context) error {
	if db.engine != Postgres {
		return nil
	}
	var names []string
	rows, err := db.write.QueryContext(ctx, "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")
	if err != nil {
		return classify("store.DropAll", err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return classify("store.DropAll", err)
		}
		names = append(names, quoteIdent(n))
	}
	rows.Close()
	if len(names) == 0 {
		return nil
	}
	_, err = db.write.ExecContext(ctx, "DROP TABLE "+strings.Join(names, ", ")+" CASCADE")
	return classify("store.DropAll", err)
}
