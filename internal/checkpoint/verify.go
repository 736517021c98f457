package checkpoint

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"sync"

	"golang.org/x/mod/sumdb/tlog"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/store"
)

// Report is what Verify checked.
type Report struct {
	Events      int64  // events whose chain is intact
	Checkpoints int    // signed checkpoints in the database, all verified
	Signed      int64  // events covered by the newest checkpoint
	Key         string // the verifier key the signatures were checked with ("": none known)
	Archived    int64  // events archived out of the database (the anchor)
	Witnesses   []string
}

// Verify checks the whole audit log: the hash chain and its head, the
// index of subjects, every checkpoint in the database (its signature
// under verifierKey, and that its root is the tree of the events as they
// are now), and each witness's checkpoint and history. verifierKey may be
// empty when a witness is given: the key the witness trusts is used. It
// returns the first problem, naming the first bad event or, for a
// rewritten log that chains again, the range of events a checkpoint
// covers that no longer match.
func Verify(ctx context.Context, db *store.DB, verifierKey string, witnesses []Dir) (Report, *audit.Problem, error) {
	rep, problem, err := verify(ctx, db, verifierKey, witnesses)
	if problem != nil && err == nil {
		// An archive that committed during the walk moves the anchor and
		// removes what the walk expected: look once more.
		if anchor, aerr := db.AuditAnchor(ctx); aerr == nil && anchor.Size > rep.Archived {
			return verify(ctx, db, verifierKey, witnesses)
		}
	}
	return rep, problem, err
}

