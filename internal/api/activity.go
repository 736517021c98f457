package api

import (
	"context"
	"net/http"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/httpx"
)

type activityJSON struct {
	ID         string     `json:"id"`
	CustomerID string     `json:"customer_id,omitempty"`
	CompanyID  string     `json:"company_id,omitempty"`
	DealID     string     `json:"deal_id,omitempty"`
	OwnerID    string     `json:"owner_id"`
	Kind       string     `json:"kind"`
	Subject    string     `json:"subject"`
	Body       string     `json:"body,omitempty"`
	DueAt      *time.Time `json:"due_at,omitempty"`
	DoneAt     *time.Time `json:"done_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
}

func toActivityJSON(a crm.Activity) activityJSON {
	return activityJSON{ID: a.ID, CustomerID: a.CustomerID, CompanyID: a.CompanyID, DealID: a.DealID, OwnerID: a.OwnerID, Kind: a.Kind, Subject: a.Subject, Body: a.Body, DueAt: a.DueAt, DoneAt: a.DoneAt, CreatedAt: a.CreatedAt}
}

type activityInput struct {
	Kind    string     `json:"kind"`
	Subject string     `json:"subject"`
	Body    string     `json:"body"`
	DueAt   *time.Time `json:"due_at"`
}

// activityLogger is a service method that logs an activity on a record.
type activityLogger func(ctx context.Context, a authz.Actor, recordID string, in crm.ActivityInput) (crm.Activity, error)

// logActivityOn answers POST …/{id}/activities for a record kind (customer,
// company, deal): the same body, the same answer.
func logActivityOn(log activityLogger) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
		var in activityInput
		if err := httpx.DecodeJSON(w, r, &in, "kind", "subject"); err != nil {
			return err
		}
		act, err := log(r.Context(), a, r.PathValue("id"), crm.ActivityInput{Kind: in.Kind, Subject: in.Subject, Body: in.Body, DueAt: in.DueAt})
		if err != nil {
			return err
		}
		httpx.WriteJSON(w, http.StatusCreated, toActivityJSON(act))
		return nil
	}
}

type activityList struct {
	Items []activityJSON `json:"items"`
}

func (h *activitiesAPI) listActivities(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	acts, err := h.activities.CustomerActivities(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	out := activityList{Items: make([]activityJSON, 0, len(acts))}
	for _, act := range acts {
		out.Items = append(out.Items, toActivityJSON(act))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

type activityUpdate struct {
	Done bool `json:"done"`
}

func (h *activitiesAPI) updateActivity(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in activityUpdate
	if err := httpx.DecodeJSON(w, r, &in, "done"); err != nil {
		return err
	}
	if err := h.activities.CompleteTask(r.Context(), a, r.PathValue("id"), in.Done); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type taskJSON struct {
	activityJSON
	CustomerName string `json:"customer_name,omitempty"`
}

func (h *activitiesAPI) listTasks(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	tasks, err := h.activities.MyTasks(r.Context(), a)
	if err != nil {
		return err
	}
	out := struct {
		Items []taskJSON `json:"items"`
	}{Items: make([]taskJSON, 0, len(tasks))}
	for _, t := range tasks {
		out.Items = append(out.Items, taskJSON{activityJSON: toActivityJSON(t.Activity), CustomerName: t.CustomerName})
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (h *activitiesAPI) listCompanyActivities(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	acts, err := h.activities.CompanyActivities(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	out := activityList{Items: make([]activityJSON, 0, len(acts))}
	for _, act := range acts {
		out.Items = append(out.Items, toActivityJSON(act))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}
