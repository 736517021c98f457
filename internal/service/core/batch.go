package core

import (
	"context"
	"fmt"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/store"
)

// Audited reads are group-committed: each read runs, with the events that
// record it, inside a write transaction shared with the reads that arrive
// while the previous batch commits. A read returns only after its events
// are durable (no audit, no data), but concurrent reads share one commit
// instead of paying one each.

// readFunc reads inside tx and returns the events recording what it read
// (appended even when err is not nil, e.g. a denied attempt) and the
// result for its caller.
type readFunc func(ctx context.Context, tx *store.Tx) ([]audit.Event, error)

type readJob struct {
	ctx    context.Context // the caller's, for WatchRefusals' note only
	fn     readFunc
	result chan error
}

const maxBatch = 128

// startReads starts the committer; Close stops it.
func (s *Core) startReads() {
	s.jobs = make(chan readJob, 4*maxBatch)
	s.stop = make(chan struct{})
	s.stopped = make(chan struct{})
	go s.readLoop()
}

func (s *Core) readLoop() {
	defer close(s.stopped)
	for {
		var first readJob
		select {
		case first = <-s.jobs:
		case <-s.stop:
			return
		}
		batch := []readJob{first}
	drain:
		for len(batch) < maxBatch {
			select {
			case j := <-s.jobs:
				batch = append(batch, j)
			default:
				break drain
			}
		}
		s.runBatch(batch)
	}
}

// runBatch runs the jobs in one transaction and tells each its result. The
// transaction uses its own context, so one caller giving up cannot abort
// the others' reads.
func (s *Core) runBatch(batch []readJob) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	results := make([]error, len(batch))
	jobEvents := make([][]audit.Event, len(batch))
	err := s.WithTx(ctx, func(tx *store.Tx) error {
		var events []audit.Event
		for i, j := range batch {
			ev, err := runJob(ctx, tx, j.fn)
			results[i], jobEvents[i] = err, ev
			events = append(events, ev...)
		}
		return s.Append(ctx, tx, events...)
	})
	for i, j := range batch {
		if err != nil {
			j.result <- err
		} else {
			noteRefusals(j.ctx, jobEvents[i])
			j.result <- results[i]
		}
	}
}

func runJob(ctx context.Context, tx *store.Tx, fn readFunc) (events []audit.Event, err error) {
	defer func() {
		if v := recover(); v != nil {
			events, err = nil, errs.Wrap(errs.Internal, "service.read", "", fmt.Errorf("panic: %v", v))
		}
	}()
	return fn(ctx, tx)
}

// Audited runs fn in the next batch and waits until its events are
// committed. If the caller's context ends first, it returns at once; the
// read may still be recorded, but nothing is returned.
func (s *Core) Audited(ctx context.Context, fn readFunc) error {
	j := readJob{ctx: ctx, fn: fn, result: make(chan error, 1)}
	select {
	case s.jobs <- j:
	case <-ctx.Done():
		return errs.Wrap(errs.Unavailable, "service.audited", "the request was cancelled or timed out", ctx.Err())
	case <-s.stop:
		return errs.E(errs.Unavailable, "the server is shutting down")
	}
	select {
	case err := <-j.result:
		return err
	case <-ctx.Done():
		return errs.Wrap(errs.Unavailable, "service.audited", "the request was cancelled or timed out", ctx.Err())
	}
}
