package core

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
)

// Security refusals: requests refused before or instead of a service
// method's own decision leave an event in the audit log, so that probing
// (a sales account calling admin routes, forged forms, cross-site posts,
// floods) is visible to the auditor.

// Actions of refusal events.
const (
	RefusedForbidden   = "security.forbidden"    // a function the caller's roles do not allow (403)
	RefusedCSRF        = "security.csrf"         // a form without its session's (or login form's) token
	RefusedCrossOrigin = "security.cross_origin" // a cross-site state-changing browser request
	RefusedRateLimit   = "security.rate_limit"   // over the per-address request rate (429)
	RefusedBlocked     = "security.blocked"      // from a blocked network (403)
	refusalsSkipped    = "security.refusals_skipped"
)

// Refusal is one refused request.
type Refusal struct {
	Actor  authz.Actor // the caller when known; else only its IP is set
	Action string      // one of the Refused* actions
	Route  string      // the route pattern it was refused on, e.g. "GET /api/v1/users"; "" if none matched
	Reason string      // why, as the caller was told
}

// Refusals of unknown callers are recorded once per address and action
// per minute, and at most maxAnonRefusals per minute in all, so that a
// flood of refused requests cannot become a flood of audit writes. A
// known caller's refusals are recorded each time: they come through a
// session (which the per-address rate limits bound) and name who probed.
const (
	refusalWindow   = time.Minute
	maxAnonRefusals = 1000
)

type refusalLimiter struct {
	mu      sync.Mutex
	window  time.Time           // start of the current window
	seen    map[string]struct{} // address|action recorded in this window
	skipped int                 // refusals of this window not recorded one by one
	carried int                 // skipped in the window before, to be reported
	from    time.Time           // start of the window they were skipped in
}

// admit reports whether a refusal by an unknown caller at ip should be
// recorded now, and how many earlier ones were skipped since the last
// report (to be recorded with it).
func (l *refusalLimiter) admit(now time.Time, ip, action string) (ok bool, skipped int, since time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.window) >= refusalWindow || now.Before(l.window) {
		if l.skipped > 0 {
			l.carried, l.from = l.carried+l.skipped, l.window
		}
		l.window, l.seen, l.skipped = now, map[string]struct{}{}, 0
	}
	key := ip + "|" + action
	if _, dup := l.seen[key]; dup || len(l.seen) >= maxAnonRefusals {
		l.skipped++
		return false, 0, time.Time{}
	}
	l.seen[key] = struct{}{}
	skipped, since = l.carried, l.from
	l.carried = 0
	return true, skipped, since
}

// refusalNote records, for one request, that the service appended a
// denied event itself: pending while its transaction is open, recorded
// once it committed.
type refusalNote struct{ pending, recorded atomic.Bool }

type refusalNoteKey struct{}

// WatchRefusals returns a context for handling one request in which the
// service notes any refusal it records itself (an out-of-scope record, a
// role outside its network ranges, …), so that RecordRefusal with that
// context does not record the same refusal twice. Handlers wrap each
// request's context with it.
func WatchRefusals(ctx context.Context) context.Context {
	if _, ok := ctx.Value(refusalNoteKey{}).(*refusalNote); ok {
		return ctx
	}
	return context.WithValue(ctx, refusalNoteKey{}, &refusalNote{})
}

// noteRefusals marks ctx's request when events, just committed, hold a
// denial.
func noteRefusals(ctx context.Context, events []audit.Event) {
	if n := refusalNoteOf(ctx, events); n != nil {
		n.recorded.Store(true)
	}
}

// pendRefusals marks ctx's request when events, appended in a transaction
// not yet committed, hold a denial; settleRefusals settles the mark when
// the transaction ends.
func pendRefusals(ctx context.Context, events []audit.Event) {
	if n := refusalNoteOf(ctx, events); n != nil {
		n.pending.Store(true)
	}
}

// settleRefusals records a pending denial if its transaction committed and
// forgets it if it rolled back.
func settleRefusals(ctx context.Context, committed bool) {
	if n, ok := ctx.Value(refusalNoteKey{}).(*refusalNote); ok && n.pending.Swap(false) && committed {
		n.recorded.Store(true)
	}
}

// refusalNoteOf is ctx's note when events hold a denial, else nil.
func refusalNoteOf(ctx context.Context, events []audit.Event) *refusalNote {
	n, ok := ctx.Value(refusalNoteKey{}).(*refusalNote)
	if !ok {
		return nil
	}
	for _, e := range events {
		if e.Outcome == audit.Denied {
			return n
		}
	}
	return nil
}
