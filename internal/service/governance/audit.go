package governance

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/checkpoint"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/fieldcrypt"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// AuditQuery filters and pages the audit log.
type AuditQuery struct {
	ActorID    string
	ObjectType string
	ObjectID   string
	// SubjectIDs: events about any of these records (as their object or
	// among their subjects), as FindAuditParties finds them by email or name.
	SubjectIDs []string
	Action     string
	Outcome    string // audit.Success, audit.Failure or audit.Denied
	Since      time.Time
	Until      time.Time
	AfterSeq   int64 // events after this seq (the newer side)
	BeforeSeq  int64 // events before this seq (the older side)
	Newest     bool  // newest first
	Limit      int   // 1..1000, default 100
	// ActorEmails asks for the email of each actor on the page, shown to
	// those who may read users (and recorded as a read of their emails).
	ActorEmails bool
}

// AuditPage is one page of events, in the order asked. Older and Newer
// are the cursors of the pages on either side (BeforeSeq=Older,
// AfterSeq=Newer; 0 when there is none); NextAfter continues an
// oldest-first page (0 on the last), as it always has.
type AuditPage struct {
	Events    []audit.Event
	NextAfter int64
	Older     int64
	Newer     int64
	// Emails of the page's actors by user id, when asked for and allowed.
	Emails map[string]string
}

// maxAuditSubjects bounds the records one subject filter names.
const maxAuditSubjects = 50

