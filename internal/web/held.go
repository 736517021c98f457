package web

import (
	"net/http"
	"time"

	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
)

type heldView struct {
	Records []crm.HeldRecord
	Now     time.Time
	Error   string
	// Open is the record read with a reason, and its content.
	Open *crm.HeldRecord
	Data crm.HeldData
}

// showHeld lists what erasures kept under a legal hold: scope, reason,
// end; never the content.
func (h *requestsPages) showHeld(q *request) error { return h.renderHeld(q, http.StatusOK, heldView{}) }

func (h *requestsPages) renderHeld(q *request, code int, v heldView) error {
	list, err := h.customersSvc.HeldRecords(q.r.Context(), q.actor)
	if err != nil {
		return err
	}
	v.Records, v.Now = list, time.Now()
	h.render(q, code, "held", "held_records", v)
	return nil
}

// readHeld opens one held record with the reason typed in the form: the
// content is shown on this answer only (never behind a link).
func (h *requestsPages) readHeld(q *request) error {
	rec, d, err := h.customersSvc.ReadHeld(q.r.Context(), q.actor, q.r.PathValue("id"), q.r.PostFormValue("reason"))
	if errs.Is(err, errs.Invalid) {
		msg, _ := q.public(err)
		return h.renderHeld(q, http.StatusBadRequest, heldView{Error: msg})
	}
	if err != nil {
		return err
	}
	return h.renderHeld(q, http.StatusOK, heldView{Open: &rec, Data: d})
}
