package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Read-only transactions that hold every connection of SQLite's read pool,
// each then running a query not prepared yet, all finish: preparing a
// statement must not wait for a connection that only they hold. (Seen as a
// server hanging at a login while background jobs held the pool.)
func TestReadTransactionsFillingThePoolFinish(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "strongroom.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var holding sync.WaitGroup
	holding.Add(readConns)
	done := make(chan error, readConns)
	for i := range readConns {
		go func() {
			done <- db.ReadTx(ctx, func(tx *Tx) error {
				var n int
				if err := tx.tx.QueryRowContext(ctx, "SELECT 1").Scan(&n); err != nil {
					return err
				}
				holding.Done()
				holding.Wait() // every connection of the pool is now held
				if err := tx.queryRow(ctx, fmt.Sprintf("SELECT %d + 1", i)).Scan(&n); err != nil {
					return err
				}
				if n != i+1 {
					return fmt.Errorf("SELECT %d + 1 = %d", i, n)
				}
				return nil
			})
		}()
	}
	// A deadlock never ends by itself; the bound only turns it into a failure.
	deadline := time.After(2 * time.Minute)
	for range readConns {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-deadline:
			t.Fatal("read-only transactions filling the read pool never finished: preparing a statement waits for a connection they hold")
		}
	}
}
