package api

import (
	"net/http"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/httpx"
)

type transactionJSON struct {
	ID          string    `json:"id"`
	CustomerID  string    `json:"customer_id"`
	Kind        string    `json:"kind"`
	Status      string    `json:"status"`
	Currency    string    `json:"currency"`
	OccurredOn  string    `json:"occurred_on"`
	Reference   string    `json:"reference,omitempty"`
	Description string    `json:"description,omitempty"`
	Amount      int64     `json:"amount"`
	Premium     int64     `json:"premium,omitempty"`
	Total       int64     `json:"total"`
	CreatedAt   time.Time `json:"created_at"`
}

func toTransactionJSON(t crm.Transaction) transactionJSON {
	return transactionJSON{ID: t.ID, CustomerID: t.CustomerID, Kind: t.Kind, Status: t.Status, Currency: t.Currency, OccurredOn: t.OccurredOn,
		Reference: t.Reference, Description: t.Description, Amount: t.Amount, Premium: t.Premium, Total: t.Total(), CreatedAt: t.CreatedAt}
}

type transactionInput struct {
	Kind        string `json:"kind"`
	Status      string `json:"status"`
	Currency    string `json:"currency"`
	OccurredOn  string `json:"occurred_on"`
	Reference   string `json:"reference"`
	Description string `json:"description"`
	Amount      int64  `json:"amount"`
	Premium     int64  `json:"premium"`
}

func (h *customersAPI) createTransaction(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in transactionInput
	if err := httpx.DecodeJSON(w, r, &in, "kind", "currency", "occurred_on", "amount"); err != nil {
		return err
	}
	t, err := h.customers.RecordTransaction(r.Context(), a, r.PathValue("id"), crm.Transaction{Kind: in.Kind, Status: in.Status, Currency: in.Currency,
		OccurredOn: in.OccurredOn, Reference: in.Reference, Description: in.Description, Amount: in.Amount, Premium: in.Premium})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, toTransactionJSON(t))
	return nil
}

func (h *customersAPI) listTransactions(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	hist, err := h.customers.CustomerTransactions(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	if hist == nil {
		return errs.E(errs.Permission, "you may not read this customer's purchase history")
	}
	out := struct {
		Items  []transactionJSON `json:"items"`
		Totals map[string]int64  `json:"totals"`
	}{Items: make([]transactionJSON, 0, len(hist.Transactions)), Totals: hist.Totals}
	for _, t := range hist.Transactions {
		out.Items = append(out.Items, toTransactionJSON(t))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (h *customersAPI) updateTransaction(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		Status string `json:"status"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "status"); err != nil {
		return err
	}
	if err := h.customers.SetTransactionStatus(r.Context(), a, r.PathValue("id"), in.Status); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
