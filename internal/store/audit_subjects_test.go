package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/store"
	"strongroom.dev/strongroom/internal/testkit"
)

// The events that name customers as subjects (a page of a list) are found
// by each of them at once, before the index of subjects is filled behind
// the log, while it is part filled, and after; appending writes no index
// rows, filling writes one a subject, and the index's mark never moves back.
func TestAuditSubjectsFoundBeforeAndAfterIndexing(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		sdb := db.Open(t)
		raw := db.Raw(t)
		ctx := context.Background()
		list := func(ids ...string) audit.Event {
			return audit.Event{ActorID: "usr_1", Action: "customer.list", ObjectType: "customer", Outcome: audit.Success, Subjects: ids}
		}
		read := audit.Event{ActorID: "usr_1", Action: "customer.read", ObjectType: "customer", ObjectID: "cus_b", Outcome: audit.Success}
		events := []audit.Event{list("cus_a", "cus_b", "cus_c"), read, list("cus_c", "cus_d"), list("cus_e")}
		if err := sdb.WithTx(ctx, func(tx *store.Tx) error { return audit.Append(ctx, tx, time.Now(), events...) }); err != nil {
			t.Fatal(err)
		}
		head, err := sdb.AuditHead(ctx)
		if err != nil {
			t.Fatal(err)
		}
		first := head.Seq - 3 // the seq of events[0]
		rows := func() int {
			var n int
			if err := raw.QueryRow("SELECT count(*) FROM audit_subjects").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		cases := []struct {
			ids  []string
			want []int64 // offsets from first
		}{
			{[]string{"cus_a"}, []int64{0}},
			{[]string{"cus_b"}, []int64{0, 1}},
			{[]string{"cus_c"}, []int64{0, 2}},
			{[]string{"cus_d", "cus_e"}, []int64{2, 3}},
			{[]string{"cus"}, nil}, // a part of an id names no one
			{[]string{"cus_zz"}, nil},
		}
		check := func(stage string) {
			t.Helper()
			for _, c := range cases {
				var got []audit.Event
				if err := sdb.ReadTx(ctx, func(tx *store.Tx) error {
					got, err = tx.ListAudit(ctx, store.AuditFilter{ObjectIDs: c.ids, Limit: 10})
					return err
				}); err != nil {
					t.Fatal(err)
				}
				var seqs []int64
				for _, e := range got {
					seqs = append(seqs, e.Seq-first)
				}
				if !slices.Equal(seqs, c.want) {
					t.Errorf("%s: events about %v: %v, want %v", stage, c.ids, seqs, c.want)
				}
			}
		}
		if n := rows(); n != 0 {
			t.Fatalf("appending wrote %d index rows", n)
		}
		check("before indexing")

		behind, err := sdb.IndexAuditSubjects(ctx, 3) // the first event's three subjects
		if err != nil || behind != 3 {
			t.Fatalf("first batch: behind %d, %v", behind, err)
		}
		if n := rows(); n != 3 {
			t.Fatalf("first batch wrote %d index rows, want 3", n)
		}
		check("part indexed")

		for behind > 0 {
			if behind, err = sdb.IndexAuditSubjects(ctx, 3); err != nil {
				t.Fatal(err)
			}
		}
		if n := rows(); n != 6 {
			t.Fatalf("the index holds %d rows, want 6", n)
		}
		if through, err := sdb.AuditSubjectsIndexed(ctx); err != nil || through != head.Seq {
			t.Fatalf("mark at %d (%v), want %d", through, err, head.Seq)
		}
		check("indexed")
		if behind, err := sdb.IndexAuditSubjects(ctx, 3); err != nil || behind != 0 {
			t.Fatalf("nothing left: behind %d, %v", behind, err)
		}
		if _, err := raw.Exec("UPDATE audit_subjects_indexed SET through = 0"); err == nil {
			t.Fatal("the mark moved back")
		}
	})
}
