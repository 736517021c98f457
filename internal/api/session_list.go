package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/identity"
)

func (h *sessionsAPI) listSessions(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	q, err := httpx.Query(r, "user_id")
	if err != nil {
		return err
	}
	list, err := h.sessions.Sessions(r.Context(), a, q["user_id"])
	if err != nil {
		return err
	}
	list = nonNil(list)
	httpx.WriteJSON(w, http.StatusOK, struct {
		Items []identity.SessionInfo `json:"items"`
	}{list})
	return nil
}

func (h *sessionsAPI) endSession(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	if err := h.sessions.EndSession(r.Context(), a, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *sessionsAPI) endOtherSessions(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	n, err := h.sessions.EndOtherSessions(r.Context(), a)
	return writeEnded(w, n, err)
}

// endAllSessions ends every session of every user but the caller's
// (administrators).
func (h *sessionsAPI) endAllSessions(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	n, err := h.sessions.EndAllSessions(r.Context(), a)
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
func (h *sessionsAPI) endUserSessions(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	n, err := h.sessions.EndUserSessions(r.Context(), a, r.PathValue("id"))
	return writeEnded(w, n, err)
}

// listActiveSessions lists the sessions in use now across all users
// (administrators): who, device, address, last request, last actions.
func (h *sessionsAPI) listActiveSessions(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	list, err := h.sessions.ActiveSessions(r.Context(), a)
	if err != nil {
		return err
	}
	list = nonNil(list)
	httpx.WriteJSON(w, http.StatusOK, struct {
		Items []identity.ActiveSession `json:"items"`
	}{list})
	return nil
}
