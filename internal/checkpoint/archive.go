package checkpoint

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/store"
)

// DefaultRetention is how long events stay in the database before
// `strongroom audit archive` moves them to files: twelve months (PCI DSS
// 10.5.1 asks for three months online and twelve kept).
const DefaultRetention = 365 * 24 * time.Hour

// ArchiveHeader is an archive file's first line.
type ArchiveHeader struct {
	Format     string `json:"format"`
	From       int64  `json:"from"`       // the first event's seq
	To         int64  `json:"to"`         // the last one's: a checkpoint's size
	PrevHash   []byte `json:"prev_hash"`  // the chain hash of event From-1
	Checkpoint string `json:"checkpoint"` // the signed checkpoint of To events
}

const archiveFormat = "strongroom audit archive v1"

// MaxArchive bounds the events one Archive moves, and so the transaction
// that deletes them; a longer backlog takes several runs (ArchiveAll).
const MaxArchive = 100_000

// archiveStore is what archiving reads and writes.
type archiveStore interface {
	audit.Appender
	AuditAnchor(ctx context.Context) (store.AnchorRow, error)
	ArchivableSize(ctx context.Context, cutoff time.Time, upto int64) (int64, error)
	LockCheckpoints(ctx context.Context) error
	CheckpointCovering(ctx context.Context, size int64) (store.CheckpointRow, error)
	SetAuditAnchor(ctx context.Context, a store.AnchorRow) error
	DeleteAuditThrough(ctx context.Context, seq int64) error
}

func archiveStoreOf(tx *store.Tx) archiveStore { return tx }

// Archived says what Archive did.
type Archived struct {
	From, To int64 // 0, 0: nothing was old enough
	File     string
}

