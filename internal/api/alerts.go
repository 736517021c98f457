package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/governance"
)

type alertList struct {
	Items []governance.Alert `json:"items"`
}

// listAlerts lists the detectors' alerts (admin, auditor).
func (h *auditAPI) listAlerts(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	q, err := httpx.Query(r, "status", "limit")
	if err != nil {
		return err
	}
	limit, err := httpx.Int(q, "limit")
	if err != nil {
		return err
	}
	items, err := h.log.Alerts(r.Context(), a, q["status"], int(limit))
	if err != nil {
		return err
	}
	if items == nil {
		items = []governance.Alert{}
	}
	httpx.WriteJSON(w, http.StatusOK, alertList{Items: items})
	return nil
}

// setAlertStatus acknowledges, closes or reopens an alert (admin).
func (h *auditAPI) setAlertStatus(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		Status string `json:"status"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "status"); err != nil {
		return err
	}
	out, err := h.log.SetAlertStatus(r.Context(), a, r.PathValue("id"), in.Status)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}
