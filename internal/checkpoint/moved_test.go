package checkpoint_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/checkpoint"
	"strongroom.dev/strongroom/internal/store"
	"strongroom.dev/strongroom/internal/testkit"
)

// A checkpoint worked out in a read-only transaction is stored only if the
// log's newest checkpoint is still the one it grew from: when another
// server checkpointed in between (and more events came), it is worked out
// again under the lock, so the tree is stored once and the log verifies.
func TestCheckpointReadWhileAnotherServerCheckpoints(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		signer, _, err := checkpoint.LoadOrCreateKey(filepath.Join(t.TempDir(), "audit.key"), "strongroom.test/audit")
		if err != nil {
			t.Fatal(err)
		}
		st := db.Open(t)
		appendEvents := func(n int) {
			for i := range n {
				if err := st.WithTx(ctx, func(tx *store.Tx) error {
					return audit.Append(ctx, tx, time.Now(), audit.Event{ActorID: "usr_1", Action: "customer.read", ObjectType: "customer",
						ObjectID: "cus_" + strings.Repeat("b", i%5+1), Outcome: audit.Success})
				}); err != nil {
					t.Fatal(err)
				}
			}
		}
		one := &checkpoint.Checkpointer{DB: st, Signer: signer}
		other := &checkpoint.Checkpointer{DB: st, Signer: signer}
		appendEvents(10)
		if _, err := one.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		appendEvents(7)
		ext, err := one.ReadExtension(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if from, to := ext.Grows(); from != 10 || to != 17 {
			t.Fatalf("read: grows %d to %d; want 10 to 17", from, to)
		}
		// Meanwhile another server checkpoints, and more events come.
		if cp, err := other.Checkpoint(ctx); err != nil || cp.Size != 17 {
			t.Fatalf("the other server's checkpoint: size %d, %v", cp.Size, err)
		}
		appendEvents(5)
		cp, err := one.StoreExtension(ctx, ext)
		if err != nil {
			t.Fatalf("storing a read that is out of date: %v", err)
		}
		if cp.Size != 22 {
			t.Fatalf("checkpoint after storing an out-of-date read: size %d; want 22 (worked out again)", cp.Size)
		}
		rep, problem, err := checkpoint.Verify(ctx, st, signer.VerifierKey(), nil)
		if err != nil || problem != nil {
			t.Fatalf("verify: %v, %v", problem, err)
		}
		if rep.Checkpoints < 3 {
			t.Errorf("verify saw %d checkpoints; want 3", rep.Checkpoints)
		}
	})
}
