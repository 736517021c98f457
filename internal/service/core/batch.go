package core

import (
	"context"
	"fmt"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/store"
)

// Audited reads run where the request runs, in a read-only transaction on
// the reader pool, so that reads proceed side by side on every core; only
// the events that record them go to the one committer, which appends the
// events of every read waiting at that moment in one write transaction
// and commits once. A read returns only after its events are durable (no
// audit, no data), and concurrent reads share one commit instead of paying
// one each.

// readFunc reads inside tx and returns the events recording what it read
// (appended even when err is not nil, e.g. a denied attempt) and the
// result for its caller.
type readFunc func(ctx context.Context, tx *store.Tx) ([]audit.Event, error)

// appendJob is one read's events, waiting for the committer.
type appendJob struct {
	events []audit.Event
	result chan error
}

const maxBatch = 128

// startReads starts the committer; Close stops it.
func (s *Core) startReads() {
	s.jobs = make(chan appendJob, 4*maxBatch)
	s.stop = make(chan struct{})
	s.stopped = make(chan struct{})
	go s.commitLoop()
}

func (s *Core) commitLoop() {
	defer close(s.stopped)
	for {
		var first appendJob
		select {
		case first = <-s.jobs:
		case <-s.stop:
			return
		}
		s.commitBatch(s.gather(first))
	}
}

// gatherWait is how long the committer waits for reads still running
// before it commits the events it holds: a read that finishes within it
// shares this commit instead of paying for the next one.
const gatherWait = time.Millisecond

// gather collects the jobs waiting behind first, then, while audited reads
// are still running, those that arrive within gatherWait.
func (s *Core) gather(first appendJob) []appendJob {
	batch := []appendJob{first}
	var wait <-chan time.Time
	for len(batch) < maxBatch {
		select {
		case j := <-s.jobs:
			batch = append(batch, j)
			continue
		default:
		}
		if s.reading.Load() == 0 {
			return batch
		}
		if wait == nil {
			wait = time.After(gatherWait)
		}
		select {
		case j := <-s.jobs:
			batch = append(batch, j)
		case <-wait:
			return batch
		case <-s.stop:
			return batch
		}
	}
	return batch
}

// commitBatch appends the jobs' events in one transaction and tells each
// whether they are durable. The transaction uses its own context, so one
// caller giving up cannot abort the others' events.
func (s *Core) commitBatch(batch []appendJob) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var events []audit.Event
	for _, j := range batch {
		events = append(events, j.events...)
	}
	err := s.DB.WithTx(ctx, func(tx *store.Tx) error { return s.Append(ctx, tx, events...) })
	for _, j := range batch {
		j.result <- err
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

// Audited runs fn in a read-only transaction on the reader pool, then
// waits until the events it returns are committed by the next batch; fn's
// own error is returned only after that, so a refused read is recorded
// too. If the caller's context ends first, it returns at once; the events
// may still be recorded, but nothing is returned.
func (s *Core) Audited(ctx context.Context, fn readFunc) error {
	var events []audit.Event
	var answer error
	var result chan error
	s.reading.Add(1) // until its events are handed over: the committer waits for it (gather)
	err := s.DB.ReadTx(ctx, func(tx *store.Tx) error {
		events, answer = runJob(ctx, tx, fn)
		return nil
	})
	if err == nil && len(events) > 0 {
		result, err = s.handOver(ctx, events)
	}
	s.reading.Add(-1)
	if err != nil {
		return err
	}
	if result != nil {
		select {
		case err := <-result:
			if err != nil {
				return err
			}
		case <-ctx.Done():
			return errs.Wrap(errs.Unavailable, "service.audited", "the request was cancelled or timed out", ctx.Err())
		}
		noteRefusals(ctx, events)
	}
	return answer
}

// handOver gives events to the committer; the channel answers once they
// are durable (or could not be written).
func (s *Core) handOver(ctx context.Context, events []audit.Event) (chan error, error) {
	j := appendJob{events: events, result: make(chan error, 1)}
	select {
	case s.jobs <- j:
		return j.result, nil
	case <-ctx.Done():
		return nil, errs.Wrap(errs.Unavailable, "service.audited", "the request was cancelled or timed out", ctx.Err())
	case <-s.stop:
		return nil, errs.E(errs.Unavailable, "the server is shutting down")
	}
}
