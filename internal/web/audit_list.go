package web

import (
	"net/http"
	"strconv"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/governance"
	"strongroom.dev/strongroom/internal/service/records"
)

type auditView struct {
	Actor, ObjectID string
	Events          []audit.Event
	NextAfter       int64
	Sealed          string // the reason of an event whose reason is kept sealed beside it
}

func (h *auditPages) listAudit(q *request) error {
	qs := q.r.URL.Query()
	v := auditView{Actor: qs.Get("actor"), ObjectID: qs.Get("object_id"), Sealed: records.SealedReason}
	aq := governance.AuditQuery{ActorID: v.Actor, ObjectID: v.ObjectID, Limit: 100}
	if a := qs.Get("after"); a != "" {
		n, err := httpx.WholeNumber("after", a)
		if err != nil {
			return err
		}
		aq.AfterSeq = n
	}
	page, err := h.auditSvc.Events(q.r.Context(), q.actor, aq)
	if err != nil {
		return err
	}
	v.Events, v.NextAfter = page.Events, page.NextAfter
	h.render(q, http.StatusOK, "audit", "audit", v)
	return nil
}

// showAuditReason opens the reason kept sealed beside one audit event.
func (h *auditPages) showAuditReason(q *request) error {
	seq, err := strconv.ParseInt(q.r.PathValue("seq"), 10, 64)
	if err != nil || seq < 1 {
		return errs.E(errs.NotExist, "no such audit event")
	}
	v, err := h.customersSvc.AuditReason(q.r.Context(), q.actor, seq)
	if err != nil {
		return err
	}
	h.render(q, http.StatusOK, "audit_reason", "audit_reason", v)
	return nil
}
