package web

import (
	"net/http"

	"strongroom.dev/strongroom/internal/service"
)

type sessionsView struct {
	UserID   string // whose; "" for one's own
	Sessions []service.SessionInfo
}

// showSessions lists the actor's sessions, or (for an administrator, with
// ?user_id=) another user's.
func (h *Handler) showSessions(q *request) error {
	v := sessionsView{UserID: q.r.URL.Query().Get("user_id")}
	list, err := h.svc.Sessions(q.r.Context(), q.actor, v.UserID)
	if err != nil {
		return err
	}
	v.Sessions = list
	h.render(q, http.StatusOK, "sessions", "sessions", v)
	return nil
}

func (h *Handler) endSession(q *request) error {
	if err := h.svc.EndSession(q.r.Context(), q.actor, q.r.PathValue("id")); err != nil {
		return err
	}
	back := "/sessions"
	if u := q.r.PostFormValue("user_id"); u != "" {
		back += "?user_id=" + u
	}
	http.Redirect(q.w, q.r, back, http.StatusSeeOther)
	return nil
}

func (h *Handler) endOtherSessions(q *request) error {
	if _, err := h.svc.EndOtherSessions(q.r.Context(), q.actor); err != nil {
		return err
	}
	q.redirect("/sessions", "sessions_ended")
	return nil
}