func verify(ctx context.Context, db *store.DB, verifierKey string, witnesses []Dir) (Report, *audit.Problem, error) {
	var rep Report
	checkpoints, err := db.AuditCheckpoints(ctx)
	if err != nil {
		return rep, nil, err
	}
	type witnessed struct {
		dir     Dir
		held    Checkpoint
		history []Checkpoint
	}
	var ws []witnessed
	for _, d := range witnesses {
		key, err := d.Key()
		if err != nil {
			return rep, nil, fmt.Errorf("witness %s: %w", d, err)
		}
		if key == "" {
			return rep, nil, fmt.Errorf("witness %s holds no checkpoint", d)
		}
		if verifierKey == "" {
			verifierKey = key
		}
		if key != verifierKey {
			return rep, &audit.Problem{Seq: 1, Reason: fmt.Sprintf("witness %s trusts the key %s, not %s: the checkpoints were signed with another key", d, key, verifierKey)}, nil
		}
		w := witnessed{dir: d}
		signed, err := d.Held()
		if err != nil {
			return rep, nil, fmt.Errorf("witness %s: %w", d, err)
		}
		if w.held, err = Open(signed, key); err != nil {
			return rep, &audit.Problem{Seq: 1, Reason: fmt.Sprintf("witness %s: its checkpoint does not verify: %v", d, err)}, nil
		}
		history, err := d.History()
		if err != nil {
			return rep, nil, err
		}
		for _, h := range history {
			c, err := Open(h, key)
			if err != nil {
				return rep, &audit.Problem{Seq: 1, Reason: fmt.Sprintf("witness %s: a checkpoint in its history does not verify: %v", d, err)}, nil
			}
			w.history = append(w.history, c)
		}
		ws = append(ws, w)
		rep.Witnesses = append(rep.Witnesses, string(d))
	}
	rep.Key = verifierKey

	// Archived events (audit archive) are gone from the database: the walk
	// starts at the anchor, whose tree must give its signed checkpoint.
	anchor, err := db.AuditAnchor(ctx)
	if err != nil {
		return rep, nil, err
	}
	t, err := treeFrom(anchor.Size, anchor.Stack)
	if err != nil {
		return rep, &audit.Problem{Seq: anchor.Size, Reason: "the archive's anchor: " + err.Error()}, nil
	}
	if anchor.Size > 0 {
		c, err := openOrRead(anchor.Note, verifierKey)
		if err != nil || c.Size != anchor.Size || c.Root != t.root() {
			return rep, &audit.Problem{Seq: anchor.Size, Reason: fmt.Sprintf("the archive's anchor at %d events does not match its signed checkpoint (%v)", anchor.Size, err)}, nil
		}
		rep.Archived = anchor.Size
	}

	// The sizes whose roots the walk must note: every checkpoint's.
	want := map[int64]bool{}
	for _, c := range checkpoints {
		want[c.Size] = true
	}
	for _, w := range ws {
		want[w.held.Size] = true
		for _, h := range w.history {
			want[h.Size] = true
		}
	}
	roots := map[int64]tlog.Hash{anchor.Size: t.root()}
	n, problem, err := verifyChain(ctx, db, anchor, func(e audit.Event) {
		t.append(e.Hash)
		if want[t.n] {
			roots[t.n] = t.root()
		}
	})
	rep.Events = n
	if err != nil || problem != nil {
		return rep, problem, err
	}

	// A checkpoint states a tree; the events as they are must give it.
	// Between the last checkpoint that matches and the first that does not
	// lies the first changed event.
	check := func(who string, cps []Checkpoint) *audit.Problem {
		good := anchor.Size
		for _, c := range cps {
			root, ok := roots[c.Size]
			switch {
			case c.Size < anchor.Size:
				continue // its events are archived; `audit verify --archive` checks them
			case c.Size > n:
				return &audit.Problem{Seq: n + 1, Reason: fmt.Sprintf("%s: a checkpoint covers %d events but the log holds %d (truncated)", who, c.Size, n)}
			case !ok && c.Size > 0 || ok && root != c.Root:
				return &audit.Problem{Seq: good + 1, Reason: fmt.Sprintf("%s: the checkpoint of %d events does not match the events: the log was rewritten; the first changed event is among %d–%d", who, c.Size, good+1, c.Size)}
			}
			good = c.Size
		}
		return nil
	}
	var dbCps []Checkpoint
	for _, row := range checkpoints {
		c, err := openOrRead(row.Note, verifierKey) // without a key, the note's text is still compared with its row
		if err != nil {
			return rep, &audit.Problem{Seq: 1, Reason: fmt.Sprintf("the checkpoint of %d events in the database: %v", row.Size, err)}, nil
		}
		if string(c.Root[:]) != string(row.Root) || c.Size != row.Size {
			return rep, &audit.Problem{Seq: 1, Reason: fmt.Sprintf("the checkpoint of %d events in the database: its row and its signed note disagree", row.Size)}, nil
		}
		dbCps = append(dbCps, c)
	}
	if p := check("database", dbCps); p != nil {
		return rep, p, nil
	}
	rep.Checkpoints = len(dbCps)
	if len(dbCps) > 0 {
		rep.Signed = dbCps[len(dbCps)-1].Size
	}
	for _, w := range ws {
		cps := append(slices.Clone(w.history), w.held)
		slices.SortStableFunc(cps, func(a, b Checkpoint) int { return int(a.Size - b.Size) })
		if p := check("witness "+string(w.dir), cps); p != nil {
			return rep, p, nil
		}
		if w.held.Size > rep.Signed {
			return rep, &audit.Problem{Seq: rep.Signed + 1, Reason: fmt.Sprintf("witness %s holds a checkpoint of %d events, newer than any in the database (%d): checkpoints were removed", w.dir, w.held.Size, rep.Signed)}, nil
		}
	}
	return rep, nil, nil
}

