package web

import (
	"net/http"
	"time"

	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/privacy"
)

// askView is the public page where people make requests about their data.
type askView struct {
	Email, Kind, Law, Details string
	CSRF, Error               string
	Kinds                     []string
	Sent, Confirm, Dead       bool
	Done                      *crm.Request
}

const askCookie = "__Host-strongroom-ask"

func (h *requestsPages) showAsk(q *request) error {
	h.render(q, http.StatusOK, "ask", "privacy_ask", askView{CSRF: newCSRFCookie(q.w), Kinds: crm.RequestKinds, Law: "gdpr"})
	return nil
}

// ask sends the confirmation link. The page says the same whether or not
// the address is held.
func (h *requestsPages) ask(q *request) error {
	if err := q.checkLoginCSRF(); err != nil {
		return err
	}
	v := askView{Email: q.r.PostFormValue("email"), Kind: q.r.PostFormValue("kind"), Law: q.r.PostFormValue("law"), Details: q.r.PostFormValue("details"), Kinds: crm.RequestKinds}
	err := h.requestsSvc.Ask(q.r.Context(), v.Email, crm.RequestInput{Kind: v.Kind, Law: v.Law, Details: v.Details}, httpx.ClientOf(q.r).IP, q.lang)
	if errs.Is(err, errs.Invalid) || errs.Is(err, errs.TooMany) {
		v.CSRF = newCSRFCookie(q.w)
		v.Error, _ = q.public(err)
		h.render(q, errs.KindOf(err).Status(), "ask", "privacy_ask", v)
		return nil
	}
	if err != nil {
		return err
	}
	h.render(q, http.StatusOK, "ask", "privacy_ask", askView{Sent: true})
	return nil
}

// showConfirmAsk opens the emailed link: the token moves from the address
// into a short-lived cookie (as a password reset link's does), and the page
// asks the person to confirm.
func (h *requestsPages) showConfirmAsk(q *request) error {
	if q.r.URL.Query().Has("token") {
		token := q.r.URL.Query().Get("token")
		if token != "" && len(token) <= 128 {
			http.SetCookie(q.w, &http.Cookie{Name: askCookie, Value: token, Path: "/", MaxAge: int(time.Hour.Seconds()), Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
		}
		http.Redirect(q.w, q.r, privacy.ConfirmPath, http.StatusSeeOther)
		return nil
	}
	h.render(q, http.StatusOK, "ask", "privacy_ask", askView{Confirm: true, CSRF: newCSRFCookie(q.w)})
	return nil
}

// confirmAsk makes the request.
func (h *requestsPages) confirmAsk(q *request) error {
	if err := q.checkLoginCSRF(); err != nil {
		return err
	}
	token := ""
	if c, err := q.r.Cookie(askCookie); err == nil {
		token = c.Value
	}
	http.SetCookie(q.w, &http.Cookie{Name: askCookie, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	r, err := h.requestsSvc.ConfirmAsk(q.r.Context(), token, httpx.ClientOf(q.r).IP)
	if errs.Is(err, errs.Invalid) {
		h.render(q, http.StatusBadRequest, "ask", "privacy_ask", askView{Dead: true, Error: tr(q.lang, "ask_link_dead")})
		return nil
	}
	if err != nil {
		return err
	}
	h.render(q, http.StatusOK, "ask", "privacy_ask", askView{Done: &r})
	return nil
}
