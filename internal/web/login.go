package web

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/httpx"
)

type loginView struct {
	Email, Next, CSRF, Error string
	Ended                    bool
	SSO                      string // the single sign-on button's provider name; "" when off
}

// safeNext keeps a post-login redirect on this site: a path that starts
// with one slash, with no backslash and no control character (browsers drop
// tabs and newlines, so "/\t/evil.example" would become "//evil.example").
// Anything else goes to the home page, which is every role's landing page
// (the dashboard: a field rep's visits of the day, a seller's tasks and
// pipeline), never a list the role may not read.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsFunc(next, func(r rune) bool { return r == '\\' || r < 0x20 || r == 0x7f }) {
		return "/"
	}
	return next
}

func (h *identityPages) showLogin(q *request) error {
	v := loginView{Next: safeNext(q.r.URL.Query().Get("next")), CSRF: newCSRFCookie(q.w), Ended: q.r.URL.Query().Get("ended") == "1", SSO: h.ssoName(q.lang)}
	q.scripts = true // tz.js: the browser's time zone, the default of a user who never chose one
	h.render(q, http.StatusOK, "login", "login", v)
	return nil
}

func (h *identityPages) login(q *request) error {
	if err := q.checkLoginCSRF(); err != nil {
		return err
	}
	email, next := q.r.PostFormValue("email"), safeNext(q.r.PostFormValue("next"))
	c := client(q.r)
	c.Device = httpx.DeviceCookieValue(q.r)
	sess, err := h.sessionsSvc.Login(q.r.Context(), email, q.r.PostFormValue("password"), c)
	if err != nil {
		if !errs.Is(err, errs.Unauthenticated) && !errs.Is(err, errs.TooMany) {
			return err
		}
		msg, _ := q.public(err)
		q.scripts = true
		h.render(q, errs.KindOf(err).Status(), "login", "login", loginView{Email: email, Next: next, CSRF: newCSRFCookie(q.w), Error: msg, SSO: h.ssoName(q.lang)})
		return nil
	}
	httpx.SetSessionCookie(q.w, sess.Token, sess.ExpiresAt)
	forgetOthersLists(q.w, q.r, sess.UserID)
	httpx.SetDeviceCookie(q.w, sess.Device)
	http.SetCookie(q.w, &http.Cookie{Name: csrfCookie, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	if sess.MFAPending {
		next = "/mfa/verify?next=" + url.QueryEscape(next)
	}
	http.Redirect(q.w, q.r, next, http.StatusSeeOther)
	return nil
}

func (h *identityPages) logout(q *request) error {
	if err := h.sessionsSvc.Logout(q.r.Context(), q.actor); err != nil {
		return err
	}
	httpx.ClearSessionCookie(q.w)
	httpx.ClearSiteData(q.w)
	q.redirect("/login", "logged_out")
	return nil
}

func (h *identityPages) switchLanguage(q *request) error {
	if err := q.checkForm(); err != nil {
		return err
	}
	lang := q.r.PostFormValue("lang")
	if lang != langEN && lang != langZH {
		return errs.InvalidField("lang", "unknown language")
	}
	// A logged-in user's choice is kept with the user, for every device; it
	// changes the user's record, so the form must carry the session's token.
	// A page shown without a session (login, password reset) says so and
	// changes only this browser's choice; so does a session that still owes
	// a step of its login.
	if c, err := q.r.Cookie(SessionCookie); err == nil && q.r.PostFormValue("public") != "1" {
		if a, err := h.sessionsSvc.Authenticate(q.r.Context(), c.Value, client(q.r)); err == nil && a.Owes(authz.GateFull) == "" {
			q.token, q.actor = c.Value, a
			if subtle.ConstantTimeCompare([]byte(q.r.PostFormValue(csrfField)), []byte(q.csrf())) != 1 {
				return q.csrfRefused()
			}
			if err := h.usersSvc.SetMyLocale(q.r.Context(), a, lang); err != nil {
				return err
			}
		}
	}
	http.SetCookie(q.w, &http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600, Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	if _, err := q.r.Cookie(oldLangCookie); err == nil {
		// The cookie's old name is ignored; let the browser forget it.
		http.SetCookie(q.w, &http.Cookie{Name: oldLangCookie, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	}
	http.Redirect(q.w, q.r, safeNext(q.r.PostFormValue("back")), http.StatusSeeOther)
	return nil
}
