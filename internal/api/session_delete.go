package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
)

func (h *Handler) deleteSession(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	if err := h.svc.Logout(r.Context(), a); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	w.WriteHeader(http.StatusNoContent)
	return nil
}
