package store_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"regexp"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/service/records"
	"strongroom.dev/strongroom/internal/store"
	"strongroom.dev/strongroom/internal/testkit"
)

// TestLeastPrivilegeRoles follows docs/SECURITY.md's least-privilege setup
// in a fresh schema: an owner role runs the migrations and applies
// docs/postgres-roles.sql; the app role then serves (opening the database,
// the keyring check, writes, audited reads, the chain verifies) and may
// append to and read the audit log but not UPDATE, DELETE or TRUNCATE it,
// nor DROP or ALTER it or its triggers, nor create anything.
func TestLeastPrivilegeRoles(t *testing.T) {
	base := os.Getenv(testkit.PostgresEnv)
	if base == "" {
		t.Skip(testkit.PostgresEnv + " is not set")
	}
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	var b [5]byte
	rand.Read(b[:])
	suffix := hex.EncodeToString(b[:])
	schema, owner, app := "lp_"+suffix, "lp_owner_"+suffix, "lp_app_"+suffix
	ownerPW, appPW := rand.Text(), rand.Text()
	for _, q := range []string{
		"CREATE ROLE " + owner + " LOGIN PASSWORD '" + ownerPW + "'",
		"CREATE ROLE " + app + " LOGIN PASSWORD '" + appPW + "'",
		"CREATE SCHEMA " + schema + " AUTHORIZATION " + owner,
	} {
		if _, err := admin.ExecContext(ctx, q); err != nil {
			admin.Close()
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() { // after the service's own cleanup has closed its connections
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Exec("DROP OWNED BY " + owner + ", " + app)
		admin.Exec("DROP ROLE " + app)
		admin.Exec("DROP ROLE " + owner)
		admin.Close()
	})
	dsn := func(user, pw string) string {
		u, err := url.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		u.User = url.UserPassword(user, pw)
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	ownerDSN, appDSN := dsn(owner, ownerPW), dsn(app, appPW)

	// The owner migrates (what `strongroom migrate` does) and grants.
	db, err := store.Open(ctx, ownerDSN)
	if err != nil {
		t.Fatalf("migrate as owner: %v", err)
	}
	db.Close()
	script, err := os.ReadFile("../../docs/postgres-roles.sql")
	if err != nil {
		t.Fatal(err)
	}
	ownerConn, err := sql.Open("pgx", ownerDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer ownerConn.Close()
	if _, err := ownerConn.ExecContext(ctx, psqlVars(t, string(script), map[string]string{"schema": schema, "app_role": app})); err != nil {
		t.Fatalf("docs/postgres-roles.sql: %v", err)
	}

	// The app role serves: it opens the database (nothing to migrate, so no
	// DDL), starts the service (keyring check) and works through it.
	env := testkit.NewEnv(t, testkit.DB{Engine: store.Postgres, DSN: appDSN, Schema: schema}, service.Options{})
	svc := env.Service
	if _, err := svc.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: "admin@example.com", Role: "admin", Password: "a long enough passphrase for tests"}); err != nil {
		t.Fatalf("create a user as the app role: %v", err)
	}
	sess, err := svc.Sessions.Login(ctx, "admin@example.com", "a long enough passphrase for tests", identity.Client{IP: "192.0.2.1"})
	if err != nil {
		t.Fatalf("log in as the app role: %v", err)
	}
	a, err := svc.Sessions.Authenticate(ctx, sess.Token, identity.Client{IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	name := "Li Hua"
	c, err := svc.Customers.CreateCustomer(ctx, a, crm.CustomerInput{Fields: map[string]*string{"name": &name}})
	if err != nil {
		t.Fatalf("create a customer as the app role: %v", err)
	}
	if _, err := svc.Customers.Customer(ctx, a, c.ID); err != nil {
		t.Fatalf("audited read as the app role: %v", err)
	}
	if page, err := svc.Customers.ListCustomers(ctx, a, records.CustomerQuery{Limit: 10}); err != nil || len(page.Customers) != 1 {
		t.Fatalf("audited list as the app role: %v", err)
	}
	// serve's indexer fills the index of subjects and moves its mark.
	if behind, err := env.Store.IndexAuditSubjects(ctx, 1000); err != nil || behind != 0 {
		t.Fatalf("index the audit log's subjects as the app role: behind %d, %v", behind, err)
	}
	if head, err := env.Store.AuditHead(ctx); err != nil {
		t.Fatal(err)
	} else if through, err := env.Store.AuditSubjectsIndexed(ctx); err != nil || through != head.Seq {
		t.Fatalf("the index's mark at %d (%v), head at %d", through, err, head.Seq)
	}
	if err := svc.Customers.DeleteCustomer(ctx, a, c.ID); err != nil {
		t.Fatalf("delete a customer as the app role: %v", err)
	}
	if err := svc.Sessions.Logout(ctx, a); err != nil {
		t.Fatalf("log out as the app role: %v", err)
	}
	if n, problem, err := svc.AuditLog.Verify(ctx); err != nil || problem != nil || n < 5 {
		t.Fatalf("verify: %d %v %v", n, problem, err)
	}

	raw, err := sql.Open("pgx", appDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)
	// Allowed: reading and appending (in a transaction rolled back, so the
	// chain stays whole).
	var n int
	if err := raw.QueryRowContext(ctx, "SELECT count(*) FROM audit_events").Scan(&n); err != nil || n == 0 {
		t.Fatalf("SELECT on audit_events: %d %v", n, err)
	}
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_events (seq, at, actor_id, session_id, ip, action, object_type, object_id, fields, outcome, reason, prev_hash, hash)
		VALUES (1000000, 0, '', '', '', 'test', '', '', '', 'success', '', ''::bytea, ''::bytea)`); err != nil {
		t.Fatalf("INSERT into audit_events: %v", err)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE audit_head SET seq = seq WHERE id = 1"); err != nil {
		t.Fatalf("UPDATE audit_head: %v", err)
	}
	tx.Rollback()

	// Refused: every change to what is written, and every DDL.
	for _, q := range []string{
		"UPDATE audit_events SET reason = 'rewritten'",
		"DELETE FROM audit_events",
		"TRUNCATE audit_events",
		"DROP TABLE audit_events",
		"ALTER TABLE audit_events ADD COLUMN note TEXT",
		"ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
		"ALTER TABLE audit_events DISABLE TRIGGER ALL",
		"DROP TRIGGER audit_events_append_only ON audit_events",
		"CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END; $$",
		"DROP FUNCTION audit_events_append_only() CASCADE",
		"ALTER TABLE audit_events OWNER TO CURRENT_USER",
		"UPDATE audit_reasons SET reason_ct = ''::bytea",
		"DELETE FROM audit_reasons",
		"TRUNCATE audit_reasons",
		"DROP TABLE audit_reasons",
		"DROP TRIGGER audit_reasons_append_only ON audit_reasons",
		"DELETE FROM audit_subjects",
		"UPDATE audit_subjects SET subject_id = 'someone else'",
		"TRUNCATE audit_subjects",
		"UPDATE audit_tree SET hash = ''::bytea",
		"DELETE FROM audit_tree",
		"TRUNCATE audit_tree",
		"UPDATE audit_checkpoints SET note = ''",
		"DELETE FROM audit_checkpoints",
		"TRUNCATE audit_checkpoints",
		"DROP TRIGGER audit_checkpoints_append_only ON audit_checkpoints",
		"DELETE FROM audit_head",
		"TRUNCATE audit_head",
		"DELETE FROM audit_subjects_indexed",
		"TRUNCATE audit_subjects_indexed",
		"DROP TRIGGER audit_subjects_indexed_forward ON audit_subjects_indexed",
		"INSERT INTO audit_anchor (id, size, hash, stack, note, at) VALUES (1, 1000000, ''::bytea, '', '', 0)",
		"TRUNCATE audit_anchor",
		"INSERT INTO audit_head (id, seq, hash) VALUES (2, 0, ''::bytea)",
		"DROP TABLE audit_head",
		"DELETE FROM schema_migrations",
		"TRUNCATE customers",
		"DROP TABLE customers",
		"CREATE TABLE scratch (id INTEGER)",
	} {
		_, err := raw.ExecContext(ctx, q)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "42501" { // insufficient_privilege
			t.Errorf("%s as the app role: %v, want permission denied", q, err)
		}
	}
}

var psqlVar = regexp.MustCompile(`:"([a-z_]+)"`)

// psqlVars interpolates psql's :"name" variables as quoted identifiers,
// as psql -v name=value does.
func psqlVars(t *testing.T, script string, vars map[string]string) string {
	return psqlVar.ReplaceAllStringFunc(script, func(m string) string {
		v, ok := vars[psqlVar.FindStringSubmatch(m)[1]]
		if !ok {
			t.Fatalf("the script uses an unknown variable %s", m)
		}
		return pgx.Identifier{v}.Sanitize()
	})
}
