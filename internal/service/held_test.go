package service_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/testkit"
)

// Partial erasure under a legal hold (issue 14): an erasure request for a
// customer whose purchases and identity a law keeps erases everything
// else, shreds the person's key and writes the ledger; what the holds
// cover survives under held records' own keys, readable only by the
// privacy officer with a reason (audited), and goes when each hold ends.
func TestErasureUnderLegalHold(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		clk := &clock{now: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}
		env := testkit.NewEnv(t, db, service.Options{Now: clk.Now, IdleTimeout: 5000 * 24 * time.Hour})
		svc := env.Service
		admin, sales := login(t, svc, "admin@example.com", "admin", ""), login(t, svc, "sales@example.com", "sales", "")
		finance, dpo := login(t, svc, "fin@example.com", "finance", ""), login(t, svc, "dpo@example.com", "privacy_officer", "")
		auditor := login(t, svc, "auditor@example.com", "auditor", "")
		secret := map[string]string{"name": "Held Person Qiu", "email": "qiu.held@example.cn", "phone": "+8613911112222",
			"national_id": "110101199001011234", "notes": "Prefers jade, private note", "lot": "Lot 77 Ming jar", "lot_desc": "Blue-and-white jar Qiu bought"}
		c, err := svc.Customers.CreateCustomer(ctx, admin, input("name", secret["name"], "email", secret["email"], "phone", secret["phone"],
			"national_id", secret["national_id"], "notes", secret["notes"]))
		if err != nil {
			t.Fatal(err)
		}
		for i, amount := range []int64{1_200_000_00, 35_000_00} {
			tr := crm.Transaction{Kind: "lot", Currency: "CNY", OccurredOn: fmt.Sprintf("2025-12-0%d", i+1), Reference: fmt.Sprintf("%s-%d", secret["lot"], i),
				Description: secret["lot_desc"], Amount: amount, Premium: amount / 5}
			if _, err := svc.Customers.RecordTransaction(ctx, finance, c.ID, tr); err != nil {
				t.Fatal(err)
			}
		}
		raw := db.Raw(t)
		var nameCT, refCT []byte
		raw.QueryRow(q(db, "SELECT name_ct FROM customers WHERE id = ?"), c.ID).Scan(&nameCT)
		raw.QueryRow(q(db, "SELECT reference_ct FROM transactions WHERE customer_id = ? LIMIT 1"), c.ID).Scan(&refCT)
		if len(nameCT) == 0 || len(refCT) == 0 {
			t.Fatal("no ciphertext to look for")
		}

		if before := liveRows(t, db, raw); !bytes.Contains(before, nameCT) && !bytes.Contains(before, []byte(hex.EncodeToString(nameCT))) {
			t.Fatal("the dump of the live rows does not show the name's ciphertext before the erasure")
		}

		// Scopes are a fixed set.
		if err := svc.Requests.PlaceHold(ctx, admin, c.ID, "everything", "tax", clk.Now().AddDate(1, 0, 0)); !errs.Is(err, errs.Invalid) {
			t.Fatalf("a free-text scope: %v", err)
		}
		txUntil, idUntil := clk.Now().AddDate(5, 0, 0), clk.Now().AddDate(7, 0, 0)
		if err := svc.Requests.PlaceHold(ctx, admin, c.ID, "transactions", "AML: payment records kept 5 years", txUntil); err != nil {
			t.Fatal(err)
		}
		if err := svc.Requests.PlaceHold(ctx, admin, c.ID, "identity", "AML: customer due diligence kept 7 years", idUntil); err != nil {
			t.Fatal(err)
		}
		req, err := svc.Requests.TakeRequest(ctx, admin, c.ID, crm.RequestInput{Kind: "erasure", Law: "gdpr"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Customers.EraseForRequest(ctx, sales, req.ID); !errs.Is(err, errs.Permission) {
			t.Fatalf("sales erasing: %v", err)
		}
		if _, err := svc.Requests.AskApproval(ctx, admin, req.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Requests.Approve(ctx, dpo, req.ID); err != nil {
			t.Fatal(err)
		}
		outcome, err := svc.Customers.EraseForRequest(ctx, dpo, req.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"erased " + c.ID, "transactions (2) until 2031-01-05 (AML: payment records kept 5 years)", "identity (1) until 2033-01-05"} {
			if !strings.Contains(outcome, want) {
				t.Errorf("the outcome %q lacks %q", outcome, want)
			}
		}
		done, err := svc.Requests.Request(ctx, dpo, req.ID)
		if err != nil || done.Status != "completed" || done.CustomerID != "" || done.Outcome != outcome {
			t.Fatalf("the request: %+v %v", done, err)
		}

		// The raw database: the person, their key, their rows and blind
		// indexes are gone; the ledger has the entry; no table holds their
		// plaintext or a ciphertext under their key.
		count := func(query string, args ...any) int {
			var n int
			if err := raw.QueryRow(q(db, query), args...).Scan(&n); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
			return n
		}
		for query, want := range map[string]int{
			"SELECT count(*) FROM customers WHERE id = ?":              0,
			"SELECT count(*) FROM subject_keys WHERE subject_id = ?":   0,
			"SELECT count(*) FROM transactions WHERE customer_id = ?":  0,
			"SELECT count(*) FROM name_tokens WHERE subject_id = ?":    0,
			"SELECT count(*) FROM legal_holds WHERE customer_id = ?":   0,
			"SELECT count(*) FROM erasure_ledger WHERE subject_id = ?": 1,
		} {
			if n := count(query, c.ID); n != want {
				t.Errorf("%s: %d, want %d", query, n, want)
			}
		}
		if n := count("SELECT count(*) FROM held_records WHERE request_id = ?", req.ID); n != 2 {
			t.Fatalf("%d held records, want 2", n)
		}
		if n := count("SELECT count(*) FROM subject_keys k JOIN held_records h ON h.id = k.subject_id"); n != 2 {
			t.Fatalf("%d held keys, want 2", n)
		}
		dump := liveRows(t, db, raw)
		for what, v := range secret {
			if bytes.Contains(dump, []byte(v)) {
				t.Errorf("the database holds the %s in plaintext after the erasure", what)
			}
		}
		for what, ct := range map[string][]byte{"name": nameCT, "reference": refCT} {
			if bytes.Contains(dump, ct) || bytes.Contains(dump, []byte(hex.EncodeToString(ct))) {
				t.Errorf("the database still holds the %s ciphertext under the erased key", what)
			}
		}

		// Reading: the list shows what is held (no content) to privacy
		// readers; the content only to the privacy officer, with a reason.
		list, err := svc.Customers.HeldRecords(ctx, auditor)
		if err != nil || len(list) != 2 || list[0].Scope != "transactions" || list[0].Items != 2 || list[0].RequestID != req.ID {
			t.Fatalf("the held records as the auditor: %+v %v", list, err)
		}
		if _, err := svc.Customers.HeldRecords(ctx, sales); !errs.Is(err, errs.Permission) {
			t.Fatalf("sales listing held records: %v", err)
		}
		txHeld, idHeld := list[0].ID, list[1].ID
		if _, _, err := svc.Customers.ReadHeld(ctx, auditor, txHeld, "audit"); !errs.Is(err, errs.Permission) {
			t.Fatalf("the auditor reading the content: %v", err)
		}
		if _, _, err := svc.Customers.ReadHeld(ctx, finance, txHeld, "audit"); !errs.Is(err, errs.Permission) {
			t.Fatalf("finance reading the content: %v", err)
		}
		if _, _, err := svc.Customers.ReadHeld(ctx, dpo, txHeld, "  "); !errs.Is(err, errs.Invalid) {
			t.Fatalf("reading without a reason: %v", err)
		}
		rec, data, err := svc.Customers.ReadHeld(ctx, dpo, txHeld, "tax authority audit 2026/17")
		if err != nil || rec.Scope != "transactions" || len(data.Transactions) != 2 || data.FormerCustomerID != c.ID || data.Name != "" {
			t.Fatalf("the held transactions: %+v %+v %v", rec, data, err)
		}
		if tr := data.Transactions[1]; tr.Reference != secret["lot"]+"-0" || tr.Amount != 1_200_000_00 || tr.Premium != 240_000_00 || tr.Description != secret["lot_desc"] {
			t.Fatalf("a held transaction: %+v", tr)
		}
		_, ident, err := svc.Customers.ReadHeld(ctx, admin, idHeld, "AML review")
		if err != nil || ident.Name != secret["name"] || ident.NationalID != secret["national_id"] || len(ident.Transactions) != 0 {
			t.Fatalf("the held identity: %+v %v", ident, err)
		}
		var reads, denied int
		raw.QueryRow(q(db, "SELECT count(*) FROM audit_events WHERE action = 'held.read' AND outcome = 'success' AND reason = ?"), "tax authority audit 2026/17").Scan(&reads)
		raw.QueryRow(q(db, "SELECT count(*) FROM audit_events WHERE action = 'held.read' AND outcome = 'denied'")).Scan(&denied)
		if reads != 1 || denied != 2 {
			t.Fatalf("held.read events: %d with the reason, %d denied", reads, denied)
		}

		// The hold's end: the hourly job shreds the record, deletes it and
		// writes the ledger; the other hold's record stays until its own end.
		if n, err := svc.Customers.EndHeld(ctx); err != nil || n != 0 {
			t.Fatalf("before any hold ends: %d %v", n, err)
		}
		clk.Advance(txUntil.Sub(clk.Now()) + time.Hour)
		if _, _, err := svc.Customers.ReadHeld(ctx, authz.System(), txHeld, "late"); !errs.Is(err, errs.NotExist) {
			t.Fatalf("reading a record whose hold ended: %v", err)
		}
		if n, err := svc.Customers.EndHeld(ctx); err != nil || n != 1 {
			t.Fatalf("after the transactions hold: %d %v", n, err)
		}
		if count("SELECT count(*) FROM held_records WHERE id = ?", txHeld) != 0 || count("SELECT count(*) FROM subject_keys WHERE subject_id = ?", txHeld) != 0 ||
			count("SELECT count(*) FROM erasure_ledger WHERE subject_id = ? AND kind = 'held'", txHeld) != 1 ||
			count("SELECT count(*) FROM audit_events WHERE action = 'held.erase' AND object_id = ?", txHeld) != 1 {
			t.Fatal("the ended held record is not shredded, deleted, in the ledger and audited")
		}
		// Months later the administrator's proof is stale: opening a held
		// identity takes a fresh one, as revealing a national id does.
		if _, _, err := svc.Customers.ReadHeld(ctx, admin, idHeld, "AML review"); !errs.Is(err, errs.StepUp) {
			t.Fatalf("a held identity opened without a fresh proof: %v", err)
		}
		sess, err := svc.Sessions.Login(ctx, "admin@example.com", pw, identity.Client{IP: "192.0.2.1"})
		if err != nil {
			t.Fatal(err)
		}
		if admin, err = svc.Sessions.Authenticate(ctx, sess.Token, identity.Client{IP: "192.0.2.1"}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Customers.ReadHeld(ctx, admin, idHeld, "AML review"); err != nil {
			t.Fatalf("the identity record after the other hold ended: %v", err)
		}
		clk.Advance(idUntil.Sub(clk.Now()) + time.Hour)
		if n, err := svc.Customers.EndHeld(ctx); err != nil || n != 1 {
			t.Fatalf("after the identity hold: %d %v", n, err)
		}
		if count("SELECT count(*) FROM held_records") != 0 {
			t.Fatal("held records remain after every hold ended")
		}
	})
}

// A hold of a scope from before scopes were fixed (free text) cannot be
// kept apart: the erasure is refused whole and nothing is erased.
func TestErasureRefusedUnderLegacyHold(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		c, err := svc.Customers.CreateCustomer(ctx, f.sales1, input("name", "Legacy Hold"))
		if err != nil {
			t.Fatal(err)
		}
		raw := db.Raw(t)
		if _, err := raw.Exec(q(db, "INSERT INTO legal_holds (id, customer_id, scope, reason, until_at, created_by, created_at) VALUES (?, ?, 'tax files', 'tax', ?, 'x', 0)"),
			crm.NewID("hld"), c.ID, time.Now().AddDate(1, 0, 0).UnixMicro()); err != nil {
			t.Fatal(err)
		}
		req, err := svc.Requests.TakeRequest(ctx, f.sales1, c.ID, crm.RequestInput{Kind: "erasure"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Customers.EraseForRequest(ctx, f.admin, req.ID); !errs.Is(err, errs.Conflict) || !strings.Contains(err.Error(), "tax files") {
			t.Fatalf("erasure under a free-text hold: %v", err)
		}
		if _, err := svc.Customers.Customer(ctx, f.sales1, c.ID); err != nil {
			t.Fatalf("the customer after the refusal: %v", err)
		}
	})
}

// liveRows is every row of every table, as bytes: on SQLite each value's
// bytes, on PostgreSQL each row as JSON (bytea as hex).
func liveRows(t *testing.T, db testkit.DB, raw *sql.DB) []byte {
	t.Helper()
	if db.Engine == "postgres" {
		var out []byte
		for _, tbl := range queryText(t, raw, "SELECT table_name FROM information_schema.tables WHERE table_schema = '"+db.Schema+"'") {
			for _, r := range queryText(t, raw, fmt.Sprintf("SELECT row_to_json(t)::text FROM %s.%s t", db.Schema, tbl)) {
				out = append(append(out, r...), '\n')
			}
		}
		return out
	}
	var out []byte
	for _, tbl := range queryText(t, raw, "SELECT name FROM sqlite_master WHERE type = 'table'") {
		rows, err := raw.Query("SELECT * FROM \"" + string(tbl) + "\"")
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				switch v := v.(type) {
				case []byte:
					out = append(out, v...)
				case string:
					out = append(out, v...)
				}
				out = append(out, 0)
			}
		}
		rows.Close()
	}
	return out
}
