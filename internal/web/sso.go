package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/sso"
)

// ssoPages is single sign-on with the company's OpenID Connect provider:
// the login page's button leads to startSSO, the provider sends the
// browser back to finishSSO.
type ssoPages struct {
	*Handler
	sessionsSvc *identity.Sessions
	provider    *sso.Provider
	name        string // on the button
}

// ssoCookie binds a login in flight to the browser that started it: its
// random state (the nonce and PKCE verifier are derived from it by the
// service) and where to go after. SameSite=Lax, because the provider's
// redirect back is a cross-site navigation; __Host- keeps sibling
// subdomains from planting one.
const ssoCookie = "__Host-strongroom-sso"

// What a login in flight is for, the cookie's last part.
const (
	ssoLogin  = "l" // a login
	ssoStepUp = "s" // a step-up of the browser's session
)

// UseSSO turns on single sign-on's pages with p (nil: off); name is the
// provider's name on the login page's button.
func (h *Handler) UseSSO(p *sso.Provider, name string) {
	if p == nil {
		h.sso = nil
		return
	}
	h.sso = &ssoPages{h, h.svc.Sessions, p, name}
}

// ssoName is the button's label for the login page ("" when off).
func (h *Handler) ssoName(lang string) string {
	if h.sso == nil {
		return ""
	}
	if h.sso.name == "" {
		return tr(lang, "sso_your_company")
	}
	return h.sso.name
}

// ssoRefused shows the login page with a translated message.
func (h *Handler) ssoRefused(q *request, status int, key string) error {
	h.render(q, status, "login", "login", loginView{Next: "/", CSRF: newCSRFCookie(q.w), Error: tr(q.lang, key), SSO: h.ssoName(q.lang)})
	return nil
}

