package service_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/governance"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/service/records"
	"strongroom.dev/strongroom/internal/store"
	"strongroom.dev/strongroom/internal/testkit"
)

func dropAppendOnly(t *testing.T, db testkit.DB, raw *sql.DB) {
	t.Helper()
	stmts := []string{"DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete", "DROP TRIGGER audit_subjects_no_delete"}
	if db.Engine == store.Postgres {
		stmts = []string{"DROP TRIGGER audit_events_append_only ON audit_events", "DROP TRIGGER audit_subjects_append_only ON audit_subjects"}
	}
	for _, s := range stmts {
		if _, err := raw.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAuditTamperingDetected tampers with the stored log as someone with
// raw database access would, and checks that verification names the first
// bad event.
func TestAuditTamperingDetected(t *testing.T) {
	tests := []struct {
		name    string
		sql     []string
		wantSeq string
	}{
		{"altered", []string{"UPDATE audit_events SET object_id = 'cus_other' WHERE seq = 6"}, "event 6:"},
		{"failed login made a success", []string{"UPDATE audit_events SET outcome = 'success', reason = '' WHERE outcome = 'failure'"}, "event 10:"},
		{"deleted", []string{"DELETE FROM audit_events WHERE seq = 4"}, "event 4:"},
		{"deleted last", []string{ // with its subjects' index rows, which refer to it
			"DELETE FROM audit_subjects WHERE seq = (SELECT max(seq) FROM audit_events)",
			"DELETE FROM audit_events WHERE seq = (SELECT max(seq) FROM audit_events)",
		}, "missing"},
		{"reordered", []string{
			"UPDATE audit_events SET seq = -1 WHERE seq = 5",
			"UPDATE audit_events SET seq = 5 WHERE seq = 7",
			"UPDATE audit_events SET seq = 7 WHERE seq = -1",
		}, "event 5:"},
		// the last event is a page of the three customers, naming them as subjects
		{"a subject hidden from the index", []string{"DELETE FROM audit_subjects WHERE subject_id = (SELECT min(subject_id) FROM audit_subjects)"}, "index of subjects"},
		{"a subject added to the index", []string{"INSERT INTO audit_subjects (subject_id, seq) SELECT 'cus_forged', max(seq) FROM audit_events"}, "index of subjects"},
		{"a subject taken out of its event", []string{"UPDATE audit_events SET subjects = substr(subjects, 1, 20) WHERE subjects <> ''"}, "audit event"},
		{"an event added past the head", []string{
			"INSERT INTO audit_events (seq, at, actor_id, session_id, ip, action, object_type, object_id, fields, outcome, reason, prev_hash, hash, subjects) " +
				"SELECT seq + 1, at, actor_id, session_id, ip, 'customer.delete', object_type, object_id, fields, outcome, reason, hash, hash, '' FROM audit_events WHERE seq = (SELECT max(seq) FROM audit_events)",
		}, "not covered by the head"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
				f := newFixture(t, db)
				ctx := context.Background()
				f.Service.Sessions.Login(ctx, "sales1@example.com", "wrong password!!", identity.Client{IP: "192.0.2.5"})
				for range 3 {
					if _, err := f.Service.Customers.CreateCustomer(ctx, f.admin, input("name", "Audit Subject")); err != nil {
						t.Fatal(err)
					}
				}
				if page, err := f.Service.Customers.ListCustomers(ctx, f.admin, records.CustomerQuery{Limit: 10}); err != nil || len(page.Customers) != 3 {
					t.Fatalf("list: %v", err)
				}
				if _, err := f.Store.IndexAuditSubjects(ctx, 1000); err != nil { // as serve does, behind the log
					t.Fatal(err)
				}
				n, problem, err := f.Service.AuditLog.Verify(ctx)
				if err != nil || problem != nil || n < 10 {
					t.Fatalf("before tampering: n=%d problem=%v err=%v", n, problem, err)
				}
				raw := db.Raw(t)
				if _, err := raw.Exec("UPDATE audit_events SET reason = 'x' WHERE seq = 2"); err == nil {
					t.Fatal("the append-only guard let an UPDATE through")
				}
				dropAppendOnly(t, db, raw)
				for _, s := range tt.sql {
					if _, err := raw.Exec(s); err != nil {
						t.Fatalf("%s: %v", s, err)
					}
				}
				_, problem, err = f.Service.AuditLog.Verify(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if problem == nil {
					t.Fatal("tampering not detected")
				}
				if !strings.Contains(problem.Error(), tt.wantSeq) {
					t.Fatalf("problem %q does not name %q", problem, tt.wantSeq)
				}
			})
		})
	}
}

