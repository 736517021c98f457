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
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// The workflow of a request: who handles it, and the second handler's
// approval that some steps need (maker-checker). The approval lives on the
// request (approval, approval_for, requested_by, approved_by) rather than
// in the access approvals of governance: those are decided by roles level
// by level and expire in a day, while here any other handler decides, and
// the approval is one step of the request's own timeline.

// Handler is a user who may handle data-subject requests.
type Handler struct {
	ID    string
	Email string
}

// Handlers lists the enabled users who may handle requests (they hold
// update on the privacy object, through a built-in or a defined role), for
// assigning. Audited (request.handlers).
func (s *Requests) Handlers(ctx context.Context, a authz.Actor) ([]Handler, error) {
	if err := core.MayHandleRequests(a); err != nil {
		return nil, err
	}
	var out []Handler
	err := core.Change(ctx, s.c, workflowStoreOf, func(tx workflowStore) error {
		users, err := tx.ListUsers(ctx)
		if err != nil {
			return err
		}
		roles, err := definedRoles(ctx, tx)
		if err != nil {
			return err
		}
		for _, u := range users {
			if !handles(u, roles) {
				continue
			}
			me, err := s.c.OpenUser(u)
			if err != nil {
				return err
			}
			out = append(out, Handler{ID: u.ID, Email: me.Email})
		}
		return s.c.Record(ctx, tx, a, "request.handlers", "request", "", nil, audit.Success, fmt.Sprintf("%d handlers", len(out)))
	})
	return out, err
}

// definedRoles reads the defined roles that are not retired, through the
// transaction (not a second connection: on PostgreSQL the pool is shared).
func definedRoles(ctx context.Context, tx workflowStore) (map[authz.Role]map[authz.Object]authz.Grant, error) {
	rows, err := tx.ListRoles(ctx)
	if err != nil {
		return nil, err
	}
	out := map[authz.Role]map[authz.Object]authz.Grant{}
	for _, r := range rows {
		if r.Retired {
			continue
		}
		d, err := core.RoleFromRow(r)
		if err != nil {
			return nil, err
		}
		out[d.Name] = d.Grants
	}
	return out, nil
}

// handles reports whether u may handle requests: enabled, and a role of
// theirs (built in, or among defined) grants update on the privacy object.
func handles(u store.UserRow, defined map[authz.Role]map[authz.Object]authz.Grant) bool {
	if u.Disabled || u.ID == authz.SystemUserID {
		return false
	}
	roles := authz.RolesOf(u.Role)
	mine := map[authz.Role]map[authz.Object]authz.Grant{}
	for _, r := range roles {
		if !authz.IsBuiltIn(r) {
			mine[r] = defined[r] // a retired or unknown role grants nothing
			if mine[r] == nil {
				mine[r] = map[authz.Object]authz.Grant{}
			}
		}
	}
	return core.MayHandleRequests(authz.Actor{UserID: u.ID, Roles: roles, Defined: mine}) == nil
}

// Assign gives an open request to a handler (another user who may handle
// requests, or the actor), or moves it to another. The handler is told by
// email when mail is configured: the request's id, kind, law, due date and
// a link, never personal data. Audited (request.assign).
func (s *Requests) Assign(ctx context.Context, a authz.Actor, id, userID string) (crm.Request, error) {
	if err := core.MayHandleRequests(a); err != nil {
		return crm.Request{}, err
	}
	userID = strings.TrimSpace(userID)
	if userID == "" || len(userID) > 64 {
		return crm.Request{}, errs.InvalidField("user_id", "name the handler to assign")
	}
	var out crm.Request
	var to store.UserRow
	err := core.Change(ctx, s.c, workflowStoreOf, func(tx workflowStore) error {
		r, err := s.openRequest(ctx, tx, id)
		if err != nil {
			return err
		}
		if to, err = tx.UserByID(ctx, userID); errs.Is(err, errs.NotExist) {
			return errs.InvalidField("user_id", "no such user")
		} else if err != nil {
			return err
		}
		roles, err := definedRoles(ctx, tx)
		if err != nil {
			return err
		}
		if !handles(to, roles) {
			return errs.InvalidField("user_id", "that user may not handle data-subject requests")
		}
		from := r.Assignee
		if from == userID {
			out = requestOf(r)
			return nil
		}
		r.Assignee, r.AssignedAt = userID, s.c.Now()
		if err := tx.UpdateRequest(ctx, r); err != nil {
			return err
		}
		out = requestOf(r)
		note := "to " + userID
		if from != "" {
			note = "from " + from + " " + note
		}
		return s.c.Record(ctx, tx, a, "request.assign", "request", id, nil, audit.Success, note)
	})
	if err == nil && to.ID != "" && to.ID != a.UserID {
		s.mailHandler(to, "request_assigned", out)
	}
	return out, err
}

