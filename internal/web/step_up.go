package web

import (
	"net/http"
	"net/url"
	"strings"

	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/httpx"
)

type stepUpView struct {
	Next, Error    string
	HasTOTP        bool
	PasskeyOptions string // request options (JSON) when the user has a passkey
	SSO            string // the single sign-on provider's name, to confirm there; "" when off
}

// stepUpFor sends the browser to confirm it is the user, then back to the
// page the refused action came from: a GET comes back to itself; a form
// post to the page that holds the form.
func (q *request) stepUpFor() {
	next := q.r.URL.RequestURI()
	switch {
	case q.r.Method == http.MethodGet:
	case q.back != "": // a posted search or export: back to its page, never to a GET export
		next = q.back
	default:
		next = formPage(q.r.URL.Path)
	}
	http.Redirect(q.w, q.r, "/step-up?next="+url.QueryEscape(next), http.StatusSeeOther)
}

// formPage is the page holding the form that posts to path: the record
// (/customers/{id}/reveal → /customers/{id}) or the administration page.
func formPage(path string) string {
	switch {
	case strings.HasPrefix(path, "/mfa"):
		return "/mfa"
	case strings.HasPrefix(path, "/reviews/"):
		return "/reviews/" + strings.Split(path, "/")[2]
	case strings.HasPrefix(path, "/approvals"):
		return "/approvals"
	case path == "/break-glass":
		return "/break-glass"
	case strings.HasPrefix(path, "/admin/roles/"):
		return "/admin/roles/" + strings.Split(path, "/")[3]
	case strings.HasPrefix(path, "/admin"):
		return "/admin"
	case strings.HasPrefix(path, "/customers/"):
		parts := strings.Split(path, "/")
		return "/customers/" + parts[2]
	}
	return "/"
}

func (h *identityPages) showStepUp(q *request) error {
	return h.renderStepUp(q, http.StatusOK, safeNext(q.r.URL.Query().Get("next")), "")
}

func (h *identityPages) renderStepUp(q *request, status int, next, msg string) error {
	has, err := h.sessionsSvc.HasTOTP(q.r.Context(), q.actor)
	if err != nil {
		return err
	}
	opts, err := h.passkeyProof(q)
	if err != nil {
		return err
	}
	h.render(q, status, "step_up", "step_up", stepUpView{Next: next, Error: msg, HasTOTP: has, PasskeyOptions: opts, SSO: h.ssoName(q.lang)})
	return nil
}

func (h *identityPages) stepUp(q *request) error {
	next := safeNext(q.r.PostFormValue("next"))
	sess, err := h.sessionsSvc.StepUp(q.r.Context(), q.actor, q.r.PostFormValue("code"), q.r.PostFormValue("password"))
	if err != nil {
		if !errs.Is(err, errs.Invalid) && !errs.Is(err, errs.TooMany) {
			return err
		}
		msg, _ := q.public(err)
		return h.renderStepUp(q, errs.KindOf(err).Status(), next, msg)
	}
	httpx.SetSessionCookie(q.w, sess.Token, sess.ExpiresAt)
	http.Redirect(q.w, q.r, next, http.StatusSeeOther)
	return nil
}
