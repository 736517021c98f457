package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service"
)

func (h *Handler) listSessions(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	q, err := httpx.Query(r, "user_id")
	if err != nil {
		return err
	}
	list, err := h.svc.Sessions.Sessions(r.Context(), a, q["user_id"])
	if err != nil {
		return err
	}
	list = nonNil(list)
	httpx.WriteJSON(w, http.StatusOK, struct {
		Items []service.SessionInfo `json:"items"`
	}{list})
	return nil
}

func (h *Handler) endSession(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	if err := h.svc.Sessions.EndSession(r.Context(), a, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) endOtherSessions(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	n, err := h.svc.Sessions.EndOtherSessions(r.Context(), a)
	return writeEnded(w, n, err)
}

// endAllSessions ends every session of every user but the caller's
// (administrators).
func (h *Handler) endAllSessions(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	n, err := h.svc.Sessions.EndAllSessions(r.Context(), a)
	return writeEnded(w, n, err)
}

// writeEnded answers how many sessions ended.
func writeEnded(w http.ResponseWriter, n int, err error) error {
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, struct {
		Ended int `json:"ended"`
	}{n})
	return nil
}

// endUserSessions ends every session of a user (administrators).
func (h *Handler) endUserSessions(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	n, err := h.svc.Sessions.EndUserSessions(r.Context(), a, r.PathValue("id"))
	return writeEnded(w, n, err)
}
