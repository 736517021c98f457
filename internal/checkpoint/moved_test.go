package checkpoint_test

import (
	"context"
	"testing"

	"strongroom.dev/strongroom/internal/checkpoint"
	"strongroom.dev/strongroom/internal/testkit"
)

// A checkpoint worked out in a read-only transaction is stored only if the
// log's newest checkpoint is still the one it grew from: when another
// server checkpointed in between (and more events came), it is worked out
// again under the lock, so the tree is stored once and the log verifies.
func TestCheckpointReadWhileAnotherServerCheckpoints(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		f := newLogFixture(t, db)
		one := f.cp
		other := &checkpoint.Checkpointer{DB: f.st, Signer: f.cp.Signer}
		f.appendEvents(t, 10)
		f.checkpoint(t, 10)
		f.appendEvents(t, 7)
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
		f.appendEvents(t, 5)
		cp, err := one.StoreExtension(ctx, ext)
		if err != nil {
			t.Fatalf("storing a read that is out of date: %v", err)
		}
		if cp.Size != 22 {
			t.Fatalf("checkpoint after storing an out-of-date read: size %d; want 22 (worked out again)", cp.Size)
		}
		rep, problem := f.verify(t, "")
		if problem != nil {
			t.Fatalf("verify: %v", problem)
		}
		if rep.Checkpoints < 3 {
			t.Errorf("verify saw %d checkpoints; want 3", rep.Checkpoints)
		}
	})
}
