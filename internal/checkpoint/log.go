package checkpoint

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/store"
)

// Defaults for Run: a checkpoint at least this often, and whenever this
// many events are waiting.
const (
	DefaultInterval = 60 * time.Second
	// DefaultMaxEvents is one checkpoint's worth, so that a busy server
	// checkpoints a little every second. Waiting for 10,000 made a burst
	// of ten checkpoints every few seconds under load: 200–300 ms of work,
	// with the writer held for each, and every request arriving meanwhile
	// waited (strongroom bench --half-peak).
	DefaultMaxEvents = maxPerCheckpoint
	// maxPerCheckpoint bounds the events one checkpoint adds. Storing its
	// tree holds the writer, which every audited request waits on (about
	// 2 ms on SQLite for 500 events here, more under load:
	// BenchmarkInsertAuditTree), so more events than this are checkpointed
	// in steps of this many, each signed, with other writes between them.
	// With 1,000 a step, a busy server's steps still showed in the p99.
	maxPerCheckpoint = 500
	// maxSteps bounds the checkpoints one call makes: a longer backlog
	// takes several calls.
	maxSteps = 100
)

// logStore is what checkpointing reads and writes.
type logStore interface {
	audit.Appender
	LockCheckpoints(ctx context.Context) error
	LatestCheckpoint(ctx context.Context) (store.CheckpointRow, error)
	ListAudit(ctx context.Context, f store.AuditFilter) ([]audit.Event, error)
	AuditTreeHashes(ctx context.Context, indexes []int64) ([][]byte, error)
	InsertAuditTree(ctx context.Context, start int64, hashes [][]byte) error
	InsertCheckpoint(ctx context.Context, c store.CheckpointRow) error
	WitnessSize(ctx context.Context, name string) (int64, error)
	SetWitnessSize(ctx context.Context, name string, size int64, at time.Time) error
	CheckpointCovering(ctx context.Context, size int64) (store.CheckpointRow, error)
	AuditAnchor(ctx context.Context) (store.AnchorRow, error)
}

func logStoreOf(tx *store.Tx) logStore { return tx }

// Checkpointer adds the new events to the tree, signs checkpoints and
// hands them to the witnesses.
type Checkpointer struct {
	DB        *store.DB
	Signer    *Signer
	Witnesses []Witness
	Log       *slog.Logger
	Now       func() time.Time

	lastTamper string // the tamper alarm last raised, not raised again while it stands
}

func (c *Checkpointer) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// TamperError says that events already in the log do not chain: the
// checkpointer refuses to sign them.
type TamperError struct{ Problem audit.Problem }

func (e *TamperError) Error() string {
	return "the audit log does not chain; no checkpoint signed: " + e.Problem.Error()
}

// Checkpoint signs checkpoints of every event not yet in the tree (one for
// each maxPerCheckpoint) and delivers the newest to the witnesses. It
// returns the newest checkpoint, new or not.
//
// The events are read, checked and hashed in a read-only transaction, so
// that the one writer, which every audited request waits on, is held only
// to store the result: reading and hashing 10,000 events under it stalled
// every request for a quarter of a second (strongroom bench --half-peak).
// Under the lock the result is stored only if the newest checkpoint and
// the archive's anchor are still the ones it grew from; otherwise (another
// server checkpointed, an archive ran, or the read failed or found the log
// broken, which is only trusted when seen under the lock) it is worked out
// again there.
func (c *Checkpointer) Checkpoint(ctx context.Context) (store.CheckpointRow, error) {
	var cp store.CheckpointRow
	var err error
	for step, full := 0, true; full && err == nil && step < maxSteps; step++ {
		var ext extension
		readErr := c.DB.ReadTx(ctx, func(t *store.Tx) error {
			var err error
			ext, err = c.extend(ctx, logStoreOf(t))
			return err
		})
		cp = ext.last
		if readErr != nil || ext.next.Size > 0 { // else nothing is new: no write at all
			err = c.store(ctx, &ext, readErr, &cp)
		}
		full = ext.full
	}
	if err != nil {
		var te *TamperError
		if errors.As(err, &te) && te.Error() != c.lastTamper {
			c.lastTamper = te.Error()
			c.alarm(ctx, "audit.tamper", te.Error())
		}
		return cp, err
	}
	c.lastTamper = ""
	if cp.Size > 0 {
		c.deliver(ctx, cp)
	}
	return cp, nil
}

