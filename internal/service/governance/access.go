package governance

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/fieldcrypt"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// approvalKinds are the kinds an approval rule can be set for.
var approvalKinds = []string{core.KindRevealSpecial, core.KindDelete, core.KindRoleChange, core.KindRoleEdit, core.KindBulkExport, core.KindBreakGlass}

// Timings of access requests.
const (
	RequestTTL     = 24 * time.Hour   // a pending request expires
	GrantFor       = time.Hour        // an approval is usable this long, once
	BreakGlassFor  = 30 * time.Minute // a break-glass opening lasts this long
	reviewDueAfter = 7 * 24 * time.Hour
)

// AccessStep is one decision on a request.
type AccessStep struct {
	Level    int       `json:"level"`
	By       string    `json:"by"`
	Decision string    `json:"decision"` // approve or reject
	At       time.Time `json:"at"`
}

// AccessRequest is a request for approval, or a break-glass opening.
// Status: pending, approved, rejected, used, expired; for break-glass
// open (awaiting review), justified or unjustified.
type AccessRequest struct {
	ID          string       `json:"id"`
	Kind        string       `json:"kind"`
	RequesterID string       `json:"requester_id"`
	ObjectType  string       `json:"object_type"`
	ObjectID    string       `json:"object_id"`
	Field       string       `json:"field,omitempty"`
	Reason      string       `json:"reason,omitempty"`
	Status      string       `json:"status"`
	Level       int          `json:"level"`
	Levels      [][]string   `json:"levels"`
	Steps       []AccessStep `json:"steps"`
	CreatedAt   time.Time    `json:"created_at"`
	ExpiresAt   time.Time    `json:"expires_at"`
	ValidUntil  *time.Time   `json:"valid_until,omitempty"`
	CanDecide   bool         `json:"can_decide"` // the asking user may decide it now
	// DecidedEarlier: the request is pending and the asking user decided
	// an earlier level, so another person must decide this one
	// (separation of duties).
	DecidedEarlier bool `json:"decided_earlier,omitempty"`
}

func reasonPlace(id string) fieldcrypt.Place {
	return fieldcrypt.Place{Table: "access_requests", Column: "reason_ct", Row: id}
}

func checkReason(reason string, min int) (string, error) {
	reason, err := crm.FreeText("reason", reason, 0)
	if err != nil {
		return "", err
	}
	reason = strings.Join(strings.Fields(reason), " ")
	if n := utf8.RuneCountInString(reason); n < min || n > 500 {
		return "", errs.InvalidField("reason", fmt.Sprintf("give a reason of %d to 500 characters; approvers read it and the audit log keeps it", min))
	}
	return reason, nil
}

// view turns a stored request into what actor a sees of it.
func (s *Approvals) accessView(a authz.Actor, r store.AccessRequestRow, now time.Time) (AccessRequest, error) {
	v, err := s.accessState(a, r, now)
	if err == nil {
		v.Reason, err = s.openReason(r)
	}
	return v, err
}

// accessState is a request as actor a sees it, without its reason.
func (s *Approvals) accessState(a authz.Actor, r store.AccessRequestRow, now time.Time) (AccessRequest, error) {
	out := AccessRequest{ID: r.ID, Kind: r.Kind, RequesterID: r.RequesterID, ObjectType: r.ObjectType, ObjectID: r.ObjectID, Field: r.Field,
		Status: r.Status, Level: r.Level, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt}
	if err := json.Unmarshal([]byte(r.Levels), &out.Levels); err != nil {
		return out, errs.Wrap(errs.Internal, "service.accessView", "", err)
	}
	if err := json.Unmarshal([]byte(r.Steps), &out.Steps); err != nil {
		return out, errs.Wrap(errs.Internal, "service.accessView", "", err)
	}
	if !r.ValidUntil.IsZero() {
		out.ValidUntil = &r.ValidUntil
	}
	switch {
	case r.Status == "pending" && !now.Before(r.ExpiresAt),
		r.Status == "approved" && !now.Before(r.ValidUntil):
		out.Status = "expired"
	}
	out.DecidedEarlier = out.Status == "pending" && slices.ContainsFunc(out.Steps, func(st AccessStep) bool { return st.By == a.UserID })
	out.CanDecide = canDecide(a, out, now)
	return out, nil
}

