package store_test

import (
	"context"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/store"
	"strongroom.dev/strongroom/internal/testkit"
)

// An event's client and device are kept and read back on both engines,
// and the log verifies with them; one that names neither reads back empty.
func TestAuditEventNamesClientAndDevice(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		sdb := db.Open(t)
		ctx := context.Background()
		events := []audit.Event{
			{ActorID: "usr_1", Action: "customer.read", ObjectType: "customer", ObjectID: "cus_1", Outcome: audit.Success, ClientID: "cli_pay", DeviceID: "dev_1"},
			{ActorID: "usr_1", Action: "customer.read", ObjectType: "customer", ObjectID: "cus_2", Outcome: audit.Success},
		}
		if err := sdb.WithTx(ctx, func(tx *store.Tx) error { return audit.Append(ctx, tx, time.Now(), events...) }); err != nil {
			t.Fatal(err)
		}
		var got []audit.Event
		if err := sdb.ReadTx(ctx, func(tx *store.Tx) error {
			var err error
			got, err = tx.ListAudit(ctx, store.AuditFilter{ActorID: "usr_1", Limit: 10})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 {
			t.Fatalf("events: %+v", got)
		}
		byObject := map[string]audit.Event{got[0].ObjectID: got[0], got[1].ObjectID: got[1]}
		if e := byObject["cus_1"]; e.ClientID != "cli_pay" || e.DeviceID != "dev_1" {
			t.Fatalf("client and device not kept: %+v", e)
		}
		if e := byObject["cus_2"]; e.ClientID != "" || e.DeviceID != "" {
			t.Fatalf("an event without them: %+v", e)
		}
		head, err := sdb.AuditHead(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n, p, err := audit.Verify(sdb.AuditEvents(ctx, 0, head.Seq), head, nil)
		if err != nil || p != nil || n != 2 {
			t.Fatalf("verify: n=%d problem=%v err=%v", n, p, err)
		}
	})
}