// store stores ext under the checkpoints' lock, working it out again there
// if the read behind it failed (readErr) or is out of date; cp is the
// newest checkpoint afterwards.
func (c *Checkpointer) store(ctx context.Context, ext *extension, readErr error, cp *store.CheckpointRow) error {
	return c.DB.WithTx(ctx, func(t *store.Tx) error {
		tx := logStoreOf(t)
		if err := tx.LockCheckpoints(ctx); err != nil {
			return err
		}
		last, err := tx.LatestCheckpoint(ctx)
		if err != nil {
			return err
		}
		anchor, err := tx.AuditAnchor(ctx)
		if err != nil {
			return err
		}
		if readErr != nil || last.Size != ext.last.Size || anchor.Size != ext.anchor.Size {
			if *ext, err = c.extend(ctx, tx); err != nil {
				return err
			}
		}
		*cp = ext.last
		if ext.next.Size == 0 {
			return nil
		}
		if err := tx.InsertAuditTree(ctx, tlog.StoredHashIndex(0, ext.last.Size), ext.stored); err != nil {
			return err
		}
		*cp = ext.next
		return tx.InsertCheckpoint(ctx, *cp)
	})
}

// extension is how the tree grows by the events after the newest
// checkpoint: the tree hashes to store and the signed checkpoint (Size 0
// in next when no event is new).
type extension struct {
	last   store.CheckpointRow // the newest checkpoint it grows from
	anchor store.AnchorRow     // the archive's anchor when it was read
	stored [][]byte            // tree hashes from tlog.StoredHashIndex(0, last.Size) on
	next   store.CheckpointRow
	full   bool // it read as many events as one checkpoint takes: more may wait
}

// extend reads the events after the newest checkpoint, checks that they
// chain, hashes them into the tree and signs the new root; it writes
// nothing.
func (c *Checkpointer) extend(ctx context.Context, tx logStore) (extension, error) {
	var ext extension
	last, err := tx.LatestCheckpoint(ctx)
	if err != nil {
		return ext, err
	}
	ext.last = last
	anchor, err := tx.AuditAnchor(ctx) // before the events: an archive holds the checkpoints' lock
	if err != nil {
		return ext, err
	}
	ext.anchor = anchor
	events, err := tx.ListAudit(ctx, store.AuditFilter{AfterSeq: max(last.Size-1, anchor.Size), Limit: maxPerCheckpoint + 1})
	if err != nil {
		return ext, err
	}
	ext.full = len(events) == maxPerCheckpoint+1
	var prev []byte
	switch {
	case last.Size > 0 && last.Size == anchor.Size: // archived up to it: the anchor holds its hash
		prev = anchor.Hash
	case last.Size > 0:
		if len(events) == 0 || events[0].Seq != last.Size {
			return ext, &TamperError{audit.Problem{Seq: last.Size, Reason: "the last checkpointed event is missing"}}
		}
		prev, events = events[0].Hash, events[1:]
	}
	if len(events) == 0 {
		return ext, nil
	}
	pending := map[int64]tlog.Hash{}
	reader := tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		return readHashes(ctx, tx, pending, indexes)
	})
	size := last.Size
	for _, e := range events {
		if e.Seq != size+1 || !bytes.Equal(e.PrevHash, prev) || !bytes.Equal(e.Sum(), e.Hash) {
			return ext, &TamperError{audit.Problem{Seq: size + 1, Reason: "does not chain onto the previous event"}}
		}
		hs, err := tlog.StoredHashes(size, e.Hash, reader)
		if err != nil {
			return ext, err
		}
		start := tlog.StoredHashIndex(0, size)
		for i, h := range hs {
			pending[start+int64(i)] = h
			ext.stored = append(ext.stored, bytes.Clone(h[:]))
		}
		prev, size = e.Hash, size+1
	}
	root, err := tlog.TreeHash(size, reader)
	if err != nil {
		return ext, err
	}
	signed, err := c.Signer.sign(Checkpoint{Origin: c.Signer.origin, Size: size, Root: root})
	if err != nil {
		return ext, err
	}
	ext.next = store.CheckpointRow{Size: size, Root: root[:], Note: signed, At: c.now().UTC()}
	return ext, nil
}