func (h *ssoPages) startSSO(q *request) error {
	// stepup=1: a logged-in user confirms it is them (a step-up) by
	// signing in at the provider again.
	mode := ssoLogin
	if q.r.URL.Query().Get("stepup") == "1" {
		mode = ssoStepUp
	}
	state := rand.Text() + rand.Text()
	nonce, verifier := h.sessionsSvc.SSOSecrets(state)
	to, err := h.provider.AuthURL(q.r.Context(), state, nonce, verifier, mode == ssoStepUp)
	if err != nil {
		h.log.Warn("single sign-on: provider unavailable", "error", err)
		return h.ssoRefused(q, http.StatusServiceUnavailable, "sso_unavailable")
	}
	next := safeNext(q.r.URL.Query().Get("next"))
	http.SetCookie(q.w, &http.Cookie{Name: ssoCookie, Value: state + "." + base64.RawURLEncoding.EncodeToString([]byte(next)) + "." + mode,
		Path: "/", MaxAge: 600, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(q.w, q.r, to, http.StatusSeeOther)
	return nil
}

func (h *ssoPages) finishSSO(q *request) error {
	query := q.r.URL.Query()
	http.SetCookie(q.w, &http.Cookie{Name: ssoCookie, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	state, next, mode := "", "/", ssoLogin
	if c, err := q.r.Cookie(ssoCookie); err == nil {
		parts := strings.Split(c.Value, ".")
		if len(parts) == 3 {
			state, mode = parts[0], parts[2]
			if b, err := base64.RawURLEncoding.DecodeString(parts[1]); err == nil {
				next = safeNext(string(b))
			}
		}
	}
	// The state that came back must be the one this browser sent: a login
	// started elsewhere (login CSRF) or replayed has none, or another.
	if got := query.Get("state"); state == "" || len(got) != len(state) || subtle.ConstantTimeCompare([]byte(got), []byte(state)) != 1 {
		return h.ssoRefused(q, http.StatusBadRequest, "sso_expired")
	}
	if query.Get("error") != "" || query.Get("code") == "" {
		return h.ssoRefused(q, http.StatusUnauthorized, "sso_denied")
	}
	// A provider that names itself in the answer (RFC 9207) must be ours:
	// an answer from another provider the browser was sent to (a mix-up)
	// is refused before its code goes anywhere.
	if iss, ok := query["iss"]; ok && (len(iss) != 1 || iss[0] != h.provider.Issuer()) {
		h.log.Warn("single sign-on: an answer from another issuer was refused")
		return h.ssoRefused(q, http.StatusUnauthorized, "sso_failed")
	}
	nonce, verifier := h.sessionsSvc.SSOSecrets(state)
	id, err := h.provider.Exchange(q.r.Context(), query.Get("code"), verifier, nonce)
	if err != nil {
		if errs.Is(err, errs.Unavailable) {
			h.log.Warn("single sign-on: provider unavailable", "error", err)
			return h.ssoRefused(q, http.StatusServiceUnavailable, "sso_unavailable")
		}
		h.log.Warn("single sign-on: the provider's answer was refused", "error", err)
		return h.ssoRefused(q, http.StatusUnauthorized, "sso_failed")
	}
	if mode == ssoStepUp {
		return h.stepUpSSO(q, id, next)
	}
	sess, err := h.sessionsSvc.LoginSSO(q.r.Context(), id, client(q.r))
	switch {
	case errs.Is(err, errs.TooMany):
		return h.ssoRefused(q, http.StatusTooManyRequests, "sso_throttled")
	case errs.Is(err, errs.Unauthenticated):
		return h.ssoRefused(q, http.StatusUnauthorized, "sso_refused")
	case err != nil:
		return err
	}
	httpx.SetSessionCookie(q.w, sess.Token, sess.ExpiresAt)
	forgetOthersLists(q.w, q.r, sess.UserID)
	if sess.MFAPending {
		next = "/mfa/verify?next=" + url.QueryEscape(next)
	}
	return h.ssoContinue(q, next)
}

// stepUpSSO finishes a step-up at the provider for the browser's session.
func (h *ssoPages) stepUpSSO(q *request, id identity.SSOIdentity, next string) error {
	c, err := q.r.Cookie(SessionCookie)
	if err == nil {
		q.token = c.Value
		q.actor, err = h.sessionsSvc.Authenticate(q.r.Context(), c.Value, client(q.r))
	}
	if err != nil {
		if errs.Is(err, errs.Unauthenticated) || errs.Is(err, errs.NotExist) {
			http.Redirect(q.w, q.r, "/login?ended=1&next="+url.QueryEscape(next), http.StatusSeeOther)
			return nil
		}
		return err
	}
	if q.actor.Locale != "" {
		q.lang = q.actor.Locale
	}
	sess, err := h.sessionsSvc.StepUpSSO(q.r.Context(), q.actor, id)
	if err != nil {
		if errs.Is(err, errs.Invalid) || errs.Is(err, errs.TooMany) || errs.Is(err, errs.Permission) {
			return h.identity.renderStepUp(q, errs.KindOf(err).Status(), next, tr(q.lang, "sso_step_up_refused"))
		}
		return err
	}
	httpx.SetSessionCookie(q.w, sess.Token, sess.ExpiresAt)
	forgetOthersLists(q.w, q.r, sess.UserID)
	return h.ssoContinue(q, next)
}

// ssoContinue ends a callback with a page that moves on to next.
func (h *ssoPages) ssoContinue(q *request, next string) error {
	// The session cookie is SameSite=Strict and this answer ends a
	// navigation the provider started: a browser that judges a redirect by
	// its whole chain (Chromium's CookieSameSiteConsidersRedirectChain, off
	// by default today) would send the next request without it. A page of
	// our own moves on instead (no script: a meta refresh), a navigation
	// this site starts.
	q.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	q.w.Header().Set("Cache-Control", "no-store")
	return ssoDone.Execute(q.w, map[string]string{"Lang": q.lang, "Next": next, "Continue": tr(q.lang, "sso_continue")})
}

var ssoDone = template.Must(template.New("sso_done").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url={{.Next}}"><title>Strongroom</title></head>
<body><p><a id="sso-continue" href="{{.Next}}">{{.Continue}}</a></p></body></html>
`))
