package service_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/governance"
	"strongroom.dev/strongroom/internal/service/records"
	"strongroom.dev/strongroom/internal/testkit"
)

func TestImportCustomers(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		if _, err := f.Service.Customers.CreateCustomer(ctx, f.sales1, input("name", "Existing", "email", "taken@example.com")); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name    string
			actor   authz.Actor
			csv     string
			opt     records.ImportOptions
			kind    errs.Kind // non-zero: the whole import is refused
			created int
			dups    int
			invalid int
			names   []string // names the actor can then find, by email
		}{
			{name: "salesforce contact export", actor: f.sales1,
				csv:     "First Name,Last Name,Email,Phone,Description\nAda,Lovelace,ada@example.com,+44 20 7946 0001,Analytical engines\n伟,张,zhang.wei@example.cn,139 1234 0001,\n",
				created: 2, names: []string{"Ada Lovelace", "张伟"}},
			{name: "hubspot export of Chinese, Japanese and Korean names", actor: f.sales1,
				csv:     "First Name,Last Name,Email\n伟,李,li.wei@example.cn\nさくら,山田,yamada@example.jp\n민준,김,kim@example.kr\n",
				created: 3, names: []string{"李伟", "山田さくら", "김민준"}},
			{name: "salesforce API names", actor: f.sales1,
				csv:     "FirstName,LastName,Email,MobilePhone\nGrace,Hopper,grace@example.com,+1 555 0100\n",
				created: 1, names: []string{"Grace Hopper"}},
			{name: "hubspot contact export with BOM", actor: f.sales1,
				csv:     "\ufeffRecord ID,First Name,Last Name,Email,Phone Number,Notes\n101,Alan,Turing,alan@example.com,+44 1234 567890,Bletchley\n",
				created: 1, names: []string{"Alan Turing"}},
			{name: "duplicates in the file and in the database", actor: f.sales1,
				csv:     "name,email\nOne,dup@example.com\nTwo,DUP@example.com\nThree,taken@example.com\n",
				created: 1, dups: 2},
			{name: "all or nothing", actor: f.sales1,
				csv:     "name,email\nGood,good1@example.com\n,missing-name@example.com\nBad,not-an-email\n",
				invalid: 2},
			{name: "partial", actor: f.sales1, opt: records.ImportOptions{Partial: true},
				csv:     "name,email\nGood Two,good2@example.com\nBad,not-an-email\n",
				created: 1, invalid: 1, names: []string{"Good Two"}},
			{name: "dry run stores nothing", actor: f.sales1, opt: records.ImportOptions{DryRun: true},
				csv: "name,email\nDry,dry@example.com\n"},
			{name: "explicit mapping", actor: f.admin, opt: records.ImportOptions{Mapping: map[string]string{"name": "Kunde", "email": "E-Post", "national_id": "Ausweis"}},
				csv:     "Kunde,E-Post,Ausweis\nMüller,mueller@example.de,L01X00T47\n",
				created: 1, names: []string{"Müller"}},
			{name: "sales may not import a masked field", actor: f.sales1, kind: errs.Invalid,
				csv: "name,national_id\nX,110101199003071234\n"},
			{name: "an administrator imports for a sales rep, national ids included", actor: f.admin, opt: records.ImportOptions{OwnerID: f.sales1.UserID},
				csv:     "name,email,national_id\nOwned By Rep,rep-owned@example.com,110101199003071234\n",
				created: 1, names: []string{"Owned By Rep"}},
			{name: "a sales rep may not import for another", actor: f.sales1, opt: records.ImportOptions{OwnerID: f.sales2.UserID}, kind: errs.Permission,
				csv: "name\nNot Mine\n"},
			{name: "no name column", actor: f.admin, kind: errs.Invalid, csv: "email\na@example.com\n"},
			{name: "mapping names a missing column", actor: f.admin, kind: errs.Invalid, opt: records.ImportOptions{Mapping: map[string]string{"name": "Nom"}}, csv: "name\nx\n"},
			{name: "not CSV", actor: f.admin, kind: errs.Invalid, csv: ""},
			{name: "auditor may not import", actor: f.auditor, kind: errs.Permission, csv: "name\nx\n"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				rep, err := f.Service.Customers.ImportCustomers(ctx, tt.actor, strings.NewReader(tt.csv), tt.opt)
				if tt.kind != 0 {
					if !errs.Is(err, tt.kind) {
						t.Fatalf("err = %v, want %v", err, tt.kind)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if rep.Created != tt.created || len(rep.Duplicates) != tt.dups || rep.Invalid != tt.invalid {
					t.Fatalf("created %d dups %d invalid %d; want %d %d %d\n%+v", rep.Created, len(rep.Duplicates), rep.Invalid, tt.created, tt.dups, tt.invalid, rep)
				}
				if tt.invalid > 0 && (len(rep.Problems) != tt.invalid || rep.Problems[0].Row < 2) {
					t.Errorf("problems lack their rows: %+v", rep.Problems)
				}
				if rep.Imported != (tt.created > 0) {
					t.Errorf("imported = %v", rep.Imported)
				}
				page, err := f.Service.Customers.ListCustomers(ctx, tt.actor, records.CustomerQuery{Limit: 200})
				if err != nil {
					t.Fatal(err)
				}
				have := map[string]bool{}
				for _, c := range page.Customers {
					have[c.Fields["name"]] = true
				}
				for _, n := range tt.names {
					if !have[n] {
						t.Errorf("%q not found after import", n)
					}
					// and found by searching for the name as it is written
					found, err := f.Service.Customers.ListCustomers(ctx, tt.actor, records.CustomerQuery{Name: n, Limit: 10})
					if err != nil {
						t.Fatalf("search %q: %v", n, err)
					}
					if len(found.Customers) == 0 || found.Customers[0].Fields["name"] != n {
						t.Errorf("searching %q finds %d customers", n, len(found.Customers))
					}
				}
				if tt.opt.OwnerID != "" {
					for _, c := range page.Customers {
						if c.Fields["name"] == tt.names[0] && c.OwnerID != tt.opt.OwnerID {
							t.Errorf("imported for %s, owned by %s", tt.opt.OwnerID, c.OwnerID)
						}
					}
				}
				if have["Dry"] || have["Good"] {
					t.Error("a refused or dry-run import stored rows")
				}
			})
		}
		page, _ := f.Service.AuditLog.Events(ctx, f.auditor, governance.AuditQuery{ObjectType: "customer", Limit: 1000})
		var imports []string
		for _, e := range page.Events {
			if e.Action == "customer.import" {
				imports = append(imports, e.Outcome+": "+e.Reason)
			}
		}
		if len(imports) != 10 || !strings.Contains(strings.Join(imports, "\n"), "nothing stored (all or nothing)") || !strings.Contains(strings.Join(imports, "\n"), "dry run") {
			t.Errorf("import audit events:\n%s", strings.Join(imports, "\n"))
		}
	})
}

