package privacy

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/fieldcrypt"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// Requests is a domain service: data-subject requests, their deadlines
// and outcomes, and legal holds. Staff who serve a customer take a request
// in; administrators (who may manage users and read the audit log) handle
// it. The work a request asks for is the records domain's (its data
// export and erasure check the request), so that customer data stays in
// one place.
type Requests struct{ c *core.Core }

// NewRequests returns the requests service over c.
func NewRequests(c *core.Core) *Requests { return &Requests{c: c} }

func requestPlace(id string) fieldcrypt.Place {
	return fieldcrypt.Place{Table: "privacy_requests", Column: "details_ct", Row: id}
}

// TakeRequest records a request from a customer, with its deadline under
// the law named. Anyone who may read the customer may take one in.
// Audited (request.create).
func (s *Requests) TakeRequest(ctx context.Context, a authz.Actor, customerID string, in crm.RequestInput) (crm.Request, error) {
	if !crm.ValidID(customerID) {
		return crm.Request{}, core.ErrCustomerNotFound
	}
	if err := in.Normalise(); err != nil {
		return crm.Request{}, err
	}
	now := s.c.Now()
	out := crm.Request{ID: crm.NewID("dsr"), CustomerID: customerID, Kind: in.Kind, Law: in.Law, Status: "open", Channel: "staff",
		ReceivedAt: now, DueAt: now.AddDate(0, 0, s.c.DueDays(in.Law)), CreatedBy: a.UserID, Details: in.Details}
	err := core.Change(ctx, s.c, requestStoreOf, func(tx requestStore) error {
		row, err := s.c.CustomerInScope(ctx, tx, a, customerID, "request.create")
		if err != nil {
			return err
		}
		r := store.RequestRow{ID: out.ID, CustomerID: customerID, Kind: out.Kind, Law: out.Law, Status: out.Status, Channel: out.Channel,
			ReceivedAt: now, DueAt: out.DueAt, CreatedBy: a.UserID}
		if in.Details != "" {
			key, err := s.c.CustomerKey(row)
			if err != nil {
				return err
			}
			if r.DetailsCT, err = fieldcrypt.Seal(key, requestPlace(out.ID), in.Details); err != nil {
				return err
			}
		}
		if err := tx.InsertRequest(ctx, r); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "request.create", "customer", customerID, nil, audit.Success,
			fmt.Sprintf("%s under %s, due %s, %s", out.Kind, out.Law, out.DueAt.Format(time.DateOnly), out.ID))
	})
	return out, err
}

// Requests lists requests for those who handle them: the open ones by
// deadline, or all newest first. Audited (request.list).
func (s *Requests) Requests(ctx context.Context, a authz.Actor, open bool) ([]crm.Request, error) {
	if err := core.May(a, authz.ActionRead, authz.ObjectPrivacy, "you may not read the privacy requests"); err != nil {
		return nil, err
	}
	var out []crm.Request
	err := core.Change(ctx, s.c, requestStoreOf, func(tx requestStore) error {
		rows, err := tx.Requests(ctx, open, 500)
		if err != nil {
			return err
		}
		for _, r := range rows {
			out = append(out, requestOf(r))
		}
		return s.c.Record(ctx, tx, a, "request.list", "request", "", nil, audit.Success, fmt.Sprintf("%d requests", len(out)))
	})
	return out, err
}

func requestOf(r store.RequestRow) crm.Request {
	return crm.Request{ID: r.ID, CustomerID: r.CustomerID, Kind: r.Kind, Law: r.Law, Status: r.Status, Channel: r.Channel, ReceivedAt: r.ReceivedAt,
		DueAt: r.DueAt, Assignee: r.Assignee, CreatedBy: r.CreatedBy, ClosedAt: r.ClosedAt, Outcome: r.Outcome,
		AssignedAt: r.AssignedAt, Approval: r.Approval, ApprovalFor: r.ApprovalFor, RequestedBy: r.RequestedBy, ApprovedBy: r.ApprovedBy,
		ApprovedAt: r.ApprovedAt, ClosedBy: r.ClosedBy}
}

// timelineSkips are the events a request's timeline leaves out: reads,
// which are not steps.
var timelineSkips = []string{"request.read", "request.list", "request.handlers"}

