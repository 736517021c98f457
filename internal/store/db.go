// Package store is Strongroom's only user of database/sql. It speaks to
// SQLite (embedded, the default) and PostgreSQL (production) with one set of
// portable SQL and migrations written once for both. Rows hold ciphertext
// and blind indexes; the store never sees a key.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"

	"strongroom.dev/strongroom/internal/errs"
)

// Engine is the database engine behind a DB.
type Engine string

const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// busyTimeout is how long, in milliseconds, an SQLite connection waits for
// a lock another connection holds.
const busyTimeout = 10000

// DB is an open database. For SQLite it holds a single-connection writer
// pool (writes queue in Go, not in SQLite's busy loop) and a reader pool;
// for PostgreSQL both are the same pool.
type DB struct {
	engine Engine
	write  *sql.DB
	read   *sql.DB
	rebind sync.Map // query -> engine form
	stmts  stmtCache
	reads  sync.Map // query -> *sql.Stmt on the SQLite read pool
	// preparing holds the queries being prepared for reads in the
	// background (prepareLater), so that each is prepared once.
	preparing sync.Map
	// readCount is how many statements reads holds, at most maxReadStmts.
	readCount atomic.Int32
	// wal checkpoints SQLite's write-ahead log in the background (nil for
	// PostgreSQL and for a bulk load).
	wal *walCheckpointer
}

// stmtCache holds statements prepared on the SQLite writer pool when the
// database opens, so that a transaction reuses the connection's prepared
// statement instead of parsing its SQL again (a third of a short
// transaction's cost). It is filled once, before any transaction, because
// the writer pool's one connection is held by a transaction while it runs.
// pgx caches prepared statements by itself, so PostgreSQL does not use it.
type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// hotQueries are the statements on the busiest paths (reads audited one by
// one, logins, single changes).
var hotQueries = func() []string {
	return []string{
		customerSelect + " WHERE c.id = ?",
		auditHeadQuery,
		insertAuditQuery(1),
		insertAuditQuery(2),
		updateAuditHeadQuery,
		insertAuditTreeQuery(treeChunk),
		insertAuditTreeQuery(1),
		insertAuditSubjectsQuery("INSERT OR FAIL INTO", subjectChunk),
		"SELECT " + userColumns + " FROM users u JOIN subject_keys k ON k.subject_id = u.id WHERE u.id = ?",
		"INSERT INTO subject_keys (subject_id, wrapped, kek_term, created_at) VALUES (?, ?, ?, ?)",
	}
}

func (c *stmtCache) prepare(ctx context.Context, db *sql.DB) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = map[string]*sql.Stmt{}
	for _, q := range hotQueries() {
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("store: prepare: %w", err)
		}
		c.m[q] = st
	}
	return nil
}

func (c *stmtCache) get(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[query]
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m = nil
}

