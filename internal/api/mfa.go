package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/identity"
)

type mfaCode struct {
	Code string `json:"code"`
}

// verifyMFA completes a session's login with a TOTP or recovery code.
func (h *sessionsAPI) verifyMFA(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in mfaCode
	if err := httpx.DecodeJSON(w, r, &in, "code"); err != nil {
		return err
	}
	sess, err := h.sessions.VerifyMFA(r.Context(), a, in.Code)
	if err != nil {
		return err
	}
	rotated(w, sess)
	return nil
}

// stepUp proves the user again (authenticator code, or password without
// one) before sensitive actions, for the next 5 minutes.
func (h *sessionsAPI) stepUp(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		Code     string `json:"code"`
		Password string `json:"password"`
	}
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Code == "" && in.Password == "" {
		return errs.E(errs.Invalid, "give code (from your authenticator app, or a recovery code) or, without an authenticator, password")
	}
	sess, err := h.sessions.StepUp(r.Context(), a, in.Code, in.Password)
	if err != nil {
		return err
	}
	rotated(w, sess)
	return nil
}

// rotated answers with a session's new token, in the body and the cookie;
// the old token no longer works.
func rotated(w http.ResponseWriter, sess identity.Session) {
	httpx.SetSessionCookie(w, sess.Token, sess.ExpiresAt)
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"token": sess.Token})
}

// beginTOTP offers a new authenticator secret; nothing is stored yet.
func (h *sessionsAPI) beginTOTP(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	e, err := h.sessions.BeginTOTP(r.Context(), a)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, e)
	return nil
}

// confirmTOTP stores the secret this session was offered once a code from
// it is shown, and answers with the recovery codes, shown this once.
func (h *sessionsAPI) confirmTOTP(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		Secret string `json:"secret"` // optional; when sent, it must be the offered one
		Code   string `json:"code"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "code"); err != nil {
		return err
	}
	codes, err := h.sessions.ConfirmTOTP(r.Context(), a, in.Secret, in.Code)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}{codes})
	return nil
}

// resetMFA removes a user's second factor (administrators).
func (h *sessionsAPI) resetMFA(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	if err := h.sessions.ResetMFA(r.Context(), a, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type mfaRoles struct {
	Roles []string `json:"roles"`
}

// listMFARequiredRoles answers which roles must use two-step login (admin).
func (h *sessionsAPI) listMFARequiredRoles(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	roles, err := h.sessions.MFARequiredRoles(r.Context(), a)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, mfaRoles{Roles: append([]string{}, roles...)})
	return nil
}

// setMFARequiredRoles replaces the roles that must use two-step login (admin).
func (h *sessionsAPI) setMFARequiredRoles(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in mfaRoles
	if err := httpx.DecodeJSON(w, r, &in, "roles"); err != nil {
		return err
	}
	if err := h.sessions.SetMFARequiredRoles(r.Context(), a, in.Roles); err != nil {
		return err
	}
	return h.listMFARequiredRoles(w, r, a)
}
