package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/store"
	"strongroom.dev/strongroom/internal/testkit"
)

// BenchmarkAuditAppend commits audit events the way the committer does:
// one read's event, a batch of eight reads' events, and a page of 50
// customers as one event naming them as subjects (indexed later, by
// IndexAuditSubjects: BenchmarkIndexAuditSubjects).
func BenchmarkAuditAppend(b *testing.B) {
	cases := []struct {
		name     string
		events   int
		subjects int
	}{
		{"one read", 1, 0},
		{"eight reads", 8, 0},
		{"a page of 50 as subjects", 1, 50},
	}
	testkit.ForEachDBBench(b, func(b *testing.B, db testkit.DB) {
		sdb := db.Open(b)
		ctx := context.Background()
		n := 0
		for _, c := range cases {
			b.Run(c.name, func(b *testing.B) {
				for b.Loop() {
					events := make([]audit.Event, c.events)
					for i := range events {
						n++
						events[i] = audit.Event{ActorID: "usr_bench", Action: "customer.read", ObjectType: "customer", ObjectID: fmt.Sprintf("cus_%d", n), Outcome: audit.Success}
						for j := range c.subjects {
							events[i].Subjects = append(events[i].Subjects, fmt.Sprintf("cus_%d_%d", n, j))
						}
						if c.subjects > 0 {
							events[i].ObjectID = ""
						}
					}
					if err := sdb.WithTx(ctx, func(tx *store.Tx) error { return audit.Append(ctx, tx, time.Now(), events...) }); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	})
}

// BenchmarkIndexAuditSubjects indexes what serve indexes in one
// transaction: 1,000 subject rows, from 20 pages of a list of the same 50
// customers (as strongroom bench lists them), into an index that already
// holds 100,000 rows for them.
func BenchmarkIndexAuditSubjects(b *testing.B) {
	testkit.ForEachDBBench(b, func(b *testing.B, db testkit.DB) {
		sdb := db.Open(b)
		ctx := context.Background()
		page := make([]string, 50)
		for i := range page {
			page[i] = fmt.Sprintf("cus_%032d", i*7919)
		}
		appendPages := func(n int) {
			events := make([]audit.Event, n)
			for i := range events {
				events[i] = audit.Event{ActorID: "usr_bench", Action: "customer.list", ObjectType: "customer", Outcome: audit.Success, Subjects: page}
			}
			if err := sdb.WithTx(ctx, func(tx *store.Tx) error { return audit.Append(ctx, tx, time.Now(), events...) }); err != nil {
				b.Fatal(err)
			}
		}
		index := func() {
			for {
				behind, err := sdb.IndexAuditSubjects(ctx, 1000)
				if err != nil {
					b.Fatal(err)
				}
				if behind == 0 {
					return
				}
			}
		}
		appendPages(2000)
		index()
		for b.Loop() {
			b.StopTimer()
			appendPages(20)
			b.StartTimer()
			index()
		}
	})
}

// BenchmarkInsertAuditTree stores the tree hashes of one checkpoint of
// 500 events (a little under 1,000 hashes) in one transaction: the time
// the checkpointer holds the writer that every audited read waits on.
func BenchmarkInsertAuditTree(b *testing.B) {
	testkit.ForEachDBBench(b, func(b *testing.B, db testkit.DB) {
		sdb := db.Open(b)
		ctx := context.Background()
		hashes := make([][]byte, 994) // tlog stores 2n minus the bits set in n (500: 6)
		for i := range hashes {
			hashes[i] = make([]byte, 32)
			hashes[i][0], hashes[i][1] = byte(i), byte(i>>8)
		}
		var start int64
		for b.Loop() {
			if err := sdb.WithTx(ctx, func(tx *store.Tx) error { return tx.InsertAuditTree(ctx, start, hashes) }); err != nil {
				b.Fatal(err)
			}
			start += int64(len(hashes))
		}
	})
}
