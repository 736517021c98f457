package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/core"
)

func (h *approvalsAPI) requestAccess(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		Kind       string `json:"kind"`
		CustomerID string `json:"customer_id"`
		UserID     string `json:"user_id"` // for role_change
		Role       string `json:"role"`    // for role_edit: a role, or template:NAME
		Field      string `json:"field"`
		Reason     string `json:"reason"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "reason"); err != nil {
		return err
	}
	if in.Kind == "" {
		in.Kind = core.KindRevealSpecial
	}
	object := in.CustomerID
	switch in.Kind {
	case core.KindRoleChange:
		object = in.UserID
	case core.KindRoleEdit:
		object = in.Role
	}
	req, err := h.approvals.RequestApproval(r.Context(), a, in.Kind, object, in.Field, in.Reason)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, req)
	return nil
}

func (h *approvalsAPI) listAccessRequests(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	list, err := h.approvals.AccessRequests(r.Context(), a)
	if err != nil {
		return err
	}
	list = nonNil(list)
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": list})
	return nil
}

func (h *approvalsAPI) decideAccess(approve bool) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
		req, err := h.approvals.DecideAccessRequest(r.Context(), a, r.PathValue("id"), approve)
		if err != nil {
			return err
		}
		httpx.WriteJSON(w, http.StatusOK, req)
		return nil
	}
}

func (h *approvalsAPI) breakGlass(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "reason"); err != nil {
		return err
	}
	req, err := h.approvals.BreakGlass(r.Context(), a, r.PathValue("id"), in.Reason)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, req)
	return nil
}

func (h *approvalsAPI) showApprovalRules(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	rules, err := h.approvals.ApprovalRules(r.Context(), a)
	if err != nil {
		return err
	}
	roles, err := h.approvals.BreakGlassRoles(r.Context(), a)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"levels": rules, "breakglass_roles": nonNil(roles)})
	return nil
}

func (h *approvalsAPI) setApprovalRule(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		Levels [][]string `json:"levels"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "levels"); err != nil {
		return err
	}
	if err := h.approvals.SetApprovalRule(r.Context(), a, r.PathValue("kind"), in.Levels); err != nil {
		return err
	}
	return h.showApprovalRules(w, r, a)
}

func (h *approvalsAPI) setBreakGlassRoles(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		Roles []string `json:"roles"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "roles"); err != nil {
		return err
	}
	if err := h.approvals.SetBreakGlassRoles(r.Context(), a, in.Roles); err != nil {
		return err
	}
	return h.showApprovalRules(w, r, a)
}
