package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
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
//
// A PASSIVE checkpoint copies the log but never starts it again: SQLite
// reuses the log from its start only when a write begins with everything
// copied and no reader on the log, and under a load that never pauses some
// reader always is (the log grew to 1.7 GB in 40 s of strongroom bench).
// So once a checkpoint finds the log longer than walRestartFrames, the
// writer restarts it between two transactions (restartLog): a RESTART
// checkpoint copies what is left, waits at most walRestartWait for the
// readers still on the log (new readers read the database file), and
// starts the log again; the next commit cuts the file back to
// walSizeLimit.

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
	// walSizeLimit is SQLite's journal_size_limit on the writer: how long
	// the log file stays once it starts again.
	walSizeLimit = 256 << 20
	// walRestartWait is how long the writer waits for the readers still
	// on the log when it starts the log again, asking every
	// walRestartPause.
	walRestartWait  = 20 * time.Millisecond
	walRestartPause = 200 * time.Microsecond
)

// walRestartFrames is how long the log may grow, in frames (pages of 4
// KiB), before the writer starts it again: 256 MiB. A restart syncs what
// the last background checkpoint left while it holds the writer
// (strongroom bench, 10,000 customers): at 64 MiB, 7–28 ms every 1.5–1.8 s
// under GETs; at 256 MiB, 17–41 ms every 1.7–6 s under GETs and creates.
var walRestartFrames = 65536

// walCheckpointer checkpoints an SQLite database in the background.
type walCheckpointer struct {
	conn    *sql.DB
	commits atomic.Int64 // commits on the writer since the database opened
	// mu is held by one checkpoint at a time, so that the writer's restart
	// never waits for a background checkpoint in SQLite's busy loop.
	mu sync.Mutex
	// long: the last checkpoint found the log longer than restartFrames.
	long          atomic.Bool
	restartFrames int
	restarts      atomic.Int64 // the log's restarts, for tests
	stop          chan struct{}
	done          sync.WaitGroup
	closed        sync.Once
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
	w := &walCheckpointer{conn: conn, stop: make(chan struct{}), restartFrames: walRestartFrames}
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
// needs and leaves the rest for the next one. It asks the writer to start
// the log again when the log is long.
func (w *walCheckpointer) checkpoint() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w.mu.Lock()
	defer w.mu.Unlock()
	var busy, logFrames, copied int
	if err := w.conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logFrames, &copied); err != nil {
		return err
	}
	if logFrames > w.restartFrames {
		w.long.Store(true)
	}
	return nil
}

// restartLog starts a long log again on write, the writer's pool, between
// two of its transactions. It tries once per checkpoint that found the log
// long: a restart that fails (a reader held on longer than walRestartWait,
// or a background checkpoint was running) costs the writer at most that
// wait, and the next checkpoint asks again. Nothing is lost either way:
// the log keeps every commit until a checkpoint has copied it.
func (w *walCheckpointer) restartLog(write *sql.DB) {
	if w == nil || !w.long.Load() || !w.mu.TryLock() {
		return
	}
	defer w.mu.Unlock()
	w.long.Store(false)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := write.Conn(ctx)
	if err != nil {
		return
	}
	defer c.Close()
	// SQLite's own busy loop gives up at the first reader still on the log
	// once a reader held up the copy, so the writer asks without waiting
	// (busy_timeout 0) and waits here instead, a short sleep at a time:
	// readers that begin after the copy read the database file, so the
	// ones still on the log are a few short reads that end within a
	// millisecond or so. Asking again copies nothing more.
	if _, err := c.ExecContext(ctx, "PRAGMA busy_timeout = 0"); err != nil {
		c.Raw(func(any) error { return driver.ErrBadConn }) // state unknown: do not reuse it
		return
	}
	defer func() {
		if _, err := c.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", busyTimeout)); err != nil {
			c.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	for deadline := time.Now().Add(walRestartWait); ; {
		var busy, logFrames, copied int
		if err := c.QueryRowContext(ctx, "PRAGMA wal_checkpoint(RESTART)").Scan(&busy, &logFrames, &copied); err != nil {
			return
		}
		if busy == 0 {
			w.restarts.Add(1)
			return
		}
		if time.Now().After(deadline) {
			return
		}
		time.Sleep(walRestartPause)
	}
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
