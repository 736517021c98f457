package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// SQLite copies its write-ahead log back into the database file at a
// checkpoint, which syncs both files. Left to itself it checkpoints inside
// the commit that fills the log past 1,000 pages, so that one commit, and
// every request waiting on it (a group of audited reads, a create), also
// waits for two fsyncs. The writer connection therefore never checkpoints
// (wal_autocheckpoint 0) and a goroutine of the DB's own, on a connection
// of its own, checkpoints in the background instead: a PASSIVE checkpoint,
// which never blocks the writer or a reader (walCheckpointEvery says when).

// walCheckpointEvery is how often the background checkpoint looks. It
// checkpoints when walCheckpointCommits commits were made since the last
// one (at a few thousand commits a second, every look: a few thousand
// pages each time, as the automatic checkpoint at 1,000 pages did), or
// when any were made and walCheckpointIdle has passed, so that a quiet
// database is not synced four times a second for one small commit.
const (
	walCheckpointEvery   = 250 * time.Millisecond
	walCheckpointCommits = 100
	walCheckpointIdle    = 10 * time.Second
)

// walCheckpointer checkpoints an SQLite database in the background.
type walCheckpointer struct {
	conn    *sql.DB
	commits atomic.Int64 // commits on the writer since the database opened
	stop    chan struct{}
	done    sync.WaitGroup
	closed  sync.Once
}

// startWALCheckpoints opens the checkpointer's connection to dsn (the
// writer's own options, so the same journal mode) and starts its loop.
func startWALCheckpoints(ctx context.Context, dsn string) (*walCheckpointer, error) {
	conn, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open the checkpoint connection: %w", err)
	}
	conn.SetMaxOpenConns(1)
	if err := conn.PingContext(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("store: open the checkpoint connection: %w", err)
	}
	w := &walCheckpointer{conn: conn, stop: make(chan struct{})}
	w.done.Add(1)
	go w.loop()
	return w, nil
}

func (w *walCheckpointer) loop() {
	defer w.done.Done()
	t := time.NewTicker(walCheckpointEvery)
	defer t.Stop()
	var seen int64
	last := time.Now()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
		}
		n := w.commits.Load()
		if n == seen || n-seen < walCheckpointCommits && time.Since(last) < walCheckpointIdle {
			continue
		}
		// A checkpoint that fails (a disk error) is tried again on the next
		// tick; the log keeps every commit meanwhile, so nothing is lost.
		if err := w.checkpoint(); err == nil {
			seen, last = n, time.Now()
		}
	}
}

// checkpoint runs one PASSIVE checkpoint: it copies what no reader still
// needs and leaves the rest for the next one.
func (w *walCheckpointer) checkpoint() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var busy, logFrames, copied int
	return w.conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logFrames, &copied)
}

// committed counts one commit on the writer.
func (w *walCheckpointer) committed() {
	if w != nil {
		w.commits.Add(1)
	}
}

// close stops the loop and closes its connection (once; a DB may be
// closed twice). SQLite checkpoints whatever is left when the last
// connection to the database closes.
func (w *walCheckpointer) close() error {
	if w == nil {
		return nil
	}
	var err error
	w.closed.Do(func() {
		close(w.stop)
		w.done.Wait()
		err = w.conn.Close()
	})
	return err
}
