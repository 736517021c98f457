package web

import (
	"crypto/subtle"
	"net/http"
	"time"

	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/identity"
)

// checkLoginCSRF checks a form shown before login: its token must match
// the cookie set with the form (double submit), which a cross-site page
// can neither read nor set.
func (q *request) checkLoginCSRF() error {
	if err := q.checkForm(); err != nil {
		return err
	}
	c, err := q.r.Cookie(csrfCookie)
	if err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(q.r.PostFormValue(csrfField))) != 1 {
		return q.csrfRefused()
	}
	return nil
}

type forgotView struct {
	Email, CSRF, Error string
	Sent               bool
}

func (h *identityPages) showForgot(q *request) error {
	h.render(q, http.StatusOK, "forgot", "forgot_password", forgotView{CSRF: newCSRFCookie(q.w)})
	return nil
}

// forgot asks for a reset link. The page says the same whether or not the
// account exists.
func (h *identityPages) forgot(q *request) error {
	if err := q.checkLoginCSRF(); err != nil {
		return err
	}
	email := q.r.PostFormValue("email")
	if err := h.usersSvc.RequestPasswordReset(q.r.Context(), email, client(q.r)); err != nil {
		if !errs.Is(err, errs.Invalid) && !errs.Is(err, errs.TooMany) {
			return err
		}
		msg, _ := q.public(err)
		h.render(q, errs.KindOf(err).Status(), "forgot", "forgot_password", forgotView{Email: email, CSRF: newCSRFCookie(q.w), Error: msg})
		return nil
	}
	h.render(q, http.StatusOK, "forgot", "forgot_password", forgotView{Sent: true})
	return nil
}

// setPasswordView is the page an emailed link opens: a password reset or
// an invitation.
type setPasswordView struct {
	Action, CSRF, Error string
	Invite, Dead        bool
}

// linkPage serves the page of an emailed link of purpose at path.
type linkPage struct {
	path, purpose, title, done string
	cookie                     string // holds the link's token between the link and the form
	set                        func(users *identity.Users, q *request, token, password string) error
}

var (
	resetPage = linkPage{path: identity.ResetPath, purpose: "reset", title: "choose_password", done: "password_reset_done", cookie: "__Host-strongroom-reset",
		set: func(users *identity.Users, q *request, token, pw string) error {
			return users.ResetPassword(q.r.Context(), token, pw, client(q.r))
		}}
	invitePage = linkPage{path: identity.InvitePath, purpose: "invite", title: "accept_invitation", done: "invitation_accepted", cookie: "__Host-strongroom-invite",
		set: func(users *identity.Users, q *request, token, pw string) error {
			return users.AcceptInvitation(q.r.Context(), token, pw, client(q.r))
		}}
)

// linkCookieFor is how long the browser keeps a link's token after opening
// it: time to choose a password, not to leave it lying about.
const linkCookieFor = time.Hour

// showLinkPage opens an emailed link. The link carries its token in the
// query (it must work without script, so not in a fragment); the first
// request moves it into a short-lived HttpOnly cookie and sends the browser
// to the same page without it, so the address that history keeps, and that
// a Referer could carry, holds no token. The cookie is SameSite=Lax so
// that the redirect after a link followed from webmail (a cross-site
// navigation) still brings it back.
func (h *identityPages) showLinkPage(p linkPage) pageFunc {
	return func(q *request) error {
		if q.r.URL.Query().Has("token") {
			token := q.r.URL.Query().Get("token")
			if token == "" || len(token) > 128 {
				p.clearCookie(q.w)
			} else {
				http.SetCookie(q.w, &http.Cookie{Name: p.cookie, Value: token, Path: "/", MaxAge: int(linkCookieFor.Seconds()),
					Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
			}
			http.Redirect(q.w, q.r, p.path, http.StatusSeeOther)
			return nil
		}
		v := setPasswordView{Action: p.path, Invite: p.purpose == "invite", CSRF: newCSRFCookie(q.w)}
		status := http.StatusOK
		if err := h.usersSvc.CheckLink(q.r.Context(), p.token(q.r), p.purpose); err != nil {
			if !errs.Is(err, errs.Invalid) {
				return err
			}
			p.clearCookie(q.w)
			v.Dead, v.Error, status = true, tr(q.lang, "link_dead"), http.StatusBadRequest
		}
		h.render(q, status, "set_password", p.title, v)
		return nil
	}
}

// token is the link's token, from the cookie showLinkPage set.
func (p linkPage) token(r *http.Request) string {
	if c, err := r.Cookie(p.cookie); err == nil {
		return c.Value
	}
	return ""
}

func (p linkPage) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: p.cookie, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

func (h *identityPages) useLinkPage(p linkPage) pageFunc {
	return func(q *request) error {
		if err := q.checkLoginCSRF(); err != nil {
			return err
		}
		token := p.token(q.r)
		if q.r.PostFormValue("password") != q.r.PostFormValue("password2") {
			h.render(q, http.StatusBadRequest, "set_password", p.title, setPasswordView{Action: p.path, Invite: p.purpose == "invite",
				CSRF: newCSRFCookie(q.w), Error: tr(q.lang, "passwords_differ")})
			return nil
		}
		if err := p.set(h.usersSvc, q, token, q.r.PostFormValue("password")); err != nil {
			if !errs.Is(err, errs.Invalid) {
				return err
			}
			msg, field := q.public(err)
			v := setPasswordView{Action: p.path, Invite: p.purpose == "invite", CSRF: newCSRFCookie(q.w), Error: msg}
			if field == "token" {
				p.clearCookie(q.w)
				v.Dead, v.Error = true, tr(q.lang, "link_dead")
			}
			h.render(q, http.StatusBadRequest, "set_password", p.title, v)
			return nil
		}
		p.clearCookie(q.w)
		q.redirect("/login", p.done)
		return nil
	}
}
