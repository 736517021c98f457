package web

import (
	"net/http"

	"strongroom.dev/strongroom/internal/service/identity"
)

type liveView struct {
	Sessions []identity.ActiveSession
}

// showLive lists the sessions in use now, with buttons to end one or lock
// its user. With JavaScript on, live.js refreshes the table every 10
// seconds; without it, the page's refresh link does.
func (h *identityPages) showLive(q *request) error {
	list, err := h.sessionsSvc.ActiveSessions(q.r.Context(), q.actor)
	if err != nil {
		return err
	}
	q.scripts, q.refresh = true, true
	h.render(q, http.StatusOK, "live", "live_sessions", liveView{Sessions: list})
	return nil
}