// openReason opens a request's reason, sealed under the requester's key.
func (s *Approvals) openReason(r store.AccessRequestRow) (string, error) {
	key, err := s.c.Keys.OpenDataKey(r.RequesterID, r.WrappedKey)
	if err != nil {
		return "", errs.Wrap(errs.Internal, "service.openReason", "", err)
	}
	reason, err := fieldcrypt.Open(key, reasonPlace(r.ID), r.ReasonCT)
	if err != nil {
		return "", errs.Wrap(errs.Internal, "service.openReason", "", err)
	}
	return reason, nil
}

// canDecide: a pending request (or an open break-glass review) at a level
// whose roles include the actor's; never one's own, and never a level after
// one the actor decided: each level is a different person from the
// requester and from every earlier level (separation of duties).
func canDecide(a authz.Actor, r AccessRequest, now time.Time) bool {
	if a.UserID == r.RequesterID || r.DecidedEarlier || r.Level >= len(r.Levels) {
		return false
	}
	if r.Status != "pending" && r.Status != "open" {
		return false
	}
	for _, role := range a.Roles {
		if slices.Contains(r.Levels[r.Level], string(role)) {
			return true
		}
	}
	return false
}

// RequestReveal asks approval to reveal a special-category field of one
// customer the actor may otherwise reveal. Approvers of the first level
// are emailed. Audited.
func (s *Approvals) RequestReveal(ctx context.Context, a authz.Actor, customerID, field, reason string) (AccessRequest, error) {
	return s.RequestApproval(ctx, a, core.KindRevealSpecial, customerID, field, reason)
}

// RequestApproval asks approval for an action of kind that the actor's
// role otherwise allows: revealing a special-category field of a customer
// (core.KindRevealSpecial, objectID the customer, field the field), deleting a
// customer (core.KindDelete), or giving a user other roles (core.KindRoleChange,
// objectID the user, field the roles, separated by commas).
func (s *Approvals) RequestApproval(ctx context.Context, a authz.Actor, kind, objectID, field, reason string) (AccessRequest, error) {
	if a.SessionID == "" || a.UserID == authz.SystemUserID {
		return AccessRequest{}, errs.E(errs.Permission, "log in to ask for access")
	}
	switch kind {
	case core.KindRevealSpecial:
		if crm.ClassOf(field) != crm.ClassSpecial {
			return AccessRequest{}, errs.InvalidField("field", field+" is not a special-category field; reveal it directly if your role may")
		}
	case core.KindDelete:
		field = ""
	case core.KindRoleEdit:
		if err := mayManageRoles(a); err != nil {
			return AccessRequest{}, err
		}
		tpl, isTemplate := strings.CutPrefix(objectID, "template:")
		if _, known := authz.TemplateByName(tpl); isTemplate && !known {
			return AccessRequest{}, errs.InvalidField("role", "no template "+tpl)
		}
		if d := (authz.RoleDef{Name: authz.Role(objectID), Summary: "x"}); !isTemplate && (authz.IsBuiltIn(d.Name) || d.Check() != nil) {
			return AccessRequest{}, errs.InvalidField("role", "name a role that can be defined (not a built-in one), or template:NAME")
		}
		field = ""
	case core.KindBulkExport:
		if err := core.May(a, authz.ActionExport, authz.ObjectCustomer, "your role may not export customers"); err != nil {
			return AccessRequest{}, err
		}
		objectID, field = core.BulkExportObject, ""
	case core.KindRoleChange:
		if err := mayManageRoles(a); err != nil {
			return AccessRequest{}, err
		}
		roles, err := s.c.CheckRoles(ctx, field)
		if err != nil {
			return AccessRequest{}, err
		}
		field = roles
	default:
		return AccessRequest{}, errs.InvalidField("kind", "kind must be one of: reveal_special, customer_delete, role_change, role_edit, export_bulk")
	}
	reason, err := checkReason(reason, 10)
	if err != nil {
		return AccessRequest{}, err
	}
	now := s.c.Now()
	id := crm.NewID("acr")
	var levels [][]string
	objectType := "customer"
	err = core.Change(ctx, s.c, accessStoreOf, func(tx accessStore) error {
		if kind == core.KindBulkExport {
			// the collection: nothing to look up
		} else if kind == core.KindRoleEdit {
			objectType = "role"
		} else if kind == core.KindRoleChange {
			objectType = "user"
			if _, err := tx.UserByID(ctx, objectID); err != nil {
				return core.NotFound(err, "user")
			}
			if objectID == a.UserID {
				return errs.E(errs.Permission, "you may not change your own roles")
			}
		} else {
			row, err := s.c.CustomerInScope(ctx, tx, a, objectID, "access.request")
			if err != nil {
				return err
			}
			switch {
			case kind == core.KindRevealSpecial && authz.Decide(a, authz.ActionReveal, core.CustomerRes(row)).Field(field) < authz.Read:
				return errs.E(errs.Permission, "your role may not reveal "+field)
			case kind == core.KindDelete && !authz.Decide(a, authz.ActionDelete, core.CustomerRes(row)).Allowed:
				return errs.E(errs.Permission, "your role may not delete customers")
			}
		}
		rule, err := tx.ApprovalLevels(ctx, kind)
		if err != nil {
			return err
		}
		if rule == "" {
			return errs.E(errs.Conflict, "this needs no approval now; go ahead directly")
		}
		if err := json.Unmarshal([]byte(rule), &levels); err != nil {
			return errs.Wrap(errs.Internal, "service.RequestReveal", "", err)
		}
		return s.insertRequest(ctx, tx, a, store.AccessRequestRow{ID: id, Kind: kind, RequesterID: a.UserID, ObjectType: objectType, ObjectID: objectID,
			Field: field, Status: "pending", Levels: rule, Steps: "[]", CreatedAt: now, ExpiresAt: now.Add(RequestTTL)}, reason, "access.request")
	})
	if err != nil {
		return AccessRequest{}, err
	}
	what := "reveal " + field + " of customer " + objectID
	switch kind {
	case core.KindDelete:
		what = "delete customer " + objectID
	case core.KindRoleChange:
		what = "give user " + objectID + " the roles " + field
	case core.KindBulkExport:
		what = "export customers in bulk"
	case core.KindRoleEdit:
		what = "change the permissions of role " + objectID
	}
	s.notifyLevel(ctx, a, levels, 0, "approval", what)
	return s.accessRequest(ctx, a, id)
}