// Archive moves the events that happened before cutoff, up to the last
// checkpoint among them, out of the database into a file in dir: a
// header (the range, the hash they chain onto, the signed checkpoint of
// the last) and the events as JSON lines, synced before anything is
// deleted. It checks that they chain and give the checkpoint's tree (and,
// with verifierKey, its signature), moves the anchor to the checkpoint,
// deletes the events with their subjects' index rows, sealed reasons and
// field history, and audits it (audit.archive), in one transaction. On
// PostgreSQL it needs the schema owner's rights: the serving role may not
// delete audit rows.
func Archive(ctx context.Context, db *store.DB, cutoff time.Time, dir, verifierKey string) (Archived, error) {
	var anchor store.AnchorRow
	var to int64
	var cp store.CheckpointRow
	err := db.ReadTx(ctx, func(t *store.Tx) error {
		tx := archiveStoreOf(t)
		var err error
		if anchor, err = tx.AuditAnchor(ctx); err != nil {
			return err
		}
		if to, err = tx.ArchivableSize(ctx, cutoff, anchor.Size+MaxArchive); err != nil || to <= anchor.Size {
			return err
		}
		cp, err = tx.CheckpointCovering(ctx, to)
		return err
	})
	if err != nil || to <= anchor.Size {
		return Archived{}, err
	}
	c, err := openOrRead(cp.Note, verifierKey)
	if err != nil || c.Size != to || string(c.Root[:]) != string(cp.Root) {
		return Archived{}, fmt.Errorf("archive: the checkpoint of %d events does not hold: %v", to, err)
	}
	t, err := treeFrom(anchor.Size, anchor.Stack)
	if err != nil {
		return Archived{}, fmt.Errorf("archive: the anchor: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Archived{}, fmt.Errorf("archive: %w", err)
	}
	name := filepath.Join(dir, fmt.Sprintf("audit-%012d-%012d.jsonl", anchor.Size+1, to))
	tmp, err := os.CreateTemp(dir, ".archive-*")
	if err != nil {
		return Archived{}, fmt.Errorf("archive: %w", err)
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriter(tmp)
	enc := json.NewEncoder(w)
	enc.Encode(ArchiveHeader{Format: archiveFormat, From: anchor.Size + 1, To: to, PrevHash: anchor.Hash, Checkpoint: cp.Note})
	prev, want := anchor.Hash, anchor.Size+1
	for e, err := range db.AuditEvents(ctx, anchor.Size, to) {
		if err != nil {
			tmp.Close()
			return Archived{}, err
		}
		if e.Seq != want || !bytes.Equal(e.PrevHash, prev) || !bytes.Equal(e.Sum(), e.Hash) {
			tmp.Close()
			return Archived{}, &TamperError{audit.Problem{Seq: want, Reason: "does not chain; nothing archived"}}
		}
		if err := enc.Encode(e); err != nil {
			tmp.Close()
			return Archived{}, fmt.Errorf("archive: %w", err)
		}
		t.append(e.Hash)
		prev, want = e.Hash, want+1
	}
	if want != to+1 || t.root() != c.Root {
		tmp.Close()
		return Archived{}, &TamperError{audit.Problem{Seq: anchor.Size + 1, Reason: fmt.Sprintf("the events up to %d do not give their checkpoint's tree; nothing archived", to)}}
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return Archived{}, fmt.Errorf("archive: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return Archived{}, fmt.Errorf("archive: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return Archived{}, fmt.Errorf("archive: %w", err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return Archived{}, fmt.Errorf("archive: %w", err)
	}
	if d, err := os.Open(dir); err == nil { // the new name, durable
		d.Sync()
		d.Close()
	}
	out := Archived{From: anchor.Size + 1, To: to, File: name}
	err = db.WithTx(ctx, func(tx *store.Tx) error {
		s := archiveStoreOf(tx)
		// One archiver (and no checkpointer) at a time, and only from the
		// anchor this one started at.
		if err := s.LockCheckpoints(ctx); err != nil {
			return err
		}
		now, err := s.AuditAnchor(ctx)
		if err != nil {
			return err
		}
		if now.Size != anchor.Size {
			return fmt.Errorf("another archive moved the anchor from %d to %d meanwhile", anchor.Size, now.Size)
		}
		if err := s.SetAuditAnchor(ctx, store.AnchorRow{Size: to, Hash: prev, Stack: t.compact(), Note: cp.Note, At: time.Now()}); err != nil {
			return err
		}
		if err := s.DeleteAuditThrough(ctx, to); err != nil {
			return err
		}
		return audit.Append(ctx, s, time.Now(), audit.Event{ActorID: authz.SystemUserID, Action: "audit.archive", ObjectType: "audit", Outcome: audit.Success,
			Reason: fmt.Sprintf("events %d–%d archived to %s", out.From, out.To, filepath.Base(name))})
	})
	if err != nil {
		os.Remove(name) // the events stay in the database: no file claims them
		return Archived{}, fmt.Errorf("archive: the events stay in the database: %w", err)
	}
	return out, nil
}

// ArchiveAll runs Archive until nothing older than cutoff is left to
// archive, and returns the runs' results.
func ArchiveAll(ctx context.Context, db *store.DB, cutoff time.Time, dir, verifierKey string) ([]Archived, error) {
	var out []Archived
	for ctx.Err() == nil {
		got, err := Archive(ctx, db, cutoff, dir, verifierKey)
		if err != nil || got.To == 0 {
			return out, err
		}
		out = append(out, got)
	}
	return out, ctx.Err()
}

// openOrRead opens a signed checkpoint with the key, or (without one)
// reads its text.
func openOrRead(signed, verifierKey string) (Checkpoint, error) {
	if verifierKey == "" {
		return unverified(signed)
	}
	return Open(signed, verifierKey)
}

// VerifyArchive checks the archive files in dir against the database's
// anchor: each file's events chain from the one before (the first from
// nothing), give its checkpoint's tree, signed by verifierKey, and the
// last ends at the anchor with its hash. It returns how many events the
// archive holds, and the first problem.
func VerifyArchive(ctx context.Context, db *store.DB, dir, verifierKey string) (int64, *audit.Problem, error) {
	anchor, err := db.AuditAnchor(ctx)
	if err != nil {
		return 0, nil, err
	}
	names, err := filepath.Glob(filepath.Join(dir, "audit-*.jsonl"))
	if err != nil {
		return 0, nil, err
	}
	var t tree
	var prev []byte
	for _, name := range names { // the names sort by their first seq
		if t.n >= anchor.Size {
			break // beyond the anchor: a file whose archive did not commit
		}
		f, err := os.Open(name)
		if err != nil {
			return t.n, nil, err
		}
		problem, err := verifyArchiveFile(f, &t, &prev, verifierKey)
		f.Close()
		if err != nil || problem != nil {
			if problem != nil {
				problem.Reason = filepath.Base(name) + ": " + problem.Reason
			}
			return t.n, problem, err
		}
	}
	if t.n != anchor.Size || !bytes.Equal(prev, anchor.Hash) {
		return t.n, &audit.Problem{Seq: t.n + 1, Reason: fmt.Sprintf("the archive holds events 1–%d but the database says %d were archived", t.n, anchor.Size)}, nil
	}
	return t.n, nil, nil
}

func verifyArchiveFile(f *os.File, t *tree, prev *[]byte, verifierKey string) (*audit.Problem, error) {
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	if !sc.Scan() {
		return &audit.Problem{Seq: t.n + 1, Reason: "empty"}, sc.Err()
	}
	var h ArchiveHeader
	if err := json.Unmarshal(sc.Bytes(), &h); err != nil || h.Format != archiveFormat {
		return &audit.Problem{Seq: t.n + 1, Reason: "not an archive file"}, nil
	}
	if h.From != t.n+1 || !bytes.Equal(h.PrevHash, *prev) {
		return &audit.Problem{Seq: t.n + 1, Reason: fmt.Sprintf("starts at %d, not %d (a file is missing or out of place)", h.From, t.n+1)}, nil
	}
	c, err := openOrRead(h.Checkpoint, verifierKey)
	if err != nil || c.Size != h.To {
		return &audit.Problem{Seq: h.To, Reason: fmt.Sprintf("its checkpoint does not hold (%v)", err)}, nil
	}
	for sc.Scan() {
		var e audit.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return &audit.Problem{Seq: t.n + 1, Reason: "a line is not an event"}, nil
		}
		switch {
		case e.Seq != t.n+1:
			return &audit.Problem{Seq: t.n + 1, Reason: fmt.Sprintf("missing: the next event in the file is %d", e.Seq)}, nil
		case !bytes.Equal(e.PrevHash, *prev):
			return &audit.Problem{Seq: e.Seq, Reason: "prev_hash does not match the previous event (deleted, inserted or reordered)"}, nil
		case !bytes.Equal(e.Sum(), e.Hash):
			return &audit.Problem{Seq: e.Seq, Reason: "contents do not match its hash (altered)"}, nil
		}
		t.append(e.Hash)
		*prev = e.Hash
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if t.n != h.To || t.root() != c.Root {
		return &audit.Problem{Seq: h.From, Reason: fmt.Sprintf("its events do not give the tree of its checkpoint of %d events", h.To)}, nil
	}
	return nil, nil
}
