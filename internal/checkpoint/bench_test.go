package checkpoint_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/checkpoint"
	"strongroom.dev/strongroom/internal/store"
	"strongroom.dev/strongroom/internal/testkit"
)

// appendMany appends n events in transactions of up to 5,000.
func appendMany(b *testing.B, st *store.DB, n int) {
	b.Helper()
	ctx := context.Background()
	for done := 0; done < n; {
		k := min(5000, n-done)
		events := make([]audit.Event, k)
		for i := range events {
			events[i] = audit.Event{ActorID: "usr_bench", IP: "192.0.2.1", Action: "customer.read", ObjectType: "customer", ObjectID: fmt.Sprintf("cus_%08d", done+i), Fields: []string{"name", "email"}, Outcome: audit.Success}
		}
		if err := st.WithTx(ctx, func(tx *store.Tx) error { return audit.Append(ctx, tx, time.Now(), events...) }); err != nil {
			b.Fatal(err)
		}
		done += k
	}
}

func benchCheckpointer(b *testing.B, st *store.DB) *checkpoint.Checkpointer {
	signer, _, err := checkpoint.LoadOrCreateKey(filepath.Join(b.TempDir(), "audit.key"), "strongroom.bench/audit")
	if err != nil {
		b.Fatal(err)
	}
	return &checkpoint.Checkpointer{DB: st, Signer: signer, Witnesses: []checkpoint.Witness{checkpoint.Dir(filepath.Join(b.TempDir(), "witness"))}}
}

// BenchmarkAppendWithCheckpoints appends events one transaction each, as
// requests do, with and without a checkpointer beside them, called as
// serve's is whenever DefaultMaxEvents (500) are waiting; it reports
// events a second (-benchtime 50000x).
func BenchmarkAppendWithCheckpoints(b *testing.B) {
	testkit.ForEachDBBench(b, func(b *testing.B, db testkit.DB) {
		for _, on := range []bool{false, true} {
			b.Run(fmt.Sprintf("checkpoints=%v", on), func(b *testing.B) {
				st := testkit.NewLike(b, db).Open(b)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				var checkpoints atomic.Int64
				if on {
					cp := benchCheckpointer(b, st)
					// As serve's checkpointer does, whenever DefaultMaxEvents
					// are waiting (the 60-second rule never comes due here).
					go func() {
						signed := int64(0)
						for ctx.Err() == nil {
							if head, _ := st.AuditHead(ctx); head.Seq-signed >= checkpoint.DefaultMaxEvents {
								if last, err := cp.Checkpoint(ctx); err == nil {
									signed = last.Size
									checkpoints.Add(1)
								}
							}
							time.Sleep(50 * time.Millisecond)
						}
					}()
				}
				start := time.Now()
				for b.Loop() {
					err := st.WithTx(ctx, func(tx *store.Tx) error {
						return audit.Append(ctx, tx, time.Now(), audit.Event{ActorID: "usr_bench", Action: "customer.read", ObjectType: "customer", ObjectID: "cus_1", Outcome: audit.Success})
					})
					if err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
				b.ReportMetric(float64(checkpoints.Load()), "checkpoints")
			})
		}
	})
}

// BenchmarkVerify1M verifies a log of 1,000,000 events with a checkpoint
// and a witness: the chain, the tree, the signature, the witness.
func BenchmarkVerify1M(b *testing.B) {
	n := 1_000_000
	if testing.Short() {
		n = 200_000
	}
	testkit.ForEachDBBench(b, func(b *testing.B, db testkit.DB) {
		st := db.Open(b)
		appendMany(b, st, n)
		cp := benchCheckpointer(b, st)
		start := time.Now()
		for {
			last, err := cp.Checkpoint(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			if last.Size == int64(n) {
				break
			}
		}
		b.Logf("checkpointing %d events took %v", n, time.Since(start))
		w := cp.Witnesses[0].(checkpoint.Dir)
		b.ResetTimer()
		for b.Loop() {
			rep, problem, err := checkpoint.Verify(context.Background(), st, "", []checkpoint.Dir{w})
			if err != nil || problem != nil || rep.Events != int64(n) || rep.Signed != int64(n) {
				b.Fatalf("verify: %+v %v %v", rep, problem, err)
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
}