// TestAuditFailsClosed makes the audit log refuse writes and checks that
// no change is made and no personal data is returned.
func TestAuditFailsClosed(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		c, err := f.Service.Customers.CreateCustomer(ctx, f.admin, input("name", "Before The Outage", "email", "before@example.com"))
		if err != nil {
			t.Fatal(err)
		}
		raw := db.Raw(t)
		block := []string{"CREATE TRIGGER audit_offline BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'audit offline'); END"}
		if db.Engine == store.Postgres {
			block = []string{
				"CREATE FUNCTION audit_offline() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit offline'; END; $$",
				"CREATE TRIGGER audit_offline BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_offline()",
			}
		}
		for _, s := range block {
			if _, err := raw.Exec(s); err != nil {
				t.Fatal(err)
			}
		}
		count := func() int {
			var n int
			if err := raw.QueryRow("SELECT count(*) FROM customers").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := count()
		if _, err := f.Service.Customers.CreateCustomer(ctx, f.admin, input("name", "During The Outage")); !errs.Is(err, errs.Unavailable) {
			t.Errorf("create: err = %v, want unavailable", err)
		}
		got, err := f.Service.Customers.Customer(ctx, f.admin, c.ID)
		if !errs.Is(err, errs.Unavailable) || len(got.Fields) != 0 {
			t.Errorf("read: err = %v, fields %v; want unavailable and nothing", err, got.Fields)
		}
		if _, err := f.Service.Customers.UpdateCustomer(ctx, f.admin, c.ID, input("name", "Changed")); !errs.Is(err, errs.Unavailable) {
			t.Errorf("update: err = %v, want unavailable", err)
		}
		if err := f.Service.Customers.DeleteCustomer(ctx, f.admin, c.ID); !errs.Is(err, errs.Unavailable) {
			t.Errorf("delete: err = %v, want unavailable", err)
		}
		page, err := f.Service.Customers.ListCustomers(ctx, f.admin, records.CustomerQuery{})
		if !errs.Is(err, errs.Unavailable) || len(page.Customers) != 0 {
			t.Errorf("list: err = %v, %d customers; want unavailable and none", err, len(page.Customers))
		}
		if _, err := f.Service.Sessions.Login(ctx, "admin@example.com", pw, identity.Client{}); !errs.Is(err, errs.Unavailable) {
			t.Errorf("login: err = %v, want unavailable", err)
		}
		if after := count(); after != before {
			t.Errorf("customers %d -> %d while the audit log was down", before, after)
		}
		if _, err := raw.Exec("DROP TRIGGER audit_offline" + map[store.Engine]string{store.Postgres: " ON audit_events"}[db.Engine]); err != nil {
			t.Fatal(err)
		}
		got, err = f.Service.Customers.Customer(ctx, f.admin, c.ID)
		if err != nil || got.Fields["name"] != "Before The Outage" {
			t.Fatalf("after recovery: %v %v", err, got.Fields)
		}
	})
}

// TestAuditEventsNameFieldsNotValues checks what a read leaves in the log.
func TestAuditEventsNameFieldsNotValues(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		c, err := f.Service.Customers.CreateCustomer(ctx, f.sales1, input("name", "Zhou Jie", "email", "zhou@example.com"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Service.Customers.UpdateCustomer(ctx, f.admin, c.ID, input("national_id", "110101199003071234")); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Service.Customers.Customer(ctx, f.sales1, c.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Service.Customers.Customer(ctx, f.sales2, c.ID); !errs.Is(err, errs.NotExist) {
			t.Fatal(err)
		}
		if _, err := f.Service.AuditLog.Events(ctx, f.sales1, governance.AuditQuery{}); !errs.Is(err, errs.Permission) {
			t.Fatalf("sales reading the audit log: %v", err)
		}
		page, err := f.Service.AuditLog.Events(ctx, f.auditor, governance.AuditQuery{ObjectType: "customer", ObjectID: c.ID})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range page.Events {
			got = append(got, e.Action+"/"+e.Outcome+"/"+e.ActorID+"/"+strings.Join(e.Fields, ","))
		}
		want := []string{
			"customer.create/success/" + f.sales1.UserID + "/email,name",
			"customer.update/success/" + f.admin.UserID + "/national_id",
			"customer.read/success/" + f.admin.UserID + "/name,email,national_id",
			"customer.read/success/" + f.sales1.UserID + "/name,email,national_id:masked",
			"customer.read/denied/" + f.sales2.UserID + "/",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		for _, e := range page.Events {
			if e.SessionID == "" || e.IP != "192.0.2.1" {
				t.Errorf("event %d lacks session or address: %+v", e.Seq, e)
			}
		}
	})
}
