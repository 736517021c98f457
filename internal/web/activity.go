package web

import (
	"net/http"
	"strings"
	"time"

	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/records"
)

// logActivity records a call, meeting, note or task from the customer
// page; an invalid one shows the page again with the message and input.
func (h *customersPages) logActivity(q *request) error {
	id := q.r.PathValue("id")
	in := crm.ActivityInput{Kind: q.r.PostFormValue("kind"), Subject: q.r.PostFormValue("subject"), Body: q.r.PostFormValue("body")}
	if due := strings.TrimSpace(q.r.PostFormValue("due")); due != "" {
		t, err := time.Parse(time.DateOnly, due)
		if err != nil {
			q.logErr, _ = q.public(errs.InvalidField("due", "the due date must be a date, like 2026-12-01"))
			q.logInput = in
			return h.renderCustomer(q, "", "", "")
		}
		in.DueAt = &t
	}
	if _, err := h.activitiesSvc.LogActivity(q.r.Context(), q.actor, id, in); err != nil {
		if !errs.Is(err, errs.Invalid) {
			return err
		}
		q.logErr, _ = q.public(err)
		q.logInput = in
		return h.renderCustomer(q, "", "", "")
	}
	q.redirect("/customers/"+id, "activity_logged")
	return nil
}

func (h *customersPages) completeTask(q *request) error {
	done := q.r.PostFormValue("done") == "1"
	if err := h.activitiesSvc.CompleteTask(q.r.Context(), q.actor, q.r.PathValue("id"), done); err != nil {
		return err
	}
	back := safeNext(q.r.PostFormValue("back"))
	q.redirect(back, "task_updated")
	return nil
}

type dashboardView struct {
	Tasks    []records.Task
	Pipeline []records.StageColumn // nil when the actor may not read deals
	Visits   []crm.Visit           // today's
}

func (h *homePages) showDashboard(q *request) error {
	var v dashboardView
	var err error
	if v.Tasks, err = h.activitiesSvc.MyTasks(q.r.Context(), q.actor); err != nil {
		return err
	}
	can := h.abilities(q)
	if can.Deals {
		if v.Pipeline, err = h.dealsSvc.Pipeline(q.r.Context(), q.actor, ""); err != nil {
			return err
		}
	}
	if can.Visits {
		today := time.Now().In(q.clock().Location()).Format(time.DateOnly) // the reader's today
		if v.Visits, err = h.visitsSvc.Visits(q.r.Context(), q.actor, today, today); err != nil {
			return err
		}
		// Today's visits check in from here, in one tap: the check-in
		// form's script adds the device's location, as on the visit page.
		q.scripts, q.geo = len(v.Visits) > 0, len(v.Visits) > 0
	}
	h.render(q, http.StatusOK, "dashboard", "dashboard", v)
	return nil
}
