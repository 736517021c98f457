package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/boombuler/barcode/qr"

	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/identity"
)

type mfaView struct {
	Enrolled      bool
	Required      bool                    // the user's role must use two-step login and they have not set it up
	Offer         *identity.TOTPEnrolment // a secret being set up
	QRPath        string                  // the offer's otpauth URL as an SVG path
	QRSize        int
	RecoveryCodes []string // shown once, after enrolment
	Error         string
	// OfferEndOthers: a second factor was just added, replaced or removed;
	// the page offers to end the user's other sessions.
	OfferEndOthers bool
	passkeyView
}

// passkeyView is the passkeys part of the two-step login page.
type passkeyView struct {
	Passkeys          []identity.Passkey
	PasskeysAvailable bool   // the server has a public address usable for WebAuthn
	PasskeyOptions    string // creation options (JSON) for adding one; "" until the user has confirmed it is them
	PasskeyError      string
}

// showMFA is the user's two-step login settings.
func (h *identityPages) showMFA(q *request) error { return h.renderMFA(q, http.StatusOK, "") }

func (h *identityPages) renderMFA(q *request, status int, passkeyErr string) error {
	has, err := h.sessionsSvc.HasTOTP(q.r.Context(), q.actor)
	if err != nil {
		return err
	}
	v := mfaView{Enrolled: has, Required: q.actor.EnrolPending}
	switch q.r.URL.Query().Get("flash") {
	case "passkey_added", "passkey_removed":
		v.OfferEndOthers = true
	}
	if v.passkeyView, err = h.passkeys(q); err != nil {
		return err
	}
	v.PasskeyError = passkeyErr
	h.render(q, status, "mfa", "two_step", v)
	return nil
}

// passkeys lists the user's passkeys and, when they may add one now,
// begins the ceremony.
func (h *identityPages) passkeys(q *request) (passkeyView, error) {
	var v passkeyView
	var err error
	if v.Passkeys, err = h.sessionsSvc.MyPasskeys(q.r.Context(), q.actor); err != nil {
		return v, err
	}
	if v.PasskeysAvailable = h.sessionsSvc.PasskeysAvailable(); !v.PasskeysAvailable {
		return v, nil
	}
	opts, err := h.sessionsSvc.BeginPasskeyRegistration(q.r.Context(), q.actor)
	switch {
	case errs.Is(err, errs.StepUp):
		return v, nil
	case err != nil:
		return v, err
	}
	v.PasskeyOptions = string(opts)
	q.scripts = true
	return v, nil
}

func (h *identityPages) addPasskey(q *request) error {
	_, err := h.sessionsSvc.FinishPasskeyRegistration(q.r.Context(), q.actor, q.r.PostFormValue("name"), []byte(q.r.PostFormValue("credential")))
	if errs.Is(err, errs.Invalid) || errs.Is(err, errs.Conflict) {
		msg, _ := q.public(err)
		return h.renderMFA(q, http.StatusBadRequest, msg)
	}
	if err != nil {
		return err
	}
	q.redirect("/mfa", "passkey_added")
	return nil
}

func (h *identityPages) removePasskey(q *request) error {
	if err := h.sessionsSvc.DeletePasskey(q.r.Context(), q.actor, q.r.PathValue("id")); err != nil {
		return err
	}
	q.redirect("/mfa", "passkey_removed")
	return nil
}

// passkeyProof begins a passkey proof for the verify and step-up pages
// when the user has a passkey; "" otherwise.
func (h *identityPages) passkeyProof(q *request) (string, error) {
	if !h.sessionsSvc.PasskeysAvailable() {
		return "", nil
	}
	list, err := h.sessionsSvc.MyPasskeys(q.r.Context(), q.actor)
	if err != nil || len(list) == 0 {
		return "", err
	}
	opts, err := h.sessionsSvc.BeginPasskeyProof(q.r.Context(), q.actor)
	if err != nil {
		return "", err
	}
	q.scripts = true
	return string(opts), nil
}

// provePasskey takes the browser's passkey answer on the verify or
// step-up page.
func (h *identityPages) provePasskey(q *request) error {
	next := safeNext(q.r.PostFormValue("next"))
	sess, err := h.sessionsSvc.FinishPasskeyProof(q.r.Context(), q.actor, []byte(q.r.PostFormValue("credential")))
	if err != nil {
		if !errs.Is(err, errs.Invalid) && !errs.Is(err, errs.TooMany) && !errs.Is(err, errs.Conflict) {
			return err
		}
		msg, _ := q.public(err)
		if q.actor.MFAPending {
			return h.renderVerify(q, errs.KindOf(err).Status(), next, msg)
		}
		return h.renderStepUp(q, errs.KindOf(err).Status(), next, msg)
	}
	httpx.SetSessionCookie(q.w, sess.Token, sess.ExpiresAt)
	forgetOthersLists(q.w, q.r, sess.UserID)
	http.Redirect(q.w, q.r, next, http.StatusSeeOther)
	return nil
}