// Request returns one request with the person's words opened and its
// timeline from the audit log: the events on the request, and those on
// its customer that name it. Audited (request.read).
func (s *Requests) Request(ctx context.Context, a authz.Actor, id string) (crm.Request, error) {
	if err := core.MayHandleRequests(a); err != nil {
		return crm.Request{}, err
	}
	var out crm.Request
	err := core.Change(ctx, s.c, requestStoreOf, func(tx requestStore) error {
		r, err := tx.RequestByID(ctx, id)
		if err != nil {
			return errs.E(errs.NotExist, "no such request")
		}
		out = requestOf(r)
		if len(r.DetailsCT) > 0 && r.CustomerID != "" {
			row, err := tx.CustomerByID(ctx, r.CustomerID)
			if err != nil {
				return err
			}
			key, err := s.c.CustomerKey(row)
			if err != nil {
				return err
			}
			if out.Details, err = fieldcrypt.Open(key, requestPlace(id), r.DetailsCT); err != nil {
				return errs.Wrap(errs.Internal, "privacy.Request", "", err)
			}
		}
		events, err := tx.RequestTimeline(ctx, id, r.CustomerID)
		if err != nil {
			return err
		}
		for _, e := range events {
			if !slices.Contains(timelineSkips, e.Action) {
				out.Timeline = append(out.Timeline, crm.RequestStep{At: e.At, ActorID: e.ActorID, Action: e.Action, Outcome: e.Outcome, Note: e.Reason})
			}
		}
		return s.c.Record(ctx, tx, a, "request.read", "request", id, nil, audit.Success, "")
	})
	return out, err
}

// Update moves a request on: "in_progress" (taking it: an unassigned
// request is assigned to the actor), "completed" with the evidence of what
// was done, or "rejected" with the reason (e.g. the person could not be
// verified); who closed it and when are kept. Outcomes hold no personal
// data. Where the rules say a rejection, or completing a request of its
// kind, needs a second handler's approval, the step is asked for instead
// (the request's Approval is "requested", the outcome waits) and Approve
// carries it out. Audited (request.<status>, or request.approval_ask).
func (s *Requests) Update(ctx context.Context, a authz.Actor, id, status, outcome string) (crm.Request, error) {
	if err := core.MayHandleRequests(a); err != nil {
		return crm.Request{}, err
	}
	outcome = strings.TrimSpace(outcome)
	switch {
	case status != "in_progress" && status != "completed" && status != "rejected":
		return crm.Request{}, errs.InvalidField("status", "status is in_progress, completed or rejected")
	case status != "in_progress" && outcome == "":
		return crm.Request{}, errs.InvalidField("outcome", "say what was done, or why the request is rejected")
	case len(outcome) > 2000:
		return crm.Request{}, errs.InvalidField("outcome", "outcome is at most 2,000 characters")
	}
	var out crm.Request
	err := core.Change(ctx, s.c, requestStoreOf, func(tx requestStore) error {
		r, err := tx.RequestByID(ctx, id)
		if err != nil {
			return errs.E(errs.NotExist, "no such request")
		}
		if r.Status == "completed" || r.Status == "rejected" {
			return errs.E(errs.Conflict, "the request is closed already")
		}
		if r.Kind == "restriction" && r.CustomerID != "" && status != "in_progress" {
			row, err := tx.CustomerByID(ctx, r.CustomerID)
			if err != nil {
				return err
			}
			if !row.RestrictedSince.IsZero() {
				return errs.E(errs.Conflict, "the person's data is restricted: lift the restriction, which completes the request")
			}
		}
		if status == "in_progress" {
			if r.Assignee == "" {
				r.Assignee, r.AssignedAt = a.UserID, s.c.Now()
			}
			r.Status = status
			if err := tx.UpdateRequest(ctx, r); err != nil {
				return err
			}
			out = requestOf(r)
			return s.c.Record(ctx, tx, a, "request.in_progress", "request", id, nil, audit.Success, "")
		}
		if status == "completed" && r.Approval == "approved" && r.ApprovalFor == "erasure" {
			return errs.E(errs.Conflict, "the erasure is approved: carry it out, which completes the request")
		}
		rule, step := r.Kind, "completion"
		if status == "rejected" {
			rule, step = "rejection", "rejection"
		}
		if err := core.Approved(ctx, tx, r, rule, step); err != nil {
			if !errs.Is(err, errs.Conflict) {
				return err
			}
			if r.Approval == "requested" {
				return errs.E(errs.Conflict, "a step of this request waits for approval: approve or decline it first")
			}
			r.Approval, r.ApprovalFor, r.RequestedBy, r.ApprovedBy, r.ApprovedAt, r.Outcome = "requested", step, a.UserID, "", time.Time{}, outcome
			if err := tx.UpdateRequest(ctx, r); err != nil {
				return err
			}
			out = requestOf(r)
			return s.c.Record(ctx, tx, a, "request.approval_ask", "request", id, nil, audit.Success, step+": "+outcome)
		}
		r.Status, r.Outcome, r.ClosedAt, r.ClosedBy = status, outcome, s.c.Now(), a.UserID
		if err := tx.UpdateRequest(ctx, r); err != nil {
			return err
		}
		out = requestOf(r)
		return s.c.Record(ctx, tx, a, "request."+status, "request", id, nil, audit.Success, outcome)
	})
	return out, err
}

