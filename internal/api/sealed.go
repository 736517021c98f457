package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/sealed"
)

// sealedAPI serves sealed notes: ciphertext, envelopes and public keys
// only; the browser (static/sealed.js) seals and opens them. Byte fields
// are standard base64, as encoding/json writes []byte.
type sealedAPI struct{ notes *sealed.Notes }

// showSealKey answers the caller's own seal key (its private half as their
// browser encrypted it).
func (h *sealedAPI) showSealKey(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	k, err := h.notes.MyKey(r.Context(), a)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, k)
	return nil
}

// putSealKey stores the caller's seal key, made in their browser.
func (h *sealedAPI) putSealKey(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in sealed.SealKey
	if err := httpx.DecodeJSON(w, r, &in, "public_key", "private_ct", "private_nonce", "kdf", "kdf_salt", "kdf_iterations"); err != nil {
		return err
	}
	if err := h.notes.SetMyKey(r.Context(), a, in); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// putSealKeyPRF stores the caller's private key wrapped under a passkey's PRF output.
func (h *sealedAPI) putSealKeyPRF(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in sealed.PRFUnlock
	if err := httpx.DecodeJSON(w, r, &in, "credential_id", "salt", "private_ct", "private_nonce"); err != nil {
		return err
	}
	if err := h.notes.SetMyPRF(r.Context(), a, in); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listSealRecipients answers whom a note on the customer may be sealed to.
func (h *sealedAPI) listSealRecipients(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	rs, err := h.notes.Recipients(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"recipients": rs})
	return nil
}

// listSealedNotes answers the customer's sealed notes.
func (h *sealedAPI) listSealedNotes(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	notes, err := h.notes.List(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"notes": notes})
	return nil
}

// createSealedNote stores a note sealed in the caller's browser.
func (h *sealedAPI) createSealedNote(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in sealed.NewNote
	if err := httpx.DecodeJSON(w, r, &in, "id", "ciphertext", "nonce", "envelopes"); err != nil {
		return err
	}
	n, err := h.notes.Create(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, n)
	return nil
}

// showSealedNote answers one note with the caller's envelope.
func (h *sealedAPI) showSealedNote(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	n, err := h.notes.Note(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, n)
	return nil
}

// shareSealedNote adds a recipient's envelope, made by a reader's browser.
func (h *sealedAPI) shareSealedNote(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		RecipientID string `json:"recipient_id"`
		Envelope    []byte `json:"envelope"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "recipient_id", "envelope"); err != nil {
		return err
	}
	if err := h.notes.Share(r.Context(), a, r.PathValue("id"), in.RecipientID, in.Envelope); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// rekeySealedNote replaces a note's ciphertext and envelopes (a recipient removed).
func (h *sealedAPI) rekeySealedNote(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		KeyVersion int `json:"key_version"`
		sealed.Sealed
	}
	if err := httpx.DecodeJSON(w, r, &in, "key_version", "ciphertext", "nonce", "envelopes"); err != nil {
		return err
	}
	n, err := h.notes.Rekey(r.Context(), a, r.PathValue("id"), in.KeyVersion, in.Sealed)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, n)
	return nil
}
