package web

import (
	"net/http"
	"slices"

	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/governance"
)

type securityView struct {
	Status   string // the filter: open, acknowledged, closed, or "" for all
	Statuses []string
	Alerts   []governance.Alert
}

// showSecurity lists the detectors' alerts, open ones by default.
func (h *auditPages) showSecurity(q *request) error {
	status := q.r.URL.Query().Get("status")
	if !q.r.URL.Query().Has("status") {
		status = "open"
	}
	if status != "" && !slices.Contains(governance.AlertStatuses, status) {
		return errs.InvalidField("status", "status must be open, acknowledged or closed")
	}
	alerts, err := h.auditSvc.Alerts(q.r.Context(), q.actor, status, 200)
	if err != nil {
		return err
	}
	h.render(q, http.StatusOK, "security", "security", securityView{Status: status, Statuses: governance.AlertStatuses, Alerts: alerts})
	return nil
}

// setAlertStatus acknowledges, closes or reopens an alert.
func (h *auditPages) setAlertStatus(q *request) error {
	if _, err := h.auditSvc.SetAlertStatus(q.r.Context(), q.actor, q.r.PathValue("id"), q.r.PostFormValue("status")); err != nil {
		return err
	}
	back := q.r.PostFormValue("back")
	if !slices.Contains(governance.AlertStatuses, back) {
		back = ""
	}
	http.Redirect(q.w, q.r, "/security?flash=alert_updated&status="+back, http.StatusSeeOther)
	return nil
}
