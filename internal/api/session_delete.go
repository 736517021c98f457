package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/httpx"
)

func (h *sessionsAPI) deleteSession(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	if err := h.sessions.Logout(r.Context(), a); err != nil {
		return err
	}
	httpx.ClearSessionCookie(w)
	httpx.ClearSiteData(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