// beginTOTP shows a fresh secret as a QR code and as text.
func (h *identityPages) beginTOTP(q *request) error {
	e, err := h.sessionsSvc.BeginTOTP(q.r.Context(), q.actor)
	if err != nil {
		return err
	}
	return h.renderOffer(q, e, "")
}

func (h *identityPages) renderOffer(q *request, e identity.TOTPEnrolment, msg string) error {
	has, err := h.sessionsSvc.HasTOTP(q.r.Context(), q.actor)
	if err != nil {
		return err
	}
	v := mfaView{Offer: &e, Error: msg, Enrolled: has}
	v.QRPath, v.QRSize = qrPath(e.URL)
	status := http.StatusOK
	if msg != "" {
		status = http.StatusBadRequest
	}
	h.render(q, status, "mfa", "two_step", v)
	return nil
}

func (h *identityPages) confirmTOTP(q *request) error {
	secret, code := q.r.PostFormValue("secret"), q.r.PostFormValue("code")
	codes, err := h.sessionsSvc.ConfirmTOTP(q.r.Context(), q.actor, secret, code)
	if errs.Is(err, errs.Invalid) {
		msg, _ := q.public(err)
		e, oerr := h.sessionsSvc.PendingTOTP(q.r.Context(), q.actor) // the user has already scanned it
		if oerr != nil {
			return oerr
		}
		return h.renderOffer(q, e, msg)
	}
	if err != nil {
		return err
	}
	h.render(q, http.StatusOK, "mfa", "two_step", mfaView{Enrolled: true, RecoveryCodes: codes, OfferEndOthers: true})
	return nil
}

type verifyView struct {
	Next, Error    string
	PasskeyOptions string // request options (JSON) when the user has a passkey
}

func (h *identityPages) showVerifyMFA(q *request) error {
	if !q.actor.MFAPending {
		http.Redirect(q.w, q.r, "/", http.StatusSeeOther)
		return nil
	}
	return h.renderVerify(q, http.StatusOK, safeNext(q.r.URL.Query().Get("next")), "")
}

func (h *identityPages) renderVerify(q *request, status int, next, msg string) error {
	opts, err := h.passkeyProof(q)
	if err != nil {
		return err
	}
	h.render(q, status, "mfa_verify", "two_step", verifyView{Next: next, Error: msg, PasskeyOptions: opts})
	return nil
}

func (h *identityPages) verifyMFA(q *request) error {
	next := safeNext(q.r.PostFormValue("next"))
	sess, err := h.sessionsSvc.VerifyMFA(q.r.Context(), q.actor, q.r.PostFormValue("code"))
	if err != nil {
		if !errs.Is(err, errs.Invalid) && !errs.Is(err, errs.TooMany) {
			return err
		}
		msg, _ := q.public(err)
		return h.renderVerify(q, errs.KindOf(err).Status(), next, msg)
	}
	httpx.SetSessionCookie(q.w, sess.Token, sess.ExpiresAt)
	forgetOthersLists(q.w, q.r, sess.UserID)
	http.Redirect(q.w, q.r, next, http.StatusSeeOther)
	return nil
}

func (h *adminPages) resetMFA(q *request) error {
	if err := h.sessionsSvc.ResetMFA(q.r.Context(), q.actor, q.r.PathValue("id")); err != nil {
		return h.adminError(q, err, "", "admin", nil)
	}
	q.redirect("/admin", "mfa_reset_done")
	return nil
}

// qrPath draws text as a QR code: an SVG path of one unit square per dark
// module, inside a four-module quiet zone. Inline SVG needs no image
// source, so the strict CSP stays as it is.
func qrPath(text string) (string, int) {
	code, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		return "", 0 // the secret is still shown as text
	}
	n := code.Bounds().Dx()
	var b strings.Builder
	for y := range n {
		for x := range n {
			if r, _, _, _ := code.At(x, y).RGBA(); r == 0 {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x+4, y+4)
			}
		}
	}
	return b.String(), n + 8
}
