package checkpoint

import (
	"bytes"
	"context"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/store"
)

// Proof shows that one event is in a signed checkpoint's tree. It checks
// offline with the verifier key alone (CheckProof; `strongroom audit
// check-proof`): the event's hash from its contents, the leaf from the
// hash, the path to the root, and the checkpoint's signature.
type Proof struct {
	Event      audit.Event `json:"event"`
	LeafIndex  int64       `json:"leaf_index"` // the event's seq - 1
	TreeSize   int64       `json:"tree_size"`
	Path       []tlog.Hash `json:"path"` // RFC 6962 audit path, leaf to root
	Checkpoint string      `json:"checkpoint"`
}

// Prove returns the inclusion proof of the event with seq in the oldest
// checkpoint that covers it.
func Prove(ctx context.Context, db *store.DB, seq int64) (Proof, error) {
	var p Proof
	err := db.ReadTx(ctx, func(t *store.Tx) error {
		tx := logStoreOf(t)
		events, err := tx.ListAudit(ctx, store.AuditFilter{AfterSeq: seq - 1, Limit: 1})
		if err != nil {
			return err
		}
		if seq < 1 || len(events) == 0 || events[0].Seq != seq {
			if anchor, err := tx.AuditAnchor(ctx); err == nil && seq >= 1 && seq <= anchor.Size {
				return errs.E(errs.NotExist, fmt.Sprintf("event %d is archived: it is in the archive files, with the checkpoint it ends at", seq))
			}
			return errs.E(errs.NotExist, fmt.Sprintf("the audit log has no event %d", seq))
		}
		cp, err := tx.CheckpointCovering(ctx, seq)
		if errs.Is(err, errs.NotExist) {
			return errs.E(errs.Unavailable, fmt.Sprintf("no checkpoint covers event %d yet; checkpoints are made at least every minute while the server runs", seq))
		}
		if err != nil {
			return err
		}
		path, err := tlog.ProveRecord(cp.Size, seq-1, tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
			return readHashes(ctx, tx, nil, indexes)
		}))
		if err != nil {
			return err
		}
		p = Proof{Event: events[0], LeafIndex: seq - 1, TreeSize: cp.Size, Path: path, Checkpoint: cp.Note}
		return nil
	})
	return p, err
}

// CheckProof checks p with the verifier key alone.
func CheckProof(p Proof, verifierKey string) error {
	c, err := Open(p.Checkpoint, verifierKey)
	if err != nil {
		return err
	}
	if c.Size != p.TreeSize {
		return fmt.Errorf("the proof is for a tree of %d events, the checkpoint states %d", p.TreeSize, c.Size)
	}
	if p.LeafIndex != p.Event.Seq-1 {
		return fmt.Errorf("the proof is for leaf %d, not event %d", p.LeafIndex, p.Event.Seq)
	}
	if !bytes.Equal(p.Event.Sum(), p.Event.Hash) {
		return fmt.Errorf("event %d's contents do not match its hash", p.Event.Seq)
	}
	if err := tlog.CheckRecord(tlog.RecordProof(p.Path), c.Size, c.Root, p.LeafIndex, tlog.RecordHash(p.Event.Hash)); err != nil {
		return fmt.Errorf("event %d is not in the checkpoint's tree: %v", p.Event.Seq, err)
	}
	return nil
}
