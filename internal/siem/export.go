package siem

import (
	"context"
	"log/slog"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/store"
)

// exportStore is what an Exporter reads and writes.
type exportStore interface {
	ListAudit(ctx context.Context, f store.AuditFilter) ([]audit.Event, error)
	SIEMCursor(ctx context.Context, name string) (int64, error)
	SetSIEMCursor(ctx context.Context, name string, seq int64, at time.Time) error
}

func exportStoreOf(tx *store.Tx) exportStore { return tx }

// batch is how many events one Step sends.
const batch = 1000

// Exporter sends the log to one destination from its saved cursor.
// Delivery is at least once: a crash between sending and saving the
// cursor sends those events again, and each record carries its seq.
type Exporter struct {
	DB     *store.DB
	Name   string // the cursor's name, e.g. the destination
	Format Format
	Sink   Sink
	Log    *slog.Logger
}

// Step sends the next events after the cursor, up to batch of them, and
// moves the cursor. It returns how many it sent and whether more wait.
func (x *Exporter) Step(ctx context.Context) (int, bool, error) {
	var cursor int64
	var events []audit.Event
	err := x.DB.ReadTx(ctx, func(t *store.Tx) error {
		tx := exportStoreOf(t)
		var err error
		if cursor, err = tx.SIEMCursor(ctx, x.Name); err != nil {
			return err
		}
		events, err = tx.ListAudit(ctx, store.AuditFilter{AfterSeq: cursor, Limit: batch})
		return err
	})
	if err != nil || len(events) == 0 {
		return 0, false, err
	}
	records := make([][]byte, 0, len(events))
	for _, e := range events {
		r, err := x.Format(e)
		if err != nil {
			return 0, false, err
		}
		records = append(records, r)
	}
	if err := x.Sink.Write(records); err != nil {
		return 0, false, err
	}
	last := events[len(events)-1].Seq
	err = x.DB.WithTx(ctx, func(t *store.Tx) error {
		return exportStoreOf(t).SetSIEMCursor(ctx, x.Name, last, time.Now())
	})
	return len(events), len(events) == batch, err
}

// SetCursor moves the saved cursor, e.g. to start again from the
// beginning (0).
func (x *Exporter) SetCursor(ctx context.Context, seq int64) error {
	return x.DB.WithTx(ctx, func(t *store.Tx) error {
		return exportStoreOf(t).SetSIEMCursor(ctx, x.Name, seq, time.Now())
	})
}

// Drain sends until no event waits; it returns how many it sent.
func (x *Exporter) Drain(ctx context.Context) (int, error) {
	total := 0
	for {
		n, more, err := x.Step(ctx)
		total += n
		if err != nil || !more {
			return total, err
		}
	}
}

// Run drains every interval until ctx ends, logging failures (the cursor
// stays, so nothing is skipped).
func (x *Exporter) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := x.Drain(ctx); err != nil && x.Log != nil && ctx.Err() == nil {
			x.Log.Error("siem export failed; retrying", slog.String("to", x.Name), slog.String("error", err.Error()))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