// insertRequest seals the reason under the requester's key, stores the
// request and audits it.
func (s *Approvals) insertRequest(ctx context.Context, tx accessStore, a authz.Actor, r store.AccessRequestRow, reason, action string) error {
	u, err := tx.UserByID(ctx, a.UserID)
	if err != nil {
		return core.NotFound(err, "user")
	}
	key, err := s.c.Keys.OpenDataKey(u.ID, u.WrappedKey)
	if err != nil {
		return errs.Wrap(errs.Internal, "service.insertRequest", "", err)
	}
	if r.ReasonCT, err = fieldcrypt.Seal(key, reasonPlace(r.ID), reason); err != nil {
		return err
	}
	if err := tx.InsertAccessRequest(ctx, r); err != nil {
		return err
	}
	return s.c.Record(ctx, tx, a, action, r.ObjectType, r.ObjectID, fieldList(r.Field), audit.Success, r.Kind+" "+r.ID)
}

func fieldList(f string) []string {
	if f == "" {
		return nil
	}
	return []string{f}
}

// notifyLevel emails the users who decide at level (in the background).
func (s *Approvals) notifyLevel(ctx context.Context, a authz.Actor, levels [][]string, level int, kind, what string) {
	if level >= len(levels) {
		return
	}
	var users []store.UserRow
	err := core.Look(ctx, s.c, accessStoreOf, func(tx accessStore) error {
		var err error
		users, err = tx.UsersWithRoles(ctx, levels[level])
		return err
	})
	if err != nil {
		return
	}
	who := a.UserID
	for _, u := range users {
		if u.ID == a.UserID {
			continue
		}
		if me, err := s.c.OpenUser(u); err == nil {
			s.c.Mailer.Enqueue(core.ComposeMail(kind, u.Locale, me.Email, core.MailData{Inviter: who, Role: what, Link: s.c.Link("/approvals", ""), When: core.MailTimeFor(u, s.c.Now()), IP: a.IP}))
		}
	}
}

func (s *Approvals) accessRequest(ctx context.Context, a authz.Actor, id string) (AccessRequest, error) {
	var out AccessRequest
	err := core.Look(ctx, s.c, accessStoreOf, func(tx accessStore) error {
		r, err := tx.AccessRequest(ctx, id)
		if err != nil {
			return core.NotFound(err, "request")
		}
		out, err = s.accessView(a, r, s.c.Now())
		return err
	})
	return out, err
}

