// Package rewrap runs the re-wrapping of every data key to the master
// key's newest term (service/keys.RewrapStep) in the background: in
// batches, throttled to a rate of keys a second so that serving traffic
// keeps the database, resumable (the progress is in the database, so a
// restart carries on from the last batch), by one server at a time (a
// PostgreSQL advisory lock; SQLite has one server), and audited by the
// service at every batch. serve runs it every minute; `strongroom keys
// rewrap` runs it once in the foreground and shows the progress.
package rewrap

import (
	"context"
	"log/slog"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/service/keys"
)

// Keys is what the runner needs of the keys service.
type Keys interface {
	Sync(ctx context.Context) error
	RewrapStep(ctx context.Context, a authz.Actor, limit int) (keys.Progress, error)
}

// LockKey names the PostgreSQL advisory lock of the job.
const LockKey = 7412005

// Runner re-wraps data keys.
type Runner struct {
	Keys Keys
	// Lock takes the job's lock, or says another server holds it.
	Lock func(ctx context.Context) (release func(), ok bool)
	// Batch keys a transaction; default 500.
	Batch int
	// Rate is the most keys a second; 0 is as fast as the database goes.
	Rate float64
	Log  *slog.Logger
}

// Once syncs the keyring with the database's terms and, holding the lock,
// re-wraps until every key is under the active term or ctx ends. progress,
// if set, is told after each batch. It reports whether it held the lock.
func (r *Runner) Once(ctx context.Context, progress func(keys.Progress)) (bool, error) {
	if err := r.Keys.Sync(ctx); err != nil {
		return false, err
	}
	release, ok := func() {}, true
	if r.Lock != nil {
		if release, ok = r.Lock(ctx); !ok {
			return false, nil
		}
	}
	defer release()
	batch := r.Batch
	if batch <= 0 {
		batch = 500
	}
	for {
		start := time.Now()
		p, err := r.Keys.RewrapStep(ctx, authz.System(), batch)
		if err != nil {
			return true, err
		}
		if progress != nil {
			progress(p)
		}
		if p.Finished() {
			return true, nil
		}
		if r.Rate > 0 { // throttle: a batch takes at least batch/Rate
			wait := time.Duration(float64(batch)/r.Rate*float64(time.Second)) - time.Since(start)
			if wait > 0 {
				select {
				case <-ctx.Done():
					return true, ctx.Err()
				case <-time.After(wait):
				}
			}
		}
		if err := ctx.Err(); err != nil {
			return true, err
		}
	}
}

// Run calls Once every interval until ctx ends, logging what it did.
func (r *Runner) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		var last keys.Progress
		ran := false
		held, err := r.Once(ctx, func(p keys.Progress) { last, ran = p, true })
		switch {
		case err != nil && ctx.Err() == nil:
			r.Log.Error("rewrap", "error", err.Error())
		case held && ran && last.Done > 0 && last.Finished() && last.UpdatedAt.After(time.Now().Add(-every)):
			r.Log.Info("rewrap finished", "term", last.Term, "keys", last.Done)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
