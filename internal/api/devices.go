package api

import (
	"encoding/json"
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/devices"
)

// devicesAPI serves field devices: enrolment (DPoP-bound tokens), the
// offline lease, lock, wipe and its confirmation.
type devicesAPI struct{ devices *devices.Devices }

// DeviceStateHeader tells a refused field device its state (locked,
// wiped, outdated), so the app forgets its lease.
const DeviceStateHeader = "Strongroom-Device-State"

// writeWipe answers a device whose wipe was ordered: Clear-Site-Data makes
// the browser drop the origin's storage, caches and cookies, and the body
// carries the one-time code the app confirms the wipe with.
func writeWipe(w http.ResponseWriter, o *devices.WipeOrder) {
	w.Header().Set("Clear-Site-Data", `"cache", "cookies", "storage"`)
	w.Header().Set(DeviceStateHeader, "wipe")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(http.StatusGone)
	json.NewEncoder(w).Encode(map[string]any{"type": httpx.ProblemTypeBase + "device_wipe", "title": http.StatusText(http.StatusGone),
		"status": http.StatusGone, "detail": "this device's data must be wiped: delete the app's storage and keys, then confirm",
		"wipe": true, "device_id": o.DeviceID, "confirmation_code": o.Code, "confirm": "POST /api/v1/devices/" + o.DeviceID + "/wipe-confirmation"})
}

// enrolDevice enrols the device whose key signs the DPoP proof, for the
// logged-in caller (or gives an enrolled one a new token).
func (h *devicesAPI) enrolDevice(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in devices.Input
	if err := httpx.DecodeJSON(w, r, &in, "name", "platform", "app_version"); err != nil {
		return err
	}
	proof, err := h.devices.Proof(r.Header.Get("DPoP"), r.Method, requestURL(r), "")
	if err != nil {
		return err
	}
	out, err := h.devices.Enrol(r.Context(), a, in, proof)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusCreated, map[string]any{"device": out.Device, "access_token": out.Token, "token_type": "DPoP", "expires_at": out.ExpiresAt})
	return nil
}

// listDevices lists the devices the caller may see (?mine=1: their own).
func (h *devicesAPI) listDevices(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	q, err := httpx.Query(r, "mine")
	if err != nil {
		return err
	}
	list, err := h.devices.List(r.Context(), a, q["mine"] == "1")
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": list})
	return nil
}

// leaseDevice hands the calling device its lease secret.
func (h *devicesAPI) leaseDevice(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		Place *devices.Place `json:"place"`
	}
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	out, err := h.devices.Lease(r.Context(), a, in.Place)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

type deviceReason struct {
	Reason string `json:"reason"`
}

func (h *devicesAPI) lockDevice(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in deviceReason
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	d, err := h.devices.Lock(r.Context(), a, r.PathValue("id"), in.Reason)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, d)
	return nil
}

func (h *devicesAPI) wipeDevice(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in deviceReason
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	d, err := h.devices.Wipe(r.Context(), a, r.PathValue("id"), in.Reason)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusAccepted, d)
	return nil
}

// confirmWipe records that the app wiped itself (the one-time code of the
// wipe order; the app has no key left to prove itself with).
func (h *devicesAPI) confirmWipe(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Code string `json:"confirmation_code"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "confirmation_code"); err != nil {
		return err
	}
	if err := h.devices.ConfirmWipe(r.Context(), r.PathValue("id"), in.Code, httpx.ClientOf(r).IP); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