// AccessRequests lists what the actor should see: their own requests,
// those they may decide now, and — for those who read the audit log —
// all, newest first (at most 200).
func (s *Approvals) AccessRequests(ctx context.Context, a authz.Actor) ([]AccessRequest, error) {
	if a.SessionID == "" && a.UserID != authz.SystemUserID {
		return nil, errs.E(errs.Permission, "log in first")
	}
	mine := a.UserID
	if authz.Decide(a, authz.ActionRead, authz.Resource{Object: authz.ObjectAudit}).Allowed {
		mine = "" // all of them
	}
	now := s.c.Now()
	var out []AccessRequest
	err := core.Change(ctx, s.c, accessStoreOf, func(tx accessStore) error {
		rows, err := tx.ListAccessRequests(ctx, mine, 200)
		if err != nil {
			return err
		}
		for _, r := range rows {
			v, err := s.accessState(a, r, now)
			if err != nil {
				return err
			}
			if mine != "" && v.RequesterID != a.UserID && !v.CanDecide && !v.DecidedEarlier {
				continue // waiting for someone else: neither listed nor opened
			}
			if v.Reason, err = s.openReason(r); err != nil {
				return err
			}
			out = append(out, v)
		}
		// Requesters' reasons are their words: reading them is recorded.
		return s.c.Record(ctx, tx, a, "approvals.list", "access_request", "", []string{"reason"}, audit.Success, strconv.Itoa(len(out))+" requests")
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DecideAccessRequest approves or rejects a request at its current level
// (or closes a break-glass review as justified or not). The requester
// never decides their own; a decision needs a fresh proof. The last
// approval grants the access for GrantFor, once. Every step is audited
// and the requester (or the next level) is emailed.
func (s *Approvals) DecideAccessRequest(ctx context.Context, a authz.Actor, id string, approve bool) (AccessRequest, error) {
	if err := s.c.RequireStepUp(a); err != nil {
		return AccessRequest{}, err
	}
	now := s.c.Now()
	var v AccessRequest
	var nextLevel = -1
	err := core.Change(ctx, s.c, accessStoreOf, func(tx accessStore) error {
		r, err := tx.AccessRequest(ctx, id)
		if err != nil {
			return core.NotFound(err, "request")
		}
		if v, err = s.accessState(a, r, now); err != nil {
			return err
		}
		if a.UserID == v.RequesterID {
			return errs.E(errs.Permission, "nobody decides their own request")
		}
		if v.DecidedEarlier {
			return errs.E(errs.Permission, "you approved an earlier level of this request; another person must decide this level")
		}
		if !v.CanDecide {
			return errs.E(errs.Permission, "this request is not waiting for your decision (it was decided, expired, or waits for another level)")
		}
		decision := "reject"
		if approve {
			decision = "approve"
		}
		v.Steps = append(v.Steps, AccessStep{Level: v.Level, By: a.UserID, Decision: decision, At: now})
		from := r.Status
		switch {
		case r.Kind == core.KindBreakGlass && approve:
			r.Status = "justified"
		case r.Kind == core.KindBreakGlass:
			// Not justified: the opening ends now if its window is still running.
			r.Status = "unjustified"
			if r.ValidUntil.After(now) {
				r.ValidUntil = now
			}
		case !approve:
			r.Status = "rejected"
		case v.Level+1 < len(v.Levels):
			r.Level++
			nextLevel = r.Level
		default:
			r.Status, r.ValidUntil = "approved", now.Add(GrantFor)
		}
		steps, err := json.Marshal(v.Steps)
		if err != nil {
			return err
		}
		r.Steps = string(steps)
		if err := tx.UpdateAccessRequest(ctx, id, from, r); err != nil {
			if errs.Is(err, errs.NotExist) {
				return errs.E(errs.Conflict, "someone decided this request at the same moment; reload it")
			}
			return err
		}
		return s.c.Record(ctx, tx, a, "access."+decision, r.ObjectType, r.ObjectID, fieldList(r.Field), audit.Success,
			fmt.Sprintf("%s %s level %d -> %s", r.Kind, r.ID, v.Level, r.Status))
	})
	if err != nil {
		return AccessRequest{}, err
	}
	what := v.Kind + " " + v.ObjectType + " " + v.ObjectID + " " + v.Field
	if nextLevel >= 0 {
		s.notifyLevel(ctx, a, v.Levels, nextLevel, "approval", what)
	} else {
		s.notifyRequester(ctx, v.RequesterID, what, id)
	}
	return s.accessRequest(ctx, a, id)
}

func (s *Approvals) notifyRequester(ctx context.Context, userID, what, id string) {
	var u store.UserRow
	var status string
	err := core.Look(ctx, s.c, accessStoreOf, func(tx accessStore) error {
		var err error
		if u, err = tx.UserByID(ctx, userID); err != nil {
			return err
		}
		r, err := tx.AccessRequest(ctx, id)
		status = r.Status
		return err
	})
	if err != nil {
		return
	}
	if me, err := s.c.OpenUser(u); err == nil {
		s.c.Mailer.Enqueue(core.ComposeMail("decided", u.Locale, me.Email, core.MailData{Role: what, Inviter: status, Link: s.c.Link("/approvals", "")}))
	}
}

// BreakGlass opens one customer record the actor's role cannot normally
// read, for BreakGlassFor, with a mandatory reason. It raises an alert at
// once (an audit event and an email to the reviewers) and creates a review
// item that a reviewer must close. Only roles designated for break-glass.
func (s *Approvals) BreakGlass(ctx context.Context, a authz.Actor, customerID, reason string) (AccessRequest, error) {
	if a.SessionID == "" || a.UserID == authz.SystemUserID {
		return AccessRequest{}, errs.E(errs.Permission, "log in to break glass")
	}
	reason, err := checkReason(reason, 20)
	if err != nil {
		return AccessRequest{}, err
	}
	if !crm.ValidID(customerID) {
		return AccessRequest{}, core.ErrCustomerNotFound
	}
	if err := s.c.RequireStepUp(a); err != nil {
		return AccessRequest{}, err
	}
	now := s.c.Now()
	id := crm.NewID("acr")
	var levels [][]string
	refused := false // recorded in the transaction, answered after it commits
	err = core.Change(ctx, s.c, accessStoreOf, func(tx accessStore) error {
		allowed, err := tx.BreakGlassRoles(ctx)
		if err != nil {
			return err
		}
		ok := false
		for _, r := range a.Roles {
			ok = ok || slices.Contains(allowed, string(r))
		}
		if refused = !ok; refused {
			return s.c.Record(ctx, tx, a, "breakglass.open", "customer", customerID, nil, audit.Denied, "role not designated for break-glass")
		}
		if _, err := tx.CustomerByID(ctx, customerID); err != nil {
			return core.NotFound(err, "customer")
		}
		rule, err := tx.ApprovalLevels(ctx, core.KindBreakGlass)
		if err != nil {
			return err
		}
		if rule == "" {
			rule = `[["admin"]]`
		}
		if err := json.Unmarshal([]byte(rule), &levels); err != nil {
			return errs.Wrap(errs.Internal, "service.BreakGlass", "", err)
		}
		return s.insertRequest(ctx, tx, a, store.AccessRequestRow{ID: id, Kind: core.KindBreakGlass, RequesterID: a.UserID, ObjectType: "customer", ObjectID: customerID,
			Status: "open", Levels: rule, Steps: "[]", CreatedAt: now, ExpiresAt: now.Add(reviewDueAfter), ValidUntil: now.Add(BreakGlassFor)}, reason, "breakglass.open")
	})
	if err == nil && refused {
		err = errs.E(errs.Permission, "your role may not break glass")
	}
	if err == nil && refused {
		err = errs.E(errs.Permission, "your role may not break glass")
	}
	if err != nil {
		return AccessRequest{}, err
	}
	s.notifyLevel(ctx, a, levels, 0, "breakglass", "customer "+customerID)
	return s.accessRequest(ctx, a, id)
}

// ApprovalRules returns the approval levels per kind.
func (s *Approvals) ApprovalRules(ctx context.Context, a authz.Actor) (map[string][][]string, error) {
	if err := core.May(a, authz.ActionRead, authz.ObjectUser, "you may not read approval rules"); err != nil {
		return nil, err
	}
	out := map[string][][]string{}
	err := core.Look(ctx, s.c, accessStoreOf, func(tx accessStore) error {
		for _, k := range approvalKinds {
			rule, err := tx.ApprovalLevels(ctx, k)
			if err != nil {
				return err
			}
			var levels [][]string
			if rule != "" {
				if err := json.Unmarshal([]byte(rule), &levels); err != nil {
					return errs.Wrap(errs.Internal, "service.ApprovalRules", "", err)
				}
			}
			out[k] = levels
		}
		return nil
	})
	return out, err
}

// SetApprovalRule sets who approves a kind of access, level by level
// (each level a list of roles, any one of whose holders decides); no
// levels removes the need for approval (not for break-glass reviews).
// Administrators, with a fresh proof; audited before/after.
func (s *Approvals) SetApprovalRule(ctx context.Context, a authz.Actor, kind string, levels [][]string) error {
	if err := mayManageRoles(a); err != nil {
		return err
	}
	if !slices.Contains(approvalKinds, kind) {
		return errs.InvalidField("kind", "kind must be one of: "+strings.Join(approvalKinds, ", "))
	}
	if kind == core.KindBreakGlass && len(levels) == 0 {
		return errs.InvalidField("levels", "break-glass always needs a reviewer")
	}
	if len(levels) > 5 {
		return errs.InvalidField("levels", "at most 5 levels")
	}
	for _, l := range levels {
		if len(l) == 0 {
			return errs.InvalidField("levels", "each level needs at least one role")
		}
		for _, r := range l {
			if err := s.c.CheckRole(ctx, r); err != nil {
				return err
			}
		}
	}
	if err := s.c.RequireStepUp(a); err != nil {
		return err
	}
	rule := ""
	if len(levels) > 0 {
		b, _ := json.Marshal(levels)
		rule = string(b)
	}
	return core.Change(ctx, s.c, accessStoreOf, func(tx accessStore) error {
		old, err := tx.ApprovalLevels(ctx, kind)
		if err != nil {
			return err
		}
		if err := tx.SetApprovalLevels(ctx, kind, rule); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "approval.rule", "settings", kind, nil, audit.Success, "before: "+old+" after: "+rule)
	})
}

// BreakGlassRoles returns the roles designated for break-glass.
func (s *Approvals) BreakGlassRoles(ctx context.Context, a authz.Actor) ([]string, error) {
	if err := core.May(a, authz.ActionRead, authz.ObjectUser, "you may not read break-glass rules"); err != nil {
		return nil, err
	}
	var out []string
	err := core.Look(ctx, s.c, accessStoreOf, func(tx accessStore) error {
		var err error
		out, err = tx.BreakGlassRoles(ctx)
		return err
	})
	return out, err
}

// SetBreakGlassRoles designates the roles that may break glass.
func (s *Approvals) SetBreakGlassRoles(ctx context.Context, a authz.Actor, roles []string) error {
	if err := mayManageRoles(a); err != nil {
		return err
	}
	for _, r := range roles {
		if err := s.c.CheckRole(ctx, r); err != nil {
			return err
		}
	}
	slices.Sort(roles)
	roles = slices.Compact(roles)
	if err := s.c.RequireStepUp(a); err != nil {
		return err
	}
	return core.Change(ctx, s.c, accessStoreOf, func(tx accessStore) error {
		old, err := tx.BreakGlassRoles(ctx)
		if err != nil {
			return err
		}
		if err := tx.SetBreakGlassRoles(ctx, roles); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "breakglass.roles", "settings", "breakglass_roles", nil, audit.Success,
			"before: ["+strings.Join(old, " ")+"] after: ["+strings.Join(roles, " ")+"]")
	})
}

// accessStore is what the methods in access.go read and write.
type accessStore interface {
	core.CustomerStore
	AccessRequest(ctx context.Context, id string) (store.AccessRequestRow, error)
	ApprovalLevels(ctx context.Context, kind string) (string, error)
	BreakGlassRoles(ctx context.Context) ([]string, error)
	InsertAccessRequest(ctx context.Context, r store.AccessRequestRow) error
	ListAccessRequests(ctx context.Context, mine string, limit int) ([]store.AccessRequestRow, error)
	SetApprovalLevels(ctx context.Context, kind, levels string) error
	SetBreakGlassRoles(ctx context.Context, roles []string) error
	UpdateAccessRequest(ctx context.Context, id, from string, r store.AccessRequestRow) error
	UserByID(ctx context.Context, id string) (store.UserRow, error)
	UsersWithRoles(ctx context.Context, roles []string) ([]store.UserRow, error)
}

// accessStoreOf is the compiler's check that the store has every method of accessStore.
func accessStoreOf(tx *store.Tx) accessStore { return tx }
