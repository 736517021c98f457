package service_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/fieldcrypt"
	"strongroom.dev/strongroom/internal/service/governance"
	"strongroom.dev/strongroom/internal/service/records"
	"strongroom.dev/strongroom/internal/store"
	"strongroom.dev/strongroom/internal/testkit"
)

// TestRotateSubjectKey gives a customer a new data key: the wrapped key
// and every sealed value of the customer change, everything still reads
// (fields, history, activities, deals, purchases, the sealed reveal
// reason, kept under the old key), the old key is gone from subject_keys,
// the database holds none of the values in the clear, the keys survive a
// master-key rotation and retirement, and erasure shreds the kept key too.
func TestRotateSubjectKey(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		sys := authz.System()
		in := input("name", "Rotating Person", "email", "rotate@example.com", "national_id", "110101199003071234", "notes", "NOTES-ROTATE-1")
		in.OwnerID = &f.sales1.UserID
		c, err := f.Service.Customers.CreateCustomer(ctx, f.admin, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Service.Customers.UpdateCustomer(ctx, f.admin, c.ID, input("notes", "NOTES-ROTATE-2")); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Service.Activities.LogActivity(ctx, f.admin, c.ID, crm.ActivityInput{Kind: "note", Subject: "ACT-SUBJECT", Body: "ACT-BODY"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Service.Customers.RevealCustomerField(ctx, f.sales1, c.ID, "national_id", "REVEAL-REASON at the counter"); err != nil {
			t.Fatal(err)
		}
		raw := f.DB.Raw(t)
		q := func(s string) string {
			if db.Engine == store.Postgres {
				return strings.ReplaceAll(s, "?", "$1")
			}
			return s
		}
		var before, notesBefore []byte
		if err := raw.QueryRow(q("SELECT wrapped FROM subject_keys WHERE subject_id = ?"), c.ID).Scan(&before); err != nil {
			t.Fatal(err)
		}
		raw.QueryRow(q("SELECT notes_ct FROM customers WHERE id = ?"), c.ID).Scan(&notesBefore)

		t.Run("who may rotate", func(t *testing.T) {
			if _, err := f.Service.Customers.RotateKey(ctx, f.sales1, c.ID, "x"); !errs.Is(err, errs.Permission) {
				t.Fatalf("sales: %v", err)
			}
			if _, err := f.Service.Customers.RotateKey(ctx, sys, c.ID, " "); !errs.Is(err, errs.Invalid) {
				t.Fatalf("no reason: %v", err)
			}
			if _, err := f.Service.Customers.RotateKey(ctx, sys, "cus_missing", "x"); !errs.Is(err, errs.NotExist) {
				t.Fatalf("missing customer: %v", err)
			}
			// Another subject's key given as a customer's (a user's, a company's)
			// would leave that subject's values under a key put away.
			for _, other := range []string{f.sales1.UserID, f.admin.UserID} {
				if _, err := f.Service.Customers.RotateKey(ctx, sys, other, "x"); !errs.Is(err, errs.NotExist) {
					t.Fatalf("a user's id as a customer's: %v", err)
				}
			}
		})

		n, err := f.Service.Customers.RotateKey(ctx, sys, c.ID, "laptop with an export was stolen")
		if err != nil {
			t.Fatal(err)
		}
		if n < 6 { // name, email, national id, notes, history (2), activity (2)
			t.Fatalf("%d values re-sealed", n)
		}
		var after, notesAfter []byte
		raw.QueryRow(q("SELECT wrapped FROM subject_keys WHERE subject_id = ?"), c.ID).Scan(&after)
		raw.QueryRow(q("SELECT notes_ct FROM customers WHERE id = ?"), c.ID).Scan(&notesAfter)
		if bytes.Equal(before, after) || len(after) == 0 {
			t.Fatal("the wrapped data key did not change")
		}
		if bytes.Equal(notesBefore, notesAfter) {
			t.Fatal("the notes were not re-sealed")
		}
		// The old key does not open the new ciphertext: re-sealed, not copied.
		oldKey, err := f.Keys.OpenDataKey(c.ID, before)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fieldcrypt.Open(oldKey, fieldcrypt.Place{Table: "customers", Column: "notes_ct", Row: c.ID}, notesAfter); err == nil {
			t.Fatal("the old data key opens the re-sealed notes")
		}

		check := func(t *testing.T) {
			t.Helper()
			got, err := f.Service.Customers.Customer(ctx, f.admin, c.ID)
			if err != nil || got.Fields["notes"] != "NOTES-ROTATE-2" || got.Fields["email"] != "rotate@example.com" {
				t.Fatalf("customer after rotation: %+v %v", got.Fields, err)
			}
			hist, err := f.Service.Customers.CustomerHistory(ctx, f.admin, c.ID)
			found := false
			for _, h := range hist {
				if h.Field == "notes" && h.Before == "NOTES-ROTATE-1" && h.After == "NOTES-ROTATE-2" {
					found = true
				}
			}
			if err != nil || !found {
				t.Fatalf("history after rotation: %+v %v", hist, err)
			}
			acts, err := f.Service.Activities.CustomerActivities(ctx, f.admin, c.ID)
			if err != nil || len(acts) != 1 || acts[0].Body != "ACT-BODY" || acts[0].Subject != "ACT-SUBJECT" {
				t.Fatalf("activities after rotation: %+v %v", acts, err)
			}
			page, err := f.Service.AuditLog.Events(ctx, f.auditor, governance.AuditQuery{ObjectID: c.ID})
			if err != nil {
				t.Fatal(err)
			}
			reasons := 0
			for _, e := range page.Events {
				if e.Action == "customer.reveal" && e.Outcome == "success" {
					r, err := f.Service.Customers.AuditReason(ctx, f.auditor, e.Seq)
					if err != nil || r.Reason != "REVEAL-REASON at the counter" {
						t.Fatalf("reveal reason after rotation: %q %v", r.Reason, err)
					}
					reasons++
				}
			}
			if reasons != 1 {
				t.Fatalf("%d reveal reasons", reasons)
			}
		}
		check(t)

		// No value in the clear anywhere in the customer's tables.
		for _, q := range []string{"SELECT * FROM customers", "SELECT * FROM field_history", "SELECT * FROM activities", "SELECT * FROM subject_key_history"} {
			for _, row := range rawRows(t, raw, q) {
				for _, secret := range []string{"NOTES-ROTATE", "ACT-BODY", "rotate@example.com", "REVEAL-REASON"} {
					if bytes.Contains(row, []byte(secret)) {
						t.Fatalf("%s holds %q in the clear", q, secret)
					}
				}
			}
		}

		// A master-key rotation re-wraps the kept key too; retiring the old
		// term leaves everything readable.
		if _, err := f.Service.Keys.Rotate(ctx, sys); err != nil {
			t.Fatal(err)
		}
		for {
			p, err := f.Service.Keys.RewrapStep(ctx, sys, 100)
			if err != nil {
				t.Fatal(err)
			}
			if p.Finished() {
				break
			}
		}
		if err := f.Service.Keys.Retire(ctx, sys, 1); err != nil {
			t.Fatalf("retire after rewrap: %v", err)
		}
		check(t)

		// Erasure shreds the kept key with the current one.
		if err := f.Service.Customers.DeleteCustomer(ctx, f.admin, c.ID); err != nil {
			t.Fatal(err)
		}
		var kept int
		raw.QueryRow(q("SELECT COUNT(*) FROM subject_key_history WHERE subject_id = ?"), c.ID).Scan(&kept)
		if kept != 0 {
			t.Fatalf("%d kept keys survive erasure", kept)
		}
		if _, problem, err := f.Service.AuditLog.Verify(ctx); err != nil || problem != nil {
			t.Fatalf("audit chain: %v %+v", err, problem)
		}
	})
}

// rawRows reads every row of q, each as its columns' bytes joined.
func rawRows(t *testing.T, raw *sql.DB, q string) [][]byte {
	t.Helper()
	rows, err := raw.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]byte
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var b []byte
		for _, v := range vals {
			switch v := v.(type) {
			case []byte:
				b = append(b, v...)
			case string:
				b = append(b, v...)
			default:
				b = fmt.Append(b, v)
			}
			b = append(b, '|')
		}
		out = append(out, b)
	}
	return out
}