// verifyChain walks the log up to its head, checking the chain, the head
// and the index of subjects (as far as it is filled: the index is filled
// behind the log), and shows each good event to observe. A live
// server appends while the walk reads: the walk stops at the head it read
// first, and afterwards any event past the newest head is reported (the
// largest seq is read before the head, and a committed event's head is
// never behind it).
func verifyChain(ctx context.Context, db *store.DB, anchor store.AnchorRow, observe func(audit.Event)) (int64, *audit.Problem, error) {
	head, err := db.AuditHead(ctx)
	if err != nil {
		return 0, nil, err
	}
	// The index's mark only moves forward, so the rows up to the mark read
	// now are all there when they are counted after the walk.
	indexedThrough, err := db.AuditSubjectsIndexed(ctx)
	if err != nil {
		return 0, nil, err
	}
	indexedThrough = min(indexedThrough, head.Seq)
	events, stop := readAhead(ctx, db)
	defer stop()
	var named int64
	upToHead := func(yield func(audit.Event, error) bool) {
		for e, err := range events {
			if err == nil && e.Seq > head.Seq {
				return // appended after the head was read
			}
			if e.Seq <= indexedThrough {
				named += int64(len(e.Subjects))
			}
			if !yield(e, err) {
				return
			}
		}
	}
	n, problem, err := audit.VerifyFrom(upToHead, head, anchor.Size, anchor.Hash, observe)
	if err != nil || problem != nil {
		return n, problem, err
	}
	last, err := db.AuditLastSeq(ctx)
	if err != nil {
		return n, nil, err
	}
	now, err := db.AuditHead(ctx)
	if err != nil {
		return n, nil, err
	}
	if last > now.Seq {
		return n, &audit.Problem{Seq: now.Seq + 1, Reason: fmt.Sprintf("not covered by the head, which says the log ends at %d (the log holds events up to %d)", now.Seq, last)}, nil
	}
	indexed, err := db.AuditSubjectCount(ctx, indexedThrough) // events indexed since the walk began are not counted
	if err != nil {
		return n, nil, err
	}
	if indexed != named {
		return n, &audit.Problem{Seq: indexedThrough, Reason: fmt.Sprintf("the index of subjects holds %d rows but the events name %d subjects", indexed, named)}, nil
	}
	return n, nil, nil
}

// readAhead reads the log with two readers, each taking every other
// range of seqs on a goroutine of its own, a few batches ahead of the
// caller, which gets the events in seq order: reading the rows and
// checking their hashes then use both cores. stop ends the reading early.
func readAhead(ctx context.Context, db *store.DB) (iter.Seq2[audit.Event, error], func()) {
	const span = 2048 // seqs per range
	type batch struct {
		events []audit.Event
		err    error
	}
	done := make(chan struct{})
	var chans [2]chan batch
	for r := range chans {
		ch := make(chan batch, 2)
		chans[r] = ch
		go func() {
			defer close(ch)
			send := func(b batch) bool {
				select {
				case ch <- b:
					return true
				case <-done:
					return false
				}
			}
			// Range k holds seqs (k*span, (k+1)*span]; reader r takes
			// k = r, r+2, r+4, …, and the last range open, so that events
			// past the head are read too. Each range is one batch, empty
			// when its events are gone, so that the caller can tell the
			// ranges apart.
			for k := int64(r); ; k += 2 {
				events := make([]audit.Event, 0, span)
				for e, err := range db.AuditEvents(ctx, k*span, (k+1)*span) {
					if err != nil {
						send(batch{nil, err})
						return
					}
					events = append(events, e)
				}
				if !send(batch{events, nil}) {
					return
				}
				if more, err := db.AuditHasAfter(ctx, (k+1)*span); err != nil || !more {
					if err != nil {
						send(batch{nil, err})
					}
					return
				}
			}
		}()
	}
	stop := sync.OnceFunc(func() {
		close(done)
		for _, ch := range chans {
			for range ch { // let the readers finish
			}
		}
	})
	return func(yield func(audit.Event, error) bool) {
		for k := 0; ; k++ {
			b, ok := <-chans[k%2]
			if !ok {
				return // that reader found no more ranges
			}
			if b.err != nil {
				yield(audit.Event{}, b.err)
				return
			}
			for _, e := range b.events {
				if !yield(e, nil) {
					return
				}
			}
		}
	}, stop
}
