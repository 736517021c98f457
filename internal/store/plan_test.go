package store_test

import (
	"database/sql"
	"strconv"
	"strings"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/store"
	"strongroom.dev/strongroom/internal/testkit"
)

// TestHotLookupsUseTheirIndex asks each engine how it would run the
// lookups on the busiest paths — blind-index searches over sealed fields,
// logins, sessions, links, lockout counts, one owner's page of customers —
// in the shape the store's SQL has them, and checks that an index serves
// each (the one the migrations made for it, where it has a name), never a
// scan of the whole table. PostgreSQL is told to avoid sequential scans,
// so that on these empty tables it picks an index whenever one fits; a
// sequential scan in its plan means no index fits the lookup.
func TestHotLookupsUseTheirIndex(t *testing.T) {
	b := []byte("0123456789abcdef")
	// Search by name: the store's own condition, over two tokens.
	nameCond, nameArgs := store.TokenMatch("customer", "c.id", [][]byte{b, []byte("fedcba9876543210")})
	companyCond, companyArgs := store.TokenMatch("company", "co.id", [][]byte{b})
	cases := []struct {
		name  string // the store method whose SQL has this shape
		query string
		args  []any
		table string // the table that must not be scanned whole
		index string // the index that must serve it ("" any)
	}{
		{"ListCustomers by email", "SELECT id FROM customers WHERE email_bidx = ?", []any{b}, "customers", "customers_email"},
		{"ListCustomers by phone", "SELECT id FROM customers WHERE phone_bidx = ?", []any{b}, "customers", "customers_phone"},
		{"ListCustomers by national id", "SELECT id FROM customers WHERE national_id_bidx = ?", []any{b}, "customers", "customers_national_id"},
		{"ListCustomers by name tokens", "SELECT c.id FROM customers c WHERE " + nameCond, nameArgs, "name_tokens", "name_tokens_token"},
		{"ListCustomers by tag", "SELECT subject_id FROM tag_index WHERE kind = 'customer' AND tag = ?", []any{b}, "tag_index", "tag_index_tag"},
		{"ListCustomers of an owner, newest first", "SELECT id FROM customers WHERE owner_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
			[]any{"usr_x", 50}, "customers", "customers_owner_created"},
		{"UserByEmailIndex", "SELECT id FROM users WHERE email_bidx = ?", []any{b}, "users", ""},
		{"SessionByToken", "SELECT id FROM sessions WHERE token_hash = ?", []any{b}, "sessions", ""},
		{"Sessions of a user", "SELECT id FROM sessions WHERE user_id = ?", []any{"usr_x"}, "sessions", "sessions_user"},
		{"LinkByHash", "SELECT user_id, purpose FROM user_links WHERE token_hash = ?", []any{b}, "user_links", ""},
		{"LoginFailures", "SELECT failures, until_at FROM login_failures WHERE account = ?", []any{b}, "login_failures", ""},
		{"CompanyCustomers", "SELECT id FROM customers WHERE company_id = ?", []any{"com_x"}, "customers", "customers_company"},
		{"ListCompanies by name tokens", "SELECT co.id FROM companies co WHERE " + companyCond, companyArgs, "name_tokens", "name_tokens_token"},
	}
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		db.Open(t) // migrated
		raw := db.Raw(t)
		if db.Engine == store.Postgres {
			if _, err := raw.Exec("SET enable_seqscan = off"); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				plan := explain(t, raw, db.Engine, c.query, c.args)
				if whole := scansWhole(plan, db.Engine, c.table); whole {
					t.Errorf("%s reads the whole of %s:\n%s", c.query, c.table, plan)
				}
				if c.index != "" && !usesIndex(plan, db.Engine, c.table, c.index) {
					t.Errorf("%s does not use %s:\n%s", c.query, c.index, plan)
				}
			})
		}
	})
}

