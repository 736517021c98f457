package web

import (
	"context"
	"net/http"
	"slices"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/privacy"
	"strongroom.dev/strongroom/internal/service/records"
)

type requestsView struct {
	Requests []crm.Request
	Table    tableView
	All      bool
	Mine     bool
	Me       string
	Names    map[string]string // handlers' emails by id, for those who assign
	Steps    []string          // the steps that need a second handler's approval
	Now      time.Time
}

type requestView struct {
	Request  crm.Request
	Handlers []privacy.Handler // whom it may be assigned to (none for who may not assign)
	Me       string
	Now      time.Time
	Posted   postedForm // a refused form: what was typed, its message and field
	Scopes   []string   // the scopes a legal hold may have
}

// The ids of the request page's fields an error can name.
var (
	holdFieldIDs  = map[string]string{"scope": "h-scope", "reason": "h-reason", "until": "h-until"}
	closeFieldIDs = map[string]string{"outcome": "q-outcome"}
	eraseFieldIDs = map[string]string{"confirm": "erase-confirm"}
	takeFieldIDs  = map[string]string{"kind": "r-kind", "law": "r-law", "details": "r-details"} // on the consents page
)

// requestColumns are the requests table's columns, in its order.
var requestColumns = []column[crm.Request]{
	{"kind", "request_kind", byText(func(r crm.Request) string { return r.Kind })},
	{"law", "request_law", byText(func(r crm.Request) string { return r.Law })},
	{"received", "request_received", byTime(func(r crm.Request) time.Time { return r.ReceivedAt })},
	{"due", "request_due", byTime(func(r crm.Request) time.Time { return r.DueAt })},
	{"status", "request_status", byText(func(r crm.Request) string { return r.Status })},
	{"assignee", "request_assignee", nil},
}

// showRequests lists the data-subject requests, open ones by deadline
// (?mine=true: the open ones assigned to the caller).
func (h *requestsPages) showRequests(q *request) error {
	q.rememberFilters()
	all, mine := q.r.URL.Query().Get("all") == "true", q.r.URL.Query().Get("mine") == "true"
	list, err := h.requestsSvc.Requests(q.r.Context(), q.actor, !all)
	if err != nil {
		return err
	}
	if mine {
		list = slices.DeleteFunc(list, func(r crm.Request) bool { return r.Assignee != q.actor.UserID })
	}
	defSort := "due" // open requests by deadline
	if all {
		defSort = "received"
	}
	list, table := sortTable(q, "/privacy/requests", list, requestColumns, defSort, all)
	v := requestsView{All: all, Mine: mine, Me: q.actor.UserID, Names: map[string]string{}, Now: time.Now(), Requests: list, Table: table}
	if v.Steps, err = h.requestsSvc.ApprovalSteps(q.r.Context(), q.actor); err != nil {
		return err
	}
	if h.abilities(q).HandleRequests {
		handlers, err := h.requestsSvc.Handlers(q.r.Context(), q.actor)
		if err != nil {
			return err
		}
		for _, x := range handlers {
			v.Names[x.ID] = x.Email
		}
	}
	h.render(q, http.StatusOK, "requests", "privacy_requests", v)
	return nil
}

// showRequest shows one request and what can be done with it.
func (h *requestsPages) showRequest(q *request) error {
	return h.renderRequest(q, http.StatusOK, postedForm{})
}

func (h *requestsPages) renderRequest(q *request, code int, posted postedForm) error {
	r, err := h.requestsSvc.Request(q.r.Context(), q.actor, q.r.PathValue("id"))
	if err != nil {
		return err
	}
	v := requestView{Request: r, Me: q.actor.UserID, Now: time.Now(), Scopes: crm.HoldScopes}
	if r.Open() && h.abilities(q).HandleRequests {
		if v.Handlers, err = h.requestsSvc.Handlers(q.r.Context(), q.actor); err != nil {
			return err
		}
	}
	v.Posted = posted
	h.render(q, code, "request", "privacy_request", v)
	return nil
}

// takeRequest records a request from the consents page of a customer.
func (h *requestsPages) takeRequest(q *request) error {
	id := q.r.PathValue("id")
	in := crm.RequestInput{Kind: q.r.PostFormValue("kind"), Law: q.r.PostFormValue("law"), Details: q.r.PostFormValue("details")}
	if _, err := h.requestsSvc.TakeRequest(q.r.Context(), q.actor, id, in); errs.Is(err, errs.Invalid) {
		return h.consents.renderConsents(q, http.StatusBadRequest, q.refused("request", err, takeFieldIDs))
	} else if err != nil {
		return err
	}
	q.redirect("/customers/"+id+"/consents", "request_taken")
	return nil
}

// updateRequest takes, completes or rejects a request.
func (h *requestsPages) updateRequest(q *request) error {
	id := q.r.PathValue("id")
	r, err := h.requestsSvc.Update(q.r.Context(), q.actor, id, q.r.PostFormValue("status"), q.r.PostFormValue("outcome"))
	if errs.Is(err, errs.Invalid) || errs.Is(err, errs.Conflict) {
		return h.renderRequest(q, http.StatusBadRequest, q.refused("close", err, closeFieldIDs))
	}
	if err != nil {
		return err
	}
	flash := "request_updated"
	if r.AwaitingApproval() {
		flash = "request_approval_asked"
	}
	q.redirect("/privacy/requests/"+id, flash)
	return nil
}

