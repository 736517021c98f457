package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/httpx"
)

type userUpdate struct {
	Role *string `json:"role"`
}

func (h *Handler) updateUser(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in userUpdate
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Role == nil {
		return errs.InvalidField("role", "role is required")
	}
	u, err := h.svc.SetUserRole(r.Context(), a, r.PathValue("id"), *in.Role)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, u)
	return nil
}
