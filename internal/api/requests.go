package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/privacy"
	"strongroom.dev/strongroom/internal/service/records"
)

// requestsAPI serves data-subject requests and legal holds.
type requestsAPI struct {
	requests  *privacy.Requests
	customers *records.Customers
}

type requestJSON struct {
	ID         string     `json:"id"`
	CustomerID string     `json:"customer_id,omitempty"`
	Kind       string     `json:"kind"`
	Law        string     `json:"law"`
	Status     string     `json:"status"`
	Channel    string     `json:"channel"`
	ReceivedAt time.Time  `json:"received_at"`
	DueAt      time.Time  `json:"due_at"`
	Overdue    bool       `json:"overdue"`
	Assignee   string     `json:"assignee,omitempty"`
	ClosedAt   *time.Time `json:"closed_at,omitempty"`
	Outcome    string     `json:"outcome,omitempty"`
	Details    string     `json:"details,omitempty"`
	AssignedAt *time.Time `json:"assigned_at,omitempty"`
	// The approval asked for a step ("erasure", "completion", "rejection"):
	// "requested" or "approved", who asked and who approved.
	Approval    string            `json:"approval,omitempty"`
	ApprovalFor string            `json:"approval_for,omitempty"`
	RequestedBy string            `json:"requested_by,omitempty"`
	ApprovedBy  string            `json:"approved_by,omitempty"`
	ApprovedAt  *time.Time        `json:"approved_at,omitempty"`
	ClosedBy    string            `json:"closed_by,omitempty"`
	Timeline    []requestStepJSON `json:"timeline,omitempty"`
}

type requestStepJSON struct {
	At      time.Time `json:"at"`
	ActorID string    `json:"actor_id"`
	Action  string    `json:"action"`
	Outcome string    `json:"outcome"`
	Note    string    `json:"note,omitempty"`
}

func toRequestJSON(r crm.Request) requestJSON {
	out := requestJSON{ID: r.ID, CustomerID: r.CustomerID, Kind: r.Kind, Law: r.Law, Status: r.Status, Channel: r.Channel, ReceivedAt: r.ReceivedAt,
		DueAt: r.DueAt, Overdue: r.Overdue(time.Now()), Assignee: r.Assignee, Outcome: r.Outcome, Details: r.Details,
		Approval: r.Approval, ApprovalFor: r.ApprovalFor, RequestedBy: r.RequestedBy, ApprovedBy: r.ApprovedBy, ClosedBy: r.ClosedBy}
	if !r.ClosedAt.IsZero() {
		out.ClosedAt = &r.ClosedAt
	}
	if !r.AssignedAt.IsZero() {
		out.AssignedAt = &r.AssignedAt
	}
	if !r.ApprovedAt.IsZero() {
		out.ApprovedAt = &r.ApprovedAt
	}
	for _, s := range r.Timeline {
		out.Timeline = append(out.Timeline, requestStepJSON{At: s.At, ActorID: s.ActorID, Action: s.Action, Outcome: s.Outcome, Note: s.Note})
	}
	return out
}

// takeRequest records a request a customer made to staff.
func (h *requestsAPI) takeRequest(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		Kind    string `json:"kind"`
		Law     string `json:"law"`
		Details string `json:"details"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "kind"); err != nil {
		return err
	}
	req, err := h.requests.TakeRequest(r.Context(), a, r.PathValue("id"), crm.RequestInput{Kind: in.Kind, Law: in.Law, Details: in.Details})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/privacy/requests/"+req.ID)
	httpx.WriteJSON(w, http.StatusCreated, toRequestJSON(req))
	return nil
}

// listRequests lists the open requests by deadline (?all=true: every
// one; ?mine=true: those assigned to the caller).
func (h *requestsAPI) listRequests(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	q, err := httpx.Query(r, "all", "mine")
	if err != nil {
		return err
	}
	for _, k := range []string{"all", "mine"} {
		if v := q[k]; v != "" && v != "true" && v != "false" {
			return errs.InvalidField(k, k+" is true or false")
		}
	}
	list, err := h.requests.Requests(r.Context(), a, q["all"] != "true")
	if err != nil {
		return err
	}
	out := struct {
		Items []requestJSON `json:"items"`
	}{Items: make([]requestJSON, 0, len(list))}
	for _, x := range list {
		if q["mine"] == "true" && x.Assignee != a.UserID {
			continue
		}
		out.Items = append(out.Items, toRequestJSON(x))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (h *requestsAPI) showRequest(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	req, err := h.requests.Request(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, toRequestJSON(req))
	return nil
}

// updateRequest takes, completes or rejects a request.
func (h *requestsAPI) updateRequest(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		Status  string `json:"status"`
		Outcome string `json:"outcome"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "status"); err != nil {
		return err
	}
	req, err := h.requests.Update(r.Context(), a, r.PathValue("id"), in.Status, in.Outcome)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, toRequestJSON(req))
	return nil
}

