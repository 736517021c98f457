package service_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/keyring"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/store"
	"strongroom.dev/strongroom/internal/testkit"
)

// BenchmarkRewrapStep: re-wrapping 5,000 data keys to a new term in
// batches of 500 through the service (read the batch, unwrap, wrap, swap
// each row, audit the batch, commit), as `keys rewrap` does unthrottled.
// keys/s is the rate. The custody is testkit.CustodyEnv's: memory (the
// file custody's code) or a SoftHSM2 token.
func BenchmarkRewrapStep(b *testing.B) {
	testkit.ForEachDBBench(b, func(b *testing.B, db testkit.DB) {
		ctx := context.Background()
		env := testkit.NewEnv(b, db, service.Options{})
		const n = 5000
		now := time.Now()
		err := env.Store.WithTx(ctx, func(tx *store.Tx) error {
			for i := range n {
				id := fmt.Sprintf("bench_%06d", i)
				_, w, err := env.Keys.NewDataKey(id)
				if err != nil {
					return err
				}
				if err := tx.InsertSubjectKey(ctx, id, w, keyring.WrappedTerm(w), now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		keys := 0
		var spent time.Duration
		for b.Loop() {
			if _, err := env.Service.Keys.Rotate(ctx, authz.System()); err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			for {
				p, err := env.Service.Keys.RewrapStep(ctx, authz.System(), 500)
				if err != nil {
					b.Fatal(err)
				}
				if p.Finished() {
					keys += int(p.Done)
					break
				}
			}
			spent += time.Since(start)
		}
		b.ReportMetric(float64(keys)/spent.Seconds(), "keys/s")
	})
}
