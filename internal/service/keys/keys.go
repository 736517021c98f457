// Package keys is the master key's management: which custody holds it and
// its terms (Status), adding a term (Rotate), re-wrapping every data key
// to the newest term in batches (RewrapStep, which internal/rewrap runs in
// the background) and retiring a term nothing uses any more (Retire). (A
// new data key for one customer on demand is records.Customers.RotateKey,
// which re-seals the customer's data.) Every change is audited in its transaction (no audit, no
// change). Status is for those who may read the audit log; changes are
// for administrators, and from a browser or a token only after a step-up.
package keys

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/keyring"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// Keys is a domain service: the master key's terms and the data keys'
// wrapping.
type Keys struct {
	c *core.Core
}

// New makes the service over the core.
func New(c *core.Core) *Keys { return &Keys{c: c} }

// Term is one term of the master key.
type Term struct {
	Term      uint32    `json:"term"`
	Custody   string    `json:"custody"`
	CreatedAt time.Time `json:"created_at"`
	RetiredAt time.Time `json:"retired_at,omitzero"`
	Active    bool      `json:"active"`
	Keys      int64     `json:"data_keys"` // subject keys wrapped under it
}

// Progress is how far re-wrapping to a term has come.
type Progress struct {
	Term       uint32    `json:"term"`
	Done       int64     `json:"done"`
	Total      int64     `json:"total"`
	StartedAt  time.Time `json:"started_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
}

// Finished reports whether every data key is wrapped under Term.
func (p Progress) Finished() bool { return !p.FinishedAt.IsZero() }

// Cache is the unwrapped data keys' cache of this server.
type Cache struct {
	Capacity int           `json:"capacity"`
	TTL      time.Duration `json:"ttl_ns"`
	Size     int           `json:"size"`
	Hits     uint64        `json:"hits"`
	Misses   uint64        `json:"misses"`
}

// Status is the master key's custody, terms and re-wrapping.
type Status struct {
	Custody string    `json:"custody"`
	Active  uint32    `json:"active_term"`
	Terms   []Term    `json:"terms"`
	Rewrap  *Progress `json:"rewrap,omitempty"` // to the active term; nil: none started
	Cache   Cache     `json:"cache"`
}

type keyStore interface {
	LockTermForRetirement(ctx context.Context, term uint32) error
	audit.Appender
	SubjectKeysAfter(ctx context.Context, cursor string, skip uint32, limit int) ([]store.WrappedKeyRow, error)
	ReplaceSubjectKey(ctx context.Context, subject string, old, wrapped []byte, term uint32) (bool, error)
	WebhookKeys(ctx context.Context) ([]store.WrappedKeyRow, error)
	AllOldSubjectKeys(ctx context.Context) ([]store.WrappedKeyRow, error)
	ReplaceOldSubjectKey(ctx context.Context, subject string, old, wrapped []byte, term uint32) (bool, error)
	ReplaceWebhookKey(ctx context.Context, id string, old, wrapped []byte) (bool, error)
	Meta(ctx context.Context, key string) ([]byte, error)
	ReplaceMeta(ctx context.Context, key string, old, value []byte) (bool, error)
	KeysByTerm(ctx context.Context) (map[uint32]int64, error)
	CountSubjectKeys(ctx context.Context, skip uint32) (int64, error)
	AnySubjectKeyOutside(ctx context.Context, term uint32) (bool, error)
	AddKeyTerm(ctx context.Context, term uint32, custody string, at time.Time) error
	RetireKeyTerm(ctx context.Context, term uint32, at time.Time) error
	KeyTerms(ctx context.Context) ([]store.KeyTermRow, error)
	Rewrap(ctx context.Context, term uint32) (store.RewrapRow, error)
	SaveRewrap(ctx context.Context, r store.RewrapRow) error
}

func keyStoreOf(tx *store.Tx) keyStore { return tx }

// The meta row whose wrapped key proves the master key fits the database
// (core.checkKeyring), re-wrapped like every other.
const (
	checkMeta    = "keyring_check"
	checkSubject = "keyring-check"
)

func mayRead(a authz.Actor) error {
	return core.May(a, authz.ActionRead, authz.ObjectAudit, "you may not see the master key's status")
}

// Sync records the custody's terms in the database and, when the
// database knows a newer term than this server's keyring (another server
// or the command line rotated), reloads the keyring. serve calls it at
// start and the rewrap runner before each run.
func (s *Keys) Sync(ctx context.Context) error {
	var newest uint32
	err := core.Change(ctx, s.c, keyStoreOf, func(tx keyStore) error {
		for _, t := range s.c.Keys.Terms() {
			if err := tx.AddKeyTerm(ctx, t, s.c.Keys.Custody(), s.c.Now()); err != nil {
				return err
			}
		}
		terms, err := tx.KeyTerms(ctx)
		for _, t := range terms {
			if t.RetiredAt.IsZero() {
				newest = max(newest, t.Term)
			}
		}
		return err
	})
	if err != nil {
		return err
	}
	if newest > s.c.Keys.ActiveTerm() {
		return s.c.Keys.Reload(true)
	}
	return nil
}

// Status reports the custody, the terms with how many data keys each
// wraps, the re-wrapping to the active term and this server's cache.
// Audited (keys.status); it reveals no personal data.
func (s *Keys) Status(ctx context.Context, a authz.Actor) (Status, error) {
	if err := mayRead(a); err != nil {
		return Status{}, err
	}
	kr := s.c.Keys
	cs := kr.CacheStats()
	out := Status{Custody: kr.Custody(), Active: kr.ActiveTerm(), Terms: []Term{},
		Cache: Cache{Capacity: cs.Capacity, TTL: cs.TTL, Size: cs.Size, Hits: cs.Hits, Misses: cs.Misses}}
	err := core.Change(ctx, s.c, keyStoreOf, func(tx keyStore) error {
		rows, err := tx.KeyTerms(ctx)
		if err != nil {
			return err
		}
		counts, err := tx.KeysByTerm(ctx)
		if err != nil {
			return err
		}
		held := kr.Terms()
		for _, r := range rows {
			if r.RetiredAt.IsZero() && !slices.Contains(held, r.Term) && r.Term > out.Active {
				continue // another server's newer term this one has not loaded yet
			}
			out.Terms = append(out.Terms, Term{Term: r.Term, Custody: r.Custody, CreatedAt: r.CreatedAt, RetiredAt: r.RetiredAt, Active: r.Term == out.Active, Keys: counts[r.Term]})
		}
		p, err := tx.Rewrap(ctx, out.Active)
		switch {
		case err == nil:
			out.Rewrap = progressOf(p)
		case !errs.Is(err, errs.NotExist):
			return err
		}
		return s.c.Record(ctx, tx, a, "keys.status", "keyring", "", nil, audit.Success, "")
	})
	return out, err
}

func progressOf(r store.RewrapRow) *Progress {
	return &Progress{Term: r.Term, Done: r.Done, Total: r.Total, StartedAt: r.StartedAt, UpdatedAt: r.UpdatedAt, FinishedAt: r.FinishedAt}
}

// Rotate adds a new term to the master key's custody; new data keys are
// wrapped under it from now on (on other servers from their next Sync, or
// the first key under it they meet). Re-wrapping the existing keys is
// RewrapStep's. Administrators. Audited (keys.rotate).
func (s *Keys) Rotate(ctx context.Context, a authz.Actor) (uint32, error) {
	if err := s.c.MayManageKeys(a); err != nil {
		return 0, err
	}
	term, err := s.c.Keys.Rotate()
	if err != nil {
		return 0, errs.Wrap(errs.Unavailable, "keys.Rotate", "the master key's custody could not add a term", err)
	}
	err = core.Change(ctx, s.c, keyStoreOf, func(tx keyStore) error {
		if err := tx.AddKeyTerm(ctx, term, s.c.Keys.Custody(), s.c.Now()); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "keys.rotate", "keyring", fmt.Sprint(term), nil, audit.Success, fmt.Sprintf("term %d added (%s custody)", term, s.c.Keys.Custody()))
	})
	return term, err
}

// RewrapStep re-wraps up to limit data keys not yet under the active term
// (in subject id order, from where the last step stopped) to it, in one transaction with
// its audit event (keys.rewrap), and reports the progress. A key replaced
// or shredded meanwhile is left as it is. After the last subject key it
// re-wraps the webhooks' keys and the key check, and finishes, unless a
// key under an older term appeared behind the cursor (a server that had
// not yet loaded the new term), in which case it starts over.
// Administrators (the runner acts as the system).
func (s *Keys) RewrapStep(ctx context.Context, a authz.Actor, limit int) (Progress, error) {
	if err := s.c.MayManageKeys(a); err != nil {
		return Progress{}, err
	}
	if limit <= 0 {
		limit = 500
	}
	kr := s.c.Keys
	active := kr.ActiveTerm()
	if len(kr.Terms()) == 1 {
		// Never rotated (or every older term retired): nothing to re-wrap,
		// no transaction and nothing recorded (serve asks every minute).
		now := s.c.Now()
		return Progress{Term: active, StartedAt: now, UpdatedAt: now, FinishedAt: now}, nil
	}
	var out Progress
	err := core.Change(ctx, s.c, keyStoreOf, func(tx keyStore) error {
		now := s.c.Now()
		p, err := tx.Rewrap(ctx, active)
		if errs.Is(err, errs.NotExist) {
			total, err := tx.CountSubjectKeys(ctx, active)
			if err != nil {
				return err
			}
			p = store.RewrapRow{Term: active, Total: total, StartedAt: now}
		} else if err != nil {
			return err
		}
		if !p.FinishedAt.IsZero() {
			left, err := behind(ctx, tx, active)
			if err != nil {
				return err
			}
			if left == 0 {
				out = *progressOf(p)
				return nil
			}
			// A server that had not yet loaded the active term wrapped keys
			// under an older one after the job finished: once more, for those.
			p.Cursor, p.FinishedAt, p.Total = "", time.Time{}, p.Done+left
		}
		batch, err := tx.SubjectKeysAfter(ctx, p.Cursor, active, limit)
		if err != nil {
			return err
		}
		moved := 0
		for _, k := range batch {
			w := k.Wrapped
			if keyring.WrappedTerm(w) != active {
				if w, err = kr.Rewrap(k.Subject, k.Wrapped); err != nil {
					return errs.Wrap(errs.Internal, "keys.RewrapStep", "", fmt.Errorf("subject key %s: %w", k.Subject, err))
				}
			}
			// Also when only the row's term was wrong: it is put right.
			ok, err := tx.ReplaceSubjectKey(ctx, k.Subject, k.Wrapped, w, active)
			if err != nil {
				return err
			}
			if ok {
				moved++
			}
			p.Cursor = k.Subject
			p.Done++
		}
		if len(batch) < limit {
			n, err := s.rewrapRest(ctx, tx, active)
			if err != nil {
				return err
			}
			moved += n
			left, err := behind(ctx, tx, active)
			if err != nil {
				return err
			}
			if left > 0 {
				// Keys under an older term appeared behind the cursor:
				// once more from the start, for those.
				p.Cursor, p.Total = "", p.Done+left
			} else {
				p.FinishedAt = now
				p.Total = p.Done
			}
		}
		p.Total = max(p.Total, p.Done)
		p.UpdatedAt = now
		if err := tx.SaveRewrap(ctx, p); err != nil {
			return err
		}
		out = *progressOf(p)
		reason := fmt.Sprintf("to term %d: %d keys re-wrapped in this step, %d of %d checked", active, moved, p.Done, p.Total)
		if !p.FinishedAt.IsZero() {
			reason += "; finished"
		}
		return s.c.Record(ctx, tx, a, "keys.rewrap", "keyring", fmt.Sprint(active), nil, audit.Success, reason)
	})
	return out, err
}

// rewrapRest re-wraps the keys kept outside subject_keys: customers'
// replaced keys kept for their audit reasons, the webhooks' and the key
// check.
func (s *Keys) rewrapRest(ctx context.Context, tx keyStore, active uint32) (int, error) {
	kr, moved := s.c.Keys, 0
	olds, err := tx.AllOldSubjectKeys(ctx)
	if err != nil {
		return 0, err
	}
	for _, k := range olds {
		if keyring.WrappedTerm(k.Wrapped) == active {
			continue
		}
		w, err := kr.Rewrap(k.Subject, k.Wrapped)
		if err != nil {
			return 0, errs.Wrap(errs.Internal, "keys.RewrapStep", "", fmt.Errorf("kept key of %s: %w", k.Subject, err))
		}
		if ok, err := tx.ReplaceOldSubjectKey(ctx, k.Subject, k.Wrapped, w, active); err != nil {
			return 0, err
		} else if ok {
			moved++
		}
	}
	hooks, err := tx.WebhookKeys(ctx)
	if err != nil {
		return 0, err
	}
	for _, h := range hooks {
		if keyring.WrappedTerm(h.Wrapped) == active {
			continue
		}
		w, err := kr.Rewrap("webhook:"+h.Subject, h.Wrapped)
		if err != nil {
			return 0, errs.Wrap(errs.Internal, "keys.RewrapStep", "", fmt.Errorf("webhook %s: %w", h.Subject, err))
		}
		if ok, err := tx.ReplaceWebhookKey(ctx, h.Subject, h.Wrapped, w); err != nil {
			return 0, err
		} else if ok {
			moved++
		}
	}
	check, err := tx.Meta(ctx, checkMeta)
	if err != nil {
		return 0, err
	}
	if keyring.WrappedTerm(check) != active {
		w, err := kr.Rewrap(checkSubject, check)
		if err != nil {
			return 0, errs.Wrap(errs.Internal, "keys.RewrapStep", "", fmt.Errorf("key check: %w", err))
		}
		if _, err := tx.ReplaceMeta(ctx, checkMeta, check, w); err != nil {
			return 0, err
		}
		moved++
	}
	return moved, nil
}

// behind counts the subject keys whose rows name another term than the
// active one (none, without counting, when the index says so at once).
func behind(ctx context.Context, tx keyStore, active uint32) (int64, error) {
	if some, err := tx.AnySubjectKeyOutside(ctx, active); err != nil || !some {
		return 0, err
	}
	return tx.CountSubjectKeys(ctx, active)
}

// uses counts what is still wrapped under term, by the wrapped bytes
// themselves (not the rows' term column): subject keys, kept replaced
// keys, webhooks' keys and the key check.
func (s *Keys) uses(ctx context.Context, tx keyStore, term uint32) (int64, error) {
	var n int64
	cursor := ""
	for {
		batch, err := tx.SubjectKeysAfter(ctx, cursor, 0, 5000)
		if err != nil {
			return 0, err
		}
		for _, k := range batch {
			if keyring.WrappedTerm(k.Wrapped) == term {
				n++
			}
			cursor = k.Subject
		}
		if len(batch) < 5000 {
			break
		}
	}
	hooks, err := tx.WebhookKeys(ctx)
	if err != nil {
		return 0, err
	}
	olds, err := tx.AllOldSubjectKeys(ctx)
	if err != nil {
		return 0, err
	}
	for _, h := range append(hooks, olds...) {
		if keyring.WrappedTerm(h.Wrapped) == term {
			n++
		}
	}
	check, err := tx.Meta(ctx, checkMeta)
	if err != nil {
		return 0, err
	}
	if keyring.WrappedTerm(check) == term {
		n++
	}
	return n, nil
}

// Retire destroys term in the custody once nothing is wrapped under it
// any more; while anything is, it refuses (Conflict) and says how much.
// The active term cannot be retired. Administrators. Audited
// (keys.retire; a refusal too).
func (s *Keys) Retire(ctx context.Context, a authz.Actor, term uint32) error {
	if err := s.c.MayManageKeys(a); err != nil {
		return err
	}
	kr := s.c.Keys
	if term == kr.ActiveTerm() {
		return errs.E(errs.Invalid, fmt.Sprintf("term %d is the active term: rotate first", term))
	}
	if !slices.Contains(kr.Terms(), term) {
		return errs.E(errs.NotExist, fmt.Sprintf("there is no term %d", term))
	}
	var refused error
	err := core.Change(ctx, s.c, keyStoreOf, func(tx keyStore) error {
		if err := tx.LockTermForRetirement(ctx, term); err != nil {
			return err
		}
		n, err := s.uses(ctx, tx, term)
		if err != nil {
			return err
		}
		if n > 0 {
			refused = errs.E(errs.Conflict, fmt.Sprintf("term %d still wraps %d data keys: run keys rewrap first", term, n))
			return s.c.Record(ctx, tx, a, "keys.retire", "keyring", fmt.Sprint(term), nil, audit.Denied, fmt.Sprintf("%d data keys still under term %d", n, term))
		}
		// The retirement and its audit event are committed before the
		// custody destroys the term: if they cannot be written, nothing is
		// destroyed; if the custody then fails, a second run finishes it.
		if err := tx.AddKeyTerm(ctx, term, kr.Custody(), s.c.Now()); err != nil { // recorded, so that migration 0063's triggers see it retired
			return err
		}
		if err := tx.RetireKeyTerm(ctx, term, s.c.Now()); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "keys.retire", "keyring", fmt.Sprint(term), nil, audit.Success, fmt.Sprintf("term %d destroyed (%s custody)", term, kr.Custody()))
	})
	if err != nil || refused != nil {
		return cmp.Or(err, refused)
	}
	if err := kr.Retire(term); err != nil {
		return errs.Wrap(errs.Unavailable, "keys.Retire", "the term is recorded as retired but the master key's custody could not destroy it: run keys retire again", err)
	}
	return nil
}