func TestExportCustomers(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		c, err := f.Service.Customers.CreateCustomer(ctx, f.sales1, input("name", "=HYPERLINK(\"http://evil\")", "email", "x@example.com", "phone", "+86 139 0000 0001"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Service.Customers.UpdateCustomer(ctx, f.admin, c.ID, input("national_id", "110101199003071234")); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Service.Customers.CreateCustomer(ctx, f.sales2, input("name", "Other Owner")); err != nil {
			t.Fatal(err)
		}
		export := func(a authz.Actor) ([][]string, error) {
			var buf bytes.Buffer
			if _, err := f.Service.Customers.ExportCustomers(ctx, a, records.CustomerQuery{}, &buf); err != nil {
				return nil, err
			}
			return csv.NewReader(&buf).ReadAll()
		}
		rows, err := export(f.sales1)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || strings.Join(rows[0], ",") != "id,owner_id,name,email,phone,national_id,notes,tags" {
			t.Fatalf("sales export: %v", rows)
		}
		got := strings.Join(rows[1], "|")
		if !strings.Contains(got, `'=HYPERLINK`) || !strings.Contains(got, "'+8613900000001") || !strings.Contains(got, "1****************4") || strings.Contains(got, "110101199003071234") {
			t.Fatalf("sales export row: %s", got)
		}
		all, err := export(f.admin)
		if err != nil || len(all) != 3 || !strings.Contains(fmt.Sprint(all), "110101199003071234") {
			t.Fatalf("admin export: %v %v", all, err)
		}
		if _, err := export(f.auditor); !errs.Is(err, errs.Permission) {
			t.Fatalf("auditor export: %v", err)
		}
		page, _ := f.Service.AuditLog.Events(ctx, f.auditor, governance.AuditQuery{ActorID: f.sales1.UserID})
		found := false
		for _, e := range page.Events {
			if e.Action == "customer.export" && e.Reason == "list: 1 rows" && strings.Join(e.Fields, ",") == "name,email,phone,national_id:masked,notes,tags" {
				found = true
			}
		}
		if !found {
			t.Errorf("export not audited with its rows and columns: %+v", page.Events)
		}

		// An export imports back: the apostrophes come off.
		var buf bytes.Buffer
		f.Service.Customers.ExportCustomers(ctx, f.admin, records.CustomerQuery{}, &buf)
		fresh := newFixture(t, testkit.NewSQLite(t))
		rep, err := fresh.Service.Customers.ImportCustomers(ctx, fresh.admin, &buf, records.ImportOptions{})
		if err != nil || rep.Created != 2 {
			t.Fatalf("re-import: %+v %v", rep, err)
		}
		back, _ := fresh.Service.Customers.ListCustomers(ctx, fresh.admin, records.CustomerQuery{Email: "x@example.com"})
		if len(back.Customers) != 1 || back.Customers[0].Fields["phone"] != "+8613900000001" || back.Customers[0].Fields["name"] != `=HYPERLINK("http://evil")` {
			t.Fatalf("round trip: %+v", back.Customers)
		}
	})
}

