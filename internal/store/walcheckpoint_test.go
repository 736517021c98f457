package store

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// SQLite's log is copied into the database file in the background while
// the database stays open and busy: the data reaches the database file
// without a commit paying for it, and the log is reused instead of growing
// with every commit.
func TestWALCheckpointedInBackground(t *testing.T) {
	ctx := context.Background()
	db, path := openWALTest(t)
	size := func(p string) int64 {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := size(path + "-wal") // the migrations' pages
	const rounds, commits, blob = 4, 150, 4000
	written := int64(rounds * commits * blob)
	for range rounds {
		for range commits {
			if err := db.WithTx(ctx, func(tx *Tx) error {
				_, err := tx.exec(ctx, "INSERT INTO wal_test (b) VALUES (randomblob(?))", blob)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(3 * walCheckpointEvery) // a checkpoint runs meanwhile
	}
	// The database file holds the rows while the database is open: only a
	// checkpoint writes it.
	deadline := time.Now().Add(20 * walCheckpointEvery)
	for size(path) < written && time.Now().Before(deadline) {
		time.Sleep(walCheckpointEvery)
	}
	if got := size(path); got < written {
		t.Errorf("database file is %d bytes after %d bytes were committed: the log was not checkpointed", got, written)
	}
	// Each round's commits went into a log that the checkpoint between
	// rounds had emptied, so the log file never held all of them.
	if got := size(path + "-wal"); got >= before+written {
		t.Errorf("log file grew from %d to %d bytes as %d bytes were committed in %d rounds: it grew with every commit", before, got, written, rounds)
	}
}

// Under a load that never pauses some reader is always on the log, and
// SQLite never starts the log again by itself: the file grew with every
// commit (to 1.7 GB in 40 s of strongroom bench). The writer starts it
// again once it is long, so the file stays near that length however much
// is committed, while readers keep reading throughout.
func TestWALStartsAgainUnderSteadyReads(t *testing.T) {
	old := walRestartFrames
	walRestartFrames = 256 // 1 MiB
	t.Cleanup(func() { walRestartFrames = old })
	ctx := context.Background()
	db, path := openWALTest(t)
	insert := func() error {
		return db.WithTx(ctx, func(tx *Tx) error {
			_, err := tx.exec(ctx, "INSERT INTO wal_test (b) VALUES (randomblob(4000))")
			return err
		})
	}
	if err := insert(); err != nil {
		t.Fatal(err)
	}

	// Readers on every connection of the pool, one short read after
	// another with a pause between them (a request's network time), until
	// the writes end.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	readErrs := make(chan error, readConns)
	for range readConns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				err := db.ReadTx(ctx, func(tx *Tx) error {
					var n int
					return tx.queryRow(ctx, "SELECT length(b) FROM wal_test WHERE rowid = 1").Scan(&n)
				})
				if err != nil {
					readErrs <- err
					return
				}
				time.Sleep(50 * time.Microsecond)
			}
		}()
	}
	// 8,000 rows of 4,000 bytes: each commit appends at least a page of
	// 4 KiB to the log, so 31 MiB or more in all (about 100 MB: the table's
	// pages above the new row's change too). With a restart asked for at
	// each look of the background checkpoint (every 250 ms) that finds the
	// log past 1 MiB, a few looks' commits at most stay in the log.
	const commits = 8000
	for range commits {
		if err := insert(); err != nil {
			close(stop)
			wg.Wait()
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	close(readErrs)
	for err := range readErrs {
		t.Errorf("a read failed while the log started again: %v", err)
	}

	fi, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if got, bound := fi.Size(), int64(48<<20); got > bound {
		t.Errorf("log file is %d bytes after %d commits of a 4 KiB page each under steady reads; want at most %d: it was never started again", got, commits, bound)
	}
	if db.wal.restarts.Load() == 0 {
		t.Error("the writer never started the log again")
	}
	var n int
	if err := db.ReadTx(ctx, func(tx *Tx) error {
		return tx.queryRow(ctx, "SELECT COUNT(*) FROM wal_test").Scan(&n)
	}); err != nil {
		t.Fatal(err)
	}
	if n != commits+1 {
		t.Errorf("%d rows after %d inserts: a restart lost commits", n, commits+1)
	}
}

// openWALTest opens an SQLite database in a scratch directory with a table
// wal_test (b BLOB) to commit to; it is closed when the test ends.
func openWALTest(t *testing.T) (*DB, string) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "strongroom.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.WithTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, "CREATE TABLE wal_test (b BLOB NOT NULL)")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return db, path
}
