package api

import (
	"net/http"
	"strconv"
	"strings"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/governance"
)

type auditList struct {
	Items     []audit.Event `json:"items"`
	NextAfter int64         `json:"next_after,omitempty"`
	// Older and Newer are the cursors of the pages on either side: pass
	// before=older or after=newer (absent when there is none).
	Older int64 `json:"older,omitempty"`
	Newer int64 `json:"newer,omitempty"`
}

// listAudit pages the audit log, oldest first unless order=newest, by seq
// (after, before); filtered by actor, object type and id, subject ids
// (comma separated: events about any, as object or subject), action,
// outcome and a time range.
func (h *auditAPI) listAudit(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	q, err := httpx.Query(r, "actor", "object_type", "object_id", "subject", "action", "outcome", "since", "until", "after", "before", "order", "limit")
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
	if aq.BeforeSeq, err = httpx.Int(q, "before"); err != nil {
		return err
	}
	limit, err := httpx.Int(q, "limit")
	if err != nil {
		return err
	}
	switch q["order"] {
	case "", "oldest":
	case "newest":
		aq.Newest = true
	default:
		return errs.InvalidField("order", "order is newest or oldest")
	}
	aq.Limit = int(limit)
	aq.ActorID, aq.ObjectType, aq.ObjectID = q["actor"], q["object_type"], q["object_id"]
	aq.Action, aq.Outcome = q["action"], q["outcome"]
	for _, id := range strings.Split(q["subject"], ",") {
		if id = strings.TrimSpace(id); id != "" {
			aq.SubjectIDs = append(aq.SubjectIDs, id)
		}
	}
	page, err := h.log.Events(r.Context(), a, aq)
	if err != nil {
		return err
	}
	out := auditList{Items: page.Events, NextAfter: page.NextAfter, Older: page.Older, Newer: page.Newer}
	if out.Items == nil {
		out.Items = []audit.Event{}
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

type auditEventOut struct {
	audit.Event
	// InCheckpoint: the latest signed checkpoint (of CheckpointSize
	// events) covers this event.
	InCheckpoint   bool  `json:"in_checkpoint"`
	CheckpointSize int64 `json:"checkpoint_size"`
}

// showAuditEvent returns one event with its place in the chain; the read
// is audited.
func (h *auditAPI) showAuditEvent(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	seq, err := strconv.ParseInt(r.PathValue("seq"), 10, 64)
	if err != nil || seq < 1 {
		return errs.InvalidField("seq", "seq must be an audit event's number")
	}
	d, err := h.log.AuditEvent(r.Context(), a, seq, false)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, auditEventOut{Event: d.Event, InCheckpoint: d.Checkpointed, CheckpointSize: d.Checkpoint.Size})
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