func (q *AuditQuery) check() error {
	switch {
	case q.Limit == 0:
		q.Limit = 100
	case q.Limit < 0 || q.Limit > 1000:
		return errs.InvalidField("limit", "limit must be between 1 and 1000")
	}
	if q.AfterSeq < 0 {
		return errs.InvalidField("after", "after must not be negative")
	}
	if q.BeforeSeq < 0 {
		return errs.InvalidField("before", "before must not be negative")
	}
	if q.AfterSeq > 0 && q.BeforeSeq > 0 {
		return errs.InvalidField("before", "give after or before, not both")
	}
	if q.Outcome != "" && q.Outcome != audit.Success && q.Outcome != audit.Failure && q.Outcome != audit.Denied {
		return errs.InvalidField("outcome", "outcome is one of: success, failure, denied")
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Since.Before(q.Until) {
		return errs.InvalidField("until", "until must be after since")
	}
	if len(q.SubjectIDs) > maxAuditSubjects {
		return errs.InvalidField("subject", fmt.Sprintf("at most %d subjects", maxAuditSubjects))
	}
	if q.ObjectID != "" && len(q.SubjectIDs) > 0 {
		return errs.InvalidField("subject", "give object_id or subject, not both")
	}
	fields := []struct{ name, v string }{{"actor", q.ActorID}, {"object_type", q.ObjectType}, {"object_id", q.ObjectID}, {"action", q.Action}}
	for _, id := range q.SubjectIDs {
		fields = append(fields, struct{ name, v string }{"subject", id})
	}
	for _, f := range fields {
		if _, err := crm.Label(f.name, f.v, 200); err != nil {
			return err
		}
	}
	return nil
}

// describe names q's filters for the audit event of the read: ids,
// names of actions and times only (what a lookup typed never reaches a
// query), so that who searched whose trail is itself on record.
func (q AuditQuery) describe() string {
	var parts []string
	for _, f := range []struct{ k, v string }{{"actor", q.ActorID}, {"object_type", q.ObjectType}, {"object_id", q.ObjectID},
		{"subject", strings.Join(q.SubjectIDs, ",")}, {"action", q.Action}, {"outcome", q.Outcome}} {
		if f.v != "" {
			parts = append(parts, f.k+"="+f.v)
		}
	}
	if !q.Since.IsZero() {
		parts = append(parts, "since="+q.Since.UTC().Format(time.RFC3339))
	}
	if !q.Until.IsZero() {
		parts = append(parts, "until="+q.Until.UTC().Format(time.RFC3339))
	}
	if len(parts) == 0 {
		return ""
	}
	return "filters: " + strings.Join(parts, " ")
}

func (q AuditQuery) filter() store.AuditFilter {
	return store.AuditFilter{
		ActorID: q.ActorID, ObjectType: q.ObjectType, ObjectID: q.ObjectID, ObjectIDs: q.SubjectIDs,
		Action: q.Action, Outcome: q.Outcome, Since: q.Since, Until: q.Until,
	}
}

// Events returns audit events for roles allowed to read the log. Reading
// the log is itself audited.
func (s *AuditLog) Events(ctx context.Context, a authz.Actor, q AuditQuery) (AuditPage, error) {
	if err := core.May(a, authz.ActionRead, authz.ObjectAudit, "you may not read the audit log"); err != nil {
		return AuditPage{}, err
	}
	if err := q.check(); err != nil {
		return AuditPage{}, err
	}
	var page AuditPage
	err := core.Change(ctx, s.c, auditStoreOf, func(tx auditStore) error {
		var err error
		if page, err = s.page(ctx, tx, q); err != nil {
			return err
		}
		events := []audit.Event{core.Event(a, "audit.read", "audit", "", nil, audit.Success, q.describe())}
		if q.ActorEmails && core.May(a, authz.ActionRead, authz.ObjectUser, "") == nil {
			var shown []core.Shown
			if page.Emails, shown, err = s.actorEmails(ctx, tx, page.Events); err != nil {
				return err
			}
			events = append(events, core.GroupEvents(a, "user.read", "user", "actors on an audit log page", shown)...)
		}
		return s.c.Append(ctx, tx, events...)
	})
	if err != nil {
		return AuditPage{}, err
	}
	return page, nil
}

// page reads one page of q: a cursor on seq in either direction, one more
// event than asked telling whether the page has a further side.
func (s *AuditLog) page(ctx context.Context, tx auditStore, q AuditQuery) (AuditPage, error) {
	f := q.filter()
	f.AfterSeq, f.BeforeSeq, f.Limit = q.AfterSeq, q.BeforeSeq, q.Limit+1
	// Newest first from a newer cursor reads upwards and turns the page.
	up := !q.Newest || q.AfterSeq > 0
	f.Newest = !up
	events, err := tx.ListAudit(ctx, f)
	if err != nil {
		return AuditPage{}, err
	}
	more := len(events) > q.Limit
	if more {
		events = events[:q.Limit]
	}
	var page AuditPage
	if len(events) == 0 {
		// An empty page beside a cursor still leads back to it.
		if q.AfterSeq > 0 {
			page.Older = q.AfterSeq + 1
		}
		if q.BeforeSeq > 0 {
			page.Newer = q.BeforeSeq - 1
		}
		return page, nil
	}
	lo, hi := events[0].Seq, events[len(events)-1].Seq
	if !up {
		lo, hi = hi, lo
	}
	if up {
		if more {
			page.Newer = hi
		}
		if q.AfterSeq > 0 {
			page.Older = lo
		}
		if !q.Newest && more {
			page.NextAfter = hi
		}
	} else {
		if more {
			page.Older = lo
		}
		if q.BeforeSeq > 0 {
			page.Newer = hi
		}
	}
	if q.Newest && up {
		slices.Reverse(events)
	}
	page.Events = events
	return page, nil
}

// actorEmails opens the email of each user who acted on events.
func (s *AuditLog) actorEmails(ctx context.Context, tx auditStore, events []audit.Event) (map[string]string, []core.Shown, error) {
	out := map[string]string{}
	var shown []core.Shown
	for _, e := range events {
		if e.ActorID == "" || e.ActorID == authz.SystemUserID {
			continue
		}
		if _, ok := out[e.ActorID]; ok {
			continue
		}
		row, err := tx.UserByID(ctx, e.ActorID)
		if errs.Is(err, errs.NotExist) {
			out[e.ActorID] = "" // a user since erased: the id alone
			continue
		} else if err != nil {
			return nil, nil, err
		}
		u, err := s.c.OpenUser(row)
		if err != nil {
			return nil, nil, err
		}
		out[e.ActorID] = u.Email
		shown = append(shown, core.Shown{ID: e.ActorID, Fields: []string{"email"}})
	}
	return out, shown, nil
}

// AuditParties are the ids an email or a name stands for in the audit
// log's filters.
type AuditParties struct {
	ActorID    string
	SubjectIDs []string
}

// FindAuditParties turns what a reader of the log typed into ids: a
// user's email into the user's id, a customer's email or name into the
// ids of the customers it matches, through their blind indexes (the
// values are never stored or logged in plaintext). Finding customers
// needs the right to search them by that field across all customers;
// an auditor, who sees no personal data, filters by id. The lookup is
// audited; a match-nothing answers a field error.
func (s *AuditLog) FindAuditParties(ctx context.Context, a authz.Actor, actor, subject string) (AuditParties, error) {
	var out AuditParties
	if err := core.May(a, authz.ActionRead, authz.ObjectAudit, "you may not read the audit log"); err != nil {
		return out, err
	}
	actor, subject = strings.TrimSpace(actor), strings.TrimSpace(subject)
	var userIdx []byte
	var cf store.CustomerFilter
	var reasons []string
	if actor != "" {
		if !strings.Contains(actor, "@") {
			return out, errs.InvalidField("actor", "give the user's email, or their id")
		}
		norm, err := crm.NormaliseEmail(actor)
		if err != nil {
			return out, errs.InvalidField("actor", "that is not an email address")
		}
		userIdx = s.c.Index.Index(fieldcrypt.IndexUserEmail, norm)
		reasons = append(reasons, "actor by email")
	}
	if subject != "" {
		d := authz.Decide(a, authz.ActionRead, authz.Resource{Object: authz.ObjectCustomer})
		field := crm.FieldName
		if strings.Contains(subject, "@") {
			field = crm.FieldEmail
		}
		if !d.Allowed || d.Scope != authz.ScopeAll || d.Field(field) < authz.Read {
			return out, errs.InvalidField("subject", "you may not find customers by "+field+": give the record's id")
		}
		if field == crm.FieldEmail {
			norm, err := crm.NormaliseEmail(subject)
			if err != nil {
				return out, errs.InvalidField("subject", "that is not an email address")
			}
			cf.Email = s.c.Index.Index(fieldcrypt.IndexCustomerEmail, norm)
		} else {
			for _, t := range crm.NameTokens(subject) {
				cf.NameTokens = append(cf.NameTokens, s.c.Index.Index(fieldcrypt.IndexNameToken, t))
			}
			if len(cf.NameTokens) == 0 {
				return out, errs.InvalidField("subject", "search by name needs a word of two letters or two Chinese characters")
			}
		}
		cf.WithRestricted, cf.Limit = true, maxAuditSubjects+1
		reasons = append(reasons, "subject by "+field)
	}
	if len(reasons) == 0 {
		return out, nil
	}
	var notFound error
	err := core.Change(ctx, s.c, auditStoreOf, func(tx auditStore) error {
		if userIdx != nil {
			u, err := tx.UserByEmailIndex(ctx, userIdx)
			switch {
			case errs.Is(err, errs.NotExist):
				notFound = errs.InvalidField("actor", "no user has this email")
			case err != nil:
				return err
			default:
				out.ActorID = u.ID
			}
		}
		if cf.Limit > 0 && notFound == nil {
			rows, err := tx.ListCustomers(ctx, cf)
			if err != nil {
				return err
			}
			switch {
			case len(rows) == 0:
				notFound = errs.InvalidField("subject", "no customer matches")
			case len(rows) > maxAuditSubjects:
				notFound = errs.InvalidField("subject", fmt.Sprintf("more than %d customers match: give more of the name, or the email", maxAuditSubjects))
			}
			for _, r := range rows {
				out.SubjectIDs = append(out.SubjectIDs, r.ID)
			}
		}
		outcome := audit.Success
		if notFound != nil {
			outcome = audit.Failure
		}
		return s.c.Record(ctx, tx, a, "audit.find", "audit", "", nil, outcome, strings.Join(reasons, ", "))
	})
	if err != nil {
		return AuditParties{}, err
	}
	if notFound != nil {
		return AuditParties{}, notFound
	}
	return out, nil
}

// maxAuditExport bounds one export; a larger view is narrowed first.
const maxAuditExport = 10000

// ExportEvents returns every event of q's filters (all pages, in q's
// order) for an export, recorded as one: audit.export with the format and
// how many events it holds.
func (s *AuditLog) ExportEvents(ctx context.Context, a authz.Actor, q AuditQuery, format string) ([]audit.Event, error) {
	if err := core.May(a, authz.ActionRead, authz.ObjectAudit, "you may not read the audit log"); err != nil {
		return nil, err
	}
	q.AfterSeq, q.BeforeSeq, q.Limit = 0, 0, 1000
	if err := q.check(); err != nil {
		return nil, err
	}
	var out []audit.Event
	err := core.Change(ctx, s.c, auditStoreOf, func(tx auditStore) error {
		out = nil
		f := q.filter()
		f.Newest, f.Limit = q.Newest, 1000
		for {
			events, err := tx.ListAudit(ctx, f)
			if err != nil {
				return err
			}
			out = append(out, events...)
			if len(out) > maxAuditExport {
				return errs.InvalidField("export", fmt.Sprintf("the view holds more than %d events: narrow it (a time range, an action) and export again", maxAuditExport))
			}
			if len(events) < f.Limit {
				break
			}
			if last := events[len(events)-1].Seq; q.Newest {
				f.BeforeSeq = last
			} else {
				f.AfterSeq = last
			}
		}
		reason := fmt.Sprintf("%s, %d events", format, len(out))
		if d := q.describe(); d != "" {
			reason += "; " + d
		}
		return s.c.Record(ctx, tx, a, "audit.export", "audit", "", nil, audit.Success, reason)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AuditEventDetail is one event with its place in the chain.
type AuditEventDetail struct {
	Event audit.Event
	// Checkpoint is the latest signed checkpoint (Size 0: none yet);
	// Checkpointed whether it covers the event.
	Checkpoint   store.CheckpointRow
	Checkpointed bool
	ActorEmail   string // for those who may read users
}

// AuditEvent opens one event for its details page; the read is audited.
// actorEmail asks for the actor's email too (see AuditQuery.ActorEmails).
func (s *AuditLog) AuditEvent(ctx context.Context, a authz.Actor, seq int64, actorEmail bool) (AuditEventDetail, error) {
	var out AuditEventDetail
	if err := core.May(a, authz.ActionRead, authz.ObjectAudit, "you may not read the audit log"); err != nil {
		return out, err
	}
	err := core.Change(ctx, s.c, auditStoreOf, func(tx auditStore) error {
		e, err := tx.AuditEvent(ctx, seq)
		if err != nil {
			return core.NotFound(err, "audit event")
		}
		out.Event = e
		if out.Checkpoint, err = tx.LatestCheckpoint(ctx); err != nil {
			return err
		}
		out.Checkpointed = out.Checkpoint.Size >= seq
		events := []audit.Event{core.Event(a, "audit.read", "audit", strconv.FormatInt(seq, 10), nil, audit.Success, "")}
		if actorEmail && core.May(a, authz.ActionRead, authz.ObjectUser, "") == nil {
			emails, shown, err := s.actorEmails(ctx, tx, []audit.Event{e})
			if err != nil {
				return err
			}
			out.ActorEmail = emails[e.ActorID]
			events = append(events, core.GroupEvents(a, "user.read", "user", "actor of an audit event", shown)...)
		}
		return s.c.Append(ctx, tx, events...)
	})
	return out, err
}

// AuditActions lists the actions the log holds, for the filter's chooser.
func (s *AuditLog) AuditActions(ctx context.Context, a authz.Actor) ([]string, error) {
	if err := core.May(a, authz.ActionRead, authz.ObjectAudit, "you may not read the audit log"); err != nil {
		return nil, err
	}
	var out []string
	err := core.Look(ctx, s.c, auditStoreOf, func(tx auditStore) (err error) {
		out, err = tx.AuditActions(ctx)
		return err
	})
	return out, err
}

// Verify checks the whole chain. It returns how many events are good and
// the first problem, if any; an error means the log could not be read.
func (s *AuditLog) Verify(ctx context.Context) (int64, *audit.Problem, error) {
	return VerifyAudit(ctx, s.c.DB)
}

// VerifyAudit checks db's audit log without needing the master key: the
// chain and its head, the index of subjects (so that no subject's reads
// were hidden from a search by its id), and that the checkpoints in the
// database state the tree of the events as they are
// (checkpoint.Verify, which also checks signatures and witnesses).
func VerifyAudit(ctx context.Context, db *store.DB) (int64, *audit.Problem, error) {
	rep, problem, err := checkpoint.Verify(ctx, db, "", nil)
	return rep.Events, problem, err
}

// auditStore is what the methods in audit.go read and write.
type auditStore interface {
	audit.Appender
	ListAudit(ctx context.Context, f store.AuditFilter) ([]audit.Event, error)
	AuditEvent(ctx context.Context, seq int64) (audit.Event, error)
	AuditActions(ctx context.Context) ([]string, error)
	LatestCheckpoint(ctx context.Context) (store.CheckpointRow, error)
	UserByID(ctx context.Context, id string) (store.UserRow, error)
	UserByEmailIndex(ctx context.Context, idx []byte) (store.UserRow, error)
	ListCustomers(ctx context.Context, f store.CustomerFilter) ([]store.CustomerRow, error)
}

// auditStoreOf is the compiler's check that the store has every method of auditStore.
func auditStoreOf(tx *store.Tx) auditStore { return tx }

// RecordKeyExport records that the master key was exported, wrapped for
// age recipients (strongroom keys export, as the system). The export is
// handed out only once this is recorded.
func (s *AuditLog) RecordKeyExport(ctx context.Context, a authz.Actor, recipients []string) error {
	if err := core.May(a, authz.ActionUpdate, authz.ObjectUser, "you may not export the master key"); err != nil {
		return err
	}
	return core.Change(ctx, s.c, auditStoreOf, func(tx auditStore) error {
		return s.c.Record(ctx, tx, a, "keys.export", "keyring", "", nil, audit.Success, "wrapped for age recipients "+strings.Join(recipients, ", "))
	})
}