// TestRotateCompanyKey gives a store a new data key: its fields, its
// visits' notes and its photos (attachments) are re-sealed and still read;
// the photo's ciphertext changed.
func TestRotateCompanyKey(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		rep := login(t, f.Service, "rep@example.com", "field_rep", "")
		in := crm.CompanyInput{Fields: map[string]*string{"name": ptr("Store ROTATE"), "address": ptr("ADDRESS-ROTATE")}, IsStore: new(bool)}
		*in.IsStore = true
		in.OwnerID = &rep.UserID
		shop, err := f.Service.Companies.CreateCompany(ctx, f.admin, in)
		if err != nil {
			t.Fatal(err)
		}
		visit, err := f.Service.Visits.PlanVisit(ctx, rep, shop.ID, "", "2026-11-25")
		if err != nil {
			t.Fatal(err)
		}
		notes := "VISIT-NOTES-ROTATE"
		if _, err := f.Service.Visits.UpdateVisit(ctx, rep, visit.ID, records.VisitUpdate{CheckIn: true, Notes: &notes, Location: &crm.Location{Lat: 31.9, Lon: 121.1, Accuracy: 5}}); err != nil {
			t.Fatal(err)
		}
		photo := append(pngBytes(t), []byte("PHOTO-ROTATE")...)
		ph, err := f.Service.Visits.AddPhoto(ctx, rep, visit.ID, bytes.NewReader(photo))
		if err != nil {
			t.Fatal(err)
		}
		raw := f.DB.Raw(t)
		var before, after []byte
		raw.QueryRow("SELECT data_ct FROM attachments").Scan(&before)
		n, err := f.Service.Companies.RotateKey(ctx, authz.System(), shop.ID, "the store's tablet was lost")
		if err != nil {
			t.Fatal(err)
		}
		if n < 4 { // name, address, visit notes, photo
			t.Fatalf("%d values re-sealed", n)
		}
		raw.QueryRow("SELECT data_ct FROM attachments").Scan(&after)
		if bytes.Equal(before, after) {
			t.Fatal("the photo was not re-sealed")
		}
		got, err := f.Service.Companies.Company(ctx, f.admin, shop.ID)
		if err != nil || got.Company.Fields["address"] != "ADDRESS-ROTATE" {
			t.Fatalf("company after rotation: %+v %v", got.Company.Fields, err)
		}
		v, err := f.Service.Visits.Visit(ctx, rep, visit.ID)
		if err != nil || v.Notes != notes {
			t.Fatalf("visit after rotation: %q %v", v.Notes, err)
		}
		data, _, err := f.Service.Visits.Photo(ctx, rep, visit.ID, ph.ID)
		if err != nil || !bytes.Equal(data, photo) {
			t.Fatalf("photo after rotation: %d bytes, %v", len(data), err)
		}
		if _, err := f.Service.Companies.RotateKey(ctx, f.sales1, shop.ID, "x"); !errs.Is(err, errs.Permission) {
			t.Fatalf("sales rotated a company's key: %v", err)
		}
		if _, problem, err := f.Service.AuditLog.Verify(ctx); err != nil || problem != nil {
			t.Fatalf("audit chain: %v %+v", err, problem)
		}
	})
}