// mailHandler tells a handler about a request, in the background, with no
// personal data: its id, kind, law, due date and a link.
func (s *Requests) mailHandler(u store.UserRow, kind string, r crm.Request) bool {
	if !s.c.MailConfigured() {
		return false
	}
	me, err := s.c.OpenUser(u)
	if err != nil {
		return false
	}
	return s.c.Mailer.Enqueue(core.ComposeMail(kind, u.Locale, me.Email, core.MailData{Ref: r.ID, Kind: r.Kind, Law: strings.ToUpper(r.Law),
		Until: core.MailTimeFor(u, r.DueAt), Link: s.c.Link("/privacy/requests/"+r.ID, "")}))
}

func (s *Requests) openRequest(ctx context.Context, tx workflowStore, id string) (store.RequestRow, error) {
	r, err := tx.RequestByID(ctx, id)
	switch {
	case err != nil:
		return r, errs.E(errs.NotExist, "no such request")
	case r.Status != "open" && r.Status != "in_progress":
		return r, errs.E(errs.Conflict, "the request is closed")
	}
	return r, nil
}

// AskApproval asks a second handler's approval to carry out an erasure
// request, where the rules say an erasure needs it; the erasure is refused
// until another handler approves. Audited (request.approval_ask).
func (s *Requests) AskApproval(ctx context.Context, a authz.Actor, id string) (crm.Request, error) {
	if err := core.MayHandleRequests(a); err != nil {
		return crm.Request{}, err
	}
	var out crm.Request
	err := core.Change(ctx, s.c, workflowStoreOf, func(tx workflowStore) error {
		r, err := s.openRequest(ctx, tx, id)
		if err != nil {
			return err
		}
		steps, err := tx.RequestApprovalSteps(ctx)
		switch {
		case err != nil:
			return err
		case r.Kind != "erasure":
			return errs.E(errs.Conflict, "only an erasure is approved before it is carried out; completing or rejecting a request asks for approval itself")
		case !slices.Contains(steps, "erasure"):
			return errs.E(errs.Conflict, "an erasure needs no approval under the rules")
		case r.Approval == "requested":
			return errs.E(errs.Conflict, "approval is asked already")
		case r.Approval == "approved" && r.ApprovalFor == "erasure":
			return errs.E(errs.Conflict, "the erasure is approved already")
		}
		r.Approval, r.ApprovalFor, r.RequestedBy, r.ApprovedBy, r.ApprovedAt = "requested", "erasure", a.UserID, "", time.Time{}
		if r.Assignee == "" {
			r.Assignee, r.AssignedAt = a.UserID, s.c.Now()
		}
		if err := tx.UpdateRequest(ctx, r); err != nil {
			return err
		}
		out = requestOf(r)
		return s.c.Record(ctx, tx, a, "request.approval_ask", "request", id, nil, audit.Success, "erasure")
	})
	return out, err
}

// Approve gives the approval asked for a step of a request. It must come
// from another handler than the one who asked (maker-checker). An approved
// completion or rejection is carried out at once with the outcome given
// when it was asked; an approved erasure may then be carried out. Audited
// (request.approve, and request.completed or request.rejected).
func (s *Requests) Approve(ctx context.Context, a authz.Actor, id string) (crm.Request, error) {
	if err := core.MayHandleRequests(a); err != nil {
		return crm.Request{}, err
	}
	var out crm.Request
	err := core.Change(ctx, s.c, workflowStoreOf, func(tx workflowStore) error {
		r, err := s.openRequest(ctx, tx, id)
		if err != nil {
			return err
		}
		switch {
		case r.Approval != "requested":
			return errs.E(errs.Conflict, "no approval is asked for this request")
		case r.RequestedBy == a.UserID:
			if err := s.c.Record(ctx, tx, a, "request.approve", "request", id, nil, audit.Denied, "the handler who asked"); err != nil {
				return err
			}
			return core.Keeping(errs.E(errs.Permission, "another handler must approve what you asked for"))
		}
		now := s.c.Now()
		r.Approval, r.ApprovedBy, r.ApprovedAt = "approved", a.UserID, now
		events := []audit.Event{core.Event(a, "request.approve", "request", id, nil, audit.Success, r.ApprovalFor+", asked by "+r.RequestedBy)}
		switch r.ApprovalFor {
		case "completion":
			r.Status, r.ClosedAt, r.ClosedBy = "completed", now, a.UserID
			events = append(events, core.Event(a, "request.completed", "request", id, nil, audit.Success, r.Outcome))
		case "rejection":
			r.Status, r.ClosedAt, r.ClosedBy = "rejected", now, a.UserID
			events = append(events, core.Event(a, "request.rejected", "request", id, nil, audit.Success, r.Outcome))
		}
		if err := tx.UpdateRequest(ctx, r); err != nil {
			return err
		}
		out = requestOf(r)
		return s.c.Append(ctx, tx, events...)
	})
	return out, err
}

