package service_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/service/records"
	"strongroom.dev/strongroom/internal/store"
	"strongroom.dev/strongroom/internal/testkit"
)

// TestNoPlaintextAtRest writes customers and a user with values found
// nowhere else, reads, searches and edits them, and then reads every byte
// the database holds (the SQLite file and its WAL; every PostgreSQL row and
// the server's current WAL segments) to prove none of the values is there.
// The ids, which are stored in the clear, must be found: that shows the
// scan sees the data it searches.
func TestNoPlaintextAtRest(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		tag := strings.ToUpper(rand.Text()[:10])
		secrets := map[string]string{
			"name":        "Wang Xiaoming " + tag,
			"name_zh":     "王小明" + tag,
			"email":       "wx" + strings.ToLower(tag) + "@example.cn",
			"phone":       "+86 139 " + digits(tag)[:8],
			"national_id": "11010119" + digits(tag)[:10],
			"notes":       "Collects Ming porcelain " + tag,
			"new_notes":   "Moved to Shanghai " + tag,
			"user_email":  "staff" + strings.ToLower(tag) + "@example.com",
			"activity":    "Called about the Ming vase " + tag,
			"assessment":  "Anxiety about the estate " + tag,
			"company":     "Golden Lotus Auctions " + tag,
			"address":     "88 Century Avenue " + tag,
			"deal":        "Qing porcelain consignment " + tag,
			"visit_notes": "Store manager Mr Gu wants samples " + tag,
			"location":    "31.987654,121.123456",
			"photo":       "PHOTO-MARKER-" + tag,
			"lot":         "Famille-rose vase " + tag,
			"interest":    "Jade carving " + tag,
			"feedback":    "Wonderful preview evening " + tag,
			"reveal":      "Customer asked at the counter " + tag,
		}
		c, err := f.Service.Customers.CreateCustomer(ctx, f.admin, input("name", secrets["name"], "email", secrets["email"],
			"phone", secrets["phone"], "national_id", secrets["national_id"], "notes", secrets["notes"]))
		if err != nil {
			t.Fatal(err)
		}
		c2, err := f.Service.Customers.CreateCustomer(ctx, f.sales1, input("name", secrets["name_zh"]))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Service.Customers.UpdateCustomer(ctx, f.admin, c.ID, input("notes", secrets["new_notes"], "assessment", secrets["assessment"])); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Service.Companies.CreateCompany(ctx, f.admin, crm.CompanyInput{Fields: map[string]*string{"name": ptr(secrets["company"]), "address": ptr(secrets["address"])}}); err != nil {
			t.Fatal(err)
		}
		rep := login(t, f.Service, "rep"+strings.ToLower(tag)+"@example.com", "field_rep", "")
		storeIn := crm.CompanyInput{Fields: map[string]*string{"name": ptr("Store " + tag), "address": ptr("1 Road")}, IsStore: new(bool)}
		*storeIn.IsStore = true
		storeIn.OwnerID = &rep.UserID
		shop, err := f.Service.Companies.CreateCompany(ctx, f.admin, storeIn)
		if err != nil {
			t.Fatal(err)
		}
		visit, err := f.Service.Visits.PlanVisit(ctx, rep, shop.ID, "", "2026-11-25")
		if err != nil {
			t.Fatal(err)
		}
		notes := secrets["visit_notes"]
		if _, err := f.Service.Visits.UpdateVisit(ctx, rep, visit.ID, records.VisitUpdate{CheckIn: true, Notes: &notes, Location: &crm.Location{Lat: 31.987654, Lon: 121.123456, Accuracy: 5}}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Service.Visits.AddPhoto(ctx, rep, visit.ID, bytes.NewReader(append(pngBytes(t), []byte(secrets["photo"])...))); err != nil {
			t.Fatal(err)
		}
		if err := f.Service.Customers.SetPreferences(ctx, f.admin, c.ID, crm.Preferences{OptIn: []string{"wechat"}, Interests: []string{secrets["interest"]}}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Service.Customers.AddFeedback(ctx, f.admin, c.ID, crm.Feedback{Rating: 5, Comment: secrets["feedback"]}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Service.Customers.RecordTransaction(ctx, f.admin, c.ID, crm.Transaction{Kind: "lot", Currency: "CNY", OccurredOn: "2026-11-20", Reference: secrets["lot"], Description: secrets["lot"], Amount: 1, Premium: 1}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Service.Deals.CreateDeal(ctx, f.admin, c.ID, dealInput(secrets["deal"], 987654321, "CNY")); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Service.Activities.LogActivity(ctx, f.admin, c.ID, crm.ActivityInput{Kind: "call", Subject: secrets["activity"], Body: secrets["activity"]}); err != nil {
			t.Fatal(err)
		}
		c3, err := f.Service.Customers.CreateCustomer(ctx, f.sales1, input("name", "Reveal Target"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Service.Customers.UpdateCustomer(ctx, f.admin, c3.ID, input("national_id", "110101199003071234")); err != nil {
			t.Fatal(err)
		}
		if v, err := f.Service.Customers.RevealCustomerField(ctx, f.sales1, c3.ID, "national_id", secrets["reveal"]); err != nil || v == "" {
			t.Fatalf("reveal: %q %v", v, err)
		}
		if _, err := f.Service.Customers.Customer(ctx, f.admin, c.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Service.Customers.ListCustomers(ctx, f.admin, records.CustomerQuery{Email: secrets["email"]}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Service.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: secrets["user_email"], Role: "sales", Password: pw}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Service.Sessions.Login(ctx, secrets["user_email"], pw, identity.Client{IP: "192.0.2.9"}); err != nil {
			t.Fatal(err)
		}

		var dumps [][]byte
		if db.Engine == store.SQLite {
			dumps = sqliteFiles(t, db.Path)
		} else {
			dumps = postgresDump(t, db)
		}
		all := bytes.Join(dumps, []byte{0})
		for _, id := range []string{c.ID, c2.ID} {
			if !bytes.Contains(all, []byte(id)) && !bytes.Contains(all, []byte(hex.EncodeToString([]byte(id)))) {
				t.Fatalf("control failed: customer id %s not found in the raw data, so the scan proves nothing", id)
			}
		}
		for name, v := range secrets {
			for _, form := range forms(v) {
				if bytes.Contains(all, []byte(form)) {
					t.Errorf("%s (%q) is stored in plaintext in the raw database", name, form)
				}
				if bytes.Contains(all, []byte(hex.EncodeToString([]byte(form)))) {
					t.Errorf("%s (%q) is stored in plaintext (hex) in the raw database", name, form)
				}
			}
		}
		t.Logf("%s: scanned %d bytes", db.Engine, len(all))
	})
}

// forms are the ways a value could be stored: as given, trimmed of
// separators, upper and lower case, and its distinctive tail.
func forms(v string) []string {
	compact := strings.NewReplacer(" ", "", "-", "").Replace(v)
	out := []string{v, compact, strings.ToLower(v), strings.ToUpper(v)}
	if r := []rune(v); len(r) > 12 {
		out = append(out, string(r[len(r)-12:]))
	}
	return out
}

func digits(s string) string {
	var b strings.Builder
	for _, c := range hex.EncodeToString([]byte(s + s)) {
		if c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return b.String() + "0123456789"
}

func sqliteFiles(t *testing.T, path string) [][]byte {
	t.Helper()
	var out [][]byte
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("read %s: %v", p, err)
		}
		out = append(out, b)
	}
	if len(out[1]) == 0 {
		t.Fatal("the WAL is empty; the test must see uncheckpointed writes")
	}
	return out
}

func postgresDump(t *testing.T, db testkit.DB) [][]byte {
	t.Helper()
	raw := db.Raw(t)
	rows, err := raw.Query("SELECT table_name FROM information_schema.tables WHERE table_schema = $1", db.Schema)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	if len(tables) < 5 {
		t.Fatalf("only %d tables in schema %s", len(tables), db.Schema)
	}
	var out [][]byte
	for _, tbl := range tables {
		out = append(out, queryText(t, raw, fmt.Sprintf("SELECT row_to_json(t)::text FROM %s.%s t", db.Schema, tbl))...)
	}
	// The server's write-ahead log: the newest segments hold this test's writes.
	if _, err := raw.Exec("SELECT pg_switch_wal()"); err != nil {
		t.Fatalf("reading the PostgreSQL WAL needs a superuser (or pg_read_server_files): %v", err)
	}
	segs := queryText(t, raw, "SELECT name FROM pg_ls_waldir() ORDER BY modification DESC LIMIT 3")
	for _, s := range segs {
		var b []byte
		if err := raw.QueryRow("SELECT pg_read_binary_file('pg_wal/' || $1)", string(s)).Scan(&b); err != nil {
			t.Fatalf("read WAL segment %s: %v", s, err)
		}
		out = append(out, b)
	}
	return out
}

func queryText(t *testing.T, raw *sql.DB, q string, args ...any) [][]byte {
	t.Helper()
	rows, err := raw.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, []byte(s))
	}
	return out
}
