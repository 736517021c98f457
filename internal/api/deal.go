package api

import (
	"net/http"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/httpx"
)

type dealJSON struct {
	ID            string    `json:"id"`
	CustomerID    string    `json:"customer_id"`
	OwnerID       string    `json:"owner_id"`
	Stage         string    `json:"stage"`
	Title         string    `json:"title,omitempty"`
	Amount        *int64    `json:"amount,omitempty"`
	Currency      string    `json:"currency"`
	Probability   int       `json:"probability"`
	ExpectedClose string    `json:"expected_close,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

func toDealJSON(d crm.Deal) dealJSON {
	return dealJSON{ID: d.ID, CustomerID: d.CustomerID, OwnerID: d.OwnerID, Stage: d.Stage, Title: d.Title, Amount: d.Amount, Currency: d.Currency,
		Probability: d.Probability, ExpectedClose: d.ExpectedClose, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
}

type dealInput struct {
	Title         *string `json:"title"`
	Amount        *int64  `json:"amount"`
	Currency      *string `json:"currency"`
	Stage         *string `json:"stage"`
	Probability   *int    `json:"probability"`
	ExpectedClose *string `json:"expected_close"`
}

func (in dealInput) toCRM() crm.DealInput {
	return crm.DealInput{Title: in.Title, Amount: in.Amount, Currency: in.Currency, Stage: in.Stage, Probability: in.Probability, ExpectedClose: in.ExpectedClose}
}

func (h *dealsAPI) createDeal(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in dealInput
	if err := httpx.DecodeJSON(w, r, &in, "title", "amount", "currency"); err != nil {
		return err
	}
	d, err := h.deals.CreateDeal(r.Context(), a, r.PathValue("id"), in.toCRM())
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, toDealJSON(d))
	return nil
}

func (h *dealsAPI) updateDeal(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in dealInput
	if err := httpx.DecodePatch(w, r, &in); err != nil {
		return err
	}
	d, err := h.deals.UpdateDeal(r.Context(), a, r.PathValue("id"), in.toCRM())
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, toDealJSON(d))
	return nil
}

func (h *dealsAPI) deleteDeal(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	if err := h.deals.DeleteDeal(r.Context(), a, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type stageJSON struct {
	crm.Stage
	Deals    []dealJSON       `json:"deals"`
	Totals   map[string]int64 `json:"totals"`
	Weighted map[string]int64 `json:"weighted"`
}

func (h *dealsAPI) listDeals(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	q, err := httpx.Query(r, "customer_id")
	if err != nil {
		return err
	}
	cols, err := h.deals.Pipeline(r.Context(), a, q["customer_id"])
	if err != nil {
		return err
	}
	out := struct {
		Stages []stageJSON `json:"stages"`
	}{Stages: make([]stageJSON, 0, len(cols))}
	for _, c := range cols {
		sj := stageJSON{Stage: c.Stage, Deals: make([]dealJSON, 0, len(c.Deals)), Totals: c.Totals, Weighted: c.Weighted}
		for _, d := range c.Deals {
			sj.Deals = append(sj.Deals, toDealJSON(d))
		}
		out.Stages = append(out.Stages, sj)
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

type pipelineJSON struct {
	Stages []crm.Stage `json:"stages"`
}

func (h *dealsAPI) showPipeline(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	stages, err := h.deals.Stages(r.Context())
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, pipelineJSON{Stages: stages})
	return nil
}

func (h *dealsAPI) updatePipeline(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in pipelineJSON
	if err := httpx.DecodeJSON(w, r, &in, "stages"); err != nil {
		return err
	}
	if err := h.deals.SetStages(r.Context(), a, in.Stages); err != nil {
		return err
	}
	return h.showPipeline(w, r, a)
}

func (h *dealsAPI) showDeal(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	v, err := h.deals.Deal(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	out := struct {
		dealJSON
		Activities []activityJSON `json:"activities"`
	}{dealJSON: toDealJSON(v.Deal), Activities: make([]activityJSON, 0, len(v.Activities))}
	for _, act := range v.Activities {
		out.Activities = append(out.Activities, toActivityJSON(act))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}