// assignRequest gives the request to the handler chosen.
func (h *requestsPages) assignRequest(q *request) error {
	id := q.r.PathValue("id")
	if _, err := h.requestsSvc.Assign(q.r.Context(), q.actor, id, q.r.PostFormValue("user_id")); errs.Is(err, errs.Invalid) || errs.Is(err, errs.Conflict) {
		return h.renderRequest(q, http.StatusBadRequest, q.refused("request", err, nil))
	} else if err != nil {
		return err
	}
	q.redirect("/privacy/requests/"+id, "request_assigned")
	return nil
}

// askApproval asks a second handler to approve the erasure.
func (h *requestsPages) askApproval(q *request) error {
	return h.restriction(q, h.requestsSvc.AskApproval, "request_approval_asked")
}

// approve gives the approval asked for; the handler who asked is refused
// with the reason on the page.
func (h *requestsPages) approve(q *request) error {
	id := q.r.PathValue("id")
	if _, err := h.requestsSvc.Approve(q.r.Context(), q.actor, id); errs.Is(err, errs.Conflict) || errs.Is(err, errs.Permission) {
		return h.renderRequest(q, http.StatusConflict, q.refused("request", err, nil))
	} else if err != nil {
		return err
	}
	q.redirect("/privacy/requests/"+id, "request_approved")
	return nil
}

// decline turns the approval asked for down, with a note.
func (h *requestsPages) decline(q *request) error {
	id := q.r.PathValue("id")
	if _, err := h.requestsSvc.Decline(q.r.Context(), q.actor, id, q.r.PostFormValue("note")); errs.Is(err, errs.Conflict) || errs.Is(err, errs.Invalid) {
		return h.renderRequest(q, http.StatusBadRequest, q.refused("request", err, nil))
	} else if err != nil {
		return err
	}
	q.redirect("/privacy/requests/"+id, "request_declined")
	return nil
}

// eraseForRequest carries out an erasure request, after the box saying
// it cannot be undone is ticked.
func (h *requestsPages) eraseForRequest(q *request) error {
	id := q.r.PathValue("id")
	if q.r.PostFormValue("confirm") != "1" {
		return h.renderRequest(q, http.StatusBadRequest, q.refused("erase", errs.InvalidField("confirm", tr(q.lang, "erase_confirm_needed")), eraseFieldIDs))
	}
	_, err := h.customersSvc.EraseForRequest(q.r.Context(), q.actor, id)
	if errs.Is(err, errs.Conflict) {
		return h.renderRequest(q, http.StatusConflict, q.refused("request", err, nil))
	}
	if err != nil {
		return err
	}
	q.redirect("/privacy/requests/"+id, "request_erased")
	return nil
}

// restrict carries out a restriction request; lift ends it.
func (h *requestsPages) restrict(q *request) error {
	return h.restriction(q, h.requestsSvc.Restrict, "request_restricted")
}

func (h *requestsPages) lift(q *request) error {
	return h.restriction(q, h.requestsSvc.Lift, "request_lifted")
}

func (h *requestsPages) restriction(q *request, do func(context.Context, authz.Actor, string) (crm.Request, error), flash string) error {
	id := q.r.PathValue("id")
	if _, err := do(q.r.Context(), q.actor, id); errs.Is(err, errs.Conflict) {
		return h.renderRequest(q, http.StatusConflict, q.refused("request", err, nil))
	} else if err != nil {
		return err
	}
	q.redirect("/privacy/requests/"+id, flash)
	return nil
}

// placeHold puts a legal hold on the request's customer.
func (h *requestsPages) placeHold(q *request) error {
	id := q.r.PathValue("id")
	r, err := h.requestsSvc.Request(q.r.Context(), q.actor, id)
	if err != nil {
		return err
	}
	until, err := time.Parse(time.DateOnly, q.r.PostFormValue("until"))
	if err != nil {
		return h.renderRequest(q, http.StatusBadRequest, q.refused("hold", errs.InvalidField("until", tr(q.lang, "hold_until_needed")), holdFieldIDs))
	}
	if err := h.requestsSvc.PlaceHold(q.r.Context(), q.actor, r.CustomerID, q.r.PostFormValue("scope"), q.r.PostFormValue("reason"), until); errs.Is(err, errs.Invalid) {
		return h.renderRequest(q, http.StatusBadRequest, q.refused("hold", err, holdFieldIDs))
	} else if err != nil {
		return err
	}
	q.redirect("/privacy/requests/"+id, "hold_placed")
	return nil
}

// exportForRequest downloads the zip an access request answers with.
func (h *requestsPages) exportForRequest(q *request) error {
	d, err := h.customersSvc.SubjectExport(q.r.Context(), q.actor, q.r.PathValue("id"))
	if err != nil {
		return err
	}
	b, err := records.SubjectZip(d)
	if err != nil {
		return err
	}
	q.w.Header().Set("Content-Type", "application/zip")
	q.w.Header().Set("Content-Disposition", `attachment; filename="personal-data-`+d.RequestID+`.zip"`)
	q.w.Write(b)
	return nil
}
