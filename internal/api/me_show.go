package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/httpx"
)

type meResponse struct {
	UserID     string       `json:"user_id"`
	Roles      []authz.Role `json:"roles"`
	SessionID  string       `json:"session_id"`
	TimeZone   string       `json:"time_zone"`   // a tz database name; "UTC" when none was chosen
	TimeFormat string       `json:"time_format"` // "" the language's written form, or "iso"
}

func (h *usersAPI) showMe(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	z := a.TimeZone
	if z == "" {
		z = "UTC"
	}
	httpx.WriteJSON(w, http.StatusOK, meResponse{UserID: a.UserID, Roles: a.Roles, SessionID: a.SessionID, TimeZone: z, TimeFormat: a.TimeFormat})
	return nil
}

type timeChange struct {
	TimeZone   string `json:"time_zone"`
	TimeFormat string `json:"time_format"`
}

// setMyTime sets how the caller's times are shown (the web UI, emails);
// the API's own times stay ISO-8601 UTC.
func (h *usersAPI) setMyTime(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in timeChange
	if err := httpx.DecodeJSON(w, r, &in, "time_zone"); err != nil {
		return err
	}
	if err := h.users.SetMyTime(r.Context(), a, in.TimeZone, in.TimeFormat); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
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
