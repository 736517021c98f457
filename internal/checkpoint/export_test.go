package checkpoint

import (
	"context"

	"strongroom.dev/strongroom/internal/store"
)

// Extension exposes Checkpoint's two halves to the tests: the read-only
// work and the store under the lock.
type Extension = extension

func (e Extension) Grows() (from, to int64) { return e.last.Size, e.next.Size }

func (c *Checkpointer) ReadExtension(ctx context.Context) (Extension, error) {
	var ext extension
	err := c.DB.ReadTx(ctx, func(tx *store.Tx) error {
		var err error
		ext, err = c.extend(ctx, logStoreOf(tx))
		return err
	})
	return ext, err
}

func (c *Checkpointer) StoreExtension(ctx context.Context, ext Extension) (store.CheckpointRow, error) {
	var cp store.CheckpointRow
	err := c.store(ctx, &ext, nil, &cp)
	return cp, err
}