// readHashes reads tree hashes from pending (this transaction's new ones)
// or the database.
func readHashes(ctx context.Context, tx interface {
	AuditTreeHashes(ctx context.Context, indexes []int64) ([][]byte, error)
}, pending map[int64]tlog.Hash, indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var missing []int64
	for i, x := range indexes {
		if h, ok := pending[x]; ok {
			out[i] = h
		} else {
			missing = append(missing, x)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	got, err := tx.AuditTreeHashes(ctx, missing)
	if err != nil {
		return nil, fmt.Errorf("audit tree: %w", err)
	}
	j := 0
	for i, x := range indexes {
		if _, ok := pending[x]; !ok {
			copy(out[i][:], got[j])
			j++
		}
	}
	return out, nil
}

// deliver hands cp to every witness, with a consistency proof from the
// checkpoint each holds. A refusal, or a witness that holds an older
// checkpoint than the one last delivered to it (replaced or rolled back),
// is logged and audited.
func (c *Checkpointer) deliver(ctx context.Context, cp store.CheckpointRow) {
	for _, w := range c.Witnesses {
		if err := c.deliverOne(ctx, w, cp); err != nil {
			c.alarm(ctx, "audit.witness", w.Name()+": "+err.Error())
		}
	}
}

func (c *Checkpointer) deliverOne(ctx context.Context, w Witness, cp store.CheckpointRow) error {
	held, err := w.Held()
	if err != nil {
		return err
	}
	var heldSize int64
	if held != "" {
		h, err := Open(held, c.Signer.verifier)
		if err != nil {
			return fmt.Errorf("it holds a checkpoint this server's key did not sign: %v", err)
		}
		heldSize = h.Size
	}
	var proof tlog.TreeProof
	var delivered int64
	err = c.DB.ReadTx(ctx, func(t *store.Tx) error {
		tx := logStoreOf(t)
		if delivered, err = tx.WitnessSize(ctx, w.Name()); err != nil {
			return err
		}
		if heldSize == 0 || heldSize >= cp.Size {
			return nil
		}
		proof, err = tlog.ProveTree(cp.Size, heldSize, tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
			return readHashes(ctx, tx, nil, indexes)
		}))
		return err
	})
	if err != nil {
		return err
	}
	if _, keeps := w.(Dir); !keeps { // a log holds nothing to compare
		return w.Add(cp.Note, c.Signer.verifier, proof)
	}
	if heldSize < delivered {
		c.alarm(ctx, "audit.witness", fmt.Sprintf("%s: it holds a checkpoint of %d events, but one of %d was delivered to it: it was replaced or rolled back", w.Name(), heldSize, delivered))
	}
	if heldSize >= cp.Size {
		return nil // it has this one, or a newer one another server delivered
	}
	if err := w.Add(cp.Note, c.Signer.verifier, proof); err != nil {
		return err
	}
	return c.DB.WithTx(ctx, func(t *store.Tx) error {
		return logStoreOf(t).SetWitnessSize(ctx, w.Name(), cp.Size, c.now())
	})
}

// alarm logs and audits a problem with the log or a witness. If even the
// audit event cannot be written, the log line remains.
func (c *Checkpointer) alarm(ctx context.Context, action, reason string) {
	if c.Log != nil {
		c.Log.Error("audit log alarm", slog.String("action", action), slog.String("reason", reason))
	}
	err := c.DB.WithTx(ctx, func(t *store.Tx) error {
		return audit.Append(ctx, logStoreOf(t), c.now(), audit.Event{Action: action, ObjectType: "audit", Outcome: audit.Failure, Reason: reason})
	})
	if err != nil && c.Log != nil {
		c.Log.Error("audit log alarm not recorded", slog.String("error", err.Error()))
	}
}

// Run checkpoints every interval, and sooner when maxEvents are waiting,
// until ctx ends. It checks for new events every second, so that under
// load each run adds a few thousand events rather than a burst of work
// that holds up requests.
func (c *Checkpointer) Run(ctx context.Context, interval time.Duration, maxEvents int64) {
	tick := time.NewTicker(min(interval, time.Second))
	defer tick.Stop()
	lastAt := c.now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		waiting, err := c.waiting(ctx)
		if err != nil {
			c.Log.Warn("audit checkpoint: reading the log failed", slog.String("error", err.Error()))
			continue
		}
		if waiting == 0 || (waiting < maxEvents && c.now().Sub(lastAt) < interval) {
			continue
		}
		if _, err := c.Checkpoint(ctx); err != nil {
			c.Log.Error("audit checkpoint failed", slog.String("error", err.Error()))
			continue
		}
		lastAt = c.now()
	}
}

// waiting counts the events after the latest checkpoint.
func (c *Checkpointer) waiting(ctx context.Context) (int64, error) {
	head, err := c.DB.AuditHead(ctx)
	if err != nil {
		return 0, err
	}
	var last store.CheckpointRow
	err = c.DB.ReadTx(ctx, func(t *store.Tx) error {
		last, err = logStoreOf(t).LatestCheckpoint(ctx)
		return err
	})
	return head.Seq - last.Size, err
}
