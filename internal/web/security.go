package web

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/governance"
)

type securityView struct {
	Status     string // the filter: open, acknowledged, closed, or "" for all
	Statuses   []string
	Alerts     []governance.Alert
	Blocks     []governance.Block
	BlockError string
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
	return h.renderSecurity(q, status, nil)
}

func (h *auditPages) renderSecurity(q *request, status string, blockErr error) error {
	alerts, err := h.auditSvc.Alerts(q.r.Context(), q.actor, status, 200)
	if err != nil {
		return err
	}
	blocks, err := h.rolesSvc.Blocks(q.r.Context(), q.actor)
	if err != nil {
		return err
	}
	v := securityView{Status: status, Statuses: governance.AlertStatuses, Alerts: alerts, Blocks: blocks}
	code := http.StatusOK
	if blockErr != nil {
		v.BlockError, _ = q.public(blockErr)
		code = http.StatusBadRequest
	}
	h.render(q, code, "security", "security", v)
	return nil
}

// blockNetwork blocks a network for the minutes given.
func (h *auditPages) blockNetwork(q *request) error {
	minutes, err := strconv.Atoi(q.r.PostFormValue("minutes"))
	if err != nil {
		minutes = 0 // the service says what is allowed
	}
	_, err = h.rolesSvc.BlockNetwork(q.r.Context(), q.actor, q.r.PostFormValue("network"), time.Duration(minutes)*time.Minute, q.r.PostFormValue("reason"))
	if errs.Is(err, errs.Invalid) {
		return h.renderSecurity(q, "open", err)
	}
	if err != nil {
		return err
	}
	q.redirect("/security", "network_blocked")
	return nil
}

// unblockNetwork lifts a block.
func (h *auditPages) unblockNetwork(q *request) error {
	if err := h.rolesSvc.UnblockNetwork(q.r.Context(), q.actor, q.r.PostFormValue("network")); err != nil {
		return err
	}
	q.redirect("/security", "network_unblocked")
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
