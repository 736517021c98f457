package web

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
)

// showHome is the dashboard for a logged-in user and the login page for
// anyone else.
func (h *homePages) showHome(q *request) error {
	c, err := q.r.Cookie(SessionCookie)
	if err != nil {
		http.Redirect(q.w, q.r, "/login", http.StatusSeeOther)
		return nil
	}
	if q.actor, err = h.sessionsSvc.Authenticate(q.r.Context(), c.Value, client(q.r)); err != nil {
		http.Redirect(q.w, q.r, "/login", http.StatusSeeOther)
		return nil
	}
	q.token = c.Value
	if q.actor.Locale != "" {
		q.lang = q.actor.Locale
	}
	if page, ok := owedPage[q.actor.Owes(authz.GateFull)]; ok {
		http.Redirect(q.w, q.r, page, http.StatusSeeOther)
		return nil
	}
	return h.showDashboard(q)
}
