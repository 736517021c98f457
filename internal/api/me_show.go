package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/httpx"
)

type meResponse struct {
	UserID    string       `json:"user_id"`
	Roles     []authz.Role `json:"roles"`
	SessionID string       `json:"session_id"`
}

func (h *usersAPI) showMe(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	httpx.WriteJSON(w, http.StatusOK, meResponse{UserID: a.UserID, Roles: a.Roles, SessionID: a.SessionID})
	return nil
}

type passwordChange struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

func (h *usersAPI) changePassword(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in passwordChange
	if err := httpx.DecodeJSON(w, r, &in, "current_password", "new_password"); err != nil {
		return err
	}
	if err := h.users.ChangeMyPassword(r.Context(), a, in.CurrentPassword, in.NewPassword); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