// Open opens dsn (a postgres:// URL, or a SQLite file path) and applies
// pending migrations.
func Open(ctx context.Context, dsn string) (*DB, error) {
	db, err := openPools(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if err := db.migrate(ctx, migrationFiles); err != nil {
		db.Close()
		return nil, err
	}
	if db.engine == SQLite {
		if err := db.stmts.prepare(ctx, db.write); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

// openPools opens dsn's connection pools and checks that the database
// answers.
func openPools(ctx context.Context, dsn string) (*DB, error) { return openPoolsWith(ctx, dsn, false) }

// openPoolsWith opens the pools; bulk (SQLite only) is for loading a new
// database in one transaction (a restore): the rollback journal is kept in
// memory and nothing is synced until the caller syncs the file, since a
// load that fails removes the file anyway.
func openPoolsWith(ctx context.Context, dsn string, bulk bool) (*DB, error) {
	db := &DB{}
	var err error
	var checkpoints string // the DSN of the background checkpoint's connection
	if IsPostgresDSN(dsn) {
		db.engine = Postgres
		if err := CheckPostgresTransport(dsn); err != nil {
			return nil, err
		}
		if db.write, err = sql.Open("pgx", dsn); err != nil {
			return nil, fmt.Errorf("store: open: %w", err)
		}
		db.write.SetMaxOpenConns(16)
		db.write.SetMaxIdleConns(16)
		db.read = db.write
	} else {
		db.engine = SQLite
		base := "file:" + dsn + "?_pragma=busy_timeout(" + strconv.Itoa(busyTimeout) + ")&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)"
		cache := "-" + strconv.Itoa(writerCacheKiB)
		if bulk {
			base = "file:" + dsn + "?_pragma=busy_timeout(" + strconv.Itoa(busyTimeout) + ")&_pragma=journal_mode(MEMORY)&_pragma=synchronous(OFF)&_pragma=foreign_keys(1)"
			// 32 MiB: with 256 MiB, the restore drill a server runs as it
			// starts took the server's memory from 110 to 718 MiB at
			// 200,000 customers (269 MiB with 32), and the drill was no
			// faster: 6.2 against 6.7 s at 100,000 customers, 67.1 against
			// 56.8 s at 1,000,000 (BenchmarkBackupAndDrill, a run each).
			cache = "-32768"
		}
		writer := base + "&_txlock=immediate&_pragma=cache_size(" + cache + ")"
		if !bulk {
			// The writer leaves checkpoints to walCheckpointer, and cuts a
			// log that started again back to walSizeLimit.
			writer += "&_pragma=wal_autocheckpoint(0)&_pragma=journal_size_limit(" + strconv.Itoa(walSizeLimit) + ")"
		}
		if db.write, err = sql.Open("sqlite", writer); err != nil {
			return nil, fmt.Errorf("store: open: %w", err)
		}
		db.write.SetMaxOpenConns(1)
		if db.read, err = sql.Open("sqlite", base+"&_pragma=query_only(1)"); err != nil {
			return nil, fmt.Errorf("store: open: %w", err)
		}
		db.read.SetMaxOpenConns(readConns)
		db.read.SetMaxIdleConns(readConns)
		if !bulk {
			checkpoints = base
		}
	}
	if err := db.write.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: cannot reach the %s database: %w", db.engine, err)
	}
	if checkpoints != "" {
		if db.wal, err = startWALCheckpoints(ctx, checkpoints); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

// Engine reports which engine db speaks to.
func (db *DB) Engine() Engine { return db.engine }

// Close closes both pools.
func (db *DB) Close() error {
	err := db.wal.close()
	db.stmts.close()
	db.reads.Range(func(_, st any) bool { st.(*sql.Stmt).Close(); return true })
	err = errors.Join(err, db.write.Close())
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// readConns is the size of SQLite's read pool.
const readConns = 8

// writerCacheKiB is the SQLite writer's page cache, 16 MiB: pages it
// misses come from the operating system's cache. With 64 MiB the server
// held 275 MiB after the creates at 1,000,000 customers (187 MiB with 16),
// and neither creates nor a 100,000-row import were faster (10,000
// customers, alternate runs: 1,188–1,436 against 1,460–1,477 creates a
// second, 6.8–8.0 against 6.3–7.8 s for the import).
const writerCacheKiB = 16384

// maxReadStmts bounds the read pool's statement cache.
const maxReadStmts = 256

// readStmt returns query prepared on the read pool (SQLite; database/sql
// keeps it prepared per connection), for the reads every request makes
// outside a transaction; nil for PostgreSQL, whose driver caches itself.
func (db *DB) readStmt(ctx context.Context, query string) *sql.Stmt {
	if db.engine == Postgres {
		return nil
	}
	if st, ok := db.reads.Load(query); ok {
		return st.(*sql.Stmt)
	}
	if db.readCount.Load() >= maxReadStmts {
		return nil // queries built for their arguments (IN lists) would grow it without end
	}
	st, err := db.read.PrepareContext(ctx, query)
	if err != nil {
		return nil // the plain query reports the error
	}
	if prev, loaded := db.reads.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt)
	}
	db.readCount.Add(1)
	return st
}

// prepareLater prepares query on the read pool in the background, for
// the read-only transactions that will run it next (conn.stmt).
func (db *DB) prepareLater(query string) {
	if db.readCount.Load() >= maxReadStmts {
		return
	}
	if _, busy := db.preparing.LoadOrStore(query, true); busy {
		return
	}
	go func() {
		defer db.preparing.Delete(query)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		db.readStmt(ctx, query)
	}()
}

// readQuery runs a read-only query outside a transaction.
func (db *DB) readQuery(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := db.readStmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return db.read.QueryContext(ctx, db.q(query), args...)
}

// readRow is readQuery for one row.
func (db *DB) readRow(ctx context.Context, query string, args ...any) *sql.Row {
	if st := db.readStmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return db.read.QueryRowContext(ctx, db.q(query), args...)
}

// q turns a portable query ('?' placeholders) into the engine's form.
func (db *DB) q(query string) string {
	if db.engine != Postgres {
		return query
	}
	if v, ok := db.rebind.Load(query); ok {
		return v.(string)
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	db.rebind.Store(query, b.String())
	return b.String()
}

// Tx is one transaction. It is only reachable inside WithTx and ReadTx.
// Its methods are those of its parts, one per group of tables (customerRows,
// userRows, …, each in the file of its tables), which share the
// transaction's connection; the service's domains each see it through the
// small interface they declare.
type Tx struct {
	*conn
	accessRows
	activityRows
	alertRows
	auditRows
	backupRows
	blockRows
	checkpointRows
	companyRows
	consentRows
	customerRows
	dealRows
	deviceRows
	heldRows
	historyRows
	incidentRows
	keyRows
	linkRows
	lockoutRows
	oauthRows
	passkeyRows
	policyRows
	preferenceRows
	requestRows
	retentionRows
	reviewRows
	roleRows
	sealedRows
	sessionRows
	ssoRows
	teamRows
	trainingRows
	transactionRows
	userRows
	vendorRows
	visitRows
	webhookRows
}

// conn is a transaction's connection, shared by the parts of a Tx: the
// statements, and the name and tag indexes that customers and companies
// both write.
type conn struct {
	db       *DB
	tx       *sql.Tx
	readOnly bool
	// raw is the connection that tx runs on, for PostgreSQL's COPY (see
	// copyRows); nil on SQLite.
	raw *sql.Conn
}

func newTx(c *conn) *Tx {
	return &Tx{conn: c,
		accessRows: accessRows{c}, activityRows: activityRows{c}, alertRows: alertRows{c}, auditRows: auditRows{c}, backupRows: backupRows{c}, blockRows: blockRows{c}, checkpointRows: checkpointRows{c}, companyRows: companyRows{c}, consentRows: consentRows{c},
		customerRows: customerRows{c}, dealRows: dealRows{c}, heldRows: heldRows{c}, historyRows: historyRows{c}, incidentRows: incidentRows{c}, keyRows: keyRows{c}, linkRows: linkRows{c},
		lockoutRows: lockoutRows{c}, oauthRows: oauthRows{c}, passkeyRows: passkeyRows{c}, policyRows: policyRows{c}, preferenceRows: preferenceRows{c},
		requestRows: requestRows{c}, retentionRows: retentionRows{c}, reviewRows: reviewRows{c}, roleRows: roleRows{c}, sealedRows: sealedRows{c}, sessionRows: sessionRows{c}, ssoRows: ssoRows{c}, teamRows: teamRows{c},
		trainingRows: trainingRows{c}, deviceRows: deviceRows{c}, transactionRows: transactionRows{c}, userRows: userRows{c}, vendorRows: vendorRows{c}, visitRows: visitRows{c}, webhookRows: webhookRows{c}}
}

// WithTx runs fn in a transaction, committing when fn returns nil and
// rolling back otherwise. It is the one way to open a transaction.
func (db *DB) WithTx(ctx context.Context, fn func(tx *Tx) error) error {
	c := &conn{db: db}
	begin := db.write.BeginTx
	if db.engine == Postgres {
		raw, err := db.write.Conn(ctx)
		if err != nil {
			return errs.Wrap(errs.Unavailable, "store.WithTx", "the database is unavailable", err)
		}
		defer raw.Close()
		c.raw, begin = raw, raw.BeginTx
	}
	sqlTx, err := begin(ctx, nil)
	if err != nil {
		return errs.Wrap(errs.Unavailable, "store.WithTx", "the database is unavailable", err)
	}
	c.tx = sqlTx
	tx := newTx(c)
	// A panic in fn rolls back first: an open transaction would hold the
	// PostgreSQL connection that raw.Close (deferred above) waits for.
	defer func() {
		if p := recover(); p != nil {
			sqlTx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return errs.Wrap(errs.Unavailable, "store.WithTx", "the change could not be saved", err)
	}
	db.wal.committed()
	db.wal.restartLog(db.write)
	return nil
}

// ReadTx runs fn in a read-only transaction on the reader pool. Writes in
// fn fail. Use it for work that must not hold SQLite's write lock (such as a
// login, which spends tens of milliseconds hashing).
func (db *DB) ReadTx(ctx context.Context, fn func(tx *Tx) error) error {
	sqlTx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return errs.Wrap(errs.Unavailable, "store.ReadTx", "the database is unavailable", err)
	}
	defer sqlTx.Rollback()
	return fn(newTx(&conn{db: db, tx: sqlTx, readOnly: true}))
}

// stmt returns query prepared for this transaction on SQLite: a write
// transaction uses the hot statements prepared at open; a read-only one
// the read pool's statements (readStmt), so that the audited reads, which
// run there, do not parse their SQL each time. nil: run it plainly.
func (tx *conn) stmt(ctx context.Context, query string) *sql.Stmt {
	if tx.db.engine != SQLite {
		return nil
	}
	if !tx.readOnly {
		if st := tx.db.stmts.get(query); st != nil {
			return tx.tx.StmtContext(ctx, st)
		}
		return nil
	}
	// Preparing on the read pool needs a free connection of that pool, and
	// this transaction already holds one: when every connection is held by
	// a transaction doing the same, none is ever freed. So a read-only
	// transaction only uses statements prepared already and has a missing
	// one prepared in the background, outside any transaction.
	v, ok := tx.db.reads.Load(query)
	if !ok {
		tx.db.prepareLater(query)
		return nil
	}
	return tx.tx.StmtContext(ctx, v.(*sql.Stmt))
}

func (tx *conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := tx.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.tx.ExecContext(ctx, tx.db.q(query), args...)
}

func (tx *conn) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if st := tx.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.tx.QueryRowContext(ctx, tx.db.q(query), args...)
}

func (tx *conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := tx.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.tx.QueryContext(ctx, tx.db.q(query), args...)
}

// retiredTermError is what migration 0063's triggers say of a data key
// wrapped under a retired term of the master key.
const retiredTermError = "strongroom: a data key under a retired master key term"

// classify maps driver errors to error kinds: no rows is NotExist, a unique
// violation is Exist, a value PostgreSQL cannot hold as text is Invalid, a
// data key under a retired term is Unavailable; anything else is Internal.
func classify(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return errs.Wrap(errs.NotExist, op, "not found", err)
	case isUniqueViolation(err):
		return errs.Wrap(errs.Exist, op, "already exists", err)
	case isUnstorableText(err):
		return errs.Wrap(errs.Invalid, op, "the input holds a character that is not text (such as NUL) or bytes that are not UTF-8", err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return errs.Wrap(errs.Unavailable, op, "the request was cancelled or timed out", err)
	case strings.Contains(err.Error(), retiredTermError):
		return errs.Wrap(errs.Unavailable, op, "the master key was rotated and this server has not yet loaded its new term: try again in a minute", err)
	}
	return errs.Wrap(errs.Internal, op, "", err)
}
