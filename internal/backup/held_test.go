package backup

import (
	"context"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/checkpoint"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/testkit"
)

// Held records across restores (issue 14). A backup made after an erasure
// under a legal hold holds the held record; once the hold has ended and
// the job destroyed it, the ledger's "held" entry destroys its key again
// in a restore of that backup, and the restored server's job deletes the
// row. A backup made before the erasure brings the customer back until
// the ledger erases them again, and holds no held record: the documented
// consequence is that the held data is lost with such a restore.
func TestHeldRecordsAcrossRestore(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		svc, sys := f.env.Service, authz.System()
		// This test is about restores: the erasure needs no second handler here.
		if err := svc.Requests.SetApprovalSteps(ctx, sys, []string{"rejection"}); err != nil {
			t.Fatal(err)
		}
		target := Dir{Path: t.TempDir()}
		page, err := svc.Customers.ListCustomers(ctx, sys, serviceQuery())
		if err != nil || len(page.Customers) < 1 {
			t.Fatalf("%v", err)
		}
		c := page.Customers[0]
		if err := svc.Requests.PlaceHold(ctx, sys, c.ID, crm.HoldIdentity, "AML due diligence", time.Now().AddDate(5, 0, 0)); err != nil {
			t.Fatal(err)
		}
		req, err := svc.Requests.TakeRequest(ctx, sys, c.ID, crm.RequestInput{Kind: "erasure"})
		if err != nil {
			t.Fatal(err)
		}
		before, err := f.maker.Make(ctx, target, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Customers.EraseForRequest(ctx, sys, req.ID); err != nil {
			t.Fatal(err)
		}
		held, err := svc.Customers.HeldRecords(ctx, sys)
		if err != nil || len(held) != 1 {
			t.Fatalf("held records: %+v %v", held, err)
		}
		if _, err := (&checkpoint.Checkpointer{DB: f.env.Store, Signer: f.signer}).Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		after, err := f.maker.Make(ctx, target, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		// The hold ends (here: its end moved into the past) and the job
		// destroys the held record; the ledger ships.
		if _, err := f.env.DB.Raw(t).Exec(rebind(db, "UPDATE held_records SET until_at = ? WHERE id = ?"), time.Now().Add(-time.Hour).UnixMicro(), held[0].ID); err != nil {
			t.Fatal(err)
		}
		if n, err := svc.Customers.EndHeld(ctx); err != nil || n != 1 {
			t.Fatalf("end held: %d %v", n, err)
		}
		if n, err := (&Ledger{DB: f.env.Store, Signer: f.signer, Targets: []Spec{{Target: target}}}).Ship(ctx); err != nil || n != 2 {
			t.Fatalf("ship: %d %v", n, err)
		}

		open := func(dst testkit.DB) *service.Service {
			s, err := service.New(ctx, dst.Open(t), f.env.Keys, service.Options{Hasher: testkit.FastHasher()})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(s.Close)
			return s
		}
		// The backup made after the erasure: the held record's key is
		// destroyed by the ledger, its row by the restored server's job.
		dst := testkit.NewLike(t, db)
		got, err := f.restorer(target).Restore(ctx, after.ID, dst.DSN)
		if err != nil || got.ErasedAgain != 1 {
			t.Fatalf("restore after: %+v %v", got, err)
		}
		restored := open(dst)
		if _, _, err := restored.Customers.ReadHeld(ctx, sys, held[0].ID, "x"); !errs.Is(err, errs.NotExist) {
			t.Fatalf("the ended held record after a restore: %v", err)
		}
		if n, err := restored.Customers.EndHeld(ctx); err != nil || n != 1 {
			t.Fatalf("the restored server's job: %d %v", n, err)
		}
		var keys int
		dst.Raw(t).QueryRow(rebind(db, "SELECT count(*) FROM subject_keys WHERE subject_id = ? OR subject_id = ?"), held[0].ID, c.ID).Scan(&keys)
		if keys != 0 {
			t.Fatalf("%d keys of the erased customer or the ended held record are back", keys)
		}

		// The backup made before the erasure: the customer is erased again;
		// no held record was in it.
		old := testkit.NewLike(t, db)
		if got, err := f.restorer(target).Restore(ctx, before.ID, old.DSN); err != nil || got.ErasedAgain != 1 {
			t.Fatalf("restore before: %+v %v", got, err)
		}
		var customers, records int
		old.Raw(t).QueryRow(rebind(db, "SELECT count(*) FROM customers WHERE id = ?"), c.ID).Scan(&customers)
		old.Raw(t).QueryRow("SELECT count(*) FROM held_records").Scan(&records)
		if customers != 0 || records != 0 {
			t.Fatalf("after restoring the older backup: %d customers, %d held records", customers, records)
		}
	})
}

func rebind(db testkit.DB, q string) string {
	if db.Engine != "postgres" {
		return q
	}
	out, n := []byte{}, 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			out = append(out, []byte("$"+string(rune('0'+n)))...)
			continue
		}
		out = append(out, q[i])
	}
	return string(out)
}
