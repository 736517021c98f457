package records

import (
	"context"
	"fmt"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// SubjectData is everything held about a person, for an access or
// portability request: the record with every field, activities, deals,
// purchases, preferences and feedback, consents, the change history, and
// the staff accesses to their data from the audit log.
type SubjectData struct {
	RequestID  string
	Customer   crm.Customer
	Activities []crm.Activity
	Deals      []crm.Deal
	Purchases  []crm.Transaction
	Marketing  *Marketing
	Consents   []crm.Consent
	Changes    []FieldChange
	Accesses   []Access
	ExportedAt time.Time
}

// Access is one event of the audit log that touched the person's data:
// who, when, what, which fields, why.
type Access struct {
	At      time.Time `json:"at"`
	ActorID string    `json:"actor_id"`
	Action  string    `json:"action"`
	Fields  []string  `json:"fields,omitempty"`
	Outcome string    `json:"outcome"`
	Reason  string    `json:"reason,omitempty"`
}

// SubjectExport gathers everything held about the person of an access or
// portability request. The data is read as the system (each part audited
// as its method audits it); the export itself is recorded as the actor's
// (customer.subject_export), naming the request.
func (s *Customers) SubjectExport(ctx context.Context, a authz.Actor, requestID string) (SubjectData, error) {
	if err := core.MayHandleRequests(a); err != nil {
		return SubjectData{}, err
	}
	var req store.RequestRow
	err := core.Look(ctx, s.c, subjectStoreOf, func(tx subjectStore) error {
		var err error
		req, err = core.OpenRequest(ctx, tx, requestID, "access", "portability")
		return err
	})
	if err != nil {
		return SubjectData{}, err
	}
	sys, id := authz.System(), req.CustomerID
	out := SubjectData{RequestID: requestID, ExportedAt: s.c.Now()}
	o, err := s.CustomerOverview(ctx, sys, id)
	if err != nil {
		return out, err
	}
	out.Customer, out.Activities, out.Deals, out.Marketing = o.Customer, o.Activities, o.Deals, o.Marketing
	if o.History != nil {
		out.Purchases = o.History.Transactions
	}
	if out.Changes, err = s.CustomerHistory(ctx, sys, id); err != nil {
		return out, err
	}
	err = core.Change(ctx, s.c, subjectStoreOf, func(tx subjectStore) error {
		row, err := tx.CustomerByID(ctx, id)
		if err != nil {
			return err
		}
		key, err := s.openKey(row)
		if err != nil {
			return err
		}
		rows, err := tx.Consents(ctx, id)
		if err != nil {
			return err
		}
		for _, r := range rows {
			c, err := core.OpenConsent(key, r)
			if err != nil {
				return err
			}
			out.Consents = append(out.Consents, c)
		}
		for after := int64(0); ; {
			events, err := tx.ListAudit(ctx, store.AuditFilter{ObjectID: id, AfterSeq: after, Limit: 1000})
			if err != nil {
				return err
			}
			for _, e := range events {
				out.Accesses = append(out.Accesses, Access{At: e.At, ActorID: e.ActorID, Action: e.Action, Fields: e.Fields, Outcome: e.Outcome, Reason: e.Reason})
				after = e.Seq
			}
			if len(events) < 1000 {
				break
			}
		}
		return s.c.Record(ctx, tx, a, "customer.subject_export", "customer", id, nil, audit.Success,
			fmt.Sprintf("request %s (%s): %d activities, %d deals, %d purchases, %d consents, %d changes, %d accesses",
				requestID, req.Kind, len(out.Activities), len(out.Deals), len(out.Purchases), len(out.Consents), len(out.Changes), len(out.Accesses)))
	})
	return out, err
}

// EraseForRequest carries out an erasure request: it destroys the
// person's data key (crypto-shredding: every sealed value of theirs, in any
// table, their field history and every backup, becomes unreadable),
// deletes their rows and blind indexes, writes the erasure ledger (which
// every backup target gets, and every restore re-applies), and closes the
// request with what was done. A legal hold standing on the person keeps
// what its scope covers (transactions, identity, consents): before the
// person's key goes, that data is re-sealed under a held record's own key
// (see held.go), destroyed in turn when the hold ends; the outcome says
// what is held, why and until when. A hold of a scope Strongroom cannot
// keep apart (a free-text scope from before scopes were fixed) refuses
// the whole erasure, with the hold's scope, reason and end; so does the
// lack of a second handler's approval where the rules ask one for an
// erasure.
func (s *Customers) EraseForRequest(ctx context.Context, a authz.Actor, requestID string) (string, error) {
	if err := core.MayHandleRequests(a); err != nil {
		return "", err
	}
	var outcome string
	err := core.Change(ctx, s.c, subjectStoreOf, func(tx subjectStore) error {
		req, err := core.OpenRequest(ctx, tx, requestID, "erasure")
		if err != nil {
			return err
		}
		id := req.CustomerID
		holds, err := tx.Holds(ctx, id, s.c.Now())
		if err != nil {
			return err
		}
		var held []crm.HeldRecord
		var events []audit.Event
		if len(holds) > 0 {
			row, err := tx.CustomerByID(ctx, id)
			if err != nil {
				return err
			}
			if held, events, err = s.keepHeld(ctx, tx, a, requestID, row, holds); err != nil {
				return err
			}
		}
		if err := core.Approved(ctx, tx, req, "erasure", "erasure"); err != nil {
			return err
		}
		if err := tx.DeleteCustomer(ctx, id); err != nil {
			return err
		}
		s.c.Keys.Forget(id) // no unwrapped copy left in the cache
		if err := tx.ShredSubject(ctx, id, "customer", s.c.Now()); err != nil {
			return err
		}
		outcome = fmt.Sprintf("erased %s: data key destroyed, records deleted, erasure ledger written", id)
		if len(held) > 0 {
			outcome += heldOutcome(held)
		}
		if req.ApprovedBy != "" {
			outcome += "; approved by " + req.ApprovedBy
		}
		req.Status, req.ClosedBy, req.Outcome, req.ClosedAt, req.CustomerID = "completed", a.UserID, outcome, s.c.Now(), ""
		if err := tx.UpdateRequest(ctx, req); err != nil {
			return err
		}
		events = append([]audit.Event{core.Event(a, "customer.erase", "customer", id, nil, audit.Success, "request "+requestID+": data key destroyed")}, events...)
		return s.c.Append(ctx, tx, append(events, core.Event(a, "request.completed", "request", requestID, nil, audit.Success, outcome))...)
	})
	return outcome, err
}

// subjectStore is what the methods in subject.go read and write.
type subjectStore interface {
	audit.Appender
	core.CustomerStore
	RequestByID(ctx context.Context, id string) (store.RequestRow, error)
	UpdateRequest(ctx context.Context, r store.RequestRow) error
	Holds(ctx context.Context, customerID string, now time.Time) ([]store.HoldRow, error)
	core.ApprovalStepsReader
	Consents(ctx context.Context, subjectID string) ([]store.ConsentRow, error)
	ListAudit(ctx context.Context, f store.AuditFilter) ([]audit.Event, error)
	DeleteCustomer(ctx context.Context, id string) error
	ShredSubject(ctx context.Context, subject, kind string, at time.Time) error
	CustomerTransactions(ctx context.Context, customerID string, limit int) ([]store.TransactionRow, error)
	InsertSubjectKey(ctx context.Context, subject string, wrapped []byte, kekTerm uint32, now time.Time) error
	InsertHeld(ctx context.Context, h store.HeldRow) error
}

// subjectStoreOf is the compiler's check that the store has every method of subjectStore.
func subjectStoreOf(tx *store.Tx) subjectStore { return tx }