// Decline turns down the approval asked for (the handler who asked may
// withdraw it the same way), with a note; the request stays open. Audited
// (request.approval_decline).
func (s *Requests) Decline(ctx context.Context, a authz.Actor, id, note string) (crm.Request, error) {
	if err := core.MayHandleRequests(a); err != nil {
		return crm.Request{}, err
	}
	note = strings.TrimSpace(note)
	if len(note) > 2000 {
		return crm.Request{}, errs.InvalidField("note", "the note is at most 2,000 characters")
	}
	var out crm.Request
	err := core.Change(ctx, s.c, workflowStoreOf, func(tx workflowStore) error {
		r, err := s.openRequest(ctx, tx, id)
		if err != nil {
			return err
		}
		if r.Approval != "requested" {
			return errs.E(errs.Conflict, "no approval is asked for this request")
		}
		step := r.ApprovalFor
		if step != "erasure" {
			r.Outcome = ""
		}
		r.Approval, r.ApprovalFor, r.RequestedBy = "", "", ""
		if err := tx.UpdateRequest(ctx, r); err != nil {
			return err
		}
		out = requestOf(r)
		return s.c.Record(ctx, tx, a, "request.approval_decline", "request", id, nil, audit.Success, strings.TrimSuffix(step+": "+note, ": "))
	})
	return out, err
}

// ApprovalSteps lists the steps that need a second handler's approval:
// "rejection", or a request kind (carrying it out). For those who read the
// privacy centre.
func (s *Requests) ApprovalSteps(ctx context.Context, a authz.Actor) ([]string, error) {
	if err := core.May(a, authz.ActionRead, authz.ObjectPrivacy, "you may not read the privacy requests"); err != nil {
		return nil, err
	}
	var out []string
	err := core.Look(ctx, s.c, workflowStoreOf, func(tx workflowStore) error {
		var err error
		out, err = tx.RequestApprovalSteps(ctx)
		return err
	})
	return out, err
}

// SetApprovalSteps sets which steps need a second handler's approval (each
// one of crm.ApprovalSteps). Audited (request.approval_rule).
func (s *Requests) SetApprovalSteps(ctx context.Context, a authz.Actor, steps []string) error {
	if err := core.MayHandleRequests(a); err != nil {
		return err
	}
	if err := s.c.RequireStepUp(a); err != nil { // the rule guards erasures: changing it takes a fresh proof
		return err
	}
	var clean []string
	for _, st := range steps {
		st = strings.TrimSpace(st)
		if !slices.Contains(crm.ApprovalSteps, st) {
			return errs.InvalidField("steps", "each step is one of: "+strings.Join(crm.ApprovalSteps, ", "))
		}
		if !slices.Contains(clean, st) {
			clean = append(clean, st)
		}
	}
	slices.Sort(clean)
	return core.Change(ctx, s.c, workflowStoreOf, func(tx workflowStore) error {
		if err := tx.SetRequestApprovalSteps(ctx, clean); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "request.approval_rule", "request", "", nil, audit.Success, "needs approval: "+strings.Join(clean, ", "))
	})
}

// workflowStore is what the methods in workflow.go read and write.
type workflowStore interface {
	audit.Appender
	RequestByID(ctx context.Context, id string) (store.RequestRow, error)
	UpdateRequest(ctx context.Context, r store.RequestRow) error
	UserByID(ctx context.Context, id string) (store.UserRow, error)
	ListUsers(ctx context.Context) ([]store.UserRow, error)
	ListRoles(ctx context.Context) ([]store.RoleRow, error)
	RequestApprovalSteps(ctx context.Context) ([]string, error)
	SetRequestApprovalSteps(ctx context.Context, steps []string) error
}

// workflowStoreOf is the compiler's check that the store has every method of workflowStore.
func workflowStoreOf(tx *store.Tx) workflowStore { return tx }
