package backup

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/checkpoint"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/store"
)

// The erasure ledger lives in the database (erasure_ledger, written in the
// erasing transaction) and, signed with the audit key, on every target as
// ledger/<subject id>: one object per erased subject, holding its id,
// kind and time and no personal data. A restore reads the target's ledger,
// so that a restore onto a new machine from the target alone still erases
// everyone who asked to be forgotten after the backup was made.

func ledgerKey(subject string) string { return "ledger/" + subject }

// ledgerStore is what the ledger reads of a transaction.
type ledgerStore interface {
	Erasures(ctx context.Context, since time.Time, limit int) ([]store.Erasure, error)
}

func ledgerStoreOf(tx *store.Tx) ledgerStore { return tx }

func erasureText(e store.Erasure) string {
	return fmt.Sprintf("subject %s\nkind %s\nerased %d\n", e.SubjectID, e.Kind, e.At.UnixMicro())
}

func parseErasure(body string) (store.Erasure, error) {
	var e store.Erasure
	lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	if len(lines) != 3 {
		return e, fmt.Errorf("an erasure is subject, kind and time")
	}
	subject, ok1 := strings.CutPrefix(lines[0], "subject ")
	kind, ok2 := strings.CutPrefix(lines[1], "kind ")
	at, ok3 := strings.CutPrefix(lines[2], "erased ")
	micros, err := strconv.ParseInt(at, 10, 64)
	if !ok1 || !ok2 || !ok3 || err != nil || !crm.ValidID(subject) || (kind != "customer" && kind != "company" && kind != "held") {
		return e, fmt.Errorf("an erasure is subject, kind and time")
	}
	return store.Erasure{SubjectID: subject, Kind: kind, At: time.UnixMicro(micros)}, nil
}

// ReadLedger reads the target's erasure ledger. Entries whose signature or
// text fails are counted and left out: nobody can erase a record by
// putting a file on the target.
func ReadLedger(ctx context.Context, t Target, verifierKey string) ([]store.Erasure, int, error) {
	keys, err := t.List(ctx, "ledger/")
	if err != nil {
		return nil, 0, fmt.Errorf("backup: reading the erasure ledger on %s: %w", t.Name(), err)
	}
	var out []store.Erasure
	refused := 0
	for _, k := range keys {
		r, err := t.Get(ctx, k)
		if err != nil {
			return nil, 0, fmt.Errorf("backup: reading the erasure ledger on %s: %w", t.Name(), err)
		}
		b, err := io.ReadAll(io.LimitReader(r, 64<<10))
		r.Close()
		if err != nil {
			return nil, 0, fmt.Errorf("backup: reading the erasure ledger on %s: %w", t.Name(), err)
		}
		body, err := checkpoint.OpenStatement(b, kindErasure, verifierKey)
		if err != nil {
			refused++
			continue
		}
		e, err := parseErasure(body)
		if err != nil || ledgerKey(e.SubjectID) != k {
			refused++
			continue
		}
		out = append(out, e)
	}
	return out, refused, nil
}

// Ledger ships the database's erasure ledger to targets.
type Ledger struct {
	DB      *store.DB
	Signer  *checkpoint.Signer
	Targets []Spec
	shipped map[string]time.Time // per target: every entry before this is there
}

// shipLag is how far behind the newest erasure the ledger's cursor
// stays: longer than any erasing transaction takes to commit.
const shipLag = 5 * time.Minute

// Ship writes to each target the ledger's entries it does not hold yet,
// signed; a target that fails is tried again next time (its error is
// returned with the others').
func (l *Ledger) Ship(ctx context.Context) (int, error) {
	if l.shipped == nil {
		l.shipped = map[string]time.Time{}
	}
	var failed []string
	n := 0
	started := time.Now()
	for _, s := range l.Targets {
		t := s.Target
		since := l.shipped[t.Name()]
		var entries []store.Erasure
		if err := l.DB.ReadTx(ctx, func(tx *store.Tx) error {
			var err error
			entries, err = ledgerStoreOf(tx).Erasures(ctx, since, 100000)
			return err
		}); err != nil {
			return n, err
		}
		if len(entries) == 0 {
			continue
		}
		have, err := t.List(ctx, "ledger/")
		if err != nil {
			failed = append(failed, t.Name()+": "+err.Error())
			continue
		}
		held := map[string]bool{}
		for _, k := range have {
			held[k] = true
		}
		ok := true
		for _, e := range entries {
			if held[ledgerKey(e.SubjectID)] {
				continue
			}
			signed, err := l.Signer.SignStatement(kindErasure, erasureText(e))
			if err != nil {
				return n, err
			}
			var retain time.Time
			if s.Lock > 0 {
				retain = time.Now().Add(s.Lock)
			}
			if err := t.Put(ctx, ledgerKey(e.SubjectID), strings.NewReader(signed), retain); err != nil {
				failed = append(failed, t.Name()+": "+err.Error())
				ok = false
				break
			}
			n++
		}
		if ok {
			// The cursor stays shipLag behind: an erasure is stamped before
			// its transaction commits, so one stamped earlier may become
			// visible after a later one. Entries read again are skipped
			// (held), at the cost of a listing while any is that recent.
			cursor := entries[len(entries)-1].At
			if lag := started.Add(-shipLag); lag.Before(cursor) {
				cursor = lag
			}
			if cursor.After(since) {
				l.shipped[t.Name()] = cursor
			}
		}
	}
	if len(failed) > 0 {
		return n, fmt.Errorf("backup: the erasure ledger could not be written to %s", strings.Join(failed, "; "))
	}
	return n, nil
}

// Reapplied is what ReapplyLedger did.
type Reapplied struct {
	Entries, Refused, Erased int
}

// ReapplyLedger erases again, in db, every subject in t's signed ledger
// that db still holds: after a restore by other means (a PostgreSQL
// point-in-time recovery, a disk snapshot) brings back people erased
// later. It is recorded in the audit log (backup.reapply_ledger).
func ReapplyLedger(ctx context.Context, db *store.DB, t Target, verifierKey string, now time.Time) (Reapplied, error) {
	var out Reapplied
	ledger, refused, err := ReadLedger(ctx, t, verifierKey)
	if err != nil {
		return out, err
	}
	out.Entries, out.Refused = len(ledger), refused
	err = db.WithTx(ctx, func(tx *store.Tx) error {
		rs := restoreStoreOf(tx)
		out.Erased = 0
		for _, e := range ledger {
			found, err := rs.EraseAgain(ctx, e)
			if err != nil {
				return err
			}
			if found {
				out.Erased++
			}
		}
		reason := fmt.Sprintf("the erasure ledger of %s: %d entries, %d erased again, %d refused", t.Name(), out.Entries, out.Erased, out.Refused)
		return audit.Append(ctx, rs, now, event("backup.reapply_ledger", "backup", "", audit.Success, reason))
	})
	return out, err
}
