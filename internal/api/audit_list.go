package api

import (
	"net/http"
	"strconv"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/governance"
)

type auditList struct {
	Items     []audit.Event `json:"items"`
	NextAfter int64         `json:"next_after,omitempty"`
}

func (h *auditAPI) listAudit(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	q, err := httpx.Query(r, "actor", "object_type", "object_id", "since", "until", "after", "limit")
	if err != nil {
		return err
	}
	var aq governance.AuditQuery
	if aq.Since, err = httpx.Time(q, "since"); err != nil {
		return err
	}
	if aq.Until, err = httpx.Time(q, "until"); err != nil {
		return err
	}
	if aq.AfterSeq, err = httpx.Int(q, "after"); err != nil {
		return err
	}
	limit, err := httpx.Int(q, "limit")
	if err != nil {
		return err
	}
	aq.Limit = int(limit)
	aq.ActorID, aq.ObjectType, aq.ObjectID = q["actor"], q["object_type"], q["object_id"]
	page, err := h.log.Events(r.Context(), a, aq)
	if err != nil {
		return err
	}
	out := auditList{Items: page.Events, NextAfter: page.NextAfter}
	if out.Items == nil {
		out.Items = []audit.Event{}
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// showAuditReason opens the reason kept sealed beside one audit event
// (whose reason reads "reason given (sealed)"); opening it is audited.
func (h *auditAPI) showAuditReason(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	seq, err := strconv.ParseInt(r.PathValue("seq"), 10, 64)
	if err != nil || seq < 1 {
		return errs.InvalidField("seq", "seq must be an audit event's number")
	}
	out, err := h.customers.AuditReason(r.Context(), a, seq)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}