// PlaceHold puts a legal hold on a customer's data of scope (one of
// crm.HoldScopes, e.g. "transactions": a payment firm must keep them)
// until a time, with the law or reason; an erasure while it stands keeps
// what it covers as a held record and erases the rest. Audited
// (hold.place).
func (s *Requests) PlaceHold(ctx context.Context, a authz.Actor, customerID, scope, reason string, until time.Time) error {
	if err := core.MayHandleRequests(a); err != nil {
		return err
	}
	scope, reason = strings.TrimSpace(scope), strings.TrimSpace(reason)
	switch {
	case !crm.ValidHoldScope(scope):
		return errs.InvalidField("scope", "a hold covers one of: "+strings.Join(crm.HoldScopes, ", "))
	case reason == "" || len(reason) > 500:
		return errs.InvalidField("reason", "give the law or reason for the hold")
	case !until.After(s.c.Now()):
		return errs.InvalidField("until", "a hold ends in the future")
	}
	return core.Change(ctx, s.c, requestStoreOf, func(tx requestStore) error {
		if _, err := s.c.CustomerInScope(ctx, tx, a, customerID, "hold.place"); err != nil {
			return err
		}
		h := store.HoldRow{ID: crm.NewID("hld"), CustomerID: customerID, Scope: scope, Reason: reason, Until: until, CreatedBy: a.UserID, CreatedAt: s.c.Now()}
		if err := tx.InsertHold(ctx, h); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "hold.place", "customer", customerID, nil, audit.Success, fmt.Sprintf("%s until %s: %s", scope, until.Format(time.DateOnly), reason))
	})
}

// Restrict carries out a restriction request: from now the person is left
// out of every list and export, and every read and change of their data is
// refused but their requests, legal holds and withdrawing a consent, until
// Lift. The request stays in progress while the restriction stands.
// Audited (request.restrict).
func (s *Requests) Restrict(ctx context.Context, a authz.Actor, id string) (crm.Request, error) {
	return s.setRestriction(ctx, a, id, true)
}

// Lift ends the restriction and completes its request. Audited
// (request.completed).
func (s *Requests) Lift(ctx context.Context, a authz.Actor, id string) (crm.Request, error) {
	return s.setRestriction(ctx, a, id, false)
}

func (s *Requests) setRestriction(ctx context.Context, a authz.Actor, id string, on bool) (crm.Request, error) {
	if err := core.MayHandleRequests(a); err != nil {
		return crm.Request{}, err
	}
	var out crm.Request
	err := core.Change(ctx, s.c, requestStoreOf, func(tx requestStore) error {
		r, err := core.OpenRequest(ctx, tx, id, "restriction")
		if err != nil {
			return err
		}
		now := s.c.Now()
		action := "request.restrict"
		if on {
			if err := tx.SetRestricted(ctx, r.CustomerID, now); err != nil {
				return err
			}
			r.Status, r.Outcome = "in_progress", "processing restricted since "+now.UTC().Format(time.RFC3339)
		} else {
			if err := tx.SetRestricted(ctx, r.CustomerID, time.Time{}); err != nil {
				return err
			}
			r.Status, r.Outcome, r.ClosedAt, r.ClosedBy, action = "completed", r.Outcome+"; lifted "+now.UTC().Format(time.RFC3339), now, a.UserID, "request.completed"
		}
		if r.Assignee == "" {
			r.Assignee, r.AssignedAt = a.UserID, now
		}
		if err := tx.UpdateRequest(ctx, r); err != nil {
			return err
		}
		out = requestOf(r)
		return s.c.Append(ctx, tx,
			core.Event(a, action, "request", id, nil, audit.Success, r.Outcome),
			core.Event(a, "customer.restrict", "customer", r.CustomerID, nil, audit.Success, fmt.Sprintf("restricted: %v (request %s)", on, id)))
	})
	return out, err
}

// requestStore is what the methods in requests.go read and write.
type requestStore interface {
	audit.Appender
	core.CustomerStore
	InsertRequest(ctx context.Context, r store.RequestRow) error
	RequestByID(ctx context.Context, id string) (store.RequestRow, error)
	Requests(ctx context.Context, open bool, limit int) ([]store.RequestRow, error)
	UpdateRequest(ctx context.Context, r store.RequestRow) error
	InsertHold(ctx context.Context, h store.HoldRow) error
	SetRestricted(ctx context.Context, id string, at time.Time) error
	RequestTimeline(ctx context.Context, id, customerID string) ([]audit.Event, error)
	core.ApprovalStepsReader
}

// requestStoreOf is the compiler's check that the store has every method of requestStore.
func requestStoreOf(tx *store.Tx) requestStore { return tx }
