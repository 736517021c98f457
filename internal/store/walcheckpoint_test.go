package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// SQLite's log is copied into the database file in the background while
// the database stays open and busy: the data reaches the database file
// without a commit paying for it, and the log is reused instead of growing
// with every commit.
func TestWALCheckpointedInBackground(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "strongroom.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.WithTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, "CREATE TABLE wal_test (b BLOB NOT NULL)")
		return err
	}); err != nil {
		t.Fatal(err)
	}
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