// explain returns the engine's plan for query, one step a line.
func explain(t *testing.T, raw *sql.DB, engine store.Engine, query string, args []any) string {
	t.Helper()
	prefix := "EXPLAIN QUERY PLAN "
	if engine == store.Postgres {
		prefix = "EXPLAIN "
		n := 0
		query = rebind(query, &n)
	}
	rows, err := raw.Query(prefix+query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		// SQLite: id, parent, notused, detail; PostgreSQL: one text column
		switch v := vals[len(vals)-1].(type) {
		case string:
			lines = append(lines, v)
		case []byte:
			lines = append(lines, string(v))
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

// rebind turns ? placeholders into PostgreSQL's $n.
func rebind(q string, n *int) string {
	var b strings.Builder
	for _, r := range q {
		if r == '?' {
			*n++
			b.WriteString("$" + strconv.Itoa(*n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// usesIndex reports whether every step of plan that reads table does so
// through index, searching it by its leading columns.
func usesIndex(plan string, engine store.Engine, table, index string) bool {
	steps := 0
	for _, line := range strings.Split(plan, "\n") {
		if engine == store.Postgres {
			if strings.Contains(line, " on "+table) {
				steps++
				if !strings.Contains(line, " using "+index+" on "+table) {
					return false
				}
			}
			continue
		}
		if f := strings.Fields(line); len(f) >= 2 && (f[0] == "SEARCH" || f[0] == "SCAN") && f[1] == table {
			steps++
			if f[0] != "SEARCH" || !strings.Contains(line, " INDEX "+index+" ") {
				return false
			}
		}
	}
	return steps > 0
}

// scansWhole reports whether plan reads every row of table.
func scansWhole(plan string, engine store.Engine, table string) bool {
	for _, line := range strings.Split(plan, "\n") {
		line = strings.TrimSpace(line)
		if engine == store.Postgres {
			if strings.Contains(line, "Seq Scan on "+table+" ") || strings.HasSuffix(line, "Seq Scan on "+table) {
				return true
			}
			continue
		}
		// SQLite: "SCAN customers" (whole table) vs "SEARCH customers USING INDEX …";
		// "SCAN t USING INDEX i" still reads all of the index.
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "SCAN" && f[1] == table {
			return true
		}
	}
	return false
}

// TestCustomerSearchStartsFromTheBlindIndex plans ListCustomers' own SQL
// for a search by email, phone or national id, scoped to one owner, a team
// or no one, in either order: each must find the matches through the blind
// index's own index and never walk the scope's (the owner's every
// customer), whatever the engine guesses about an unanalysed table.
func TestCustomerSearchStartsFromTheBlindIndex(t *testing.T) {
	b := []byte("0123456789abcdef")
	cases := []struct {
		name   string
		filter store.CustomerFilter
		index  string
	}{
		{"email, own customers", store.CustomerFilter{OwnerID: "usr_x", Email: b, Limit: 51}, "customers_email"},
		{"phone, own customers, newest first", store.CustomerFilter{OwnerID: "usr_x", Phone: b, Newest: true, Limit: 51}, "customers_phone"},
		{"national id, a team's", store.CustomerFilter{Teams: []string{"east", "west"}, NationalID: b, Limit: 51}, "customers_national_id"},
		{"email, everyone's, next page", store.CustomerFilter{Email: b, After: &store.Cursor{ID: "cus_x"}, Limit: 51}, "customers_email"},
	}
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		db.Open(t)
		raw := db.Raw(t)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				q, args := store.ListCustomersQuery(c.filter)
				plan := explain(t, raw, db.Engine, q, args)
				if !strings.Contains(plan, c.index) {
					t.Errorf("the search does not use %s:\n%s", c.index, plan)
				}
				for _, avoid := range []string{"customers_owner_created", "customers_created"} {
					if strings.Contains(plan, avoid) {
						t.Errorf("the search walks %s:\n%s", avoid, plan)
					}
				}
				if scansWhole(plan, db.Engine, "customers") {
					t.Errorf("the search reads every customer:\n%s", plan)
				}
			})
		}
	})
}

// TestAuditPagesUseAnIndex plans the audit log page's queries — newest
// first, a page either way, filtered by action, outcome, actor, record or
// time — and the chooser of actions: each must be served by an index, never
// a read of every event.
func TestAuditPagesUseAnIndex(t *testing.T) {
	day := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		filter store.AuditFilter
	}{
		{"newest page", store.AuditFilter{Newest: true, Limit: 101}},
		{"older page", store.AuditFilter{Newest: true, BeforeSeq: 5000, Limit: 101}},
		{"newer page", store.AuditFilter{AfterSeq: 5000, Limit: 101}},
		{"by action", store.AuditFilter{Action: "customer.read", Newest: true, Limit: 101}},
		{"by outcome", store.AuditFilter{Outcome: "denied", Newest: true, Limit: 101}},
		{"by actor", store.AuditFilter{ActorID: "usr_x", Newest: true, Limit: 101}},
		{"by records", store.AuditFilter{ObjectIDs: []string{"cus_a", "cus_b"}, Newest: true, Limit: 101}},
		{"a time range", store.AuditFilter{Since: day, Until: day.AddDate(0, 0, 1), Newest: true, Limit: 101}},
	}
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		db.Open(t)
		raw := db.Raw(t)
		if db.Engine == store.Postgres {
			if _, err := raw.Exec("SET enable_seqscan = off"); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				q, args := store.ListAuditQuery(db.Engine, c.filter)
				if plan := explain(t, raw, db.Engine, q, args); scansWhole(plan, db.Engine, "audit_events") || scansWhole(plan, db.Engine, "audit_subjects") {
					t.Errorf("the page reads every event:\n%s", plan)
				}
			})
		}
		t.Run("actions", func(t *testing.T) {
			plan := explain(t, raw, db.Engine, store.AuditActionsQuery, nil)
			if scansWhole(plan, db.Engine, "audit_events") || !strings.Contains(plan, "audit_action") {
				t.Errorf("the chooser of actions reads every event:\n%s", plan)
			}
		})
	})
}