// BenchmarkImport100k imports 100,000 customers (name, email, phone,
// notes) in one all-or-nothing import: validation, a data key each, four
// sealed fields, two blind indexes, de-duplication, and an audit event
// per customer.
func BenchmarkImport100k(b *testing.B) {
	var src bytes.Buffer
	src.WriteString("First Name,Last Name,Email,Phone,Description\n")
	for i := range 100_000 {
		fmt.Fprintf(&src, "Given%d,家族%d,c%d@example.com,+86 138 %08d,Prefers calls after 10am\n", i, i, i, i)
	}
	data := src.Bytes()
	testkit.ForEachDBBench(b, func(b *testing.B, db testkit.DB) {
		for b.Loop() {
			b.StopTimer()
			f := newFixtureTB(b, testkit.NewLike(b, db))
			b.StartTimer()
			rep, err := f.Service.Customers.ImportCustomers(context.Background(), f.admin, bytes.NewReader(data), records.ImportOptions{})
			if err != nil || rep.Created != 100_000 {
				b.Fatalf("%+v %v", rep.Invalid, err)
			}
		}
	})
}

// FuzzImport: any file is imported, reported or refused with a client
// error; never a panic or an internal error.
func FuzzImport(f *testing.F) {
	for _, s := range []string{
		"name,email\nA,a@example.com\n",
		"First Name,Last Name\n\"unterminated,x\n",
		"\ufeffname\n\"a\"\"b\",\n",
		"name,name,name\n1,2,3\n",
		"",
		"email\n@\n",
	} {
		f.Add(s)
	}
	db := testkit.NewSQLite(f)
	fx := newFixtureTB(f, db)
	f.Fuzz(func(t *testing.T, data string) {
		_, err := fx.Service.Customers.ImportCustomers(context.Background(), fx.admin, strings.NewReader(data), records.ImportOptions{DryRun: true})
		if err != nil && errs.KindOf(err).Status() >= 500 {
			t.Fatalf("import of %q: %v", data, err)
		}
	})
}

// After a large import PostgreSQL's planner knows how many customers there
// are at once (not after autovacuum's next look), so a page of them is
// read down the owner's index instead of sorting them all. (SQLite plans
// without statistics: PostgreSQL only.)
func TestImportRefreshesPlannerStatistics(t *testing.T) {
	base := os.Getenv(testkit.PostgresEnv)
	if base == "" {
		t.Skip(testkit.PostgresEnv + " is not set")
	}
	db := testkit.NewPostgres(t, base)
	f := newFixture(t, db)
	ctx := context.Background()
	var csvRows strings.Builder
	csvRows.WriteString("name,email\n")
	for i := range 1500 {
		fmt.Fprintf(&csvRows, "Customer %d,c%d@example.com\n", i, i)
	}
	rep, err := f.Service.Customers.ImportCustomers(ctx, f.sales1, strings.NewReader(csvRows.String()), records.ImportOptions{})
	if err != nil || rep.Created != 1500 {
		t.Fatalf("import: %+v %v", rep, err)
	}
	var known float64
	if err := db.Raw(t).QueryRowContext(ctx, "SELECT reltuples FROM pg_class WHERE oid = 'customers'::regclass").Scan(&known); err != nil {
		t.Fatal(err)
	}
	if known < 1500 {
		t.Errorf("after importing 1,500 customers the planner counts %.0f", known)
	}
}
