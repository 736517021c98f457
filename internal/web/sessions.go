package web

import (
	"net/http"
	"net/url"

	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/identity"
)

type sessionsView struct {
	UserID        string // whose; "" for one's own
	Sessions      []identity.SessionInfo
	PasswordError string
}

// showSessions lists the actor's sessions, or (for an administrator, with
// ?user_id=) another user's.
func (h *identityPages) showSessions(q *request) error { return h.renderSessions(q, nil) }

func (h *identityPages) renderSessions(q *request, passwordErr error) error {
	v := sessionsView{UserID: q.r.URL.Query().Get("user_id")}
	list, err := h.sessionsSvc.Sessions(q.r.Context(), q.actor, v.UserID)
	if err != nil {
		return err
	}
	v.Sessions = list
	status := http.StatusOK
	if passwordErr != nil {
		v.PasswordError, _ = q.public(passwordErr)
		status = http.StatusBadRequest
	}
	h.render(q, status, "sessions", "sessions", v)
	return nil
}

// showChangePassword is the page a user whose password an administrator
// chose must pass through; others change theirs on the sessions page.
func (h *identityPages) showChangePassword(q *request) error {
	if !q.actor.PasswordPending {
		http.Redirect(q.w, q.r, "/sessions#change-password", http.StatusSeeOther)
		return nil
	}
	h.render(q, http.StatusOK, "change_password", "change_password", passwordView{})
	return nil
}

type passwordView struct{ Error string }

func (h *identityPages) changePassword(q *request) error {
	err := h.usersSvc.ChangeMyPassword(q.r.Context(), q.actor, q.r.PostFormValue("current_password"), q.r.PostFormValue("new_password"))
	switch {
	case errs.Is(err, errs.Invalid) && q.actor.PasswordPending:
		msg, _ := q.public(err)
		h.render(q, http.StatusBadRequest, "change_password", "change_password", passwordView{msg})
		return nil
	case errs.Is(err, errs.Invalid):
		return h.renderSessions(q, err)
	case err != nil:
		return err
	case q.actor.PasswordPending:
		q.redirect("/", "password_changed")
		return nil
	}
	q.redirect("/sessions", "password_changed")
	return nil
}

func (h *identityPages) endSession(q *request) error {
	if err := h.sessionsSvc.EndSession(q.r.Context(), q.actor, q.r.PathValue("id")); err != nil {
		return err
	}
	back := "/sessions"
	switch u := q.r.PostFormValue("user_id"); {
	case q.r.PostFormValue("back") == "/admin/live":
		back = "/admin/live"
	case u != "":
		back += "?user_id=" + url.QueryEscape(u)
	}
	q.redirect(back, "done_session_ended")
	return nil
}

func (h *identityPages) endOtherSessions(q *request) error {
	if _, err := h.sessionsSvc.EndOtherSessions(q.r.Context(), q.actor); err != nil {
		return err
	}
	q.redirect("/sessions", "sessions_ended")
	return nil
}

// endUserSessions ends every session of a user (administrators), from the
// user's sessions page.
func (h *identityPages) endUserSessions(q *request) error {
	id := q.r.PathValue("id")
	if _, err := h.sessionsSvc.EndUserSessions(q.r.Context(), q.actor, id); err != nil {
		return err
	}
	q.redirect("/sessions?user_id="+url.QueryEscape(id), "sessions_ended")
	return nil
}

// endAllSessions ends every session of every user but this one
// (administrators), from the administration page.
func (h *identityPages) endAllSessions(q *request) error {
	if _, err := h.sessionsSvc.EndAllSessions(q.r.Context(), q.actor); err != nil {
		return err
	}
	q.redirect("/admin", "all_sessions_ended")
	return nil
}
