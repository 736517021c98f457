package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/core"
)

type userUpdate struct {
	Role     *string `json:"role"`
	Team     *string `json:"team"`
	Disabled *bool   `json:"disabled"`
}

func (h *usersAPI) updateUser(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in userUpdate
	if err := httpx.DecodePatch(w, r, &in); err != nil {
		return err
	}
	if in.Disabled != nil {
		if err := h.users.SetUserDisabled(r.Context(), a, r.PathValue("id"), *in.Disabled); err != nil {
			return err
		}
		if in.Role == nil && in.Team == nil {
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
	}
	var u core.User
	var err error
	if in.Role != nil {
		if u, err = h.users.SetUserRole(r.Context(), a, r.PathValue("id"), *in.Role); err != nil {
			return err
		}
	}
	if in.Team != nil {
		if u, err = h.users.SetUserTeam(r.Context(), a, r.PathValue("id"), *in.Team); err != nil {
			return err
		}
	}
	httpx.WriteJSON(w, http.StatusOK, u)
	return nil
}
