package web

import (
	"net/http"
	"strings"

	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/service/governance"
)

// The approvals inbox: requests waiting for my decision, my own, and (for
// those who read the audit log) all; asking approval to reveal a field;
// breaking glass.

type approvalsView struct {
	Waiting, Mine, Others []governance.AccessRequest
}

func (h *approvalsPages) showApprovals(q *request) error {
	list, err := h.approvalsSvc.AccessRequests(q.r.Context(), q.actor)
	if err != nil {
		return err
	}
	var v approvalsView
	for _, r := range list {
		switch {
		case r.CanDecide, r.DecidedEarlier: // the latter shown with why not
			v.Waiting = append(v.Waiting, r)
		case r.RequesterID == q.actor.UserID:
			v.Mine = append(v.Mine, r)
		default:
			v.Others = append(v.Others, r)
		}
	}
	h.render(q, http.StatusOK, "approvals", "approvals", v)
	return nil
}

func (h *approvalsPages) decideApproval(q *request) error {
	approve := q.r.PostFormValue("decision") == "approve"
	if _, err := h.approvalsSvc.DecideAccessRequest(q.r.Context(), q.actor, q.r.PathValue("id"), approve); err != nil {
		return err
	}
	q.redirect("/approvals", "decision_saved")
	return nil
}

type accessFormView struct {
	Kind, ObjectID, Field, Reason, Error string
}

func (h *Handler) renderAccessForm(q *request, status int, v accessFormView) error {
	h.render(q, status, "access_request", "request_access", v)
	return nil
}

func (h *approvalsPages) requestAccess(q *request) error {
	v := accessFormView{Kind: q.r.PostFormValue("kind"), ObjectID: q.r.PostFormValue("object_id"), Field: q.r.PostFormValue("field"), Reason: q.r.PostFormValue("reason")}
	if v.Kind == "" {
		v.Kind = core.KindRevealSpecial
	}
	if _, err := h.approvalsSvc.RequestApproval(q.r.Context(), q.actor, v.Kind, v.ObjectID, v.Field, v.Reason); err != nil {
		if !errs.Is(err, errs.Invalid) && !errs.Is(err, errs.Conflict) {
			return err
		}
		v.Error, _ = q.public(err)
		return h.renderAccessForm(q, http.StatusBadRequest, v)
	}
	q.redirect("/approvals", "request_sent")
	return nil
}

type breakGlassView struct {
	CustomerID, Reason, Error      string
	FindEmail, FindName, FindError string                      // the picker's search, kept on the page
	Candidates                     []governance.GlassCandidate // what it found
	Searched                       bool
}

func (h *approvalsPages) showBreakGlass(q *request) error {
	h.render(q, http.StatusOK, "break_glass", "break_glass", breakGlassView{CustomerID: q.r.URL.Query().Get("customer")})
	return nil
}

func (h *approvalsPages) breakGlass(q *request) error {
	v := breakGlassView{CustomerID: strings.TrimSpace(q.r.PostFormValue("customer_id")), Reason: q.r.PostFormValue("reason")}
	if _, err := h.approvalsSvc.BreakGlass(q.r.Context(), q.actor, v.CustomerID, v.Reason); err != nil {
		if !errs.Is(err, errs.Invalid) && !errs.Is(err, errs.NotExist) && !errs.Is(err, errs.Permission) {
			return err
		}
		v.Error, _ = q.public(err)
		h.render(q, errs.KindOf(err).Status(), "break_glass", "break_glass", v)
		return nil
	}
	q.redirect("/customers/"+v.CustomerID, "done_glass_opened")
	return nil
}

// saveApprovalRules takes the admin page's form: one level a line, roles
// separated by commas or spaces, per kind; and the break-glass roles.
func (h *adminPages) saveApprovalRules(q *request) error {
	for _, kind := range []string{core.KindRevealSpecial, core.KindDelete, core.KindRoleChange, core.KindRoleEdit, core.KindBulkExport, core.KindBreakGlass} {
		var levels [][]string
		for _, line := range strings.Split(q.r.PostFormValue(kind), "\n") {
			if roles := strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == ' ' || r == '\r' || r == '\t' }); len(roles) > 0 {
				levels = append(levels, roles)
			}
		}
		if err := h.approvalsSvc.SetApprovalRule(q.r.Context(), q.actor, kind, levels); err != nil {
			return h.adminError(q, err, "", "admin", nil)
		}
	}
	if err := h.approvalsSvc.SetBreakGlassRoles(q.r.Context(), q.actor, q.r.PostForm["breakglass_role"]); err != nil {
		return h.adminError(q, err, "", "admin", nil)
	}
	q.redirect("/admin", "rules_saved")
	return nil
}
