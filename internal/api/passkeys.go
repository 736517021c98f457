package api

import (
	"encoding/json"
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/httpx"
)

// Passkeys are WebAuthn credentials. Each ceremony is two calls: the
// options (for navigator.credentials.create or .get; the challenge is
// kept on the session), then the browser's answer as its JSON form
// (PublicKeyCredential.toJSON()).

func (h *sessionsAPI) beginPasskeyRegistration(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	opts, err := h.sessions.BeginPasskeyRegistration(r.Context(), a)
	if err != nil {
		return err
	}
	writeRaw(w, http.StatusOK, opts)
	return nil
}

func (h *sessionsAPI) finishPasskeyRegistration(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		Name       string          `json:"name"`
		Credential json.RawMessage `json:"credential"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "credential"); err != nil {
		return err
	}
	p, err := h.sessions.FinishPasskeyRegistration(r.Context(), a, in.Name, in.Credential)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, p)
	return nil
}

func (h *sessionsAPI) listPasskeys(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	list, err := h.sessions.MyPasskeys(r.Context(), a)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"passkeys": nonNil(list)})
	return nil
}

func (h *sessionsAPI) deletePasskey(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	if err := h.sessions.DeletePasskey(r.Context(), a, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *sessionsAPI) beginPasskeyProof(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	opts, err := h.sessions.BeginPasskeyProof(r.Context(), a)
	if err != nil {
		return err
	}
	writeRaw(w, http.StatusOK, opts)
	return nil
}

// finishPasskeyProof takes the browser's answer: the second factor of a
// pending session, or a step-up. It answers with the session's new token.
func (h *sessionsAPI) finishPasskeyProof(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in json.RawMessage
	if err := httpx.DecodeJSON(w, r, &in, "id", "rawId", "type", "response"); err != nil {
		return err
	}
	sess, err := h.sessions.FinishPasskeyProof(r.Context(), a, in)
	if err != nil {
		return err
	}
	rotated(w, sess)
	return nil
}

func writeRaw(w http.ResponseWriter, status int, body json.RawMessage) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}
