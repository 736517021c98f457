package web

import "net/http"

func (h *Handler) showHome(q *request) error {
	if c, err := q.r.Cookie(SessionCookie); err == nil {
		if _, err := h.svc.Authenticate(q.r.Context(), c.Value, client(q.r)); err == nil {
			http.Redirect(q.w, q.r, "/customers", http.StatusSeeOther)
			return nil
		}
	}
	http.Redirect(q.w, q.r, "/login", http.StatusSeeOther)
	return nil
}