// eraseForRequest carries out an erasure request.
func (h *requestsAPI) eraseForRequest(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	if _, err := httpx.Query(r); err != nil {
		return err
	}
	outcome, err := h.customers.EraseForRequest(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "completed", "outcome": outcome})
	return nil
}

// restrict carries out a restriction request; lift ends it.
func (h *requestsAPI) restrict(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	return h.restriction(w, r, a, h.requests.Restrict)
}

func (h *requestsAPI) lift(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	return h.restriction(w, r, a, h.requests.Lift)
}

func (h *requestsAPI) restriction(w http.ResponseWriter, r *http.Request, a authz.Actor, do func(context.Context, authz.Actor, string) (crm.Request, error)) error {
	if _, err := httpx.Query(r); err != nil {
		return err
	}
	req, err := do(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, toRequestJSON(req))
	return nil
}

// placeHold puts a legal hold on a customer's data.
func (h *requestsAPI) placeHold(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		Scope  string `json:"scope"`
		Reason string `json:"reason"`
		Until  string `json:"until"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "scope", "reason", "until"); err != nil {
		return err
	}
	until, err := time.Parse(time.RFC3339, in.Until)
	if err != nil {
		return errs.InvalidField("until", "until is a time (RFC 3339, e.g. 2031-12-31T00:00:00Z)")
	}
	if err := h.requests.PlaceHold(r.Context(), a, r.PathValue("id"), in.Scope, in.Reason, until); err != nil {
		return err
	}
	w.WriteHeader(http.StatusCreated)
	return nil
}

// exportForRequest answers an access or portability request: a zip of
// everything held about the person, as JSON (all of it) and CSV (a file
// per kind of record), with the staff accesses to their data. The
// response names the zip's SHA-256 (X-Export-SHA256), the evidence to
// complete the request with.
func (h *requestsAPI) exportForRequest(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	if _, err := httpx.Query(r); err != nil {
		return err
	}
	d, err := h.customers.SubjectExport(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	b, err := records.SubjectZip(d)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(b)
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="personal-data-`+d.RequestID+`.zip"`)
	w.Header().Set("X-Export-SHA256", hex.EncodeToString(sum[:]))
	w.Write(b)
	return nil
}

// complianceReport answers the compliance report for a law.
func (h *requestsAPI) complianceReport(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	q, err := httpx.Query(r, "law")
	if err != nil {
		return err
	}
	rep, err := h.requests.ComplianceReport(r.Context(), a, q["law"])
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, rep)
	return nil
}

// processingRecord is the record of processing activities (GDPR Art. 30).
func (h *requestsAPI) processingRecord(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	if _, err := httpx.Query(r); err != nil {
		return err
	}
	rec, err := h.requests.ProcessingRecord(r.Context(), a)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, rec)
	return nil
}

// listHandlers lists the users a request may be assigned to.
func (h *requestsAPI) listHandlers(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	if _, err := httpx.Query(r); err != nil {
		return err
	}
	list, err := h.requests.Handlers(r.Context(), a)
	if err != nil {
		return err
	}
	type handlerJSON struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	}
	out := struct {
		Items []handlerJSON `json:"items"`
	}{Items: make([]handlerJSON, 0, len(list))}
	for _, x := range list {
		out.Items = append(out.Items, handlerJSON{x.ID, x.Email})
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// assignRequest gives a request to a handler.
func (h *requestsAPI) assignRequest(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		UserID string `json:"user_id"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "user_id"); err != nil {
		return err
	}
	req, err := h.requests.Assign(r.Context(), a, r.PathValue("id"), in.UserID)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, toRequestJSON(req))
	return nil
}

// askApproval asks a second handler's approval to carry out an erasure.
func (h *requestsAPI) askApproval(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	return h.restriction(w, r, a, h.requests.AskApproval)
}

// approve gives the approval asked for.
func (h *requestsAPI) approve(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	return h.restriction(w, r, a, h.requests.Approve)
}

// decline turns the approval asked for down.
func (h *requestsAPI) decline(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		Note string `json:"note"`
	}
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	req, err := h.requests.Decline(r.Context(), a, r.PathValue("id"), in.Note)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, toRequestJSON(req))
	return nil
}

type approvalStepsJSON struct {
	Steps []string `json:"steps"`
}

// showApprovalSteps answers which steps need a second handler's approval.
func (h *requestsAPI) showApprovalSteps(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	if _, err := httpx.Query(r); err != nil {
		return err
	}
	steps, err := h.requests.ApprovalSteps(r.Context(), a)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, approvalStepsJSON{Steps: append([]string{}, steps...)})
	return nil
}

// setApprovalSteps sets which steps need a second handler's approval.
func (h *requestsAPI) setApprovalSteps(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in approvalStepsJSON
	if err := httpx.DecodeJSON(w, r, &in, "steps"); err != nil {
		return err
	}
	if err := h.requests.SetApprovalSteps(r.Context(), a, in.Steps); err != nil {
		return err
	}
	return h.showApprovalSteps(w, r, a)
}
